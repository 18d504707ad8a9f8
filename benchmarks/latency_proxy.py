"""A loopback TCP forwarder that adds a round-trip time to every exchange (asyncio, bounded).

``LatencyProxy(target_port, rtt_ms)`` listens on ``127.0.0.1:<port>`` and forwards bytes to
``127.0.0.1:<target_port>`` (TLS passes through untouched).  Every chunk is delivered half an
RTT after it arrived, in each direction, so a request and its answer cost one RTT more, a new
connection one more (its handshake), and bandwidth is not limited.  When either side closes or
fails, the connection is closed on both sides (no half-close).  At most ``max_connections``
connections are served at once (more wait in the listen backlog) and each direction buffers at
most ``max_chunks`` chunks (the reader waits when it is full).  Loopback only: it never
connects anywhere else.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

_EOF = b""


class LatencyProxy:
    """``with LatencyProxy(port, rtt_ms=40) as proxy:`` → connect to ``proxy.port``."""

    def __init__(self, target_port: int, rtt_ms: float, *, max_connections: int = 64,
                 max_chunks: int = 256) -> None:
        self.target_port = target_port
        self.half = rtt_ms / 2000.0
        self.max_connections = max_connections
        self.max_chunks = max_chunks
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="latency-proxy")
        self._server: asyncio.base_events.Server | None = None
        self._slots: asyncio.Semaphore | None = None

    def __enter__(self) -> LatencyProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("latency proxy did not start")
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._slots = asyncio.Semaphore(self.max_connections)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.run_until_complete(asyncio.sleep(0))
            self._loop.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            await self._forward(client_r, client_w)
        except asyncio.CancelledError:  # the proxy is stopping: end quietly
            client_w.close()

    async def _forward(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        assert self._slots is not None
        async with self._slots:
            self.connections += 1
            try:
                await asyncio.sleep(2 * self.half)  # the TCP handshake's round trip
                server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                client_w.close()
                return
            # when either side ends, the connection ends for both (HTTP needs no half-close, and a
            # request sent into a connection the server already closed must fail, not hang)
            pumps = [asyncio.create_task(self._pump(client_r, server_w)),
                     asyncio.create_task(self._pump(server_r, client_w))]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pumps:
                task.cancel()
            for writer in (client_w, server_w):
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy ``reader`` to ``writer``, each chunk half an RTT after it arrived, in order."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(self.max_chunks)

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data == _EOF or writer.is_closing():
                    break
                writer.write(data)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        try:
            while not delivering.done() and (data := await reader.read(65536)):
                await queue.put((loop.time() + self.half, data))
            if not delivering.done():
                await queue.put((loop.time() + self.half, _EOF))
            await delivering
        except (OSError, RuntimeError):
            pass
        finally:
            delivering.cancel()
