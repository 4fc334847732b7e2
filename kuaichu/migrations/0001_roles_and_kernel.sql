-- The application role: the service logs in as it (it owns nothing and is no member of the owner), so the
-- database itself enforces what the application may do (e.g. append-only audit events).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kuaichu_app') THEN
        CREATE ROLE kuaichu_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO kuaichu_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kuaichu_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO kuaichu_app;
GRANT SELECT ON schema_migrations TO kuaichu_app;

-- Idempotency: a retried POST with the same key and body gets the stored answer; written in the same
-- transaction as what the request created.
CREATE TABLE idempotency_keys (
    scope        text        NOT NULL,
    key          text        NOT NULL,
    request_hash bytea       NOT NULL,
    status_code  integer     NOT NULL,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (scope, key)
);

-- Sliding-window rate limits (OTP sends, share-code attempts, ...): one row per counted event.
CREATE TABLE rate_events (
    bucket text        NOT NULL,
    at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);

-- Audit trail: append-only. The application role may insert and read, never update or delete.
-- prev_hash/hash leave room for a hash chain.
CREATE TABLE audit_events (
    id          bigserial   PRIMARY KEY,
    report_id   uuid,
    entity      text        NOT NULL,
    entity_id   text        NOT NULL,
    action      text        NOT NULL,
    actor_kind  text        NOT NULL CHECK (actor_kind IN ('party', 'staff', 'system', 'insurer', 'court')),
    actor_id    text,
    at          timestamptz NOT NULL DEFAULT now(),
    changes     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    prev_hash   bytea,
    hash        bytea
);
CREATE INDEX audit_events_report ON audit_events (report_id, id);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, id);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM kuaichu_app;

-- Transactional outbox: written in the same transaction as the change that causes the message.
CREATE TABLE outbox (
    id              uuid        PRIMARY KEY,
    topic           text        NOT NULL,
    dedupe_key      text        NOT NULL,
    report_id       uuid,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'parked')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    locked_by       text,
    last_error      text,
    last_status     integer,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    -- Messages of the same ordering key are delivered one after another, in sequence order.
    ordering_key    text,
    sequence        bigint,
    CONSTRAINT outbox_dedupe_key UNIQUE (dedupe_key)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_parked ON outbox (created_at) WHERE status = 'parked';
CREATE INDEX outbox_ordering ON outbox (ordering_key, sequence) WHERE ordering_key IS NOT NULL;

-- Staff: police reviewers, insurer adjusters, rural coordinators, the court, administrators.
CREATE TABLE staff (
    id           uuid        PRIMARY KEY,
    username     text        NOT NULL,
    role         text        NOT NULL CHECK (role IN ('police', 'adjuster', 'coordinator', 'court', 'admin')),
    insurer_code text,
    display_name text        NOT NULL,
    token_hash   bytea       NOT NULL,
    active       boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_username_key UNIQUE (username),
    CONSTRAINT staff_token_hash_key UNIQUE (token_hash),
    CONSTRAINT staff_adjuster_has_insurer CHECK (role <> 'adjuster' OR insurer_code IS NOT NULL)
);
