"""One statement run for many concurrent callers in pipelined batches (application-level group commit).

Under load, callers of the same write wait for a pooled connection anyway. Here they queue instead, and
each batch of waiting callers goes to the server in one round trip (`Connection.fetchmany`: the statement
once per caller, one transaction, one commit): fewer round trips, wake-ups and commits per write. A caller
still gets its row only once its write is committed.

A batch is atomic. If the server refuses it for one caller's data (bad data, a constraint, a deadlock), it
was rolled back as a whole and every caller in it is run again alone, so that each gets its own row or its
own error and one caller's bad input never fails another's request. Statements should still check what
users commonly get wrong and answer with a flag rather than an error, so that a batch is rarely re-run.
Any other failure (the connection lost, the server shutting down) fails every caller of the batch.
With nothing in flight, a caller's statement is sent at once: alone, it waits for nobody.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import asyncpg

# SQLSTATE classes that concern one execution's data, not the connection or the server: data exception,
# integrity constraint violation, transaction rollback (deadlock, serialization).
_PER_CALLER = frozenset({"22", "23", "40"})

Waiting = tuple[tuple[Any, ...], "asyncio.Future[asyncpg.Record]"]


class PipelinedStatement:
    """`fetchrow` for a statement that returns exactly one row each time it runs (fetchmany concatenates the
    rows of a batch, so only one row per run lines rows up with callers; another count is an error)."""

    def __init__(
        self, pool: asyncpg.Pool, sql: str, *, max_batch: int = 32, max_in_flight: int = 2
    ) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        self._pool = pool
        self._sql = sql
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: deque[Waiting] = deque()
        self._drains: set[asyncio.Task[None]] = set()
        self.runs = 0  # statements sent, and the round trips they took (for operators and tests)
        self.round_trips = 0

    async def fetchrow(self, *args: Any) -> asyncpg.Record:
        """Run the statement with `args` once, committed; its row."""
        future: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if len(self._drains) < self._max_in_flight:
            task = asyncio.create_task(self._drain())
            self._drains.add(task)  # also a reference, so the task is not collected mid-flight
            task.add_done_callback(self._drained)
        return await future

    def _drained(self, task: asyncio.Task[None]) -> None:
        self._drains.discard(task)
        if task.cancelled() and not self._drains:  # shut down: nobody is left to serve the queue
            while self._waiting:
                self._waiting.popleft()[1].cancel()

    async def _drain(self) -> None:
        while self._waiting:
            batch = [
                self._waiting.popleft() for _ in range(min(self._max_batch, len(self._waiting)))
            ]
            batch = [(args, future) for args, future in batch if not future.done()]  # callers gone
            if batch:
                await self._run(batch)

    async def _run(self, batch: list[Waiting]) -> None:
        self.runs += len(batch)
        self.round_trips += 1
        try:
            async with self._pool.acquire() as conn:
                if len(batch) == 1:
                    row = await conn.fetchrow(self._sql, *batch[0][0])
                    rows = [] if row is None else [row]
                else:
                    rows = await conn.fetchmany(self._sql, [args for args, _ in batch])
        except asyncpg.PostgresError as exc:
            if len(batch) > 1 and (exc.sqlstate or "")[:2] in _PER_CALLER:
                await self._one_by_one(batch)
            else:
                _fail(batch, exc)
            return
        except Exception as exc:  # the connection failed: every caller learns it
            _fail(batch, exc)
            return
        except BaseException:  # this task was cancelled (shutdown): so are its callers
            for _, future in batch:
                future.cancel()
            raise
        if len(rows) != len(batch):
            _fail(
                batch,
                RuntimeError(
                    f"a pipelined statement must return one row per run "
                    f"({len(rows)} for {len(batch)}; the writes were committed)"
                ),
            )
            return
        for (_, future), row in zip(batch, rows, strict=True):
            if not future.done():
                future.set_result(row)

    async def _one_by_one(self, batch: list[Waiting]) -> None:
        for i, (args, future) in enumerate(batch):
            self.runs += 1
            self.round_trips += 1
            try:
                async with self._pool.acquire() as conn:
                    row = await conn.fetchrow(self._sql, *args)
            except BaseException as exc:
                if not isinstance(exc, Exception):  # cancelled: so are this caller and the rest
                    for _, rest in batch[i:]:
                        rest.cancel()
                    raise
                _fail([(args, future)], exc)
                continue
            if row is None:
                _fail(
                    [(args, future)],
                    RuntimeError("a pipelined statement must return one row per run (0)"),
                )
            elif not future.done():
                future.set_result(row)


def _fail(batch: list[Waiting], exc: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(exc)
