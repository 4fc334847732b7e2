-- Anomaly signals for human review, never verdicts (README, "Anomaly signals").
--
-- Perceptual hashes of every photo's content (kept per SHA-256 of the original, as its previews are), one row per
-- crop variant (accident/photo_similarity.VARIANTS). The 64-bit pHash is split into four 16-bit bands with a
-- B-tree index each: two hashes within 3 differing bits share at least one band, so a lookup is exact up to 3
-- bits and approximate beyond; candidates are confirmed with bit_count on the whole pHash and dHash.
CREATE TABLE photo_similarity (
    sha256  text     NOT NULL,
    variant smallint NOT NULL,
    phash   bigint   NOT NULL,
    dhash   bigint   NOT NULL,
    band0   integer  NOT NULL,
    band1   integer  NOT NULL,
    band2   integer  NOT NULL,
    band3   integer  NOT NULL,
    CONSTRAINT photo_similarity_pkey PRIMARY KEY (sha256, variant)
);
CREATE INDEX photo_similarity_band0 ON photo_similarity (band0);
CREATE INDEX photo_similarity_band1 ON photo_similarity (band1);
CREATE INDEX photo_similarity_band2 ON photo_similarity (band2);
CREATE INDEX photo_similarity_band3 ON photo_similarity (band3);

-- One flag per report, kind and subject (e.g. the pair of photos), with the evidence a reviewer needs.
CREATE TABLE anomaly_flags (
    id         bigserial   PRIMARY KEY,
    report_id  uuid        NOT NULL REFERENCES reports (id),
    kind       text        NOT NULL CHECK (kind IN ('near_duplicate_photo')),
    subject    text        NOT NULL,
    evidence   jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT anomaly_flags_subject_key UNIQUE (report_id, kind, subject)
);
CREATE INDEX anomaly_flags_created ON anomaly_flags (created_at);

-- Hashes describe content that never changes; flags are signals a reviewer reads, not rewrites.
REVOKE UPDATE, DELETE, TRUNCATE ON photo_similarity FROM kuaichu_app;
REVOKE UPDATE, DELETE, TRUNCATE ON anomaly_flags FROM kuaichu_app;
