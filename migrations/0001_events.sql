-- The event log: the single source of truth. Projections are rebuilt from it.
CREATE TABLE events (
  -- Monotonic global position: the SSE `id:` and the Last-Event-ID a client sends back.
  global_position  INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id         TEXT NOT NULL UNIQUE,
  stream_type      TEXT NOT NULL,
  stream_id        TEXT NOT NULL,
  stream_version   INTEGER NOT NULL CHECK (stream_version > 0),
  event_type       TEXT NOT NULL,
  schema_version   INTEGER NOT NULL DEFAULT 1,
  payload          TEXT NOT NULL CHECK (json_valid(payload)),
  metadata         TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
  created_at       TEXT NOT NULL,
  -- The optimistic-concurrency guard: two writers can never both claim version N of a stream.
  UNIQUE (stream_type, stream_id, stream_version)
);
