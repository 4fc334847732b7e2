"""The outbox worker: claims due messages, delivers them by topic, and records the outcome in the row.

Back-off with jitter comes from tenacity's exponential-jitter policy, computed per attempt and stored as
the message's next attempt time, so restarts and long Retry-After values change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import tenacity

from kernel import heartbeat, outbox, tracing
from kernel.outbox import Message
from kuaichu.context import Services

log = logging.getLogger(__name__)


class Retry(Exception):
    """Deliver again later (at least `after_s` from now when the receiver said so)."""

    def __init__(
        self, reason: str, *, after_s: float | None = None, status: int | None = None
    ) -> None:
        super().__init__(reason)
        self.after_s = after_s
        self.status = status


class Park(Exception):
    """Stop trying: the receiver refused for good; an operator must look."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


RecordMany = Callable[[asyncpg.Connection, list[Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Delivered:
    """A success with an outcome of its own (e.g. a court case number): `record` writes the batch's outcomes in
    the transaction that marks their messages delivered, so one never stands without the other."""

    status: int | None
    record: RecordMany
    outcome: Any


Deliver = Callable[[Services, Message], Awaitable["int | Delivered | None"]]


@dataclass(frozen=True, slots=True)
class Backoff:
    base_s: float
    max_s: float

    def delay(self, attempt: int) -> float:
        wait = tenacity.wait_exponential_jitter(
            multiplier=self.base_s, max=self.max_s, jitter=self.base_s
        )
        state = tenacity.RetryCallState(None, None, (), {})  # type: ignore[arg-type]
        state.attempt_number = attempt
        return min(wait(state), self.max_s)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Delivers due messages with at most `concurrency` in flight; several workers may run at once."""

    def __init__(
        self,
        services: Services,
        handlers: dict[str, Deliver],
        *,
        name: str | None = None,
        topics: list[str] | None = None,
        observe: Callable[[Message, str], None] | None = None,
    ) -> None:
        s = services.settings
        self.services = services
        self.handlers = handlers
        self.name = name or worker_name()
        self.topics = topics
        self.backoff = Backoff(s.outbox_backoff_base_s, s.outbox_backoff_max_s)
        self.in_flight: set[asyncio.Task[None]] = set()
        # Successes are recorded in batches: one UPDATE and one audit INSERT for whatever finished meanwhile.
        self.delivered: list[tuple[Message, int | Delivered | None]] = []
        self.has_delivered = asyncio.Event()
        self.observe = observe or (
            lambda msg, outcome: None
        )  # (message, delivered | retry | parked): metrics

    async def run(self, stop: asyncio.Event) -> None:
        claiming_done = asyncio.Event()
        flusher = asyncio.create_task(self._flush_delivered(claiming_done))
        beating = asyncio.create_task(self._heartbeat(claiming_done))
        try:
            await self._claim_loop(stop)
        finally:
            claiming_done.set()
            self.has_delivered.set()
            await flusher
            await beating

    async def _heartbeat(self, done: asyncio.Event) -> None:
        """Tell operators this worker is alive (kernel.heartbeat) every worker_heartbeat_s until it stops; a
        failed beat is logged and the next one tried (delivery never waits on it)."""
        every = self.services.settings.worker_heartbeat_s
        started = True
        while not done.is_set():
            try:
                async with self.services.pool.acquire() as conn:
                    await heartbeat.beat(
                        conn,
                        name=self.name,
                        in_flight=len(self.in_flight),
                        topics=self.topics,
                        started=started,
                    )
                started = False
            except Exception:
                log.exception("worker heartbeat failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), every)
        try:
            async with self.services.pool.acquire() as conn:
                await heartbeat.stopped(conn, name=self.name)
        except Exception:
            log.exception("worker heartbeat failed")

    async def _flush_delivered(self, claiming_done: asyncio.Event) -> None:
        """Record successes as they come, in one transaction per wake-up; the last batch before stopping too."""
        while not (claiming_done.is_set() and not self.delivered):
            await self.has_delivered.wait()
            self.has_delivered.clear()
            batch, self.delivered = self.delivered, []
            if not batch:
                continue
            try:
                async with self.services.pool.acquire() as conn, conn.transaction():
                    marked = await outbox.mark_delivered_many(
                        conn,
                        done=[(m, r.status if isinstance(r, Delivered) else r) for m, r in batch],
                        worker=self.name,
                    )
                    outcomes: dict[RecordMany, list[Any]] = defaultdict(list)
                    for m, r in batch:
                        if (
                            isinstance(r, Delivered) and m.id in marked
                        ):  # a lost lease: its new holder records it
                            outcomes[r.record].append(r.outcome)
                    for record_many, items in outcomes.items():
                        await record_many(conn, items)
            except Exception:  # their leases expire and they go again, under the same ids
                log.exception("recording deliveries failed", extra={"messages": len(batch)})

    async def _claim_loop(self, stop: asyncio.Event) -> None:
        s = self.services.settings
        while not stop.is_set():
            free = s.outbox_concurrency - len(self.in_flight)
            batch = []
            if free > 0:
                async with self.services.pool.acquire() as conn:
                    batch = await outbox.claim(
                        conn,
                        worker=self.name,
                        limit=min(free, s.outbox_batch),
                        lease_s=s.outbox_lease_s,
                        topics=self.topics,
                    )
            for msg in batch:
                task = asyncio.create_task(self._deliver(msg))
                self.in_flight.add(task)
                task.add_done_callback(self.in_flight.discard)
            if not batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), s.outbox_poll_s)
            elif free <= len(batch):
                # Refill in chunks, not one claim query per finished message.
                refill = max(1, min(s.outbox_batch, s.outbox_concurrency) // 4)
                while self.in_flight and s.outbox_concurrency - len(self.in_flight) < refill:
                    await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
        if self.in_flight:
            await asyncio.wait(self.in_flight)

    async def _deliver(self, msg: Message) -> None:
        handler = self.handlers.get(msg.topic)
        pool = self.services.pool
        try:
            if handler is None:
                raise Park(f"no handler for topic {msg.topic!r}")
            with tracing.within(
                msg.traceparent
            ):  # the trace of the request that caused the message
                status = await handler(self.services, msg)
        except Park as p:
            self.observe(msg, "parked")
            async with pool.acquire() as conn, conn.transaction():
                await outbox.park(conn, msg=msg, worker=self.name, reason=str(p), status=p.status)
            log.warning(
                "message parked",
                extra={"message_id": str(msg.id), "topic": msg.topic, "reason": str(p)},
            )
        except Exception as exc:
            retry = exc if isinstance(exc, Retry) else Retry(f"{type(exc).__name__}: {exc}")
            self.observe(
                msg,
                "parked" if msg.attempts >= self.services.settings.outbox_max_attempts else "retry",
            )
            if not isinstance(exc, Retry):
                log.exception(
                    "delivery failed", extra={"message_id": str(msg.id), "topic": msg.topic}
                )
            async with pool.acquire() as conn, conn.transaction():
                if msg.attempts >= self.services.settings.outbox_max_attempts:
                    await outbox.park(
                        conn,
                        msg=msg,
                        worker=self.name,
                        status=retry.status,
                        reason=f"gave up after {msg.attempts} attempts: {retry}",
                    )
                else:
                    delay = max(self.backoff.delay(msg.attempts), retry.after_s or 0.0)
                    await outbox.schedule_retry(
                        conn,
                        msg=msg,
                        worker=self.name,
                        delay_s=delay,
                        error=str(retry),
                        status=retry.status,
                    )
        else:
            self.observe(msg, "delivered")
            self.delivered.append((msg, status))
            self.has_delivered.set()
