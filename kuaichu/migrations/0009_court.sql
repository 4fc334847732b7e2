-- The court bridge: dispute packages by revision, numbered updates, and the court's callbacks; the report
-- statuses the court's decisions move a report to.

-- One row per revision of a report's dispute package. `body` is the package as sent, except that the parties'
-- personal data (name, ID/licence number, phone) is encrypted in place; `digest` is the package's own
-- integrity digest. Revision 1 is queued with the court request; an operator's correction is the next one.
CREATE TABLE court_packages (
    package_id      text        NOT NULL,
    revision        integer     NOT NULL CHECK (revision >= 1),
    report_id       uuid        NOT NULL REFERENCES reports (id),
    body            jsonb       NOT NULL,
    digest          text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    sealed          bytea       NOT NULL,  -- the exact bytes POSTed, encrypted like all personal data at rest
    state           text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'parked')),
    case_number     text,
    problem         jsonb,      -- the court's problem detail (or why we stopped) when parked
    last_status     integer,
    attempts        integer     NOT NULL DEFAULT 0,
    conflicts       integer     NOT NULL DEFAULT 0,  -- 409/425 answers so far (retried a capped number of times)
    reason          text,       -- the operator's reason for a correction (revision > 1)
    created_by      text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    CONSTRAINT court_packages_pkey PRIMARY KEY (package_id, revision),
    CONSTRAINT court_packages_report_revision_key UNIQUE (report_id, revision),
    CONSTRAINT court_packages_delivered_has_case CHECK (state <> 'delivered' OR case_number IS NOT NULL)
);
CREATE INDEX court_packages_state ON court_packages (state, created_at);

-- Later changes, numbered 1, 2, ... per package without gaps; `source_key` makes queuing one event idempotent.
CREATE TABLE court_updates (
    package_id      text        NOT NULL,
    sequence        integer     NOT NULL CHECK (sequence >= 1),
    report_id       uuid        NOT NULL REFERENCES reports (id),
    type            text        NOT NULL CHECK (type IN ('determination', 'assessment', 'claim_status', 'withdrawal')),
    source_key      text        NOT NULL,
    body            jsonb       NOT NULL,
    occurred_at     timestamptz NOT NULL,
    state           text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'delivered', 'parked')),
    problem         jsonb,
    last_status     integer,
    attempts        integer     NOT NULL DEFAULT 0,
    conflicts       integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    CONSTRAINT court_updates_pkey PRIMARY KEY (package_id, sequence),
    CONSTRAINT court_updates_source_key UNIQUE (package_id, source_key)
);

-- Every court callback processed, by its webhook-id: a retried callback finds its id here and changes nothing.
CREATE TABLE court_callbacks (
    webhook_id      text        PRIMARY KEY,
    package_id      text        NOT NULL,
    report_id       uuid        NOT NULL REFERENCES reports (id),
    type            text        NOT NULL,
    case_number     text        NOT NULL,
    sequence        integer     NOT NULL,
    occurred_at     timestamptz NOT NULL,
    data            jsonb       NOT NULL,
    applied         boolean     NOT NULL,  -- false: older than one already applied, recorded but not moving the report
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX court_callbacks_package ON court_callbacks (package_id, sequence);
REVOKE UPDATE, DELETE, TRUNCATE ON court_callbacks FROM kuaichu_app;
REVOKE DELETE, TRUNCATE ON court_packages, court_updates FROM kuaichu_app;

ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check CHECK (status IN (
    'draft', 'awaiting_parties', 'facts_complete', 'referred_to_122', 'withdrawn',
    'proposed', 'agreed', 'in_review', 'determined', 'court_requested',
    'offline_mediation', 'closed',
    'court_accepted', 'court_mediation', 'court_mediated', 'court_confirmed', 'court_judged',
    'court_payout_ordered'));
