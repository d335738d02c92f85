DROP TABLE outbox;
DROP TABLE deleted_users;
DROP TABLE login_throttle;
DROP TABLE refresh_tokens;
DROP TABLE users;
