-- The event log on PostgreSQL: the same columns and guarantees as the SQLite one.
CREATE TABLE events (
  -- Assigned by the writer that holds the append lock (max + 1), never by a sequence: positions
  -- are contiguous and become visible in order, so a reader tailing by position skips nothing.
  global_position  BIGINT PRIMARY KEY CHECK (global_position > 0),
  event_id         TEXT NOT NULL UNIQUE,
  stream_type      TEXT NOT NULL,
  stream_id        TEXT NOT NULL,
  stream_version   INTEGER NOT NULL CHECK (stream_version > 0),
  event_type       TEXT NOT NULL,
  schema_version   INTEGER NOT NULL DEFAULT 1,
  -- json, not jsonb: validated on insert and read back exactly as written.
  payload          JSON NOT NULL,
  metadata         JSON,
  created_at       TEXT NOT NULL,
  -- The optimistic-concurrency guard: two writers can never both claim version N of a stream.
  UNIQUE (stream_type, stream_id, stream_version)
);
