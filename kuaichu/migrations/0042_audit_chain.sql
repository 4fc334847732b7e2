-- The audit trail becomes tamper-evident (README, "Audit chain").
--
-- 1. Every report's events form a hash chain, linked at insert by a trigger while it holds the row of the
--    report's chain head (audit_chain_heads), so reports never wait for each other and no writer can skip it.
--    Events of no report chain under 'system'. An event's hash is SHA-256 of its canonical encoding,
--    audit_preimage(): a JSON array of the chain, the previous hash, the time and what happened. Personal data
--    is never in it; an event that must carry some keeps it encrypted in audit_personal with a random key of
--    its own, and the chain holds only HMAC-SHA-256(key, data) (personal_commitment). Erasing the data and its
--    key leaves the chain verifiable and the commitment irreversible.
-- 2. The worker's sealer (one at a time) takes committed, not yet sealed events (audit_unsealed, filled by
--    the same trigger) and appends them in batches to the one global chain audit_seal; the seal head is
--    anchored every few minutes or events by an RFC 3161 timestamp (audit_anchors).
ALTER TABLE audit_events
    ADD COLUMN chain text,
    ADD COLUMN seq bigint,
    ADD COLUMN personal_commitment bytea;

CREATE TABLE audit_chain_heads (
    chain     text   PRIMARY KEY,
    seq       bigint NOT NULL,
    prev_hash bytea,
    hash      bytea  NOT NULL
);

CREATE TABLE audit_unsealed (
    event_id bigint PRIMARY KEY
);

CREATE TABLE audit_personal (
    event_id bigint PRIMARY KEY,
    hmac_key bytea  NOT NULL,  -- 32 random bytes, kept with the data and erased with it
    data_enc bytea  NOT NULL   -- the canonical JSON of the data, encrypted with the service's keyring
);

CREATE TABLE audit_seal (
    seq          bigint      PRIMARY KEY,
    prev_hash    bytea,
    hash         bytea       NOT NULL,
    event_ids    bigint[]    NOT NULL,
    event_hashes bytea[]     NOT NULL,
    sealed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_seal_events ON audit_seal USING gin (event_ids);

CREATE TABLE audit_anchors (
    seal_seq    bigint      PRIMARY KEY REFERENCES audit_seal (seq),
    seal_hash   bytea       NOT NULL,
    tsa_url     text        NOT NULL,
    response    bytea       NOT NULL,  -- the authority's DER TimeStampResp, token included
    anchored_at timestamptz NOT NULL DEFAULT now()
);

-- The canonical encoding an event's hash covers (kernel/audit_chain.py recomputes it independently).
CREATE FUNCTION audit_preimage(chain text, prev bytea, at timestamptz, entity text, entity_id text, action text,
                               actor_kind text, actor_id text, changes jsonb, personal bytea)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT '["kuaichu-audit/1",' || to_json(chain)::text
        || ',' || coalesce(to_json(encode(prev, 'hex'))::text, 'null')
        || ',' || to_json(to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
        || ',' || to_json(entity)::text || ',' || to_json(entity_id)::text || ',' || to_json(action)::text
        || ',' || to_json(actor_kind)::text || ',' || coalesce(to_json(actor_id)::text, 'null')
        || ',' || changes::text
        || ',' || coalesce(to_json(encode(personal, 'hex'))::text, 'null') || ']'
$$;

-- Runs as the owner: the application never touches the heads or the queue of unsealed events itself.
CREATE FUNCTION audit_chain_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    NEW.chain := coalesce(NEW.report_id::text, 'system');
    -- One statement takes the head's row lock, moves it on and links the event: in the UPDATE branch h.hash
    -- is the head before this event.
    INSERT INTO audit_chain_heads AS h (chain, seq, prev_hash, hash)
    VALUES (NEW.chain, 1, NULL, sha256(convert_to(audit_preimage(
                NEW.chain, NULL, NEW.at, NEW.entity, NEW.entity_id, NEW.action, NEW.actor_kind, NEW.actor_id,
                NEW.changes, NEW.personal_commitment), 'UTF8')))
    ON CONFLICT (chain) DO UPDATE SET seq = h.seq + 1, prev_hash = h.hash, hash = sha256(convert_to(audit_preimage(
                NEW.chain, h.hash, NEW.at, NEW.entity, NEW.entity_id, NEW.action, NEW.actor_kind, NEW.actor_id,
                NEW.changes, NEW.personal_commitment), 'UTF8'))
    RETURNING h.seq, h.prev_hash, h.hash INTO NEW.seq, NEW.prev_hash, NEW.hash;
    INSERT INTO audit_unsealed (event_id) VALUES (NEW.id);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION audit_chain_link() FROM PUBLIC;

-- Events written before this migration are chained now, in the order they were written.
DO $$
DECLARE
    e record;
    link record;
BEGIN
    FOR e IN SELECT * FROM audit_events ORDER BY id LOOP
        INSERT INTO audit_chain_heads AS h (chain, seq, prev_hash, hash)
        VALUES (coalesce(e.report_id::text, 'system'), 1, NULL, sha256(convert_to(audit_preimage(
                    coalesce(e.report_id::text, 'system'), NULL, e.at, e.entity, e.entity_id, e.action, e.actor_kind,
                    e.actor_id, e.changes, NULL), 'UTF8')))
        ON CONFLICT (chain) DO UPDATE SET seq = h.seq + 1, prev_hash = h.hash, hash = sha256(convert_to(
                    audit_preimage(h.chain, h.hash, e.at, e.entity, e.entity_id, e.action, e.actor_kind, e.actor_id,
                                   e.changes, NULL), 'UTF8'))
        RETURNING h.chain, h.seq, h.prev_hash, h.hash INTO link;
        UPDATE audit_events SET chain = link.chain, seq = link.seq, prev_hash = link.prev_hash, hash = link.hash
        WHERE id = e.id;
        INSERT INTO audit_unsealed (event_id) VALUES (e.id);
    END LOOP;
END
$$;

CREATE TRIGGER audit_chain_link BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION audit_chain_link();
CREATE INDEX audit_events_chain ON audit_events (chain, seq);

-- The application may add a commitment to an event (never the link columns, which the trigger writes), keep
-- the personal data it commits to, and run the sealer; it can rewrite none of the chains.
GRANT INSERT (personal_commitment) ON audit_events TO kuaichu_app;
REVOKE ALL ON audit_chain_heads FROM kuaichu_app;
GRANT SELECT ON audit_chain_heads TO kuaichu_app;
REVOKE ALL ON audit_unsealed FROM kuaichu_app;
GRANT SELECT, DELETE ON audit_unsealed TO kuaichu_app;
REVOKE ALL ON audit_personal FROM kuaichu_app;
GRANT SELECT, INSERT ON audit_personal TO kuaichu_app;
REVOKE ALL ON audit_seal FROM kuaichu_app;
GRANT SELECT, INSERT ON audit_seal TO kuaichu_app;
REVOKE ALL ON audit_anchors FROM kuaichu_app;
GRANT SELECT, INSERT ON audit_anchors TO kuaichu_app;
