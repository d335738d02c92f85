DROP TABLE processed_events; DROP TABLE erasures;
