-- The worker's housekeeping removes heartbeats of workers silent for a week (one row per worker process ever
-- started would otherwise pile up).
GRANT DELETE ON worker_heartbeats TO kuaichu_app;
