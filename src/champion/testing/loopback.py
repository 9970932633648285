"""A minimal HTTP/1.1 server on 127.0.0.1, run on a background thread.

Keep-alive, Content-Length and chunked responses, and deliberate faults
(connection reset, hang). Only for tests and calibration on loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoopbackServer", "Request", "Responder"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(slots=True)
class Request:
    """One parsed request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    data: Any = field(default=None)

    def json(self) -> Any:
        """The body as JSON (None when empty or invalid)."""
        if self.data is None and self.body:
            try:
                self.data = json.loads(self.body)
            except ValueError:
                self.data = None
        return self.data


class Responder:
    """Writes one response on a connection."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.keep_alive = True

    def _head(self, status: int, headers: dict[str, str]) -> bytes:
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def send(self, status: int, body: bytes, content_type: str) -> None:
        """A whole response with Content-Length."""
        self.writer.write(self._head(status, {"Content-Type": content_type,
                                              "Content-Length": str(len(body))}) + body)
        await self.writer.drain()

    async def json(self, status: int, value: Any) -> None:
        """A JSON response."""
        await self.send(status, json.dumps(value).encode(), "application/json")

    async def start_stream(self, content_type: str, status: int = 200) -> None:
        """Begin a chunked response."""
        self.writer.write(self._head(status, {"Content-Type": content_type,
                                              "Transfer-Encoding": "chunked"}))
        await self.writer.drain()

    async def chunk(self, data: bytes) -> None:
        """One chunk, flushed at once."""
        if data:
            self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await self.writer.drain()

    async def end_stream(self) -> None:
        """The terminating chunk."""
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()

    def reset(self) -> None:
        """Abort the connection with a TCP RST."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self.keep_alive = False


class LoopbackServer:
    """Base class: override :meth:`handle`. Use as a context manager."""

    def __init__(self) -> None:
        self.base_url = ""
        self.requests: list[Request] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    async def handle(self, request: Request, respond: Responder) -> None:
        """Answer one request."""
        await respond.json(404, {"error": "not found"})

    def start(self) -> str:
        """Start serving; returns ``http://127.0.0.1:PORT``."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            self._server = loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0))
            port = self._server.sockets[0].getsockname()[1]
            self.base_url = f"http://127.0.0.1:{port}"
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name=type(self).__name__, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self.base_url

    def stop(self) -> None:
        """Stop serving and join the thread."""
        loop, server = self._loop, self._server
        if loop is None or server is None:
            return

        async def shutdown() -> None:
            server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, target, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
                request = Request(method, target.split("?", 1)[0], headers, body)
                self.requests.append(request)
                respond = Responder(writer)
                await self.handle(request, respond)
                if not respond.keep_alive:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError,
                ValueError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()
