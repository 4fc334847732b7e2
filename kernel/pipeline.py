"""One statement run for many concurrent callers in pipelined batches (application-level group commit).

Under load, callers of the same write wait for a pooled connection anyway. Here they queue instead, and
each batch of waiting callers goes to the server in one round trip (`Connection.fetchmany`: the statement
once per caller, one transaction, one commit): fewer round trips, wake-ups and commits per write. A caller
still gets its row only once its write is committed.

A batch is atomic. If the server refuses it (a constraint, bad data), it was rolled back as a whole and every
caller in it is run again alone, so that each gets its own row or its own error and one caller's bad input
never fails another's request. Errors of the connection itself (the server gone) fail the whole batch.
With nothing in flight, a caller's statement is sent at once: alone, it waits for nobody.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

import asyncpg


class PipelinedStatement:
    """`fetchrow` for a statement that returns exactly one row each time it runs (fetchmany concatenates the
    rows of a batch, so only one row per run lines rows up with callers)."""

    def __init__(self, pool: asyncpg.Pool, sql: str, *, max_batch: int = 32, max_in_flight: int = 2) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be at least 1")
        self._pool = pool
        self._sql = sql
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._waiting: deque[tuple[tuple[Any, ...], asyncio.Future[asyncpg.Record | None]]] = deque()
        self._in_flight = 0
        self._drains: set[asyncio.Task[None]] = set()
        self.runs = 0  # statements run, and round trips they took (for operators and tests)
        self.round_trips = 0

    async def fetchrow(self, *args: Any) -> asyncpg.Record | None:
        """Run the statement with `args` once, committed; its row."""
        future: asyncio.Future[asyncpg.Record | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((args, future))
        if self._in_flight < self._max_in_flight:
            self._in_flight += 1
            task = asyncio.create_task(self._drain())
            self._drains.add(task)  # a reference, so the task is not collected mid-flight
            task.add_done_callback(self._drains.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = [self._waiting.popleft() for _ in range(min(self._max_batch, len(self._waiting)))]
                batch = [(args, future) for args, future in batch if not future.done()]  # callers gone
                if batch:
                    await self._run(batch)
        finally:
            self._in_flight -= 1

    async def _run(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[asyncpg.Record | None]]]) -> None:
        self.runs += len(batch)
        self.round_trips += 1
        try:
            async with self._pool.acquire() as conn:
                if len(batch) == 1:
                    rows = [await conn.fetchrow(self._sql, *batch[0][0])]
                else:
                    rows = await conn.fetchmany(self._sql, [args for args, _ in batch])
        except asyncpg.PostgresError as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exc=exc)
            else:
                await self._one_by_one(batch)
            return
        except Exception as exc:  # the connection failed: every caller learns it
            for _, future in batch:
                _settle(future, exc=exc)
            return
        except BaseException:  # this task was cancelled (shutdown): so are its callers
            for _, future in batch:
                future.cancel()
            raise
        if len(rows) != len(batch):
            error = RuntimeError(f"a pipelined statement must return one row per run ({len(rows)} for {len(batch)})")
            for _, future in batch:
                _settle(future, exc=error)
            return
        for (_, future), row in zip(batch, rows, strict=True):
            _settle(future, row=row)

    async def _one_by_one(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[asyncpg.Record | None]]]) -> None:
        for args, future in batch:
            try:
                async with self._pool.acquire() as conn:
                    row = await conn.fetchrow(self._sql, *args)
            except Exception as exc:
                _settle(future, exc=exc)
            except BaseException:
                for _, other in batch:
                    other.cancel()
                raise
            else:
                _settle(future, row=row)


def _settle(future: asyncio.Future[Any], *, row: Any = None, exc: BaseException | None = None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(row)
