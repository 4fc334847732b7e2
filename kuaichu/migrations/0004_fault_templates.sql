-- Every version of every fault template set the service has run with, so that a stored decision (which
-- names set id + version) can be replayed against exactly the rules that made it. Versions are immutable.
CREATE TABLE fault_template_sets (
    id        text        NOT NULL,
    version   text        NOT NULL,
    content   jsonb       NOT NULL,
    digest    text        NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    loaded_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fault_template_sets_pkey PRIMARY KEY (id, version)
);
REVOKE UPDATE, DELETE, TRUNCATE ON fault_template_sets FROM kuaichu_app;
