-- The fault flow of a report: each party's own account, the proposals computed from them, acceptances and
-- disputes, signatures, the agreement (自行协商协议书), police review and determination (认定), responses to it
-- and requests for court handling. Every decision row names the proposal/determination version it saw.

CREATE TABLE fault_accounts (
    report_id          uuid        NOT NULL REFERENCES reports (id),
    party_id           uuid        NOT NULL REFERENCES parties (id),
    context            jsonb       NOT NULL,  -- this party's own view of junction and collision
    facts              jsonb       NOT NULL,  -- FAULT_RULES §2 party facts, without id and declared_scenarios
    declared_scenarios text[]      NOT NULL DEFAULT '{}',
    version            integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    submitted_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fault_accounts_pkey PRIMARY KEY (report_id, party_id)
);

CREATE TABLE fault_proposals (
    report_id    uuid        NOT NULL REFERENCES reports (id),
    version      integer     NOT NULL CHECK (version >= 1),
    set_id       text        NOT NULL,
    set_version  text        NOT NULL,
    facts        jsonb       NOT NULL,  -- the accounts exactly as given, per party label
    result       jsonb       NOT NULL,  -- the engine's decision in the FAULT_RULES §4 shape
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fault_proposals_pkey PRIMARY KEY (report_id, version),
    CONSTRAINT fault_proposals_set_fkey FOREIGN KEY (set_id, set_version)
        REFERENCES fault_template_sets (id, version)
);
CREATE INDEX fault_proposals_created ON fault_proposals (created_at);

-- Acceptances and disputes of one proposal version; a newer version voids the earlier ones.
CREATE TABLE fault_responses (
    id               uuid        PRIMARY KEY,
    report_id        uuid        NOT NULL,
    proposal_version integer     NOT NULL,
    party_id         uuid        NOT NULL REFERENCES parties (id),
    response         text        NOT NULL CHECK (response IN ('accept', 'dispute')),
    reason           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    voided_at        timestamptz,
    CONSTRAINT fault_responses_proposal_fkey FOREIGN KEY (report_id, proposal_version)
        REFERENCES fault_proposals (report_id, version),
    CONSTRAINT fault_responses_party_version_key UNIQUE (report_id, proposal_version, party_id),
    CONSTRAINT fault_responses_reason_check CHECK (response = 'accept' OR length(reason) > 0)
);

CREATE TABLE fault_signatures (
    id                       uuid        PRIMARY KEY,
    report_id                uuid        NOT NULL,
    proposal_version         integer     NOT NULL,
    party_id                 uuid        NOT NULL REFERENCES parties (id),
    signed_at                timestamptz NOT NULL DEFAULT now(),
    code_confirmed           boolean     NOT NULL CHECK (code_confirmed),
    image_sha256             text        CHECK (image_sha256 ~ '^[0-9a-f]{64}$'),
    mutual_self_compensation boolean     NOT NULL,
    CONSTRAINT fault_signatures_proposal_fkey FOREIGN KEY (report_id, proposal_version)
        REFERENCES fault_proposals (report_id, version),
    CONSTRAINT fault_signatures_party_version_key UNIQUE (report_id, proposal_version, party_id)
);

CREATE TABLE fault_agreements (
    report_id        uuid        NOT NULL REFERENCES reports (id),
    proposal_version integer     NOT NULL,
    content          jsonb       NOT NULL,
    json_sha256      text        NOT NULL CHECK (json_sha256 ~ '^[0-9a-f]{64}$'),
    pdf              bytea       NOT NULL,
    pdf_sha256       text        NOT NULL CHECK (pdf_sha256 ~ '^[0-9a-f]{64}$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fault_agreements_pkey PRIMARY KEY (report_id)
);

-- The police review queue: one open entry per report, oldest first, with the reasons it is there.
CREATE TABLE fault_reviews (
    id         uuid        PRIMARY KEY,
    report_id  uuid        NOT NULL REFERENCES reports (id),
    source     text        NOT NULL CHECK (source IN ('engine', 'dispute')),
    reasons    jsonb       NOT NULL,
    opened_at  timestamptz NOT NULL DEFAULT now(),
    closed_at  timestamptz
);
CREATE UNIQUE INDEX fault_reviews_open_key ON fault_reviews (report_id) WHERE closed_at IS NULL;
CREATE INDEX fault_reviews_queue ON fault_reviews (opened_at) WHERE closed_at IS NULL;

CREATE TABLE police_determinations (
    report_id   uuid        NOT NULL REFERENCES reports (id),
    version     integer     NOT NULL CHECK (version >= 1),
    staff_id    uuid        NOT NULL REFERENCES staff (id),
    reason      text        NOT NULL CHECK (length(reason) > 0),
    articles    text[]      NOT NULL CHECK (cardinality(articles) > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT police_determinations_pkey PRIMARY KEY (report_id, version)
);

CREATE TABLE police_determination_shares (
    report_id     uuid    NOT NULL,
    version       integer NOT NULL,
    party_id      uuid    NOT NULL REFERENCES parties (id),
    liability     text    NOT NULL,
    share_percent integer NOT NULL,
    CONSTRAINT police_determination_shares_pkey PRIMARY KEY (report_id, version, party_id),
    CONSTRAINT police_determination_shares_determination_fkey FOREIGN KEY (report_id, version)
        REFERENCES police_determinations (report_id, version),
    CONSTRAINT police_determination_shares_share_check CHECK ((liability, share_percent) IN (
        ('full', 100), ('major', 70), ('equal', 50), ('minor', 30), ('none', 0)))
);

CREATE TABLE determination_responses (
    id                    uuid        PRIMARY KEY,
    report_id             uuid        NOT NULL,
    determination_version integer     NOT NULL,
    party_id              uuid        NOT NULL REFERENCES parties (id),
    response              text        NOT NULL CHECK (response IN ('accept', 'dispute')),
    reason                text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT determination_responses_determination_fkey FOREIGN KEY (report_id, determination_version)
        REFERENCES police_determinations (report_id, version),
    CONSTRAINT determination_responses_party_version_key UNIQUE (report_id, determination_version, party_id),
    CONSTRAINT determination_responses_reason_check CHECK (response = 'accept' OR length(reason) > 0)
);

CREATE TABLE court_requests (
    id                    uuid        PRIMARY KEY,
    report_id             uuid        NOT NULL,
    determination_version integer     NOT NULL,
    party_id              uuid        NOT NULL REFERENCES parties (id),
    reason                text        NOT NULL CHECK (length(reason) > 0),
    outcome               text        NOT NULL CHECK (outcome IN ('court_requested', 'offline_mediation')),
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT court_requests_determination_fkey FOREIGN KEY (report_id, determination_version)
        REFERENCES police_determinations (report_id, version),
    CONSTRAINT court_requests_report_key UNIQUE (report_id)
);

-- Decisions, signatures and the agreement are evidence: the application appends, never rewrites them.
REVOKE UPDATE, DELETE, TRUNCATE ON fault_proposals, fault_signatures, fault_agreements, police_determinations,
    police_determination_shares, determination_responses, court_requests FROM kuaichu_app;
REVOKE DELETE, TRUNCATE ON fault_responses, fault_accounts, fault_reviews FROM kuaichu_app;
