-- Rate limits, one row per bucket (a phone's login codes, an address, a party's signing codes, a phone's
-- report creations, ...): the times of its recent hits and the sliding windows that limit it. A hit is taken
-- by one conditional upsert (rate_take): the row lock serialises concurrent takes of a bucket in every process
-- sharing the database, and the condition is checked against the latest committed row, so a limit holds under
-- concurrency. It replaces rate_events, whose count-then-insert did not.
CREATE TABLE rate_buckets (
    bucket    text          PRIMARY KEY,
    hits      timestamptz[] NOT NULL,
    maxes     integer[]     NOT NULL,  -- window i allows at most maxes[i] hits ...
    windows_s integer[]     NOT NULL,  -- ... in the last windows_s[i] seconds
    CONSTRAINT rate_buckets_windows CHECK (cardinality(maxes) = cardinality(windows_s) AND cardinality(maxes) > 0)
);

-- The hits still inside the longest window, oldest first.
CREATE FUNCTION rate_recent(hits timestamptz[], windows_s integer[]) RETURNS timestamptz[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(h ORDER BY h), '{}')
    FROM unnest(hits) AS h
    WHERE h > now() - make_interval(secs => (SELECT max(s) FROM unnest(windows_s) AS s))
$$;

-- Whether one more hit now stays within every window.
CREATE FUNCTION rate_has_room(hits timestamptz[], maxes integer[], windows_s integer[]) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM unnest(maxes, windows_s) AS w(max_hits, secs)
        WHERE (SELECT count(*) FROM unnest(hits) AS h WHERE h > now() - make_interval(secs => w.secs)) >= w.max_hits
    )
$$;

-- One hit now in each bucket of `spec` ([{"bucket", "maxes", "windows_s"}], each bucket once) that has room in
-- every window; returns the time of each hit taken. A bucket without room is left as it was: a caller that needs
-- all or none compares the count and rolls back (kernel/ratelimit.py). Buckets are locked in name order.
CREATE FUNCTION rate_take(spec jsonb) RETURNS SETOF timestamptz
LANGUAGE sql VOLATILE STRICT AS $$
    INSERT INTO rate_buckets AS b (bucket, hits, maxes, windows_s)
    SELECT w.bucket, ARRAY[now()], w.maxes, w.windows_s
    FROM jsonb_to_recordset(spec) AS w(bucket text, maxes integer[], windows_s integer[])
    ORDER BY w.bucket
    ON CONFLICT (bucket) DO UPDATE
    SET hits = rate_recent(b.hits, EXCLUDED.windows_s) || now(), maxes = EXCLUDED.maxes,
        windows_s = EXCLUDED.windows_s
    WHERE rate_has_room(b.hits, EXCLUDED.maxes, EXCLUDED.windows_s)
    RETURNING now()
$$;

DROP TABLE rate_events;
