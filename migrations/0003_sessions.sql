-- Sessions. The cookie carries a random token; only its SHA-256 is stored, so a copy of the
-- database hands out no live sessions. `id` is a separate, stable, non-secret identifier that
-- slices may put in events and logs; it survives token rotation. Times are Unix milliseconds.
CREATE TABLE sessions (
  token_hash     TEXT PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  data           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
  created_at     INTEGER NOT NULL,
  last_accessed  INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL
) WITHOUT ROWID;

-- The periodic sweep deletes by expiry.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
