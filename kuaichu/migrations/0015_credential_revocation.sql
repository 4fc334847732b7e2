-- A phone session ends at logout (or when the driver ends the phone's other sessions), not only when it expires.
ALTER TABLE phone_sessions ADD COLUMN revoked_at timestamptz;
CREATE INDEX phone_sessions_phone_open ON phone_sessions (phone_hash) WHERE revoked_at IS NULL;

-- When the report reached a finished status (accident.model.FINISHED); cleared if it moves on again. Its party
-- tokens stop working KUAICHU_PARTY_TOKEN_RETENTION_DAYS later.
ALTER TABLE reports ADD COLUMN finished_at timestamptz;
