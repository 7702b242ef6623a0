-- Sessions. The cookie carries a random token; only its SHA-256 is stored, so a copy of the
-- database hands out no live sessions. `id` is a separate, stable, non-secret identifier that
-- slices may put in events and logs; it survives token rotation. Times are Unix milliseconds.
CREATE TABLE sessions (
  token_hash     TEXT PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  data           JSON NOT NULL DEFAULT '{}',
  created_at     BIGINT NOT NULL,
  last_accessed  BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL
);

-- The periodic sweep deletes by expiry.
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- The key that signs not-yet-stored session tokens, shared by every node so that a token one
-- node issued is recognised by the others. One row; drawn by the first node that starts.
CREATE TABLE session_mint_key (
  singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
  key        BYTEA NOT NULL
);
