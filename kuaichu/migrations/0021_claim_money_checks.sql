-- Money decisions are checked (PRODUCT.md "Claims under 交强险"): flags for review on the claim, revisable
-- payout agreements, and claimants' recorded disagreements.
ALTER TABLE claims ADD COLUMN flags jsonb NOT NULL DEFAULT '[]'::jsonb;
ALTER TABLE claims ADD COLUMN payout_revision integer NOT NULL DEFAULT 0;
ALTER TABLE claims ADD COLUMN payout_reason text;

CREATE TABLE claim_disagreements (
    id          uuid        PRIMARY KEY,
    claim_id    uuid        NOT NULL REFERENCES claims (id),
    party_id    uuid        NOT NULL REFERENCES parties (id),
    reason      text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT claim_disagreements_once UNIQUE (claim_id, party_id, reason)
);
REVOKE UPDATE, DELETE, TRUNCATE ON claim_disagreements FROM kuaichu_app;
