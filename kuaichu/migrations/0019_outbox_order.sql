-- Insurer webhooks of one claim or one assessment task go out in the order they were caused: each message
-- with an ordering key takes its sequence from one database sequence, drawn in the transaction that queues
-- it (the claim's or task's row lock orders those transactions, so sequence order is commit order).
CREATE SEQUENCE outbox_order_seq;
GRANT USAGE, SELECT ON SEQUENCE outbox_order_seq TO kuaichu_app;

-- An operator may discard a parked message (audited, with a reason): it is never sent, and the messages
-- queued behind it under the same ordering key are released.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'delivered', 'parked', 'discarded'));
ALTER TABLE outbox ADD COLUMN discarded_at timestamptz;
