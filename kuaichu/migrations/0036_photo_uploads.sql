-- Resumable photo uploads: a phone declares a photo (size, SHA-256, kind), sends it in chunks at stated offsets
-- and may resume after a cut connection. The bytes received so far live in a spool file under the photo
-- directory (uploads/<id>); this row says how many of them count. Once the last byte is in and the hash
-- matches, the photo goes through the same intake as a one-shot upload and the row points at the photo.
-- Unfinished uploads expire (expires_at) and the worker's housekeeping deletes their bytes.
CREATE TABLE photo_uploads (
    id             uuid        PRIMARY KEY,
    report_id      uuid        NOT NULL REFERENCES reports (id),
    party_id       uuid        NOT NULL REFERENCES parties (id),
    kind           text        NOT NULL,
    size_bytes     bigint      NOT NULL CHECK (size_bytes > 0),
    sha256         text        NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    received_bytes bigint      NOT NULL DEFAULT 0 CHECK (received_bytes >= 0 AND received_bytes <= size_bytes),
    status         text        NOT NULL DEFAULT 'receiving'
                               CHECK (status IN ('receiving', 'complete', 'failed', 'expired')),
    photo_id       uuid        REFERENCES photos (id),
    failure        jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    CONSTRAINT photo_uploads_complete_has_photo CHECK (status <> 'complete' OR photo_id IS NOT NULL)
);
-- One unfinished upload per party, photo and kind: declaring the same photo again resumes it.
CREATE UNIQUE INDEX photo_uploads_one_receiving ON photo_uploads (party_id, sha256, kind)
    WHERE status = 'receiving';
CREATE INDEX photo_uploads_expiry ON photo_uploads (expires_at) WHERE status = 'receiving';
CREATE INDEX photo_uploads_report ON photo_uploads (report_id);
GRANT SELECT, INSERT, UPDATE ON photo_uploads TO kuaichu_app;
REVOKE DELETE, TRUNCATE ON photo_uploads FROM kuaichu_app;
