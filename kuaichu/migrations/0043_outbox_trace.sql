-- The W3C traceparent of the request that caused a message (kernel/tracing.py): the worker delivers the message
-- within that trace, so a receiver's logs and ours share its trace id.
ALTER TABLE outbox ADD COLUMN traceparent text;
