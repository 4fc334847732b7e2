-- A party that asked for court handling may withdraw the request before the court decides: one withdrawal per
-- report, kept as evidence (append-only like the request itself); the court hears of it as a numbered update.
CREATE TABLE court_request_withdrawals (
    report_id   uuid        PRIMARY KEY REFERENCES court_requests (report_id),
    party_id    uuid        NOT NULL REFERENCES parties (id),
    reason      text        NOT NULL CHECK (length(reason) > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
REVOKE UPDATE, DELETE, TRUNCATE ON court_request_withdrawals FROM kuaichu_app;

ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check CHECK (status IN (
    'draft', 'awaiting_parties', 'facts_complete', 'referred_to_122', 'withdrawn',
    'proposed', 'agreed', 'in_review', 'determined', 'court_requested',
    'offline_mediation', 'closed',
    'court_accepted', 'court_mediation', 'court_mediated', 'court_confirmed', 'court_judged',
    'court_payout_ordered', 'court_withdrawn'));
