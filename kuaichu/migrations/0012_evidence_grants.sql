-- The service logs in as kuaichu_app itself (README, "Database roles"): a role that owns nothing and cannot
-- become the owner, so these grants hold whatever its connection runs, RESET ROLE included.

-- Photos are evidence: the bytes' hash, the kind, where and when they were taken stay as uploaded and no
-- photo is removed. The worker only records whether its previews are rendered.
REVOKE UPDATE, DELETE, TRUNCATE ON photos FROM kuaichu_app;
GRANT UPDATE (derivatives) ON photos TO kuaichu_app;

-- Audit events are numbered and timed by the database (id from its sequence, `at` from its clock): the
-- application may say what happened, never when, nor slot an event in between two others.
REVOKE INSERT ON audit_events FROM kuaichu_app;
GRANT INSERT (report_id, entity, entity_id, action, actor_kind, actor_id, changes, prev_hash, hash)
    ON audit_events TO kuaichu_app;

-- Nobody but the owner creates objects here (the default since PostgreSQL 15; older servers granted it to all).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
