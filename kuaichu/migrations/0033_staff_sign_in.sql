-- Staff sign in as people: a password (argon2id) set through a one-time enrolment link, a TOTP second factor
-- (mandatory for police, supervisor and admin), a lock after repeated failures, and sessions held in a cookie.
-- A bearer token is for a system client only, so a person's account has none.
ALTER TABLE staff DROP CONSTRAINT staff_role_check;
ALTER TABLE staff ADD CONSTRAINT staff_role_check
    CHECK (role IN ('police', 'adjuster', 'coordinator', 'court', 'admin', 'supervisor'));
ALTER TABLE staff ALTER COLUMN token_hash DROP NOT NULL;
ALTER TABLE staff
    ADD COLUMN password_hash   text,
    ADD COLUMN totp_secret_enc bytea,
    -- The last TOTP time step accepted: a code is good once.
    ADD COLUMN totp_last_step  bigint,
    -- Consecutive failed sign-ins since the last success; at the limit the account is locked until locked_until.
    ADD COLUMN failed_sign_ins integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_until    timestamptz;

-- One-time links a person opens to set a password and TOTP (at creation) or what an admin reset.
CREATE TABLE staff_enrolments (
    id              uuid        PRIMARY KEY,
    staff_id        uuid        NOT NULL REFERENCES staff (id),
    token_hash      bytea       NOT NULL,
    sets_password   boolean     NOT NULL,
    sets_totp       boolean     NOT NULL,
    -- The TOTP secret offered on this link (sealed), kept so that opening the link twice shows the same one.
    totp_secret_enc bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz,
    CONSTRAINT staff_enrolments_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX staff_enrolments_staff ON staff_enrolments (staff_id);

-- Signed-in staff: a cookie session ends 12 h after sign-in, after 30 minutes without a request, or when
-- revoked (sign-out, a reset of the account); a deactivated account's sessions stop at once.
CREATE TABLE staff_sessions (
    id             uuid        PRIMARY KEY,
    staff_id       uuid        NOT NULL REFERENCES staff (id),
    token_hash     bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    revoked_reason text,
    CONSTRAINT staff_sessions_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX staff_sessions_open ON staff_sessions (staff_id) WHERE revoked_at IS NULL;

-- Sessions and enrolment links are records of who could act: ended, never erased.
REVOKE DELETE, TRUNCATE ON staff_sessions, staff_enrolments FROM kuaichu_app;
