"""A loopback TCP proxy in front of the service that can cut the line: after `cut_after(n)` the connection that
carries the n-th byte from the browser is closed mid-stream, and every new connection is dropped at once until
`restore()` — a phone losing its network in the middle of an upload, then finding it again."""

from __future__ import annotations

import asyncio
import contextlib


class CuttingProxy:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.down = False
        self.cut_done = asyncio.Event()
        self._budget: int | None = None
        self._server: asyncio.AbstractServer | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for w in list(self._open):
            w.close()
        await self._server.wait_closed()

    def cut_after(self, n: int) -> None:
        """Let n more bytes through from the browser, then cut (and stay down until restore())."""
        self._budget = n
        self.cut_done.clear()

    def restore(self) -> None:
        self.down = False

    def _cut(self) -> None:
        self.down, self._budget = True, None
        for w in list(self._open):
            w.transport.abort()  # a reset, as when the radio drops: no orderly close
        self.cut_done.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._open |= {writer, up_writer}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, counted: bool) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(16384):
                    if counted and self._budget is not None:
                        if len(data) >= self._budget:
                            dst.write(data[: self._budget])
                            await dst.drain()
                            self._cut()
                            return
                        self._budget -= len(data)
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        try:
            await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False))
        finally:
            self._open -= {writer, up_writer}
            for w in (writer, up_writer):
                w.transport.abort()
