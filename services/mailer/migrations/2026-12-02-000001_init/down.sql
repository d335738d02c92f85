DROP TABLE sends;
DROP TABLE erased_users;
DROP TABLE processed_events;
DROP TABLE outbox;
