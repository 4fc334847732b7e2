-- How a phone session travels: a bearer token an API client holds, or an HttpOnly cookie a browser holds.
-- A second party confirming on the first party's phone gets a session of its own, tied to the session of the
-- device it was opened on ('second_party'): it ends when that session ends, and reaches only reports both
-- phones are party to.
ALTER TABLE phone_sessions
    ADD COLUMN transport text NOT NULL DEFAULT 'bearer' CHECK (transport IN ('bearer', 'cookie', 'second_party')),
    ADD COLUMN host_session_id uuid REFERENCES phone_sessions (id),
    ADD CONSTRAINT phone_sessions_second_party_has_host
        CHECK ((transport = 'second_party') = (host_session_id IS NOT NULL));
CREATE INDEX phone_sessions_host ON phone_sessions (host_session_id) WHERE host_session_id IS NOT NULL;
