-- Each outbox worker writes a heartbeat row (its name is host:pid) every few seconds while it runs, so
-- operators see which workers are alive, since when, and how much they have in flight. A worker that stopped
-- cleanly marks its row stopped; a worker that died simply stops beating.
CREATE TABLE worker_heartbeats (
    name        text        PRIMARY KEY,
    started_at  timestamptz NOT NULL,
    beat_at     timestamptz NOT NULL DEFAULT now(),
    stopped_at  timestamptz,
    in_flight   integer     NOT NULL DEFAULT 0 CHECK (in_flight >= 0),
    topics      text[]
);

-- The service writes and reads its own heartbeats (and, from 0041, prunes the silent ones).
REVOKE DELETE, TRUNCATE ON worker_heartbeats FROM kuaichu_app;
GRANT SELECT, INSERT, UPDATE ON worker_heartbeats TO kuaichu_app;
