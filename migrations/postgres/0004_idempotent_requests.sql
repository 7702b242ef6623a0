-- Idempotency-Key: the first answer to a command request, replayed to a retry with the same key
-- on the same route and session. Rows older than IDEMPOTENCY_WINDOW_SECONDS are swept.
CREATE TABLE idempotent_requests (
  -- Hash of session, method, route and key; `idem:<scope>.<n>` are the command ids the request's
  -- commands were appended under (command_log), so a retry never writes twice.
  scope          TEXT PRIMARY KEY,
  -- Hash of method, path and body: another request under the same key is refused (422).
  request_hash   TEXT NOT NULL,
  status         INTEGER NOT NULL,
  -- The headers that matter for a command's answer (Location, Content-Type, Datastar's).
  headers        JSON NOT NULL,
  body           BYTEA,
  -- Set when the answer was an error page or toast: the replay answers the same error.
  error_message  TEXT,
  recorded_at    BIGINT NOT NULL -- Unix milliseconds
);

CREATE INDEX idempotent_requests_by_age ON idempotent_requests (recorded_at);

-- The command ids derived from keys expire with them; this finds the old ones without a scan.
-- COLLATE "C": byte order, as SQLite compares, so the range holds exactly the `idem:` ids.
CREATE INDEX command_log_idempotent_by_age ON command_log (created_at)
  WHERE command_id COLLATE "C" >= 'idem:' AND command_id COLLATE "C" < 'idem;';
