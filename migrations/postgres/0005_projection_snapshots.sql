-- Projection snapshots, as in SQLite's 0005: a read model's state at a global position, keyed by
-- the definition's fingerprint. Nodes share them: any node's snapshot is a valid start for another
-- running the same code, since positions are global.
CREATE TABLE projection_snapshots (
  name         TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  position     BIGINT NOT NULL CHECK (position >= 0),
  state        TEXT NOT NULL,
  checksum     TEXT NOT NULL,
  written_at   BIGINT NOT NULL, -- Unix milliseconds
  PRIMARY KEY (name, fingerprint)
);
