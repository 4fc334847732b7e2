-- Claims (one per damaged vehicle once liability is settled), their assessments (定损), the statutory moments
-- of 交强险条例 §28–§29, insurer callbacks made idempotent by the insurer's own reference, and insurer
-- credentials (stored only as keyed hashes).

CREATE TABLE insurer_credentials (
    id           uuid        PRIMARY KEY,
    insurer_code text        NOT NULL REFERENCES insurers (code),
    token_hash   bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    CONSTRAINT insurer_credentials_token_hash_key UNIQUE (token_hash)
);

-- The liability a report settled with (agreed or determined), as the claims saw it; a newer version replaces it.
CREATE TABLE claim_settlements (
    report_id    uuid        PRIMARY KEY REFERENCES reports (id),
    version      integer     NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('agreed', 'determined')),
    parties      jsonb       NOT NULL,
    accident_day date        NOT NULL,
    settled_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE claims (
    id                     uuid        PRIMARY KEY,
    report_id              uuid        NOT NULL REFERENCES reports (id),
    party_id               uuid        NOT NULL REFERENCES parties (id),
    label                  text        NOT NULL,
    insurer_code           text        NOT NULL REFERENCES insurers (code),
    status                 text        NOT NULL DEFAULT 'opened' CHECK (status IN (
                               'opened', 'documents_requested', 'documents_complete', 'decided', 'payout_agreed',
                               'paid', 'closed', 'withdrawn')),
    applied_at             timestamptz NOT NULL DEFAULT now(),  -- the claim application (§28 runs from here)
    documents_requested_at timestamptz,
    documents_complete_at  timestamptz,
    decided_at             timestamptz,
    payout_agreed_at       timestamptz,
    paid_at                timestamptz,
    closed_at              timestamptz,
    documents              jsonb       NOT NULL DEFAULT '[]'::jsonb,
    decision               jsonb,
    payout_fen             bigint      CHECK (payout_fen >= 0),
    paid_fen               bigint      CHECK (paid_fen >= 0),
    commercial_third_party boolean     NOT NULL DEFAULT false,
    cover                  jsonb,
    cover_revision         integer     NOT NULL DEFAULT 0,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claims_report_party_key UNIQUE (report_id, party_id)
);
CREATE INDEX claims_insurer ON claims (insurer_code, applied_at DESC);
CREATE INDEX claims_open ON claims (applied_at) WHERE status NOT IN ('closed', 'withdrawn');

-- Every assessment an insurer posted; the highest revision of a claim is the current one.
CREATE TABLE claim_assessments (
    claim_id     uuid        NOT NULL REFERENCES claims (id),
    revision     integer     NOT NULL CHECK (revision >= 1),
    reference    text        NOT NULL,
    items        jsonb       NOT NULL,
    total_fen    bigint      NOT NULL CHECK (total_fen >= 0),
    vehicle_only boolean     NOT NULL,
    photos       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claim_assessments_pkey PRIMARY KEY (claim_id, revision)
);
REVOKE UPDATE, DELETE, TRUNCATE ON claim_assessments FROM kuaichu_app;

-- An insurer's callback under its own reference: a repeat with the same body gets the same answer.
CREATE TABLE insurer_callbacks (
    insurer_code text        NOT NULL REFERENCES insurers (code),
    reference    text        NOT NULL,
    claim_id     uuid        NOT NULL REFERENCES claims (id),
    kind         text        NOT NULL,
    request_hash bytea       NOT NULL,
    status_code  integer     NOT NULL,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT insurer_callbacks_pkey PRIMARY KEY (insurer_code, reference)
);
