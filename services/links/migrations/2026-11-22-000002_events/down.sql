DROP TABLE outbox; DROP TABLE erased_users; DROP TABLE processed_events;
