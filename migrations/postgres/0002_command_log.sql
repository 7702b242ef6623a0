-- Idempotency: a command id maps to the events it produced, so a retried command
-- returns its original outcome and writes nothing twice.
CREATE TABLE command_log (
  command_id      TEXT PRIMARY KEY,
  stream_type     TEXT NOT NULL,
  stream_id       TEXT NOT NULL,
  first_position  BIGINT NOT NULL,
  last_position   BIGINT NOT NULL,
  created_at      TEXT NOT NULL
);
