-- Police accounts carry their jurisdiction: the zones (counties) whose reports they review. The review queue
-- and report access follow it; an account without one sees no report (admins see all).
ALTER TABLE staff ADD COLUMN jurisdiction text[];
