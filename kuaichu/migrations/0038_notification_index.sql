-- A party's status page lists the texts sent to it about a report, read from the outbox on every poll: a partial
-- index on the notification rows keeps that read from scanning the whole outbox.
CREATE INDEX outbox_notifications ON outbox (report_id, created_at) WHERE topic = 'sms.notification';
