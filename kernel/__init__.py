"""Shared kernel: what every domain package needs and none owns (errors, audit, outbox, idempotency, crypto)."""
