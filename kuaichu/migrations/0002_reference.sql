-- Reference data loaded by `kuaichu load-reference DIR`: zones and insurers (first part).
CREATE TABLE reference_versions (
    version    bigserial   PRIMARY KEY,
    digest     text        NOT NULL,
    source     text        NOT NULL,
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    summary    jsonb       NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE zones (
    id            text        PRIMARY KEY,
    name          text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('urban', 'rural')),
    jurisdiction  text        NOT NULL,
    court_exempt  boolean     NOT NULL DEFAULT false,
    exempt_reason text,
    properties    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    geometry      jsonb       NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE insurers (
    code            text        PRIMARY KEY,
    name            text        NOT NULL,
    name_en         text,
    webhook_url     text,
    -- A dated list of secrets [{"secret": "whsec_...", "not_before": ..., "not_after": ...}] (rotation).
    webhook_secrets jsonb       NOT NULL DEFAULT '[]'::jsonb,
    webhook_disabled_at timestamptz,
    webhook_disabled_reason text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
