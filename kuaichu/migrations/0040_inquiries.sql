-- Inquiries and complaints (咨询及投诉): a party of a report asks a question or complains, about the case or in
-- general; operators and police of the report's jurisdiction answer within a deadline; the answer is texted
-- to the party. The texts are personal free text: stored only encrypted, like names and phones.
CREATE TABLE inquiries (
    id           uuid        PRIMARY KEY,
    report_id    uuid        NOT NULL REFERENCES reports (id),
    party_id     uuid        NOT NULL REFERENCES parties (id),
    kind         text        NOT NULL CHECK (kind IN ('question', 'complaint')),
    about_case   boolean     NOT NULL,
    subject      text        CHECK (subject IN ('assessor', 'insurer', 'police', 'other')),
    text_enc     bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    due_at       timestamptz NOT NULL,
    answer_enc   bytea,
    answered_at  timestamptz,
    answered_by  uuid        REFERENCES staff (id),
    sms_id       uuid,
    CONSTRAINT inquiries_answer_whole CHECK ((answer_enc IS NULL) = (answered_at IS NULL)
                                             AND (answer_enc IS NULL) = (answered_by IS NULL))
);
CREATE INDEX inquiries_open ON inquiries (created_at) WHERE answered_at IS NULL;
CREATE INDEX inquiries_report ON inquiries (report_id, created_at);

-- What was asked stays as asked; only the answer is written, once (the statement checks it was unanswered).
REVOKE UPDATE, DELETE, TRUNCATE ON inquiries FROM kuaichu_app;
GRANT SELECT, INSERT ON inquiries TO kuaichu_app;
GRANT UPDATE (answer_enc, answered_at, answered_by, sms_id) ON inquiries TO kuaichu_app;
