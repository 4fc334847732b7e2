-- Reports, parties and their evidence. Personal data (names, ID/licence numbers, phones) is stored only
-- encrypted (*_enc) and, for lookups by phone, as a keyed hash.

CREATE TABLE reports (
    id              uuid        PRIMARY KEY,
    status          text        NOT NULL CHECK (status IN (
                        'draft', 'awaiting_parties', 'facts_complete', 'referred_to_122', 'withdrawn',
                        'proposed', 'agreed', 'in_review', 'determined', 'court_requested',
                        'offline_mediation', 'closed')),
    occurred_at     timestamptz NOT NULL,
    lat             double precision NOT NULL,
    lon             double precision NOT NULL,
    address         text,
    zone_id         text        NOT NULL REFERENCES zones (id),
    near_boundary   boolean     NOT NULL DEFAULT false,
    weather         text        NOT NULL,
    vehicle_count   integer     NOT NULL CHECK (vehicle_count BETWEEN 1 AND 10),
    case_answers    jsonb       NOT NULL,
    referral        jsonb,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reports_status ON reports (status, created_at);

CREATE TABLE parties (
    id              uuid        PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    label           text        NOT NULL,
    phone_hash      bytea       NOT NULL,
    phone_enc       bytea       NOT NULL,
    name_enc        bytea       NOT NULL,
    id_number_enc   bytea       NOT NULL,
    id_kind         text        NOT NULL CHECK (id_kind IN ('licence', 'id_card')),
    plate           text        NOT NULL,
    vehicle_type    text        NOT NULL,
    insurer_code    text        NOT NULL REFERENCES insurers (code),
    policy_number   text        NOT NULL,
    answers         jsonb       NOT NULL,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT parties_report_label_key UNIQUE (report_id, label),
    CONSTRAINT parties_report_plate_key UNIQUE (report_id, plate)
);
CREATE INDEX parties_phone_hash ON parties (phone_hash);

-- Consent (PIPL arts. 23, 29): separate, recorded, against a versioned notice.
CREATE TABLE consents (
    id              uuid        PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    party_id        uuid        NOT NULL REFERENCES parties (id),
    notice_version  text        NOT NULL,
    location        boolean     NOT NULL,
    sharing         boolean     NOT NULL,
    given_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consents_party ON consents (party_id, given_at);

-- A party token reaches one party of one report; stored only as a keyed hash.
CREATE TABLE party_tokens (
    token_hash      bytea       PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    party_id        uuid        NOT NULL REFERENCES parties (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

-- Share codes let further parties join; short, expiring, attempts rate-limited.
CREATE TABLE share_codes (
    code_hash       bytea       PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_codes_report ON share_codes (report_id);

-- One-time codes proving a phone; sessions of drivers logged in by phone.
CREATE TABLE otp_challenges (
    id              uuid        PRIMARY KEY,
    phone_hash      bytea       NOT NULL,
    code_hash       bytea       NOT NULL,
    purpose         text        NOT NULL,
    expires_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    consumed_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_challenges_phone ON otp_challenges (phone_hash, created_at DESC);

CREATE TABLE phone_sessions (
    id              uuid        PRIMARY KEY,
    token_hash      bytea       NOT NULL,
    phone_hash      bytea       NOT NULL,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT phone_sessions_token_hash_key UNIQUE (token_hash)
);

-- Photos: originals are content-addressed (sha256) in the photo store; the same bytes are stored once.
CREATE TABLE photos (
    id              uuid        PRIMARY KEY,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    party_id        uuid        REFERENCES parties (id),
    staff_id        uuid        REFERENCES staff (id),
    kind            text        NOT NULL,
    sha256          text        NOT NULL,
    size_bytes      bigint      NOT NULL,
    media_type      text        NOT NULL,
    width           integer     NOT NULL,
    height          integer     NOT NULL,
    taken_at        timestamptz,
    gps_lat         double precision,
    gps_lon         double precision,
    derivatives     text        NOT NULL DEFAULT 'pending' CHECK (derivatives IN ('pending', 'ready', 'failed')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT photos_report_sha_kind_key UNIQUE (report_id, sha256, kind)
);
CREATE INDEX photos_sha256 ON photos (sha256);
