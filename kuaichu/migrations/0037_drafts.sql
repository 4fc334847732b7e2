-- Drafts a driver's pages save as the driver goes, so a reload or another tab resumes where they were: before a
-- report exists, one per phone (scope 'phone:<keyed phone hash>': eligibility answers, location, vehicle,
-- licence, insurer typed so far); in a report, one per party (scope 'party:<party id>': answers not yet sent,
-- such as a half-answered questionnaire). The content may hold personal data: stored encrypted (data keys).
-- `revision` counts saves so a tab can tell that another saved meanwhile. Deleted after expires_at.
CREATE TABLE drafts (
    scope      text        PRIMARY KEY,
    report_id  uuid        REFERENCES reports (id),
    step       text        NOT NULL,
    data_enc   bytea       NOT NULL,
    revision   integer     NOT NULL CHECK (revision >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX drafts_expiry ON drafts (expires_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON drafts TO kuaichu_app;
