-- A claim has a line for every insurer that could owe on it (PRODUCT.md "Claims under 交强险": the other
-- vehicles' insurers under the liability rules, the vehicle's own insurer when every party opted in to 互碰自赔).
-- Each line carries the 交强险条例 §28–§29 duties of its insurer: §28 runs from that insurer's receipt of the
-- application (its claim.opened delivered, or its first read through the API, whichever is first).
-- The claim row keeps the loss, its assessments and the decided cover; its status sums up its lines.
CREATE TABLE claim_lines (
    id                     uuid        PRIMARY KEY,
    claim_id               uuid        NOT NULL REFERENCES claims (id),
    insurer_code           text        NOT NULL REFERENCES insurers (code),
    basis                  text        NOT NULL CHECK (basis IN ('liability', 'mutual_self_compensation')),
    payer_labels           text[]      NOT NULL,  -- the vehicles this insurer insures and could pay for
    status                 text        NOT NULL DEFAULT 'opened' CHECK (status IN (
                               'opened', 'documents_requested', 'documents_complete', 'decided', 'payout_agreed',
                               'paid', 'closed', 'withdrawn', 'not_owing')),
    opened_at              timestamptz NOT NULL DEFAULT now(),
    received_at            timestamptz,  -- §28 runs from here
    received_via           text        CHECK (received_via IN ('webhook', 'api_read')),
    documents_requested_at timestamptz,
    documents_complete_at  timestamptz,  -- §29's five days run from here
    documents_complete_how text        CHECK (documents_complete_how IN ('all_received', 'declared', 'none_needed')),
    decided_at             timestamptz,
    payout_agreed_at       timestamptz,
    paid_at                timestamptz,
    closed_at              timestamptz,
    status_before_close    text,         -- a not_owing line reopens to it if a new cover makes it owe
    decision               jsonb,
    payout_fen             bigint      CHECK (payout_fen >= 0),
    paid_fen               bigint      CHECK (paid_fen >= 0),
    payout_revision        integer     NOT NULL DEFAULT 0,
    payout_reason          text,
    flags                  jsonb       NOT NULL DEFAULT '[]'::jsonb,
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claim_lines_claim_insurer_key UNIQUE (claim_id, insurer_code)
);
CREATE INDEX claim_lines_insurer ON claim_lines (insurer_code, opened_at DESC);
CREATE INDEX claim_lines_open ON claim_lines (opened_at) WHERE status NOT IN ('closed', 'withdrawn', 'not_owing');

-- Documents an insurer requests on its line, from a closed list; an item may be handed over on paper.
CREATE TABLE claim_document_requests (
    id                uuid        PRIMARY KEY,
    line_id           uuid        NOT NULL REFERENCES claim_lines (id),
    kind              text        NOT NULL CHECK (kind IN ('id_card', 'driving_licence', 'vehicle_licence',
                                                           'repair_invoice', 'bank_account', 'other')),
    description       text,       -- what `other` is (required for it)
    on_paper          boolean     NOT NULL DEFAULT false,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    position          bigint      GENERATED ALWAYS AS IDENTITY,  -- the order the insurer listed them in
    paper_received_at timestamptz,
    CONSTRAINT claim_document_requests_other CHECK (kind <> 'other' OR description IS NOT NULL)
);
CREATE INDEX claim_document_requests_line ON claim_document_requests (line_id, position);
-- What the insurer asked stays as asked: the service only records that a paper item arrived.
REVOKE UPDATE, DELETE, TRUNCATE ON claim_document_requests FROM kuaichu_app;
GRANT UPDATE (paper_received_at) ON claim_document_requests TO kuaichu_app;

-- What the claimant uploaded for a request: the bytes sealed with the Keyring (personal data at rest).
CREATE TABLE claim_documents (
    id          uuid        PRIMARY KEY,
    request_id  uuid        NOT NULL REFERENCES claim_document_requests (id),
    party_id    uuid        NOT NULL REFERENCES parties (id),
    media_type  text        NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size_bytes  integer     NOT NULL CHECK (size_bytes > 0),
    sha256      text        NOT NULL,
    sealed      bytea       NOT NULL,
    uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_documents_request ON claim_documents (request_id, uploaded_at);
REVOKE UPDATE, DELETE, TRUNCATE ON claim_documents FROM kuaichu_app;

-- Separate consent (个人信息保护法 art. 29) to hand an ID card or bank account document to one line's insurer;
-- appended, the latest row counts (a withdrawal stops further uploads and downloads).
CREATE TABLE claim_document_consents (
    id         uuid        PRIMARY KEY,
    line_id    uuid        NOT NULL REFERENCES claim_lines (id),
    party_id   uuid        NOT NULL REFERENCES parties (id),
    kind       text        NOT NULL CHECK (kind IN ('id_card', 'bank_account')),
    given      boolean     NOT NULL,
    given_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX claim_document_consents_line ON claim_document_consents (line_id, kind, given_at);
REVOKE UPDATE, DELETE, TRUNCATE ON claim_document_consents FROM kuaichu_app;
