-- A party removes a wrong photo before submitting the evidence. The photo row and its original stay (the
-- evidence trail is append-only); the removal is a row of its own, and views, counts and packages skip it.
CREATE TABLE photo_removals (
    photo_id   uuid        PRIMARY KEY REFERENCES photos (id),
    report_id  uuid        NOT NULL REFERENCES reports (id),
    party_id   uuid        NOT NULL REFERENCES parties (id),
    removed_at timestamptz NOT NULL DEFAULT now()
);
REVOKE UPDATE, DELETE, TRUNCATE ON photo_removals FROM kuaichu_app;
