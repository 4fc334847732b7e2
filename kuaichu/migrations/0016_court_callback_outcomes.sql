-- Why each recorded court callback did or did not move the report (PRODUCT.md "Court → us"):
--   applied               it moved the case on (or the report had left the court's stages);
--   stale                 its sequence was at or below the last applied one;
--   backwards             its stage is behind the report's (it would have moved the case back);
--   case_number_mismatch  it names another case number than the package's: answered 422, kept for operators.
ALTER TABLE court_callbacks ADD COLUMN outcome text;
UPDATE court_callbacks SET outcome = CASE WHEN applied THEN 'applied' ELSE 'stale' END;
ALTER TABLE court_callbacks
    ALTER COLUMN outcome SET NOT NULL,
    ADD CONSTRAINT court_callbacks_outcome_check
        CHECK (outcome IN ('applied', 'stale', 'backwards', 'case_number_mismatch')),
    ADD CONSTRAINT court_callbacks_outcome_applied CHECK (applied = (outcome = 'applied'));
