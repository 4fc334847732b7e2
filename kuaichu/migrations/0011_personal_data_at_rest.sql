-- Accident addresses, policy numbers and the signed agreement (its JSON and its PDF name both parties with their
-- ID/licence numbers and phones) join names, ID numbers and phones in being encrypted at rest (kernel.crypto
-- Keyring blobs). The plain columns stay for rows written before this migration: readers take the blob when
-- there is one and the plain value otherwise (Keyring.decrypt_or), and new rows leave the plain column empty.
-- Old rows are not rewritten here (SQL has no keys, and agreements are append-only evidence).
ALTER TABLE reports ADD COLUMN address_enc bytea;
ALTER TABLE reports ADD CONSTRAINT reports_address_once CHECK (address IS NULL OR address_enc IS NULL);

ALTER TABLE parties ADD COLUMN policy_number_enc bytea;
ALTER TABLE parties ALTER COLUMN policy_number DROP NOT NULL;
ALTER TABLE parties ADD CONSTRAINT parties_policy_number_once
    CHECK ((policy_number IS NULL) <> (policy_number_enc IS NULL));

-- content_enc: the agreement's canonical JSON (the bytes its json_sha256 covers), sealed; pdf_enc: the PDF, sealed.
ALTER TABLE fault_agreements ADD COLUMN content_enc bytea, ADD COLUMN pdf_enc bytea;
ALTER TABLE fault_agreements ALTER COLUMN content DROP NOT NULL, ALTER COLUMN pdf DROP NOT NULL;
ALTER TABLE fault_agreements ADD CONSTRAINT fault_agreements_content_once
    CHECK ((content IS NULL) <> (content_enc IS NULL));
ALTER TABLE fault_agreements ADD CONSTRAINT fault_agreements_pdf_once CHECK ((pdf IS NULL) <> (pdf_enc IS NULL));
