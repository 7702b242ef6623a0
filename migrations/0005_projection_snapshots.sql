-- Projection snapshots: a read model's state at a global position, so a start folds only the tail
-- of the log after it. Disposable: deleting every row only makes the next start fold from 0.
-- Keyed by the definition's fingerprint (name, version, source, event schemas), so code that
-- changed never loads another definition's state.
CREATE TABLE projection_snapshots (
  name         TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  position     INTEGER NOT NULL CHECK (position >= 0),
  state        TEXT NOT NULL,
  -- SHA-256 of `state`: a damaged row is ignored, not decoded.
  checksum     TEXT NOT NULL,
  written_at   INTEGER NOT NULL, -- Unix milliseconds
  PRIMARY KEY (name, fingerprint)
);
