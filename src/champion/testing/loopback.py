"""A minimal HTTP/1.1 server on 127.0.0.1, run on a background thread.

Keep-alive, Content-Length and chunked responses, and deliberate faults: the
:data:`Fault` modes every protocol server offers, and :class:`RawResponse`
for sending arbitrary bytes (fuzzing). Only for tests and calibration on
loopback.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Self

__all__ = ["FAULTS", "Fault", "LoopbackServer", "RawResponse", "Request", "Responder"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}

#: What a protocol server can do wrong when answering a chat request:
#: ``error500``; ``error503`` and ``error429`` with ``Retry-After``; ``error401``
#: whose body echoes the request's Authorization header; ``hang`` before the
#: headers; ``hang_mid_stream`` after the first tokens; ``reset`` (TCP RST);
#: ``truncated`` (cut in the middle of an event, then the connection closes);
#: ``bad_utf8`` (invalid UTF-8 inside the content); ``huge`` (a 10 MB answer);
#: ``endless`` (tokens that never stop); ``garbage`` (HTML with status 200).
Fault = Literal["error500", "error503", "error429", "error401", "hang", "hang_mid_stream",
                "reset", "truncated", "bad_utf8", "huge", "endless", "garbage"]
FAULTS: tuple[Fault, ...] = ("error500", "error503", "error429", "error401", "hang",
                             "hang_mid_stream", "reset", "truncated", "bad_utf8", "huge",
                             "endless", "garbage")
#: The size of the ``huge`` answer, in characters.
HUGE_CHARS = 10_000_000
#: How long ``hang`` and ``hang_mid_stream`` wait: longer than any test.
HANG_S = 3600.0


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Bytes sent as they are, for fuzzing a client's protocol reader.

    ``chunks`` go out as HTTP chunks (each flushed at once) after a ``status``
    line and ``content_type``; with ``complete`` false the connection closes
    without the terminating chunk, like a server that died mid-answer.
    """

    chunks: tuple[bytes, ...]
    status: int = 200
    content_type: str = "text/event-stream"
    complete: bool = True


#: A fixed raw answer, or one made from each request.
RawHook = RawResponse | Callable[["Request"], RawResponse]


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

    async def send(self, status: int, body: bytes, content_type: str,
                   headers: dict[str, str] | None = None) -> None:
        """A whole response with Content-Length."""
        self.writer.write(self._head(status, {"Content-Type": content_type,
                                              "Content-Length": str(len(body)),
                                              **(headers or {})}) + body)
        await self.writer.drain()

    async def json(self, status: int, value: Any, headers: dict[str, str] | None = None,
                   ) -> None:
        """A JSON response."""
        await self.send(status, json.dumps(value).encode(), "application/json", headers)

    async def start_stream(self, content_type: str, status: int = 200) -> None:
        """Begin a chunked response."""
        self.writer.write(self._head(status, {"Content-Type": content_type,
                                              "Transfer-Encoding": "chunked"}))
        await self.writer.drain()

    async def cut(self, partial_body: bytes, content_type: str) -> None:
        """Announce a whole body, send only ``partial_body``, and close the connection."""
        self.writer.write(self._head(200, {"Content-Type": content_type,
                                           "Content-Length": str(2 * len(partial_body) + 1)})
                          + partial_body)
        await self.writer.drain()
        self.close()

    def close(self) -> None:
        """Close the connection (no terminating chunk for a stream in progress)."""
        self.writer.close()
        self.keep_alive = False

    async def raw(self, response: RawResponse) -> None:
        """Send a :class:`RawResponse`."""
        await self.start_stream(response.content_type, response.status)
        for data in response.chunks:
            await self.chunk(data)
        if response.complete:
            await self.end_stream()
        else:
            self.close()

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
        #: Every request received, in order (tests count calls at the server).
        self.requests: list[Request] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    async def handle(self, request: Request, respond: Responder) -> None:
        """Answer one request."""
        await respond.json(404, {"error": "not found"})

    def count(self, path_suffix: str = "") -> int:
        """How many requests arrived for paths ending with ``path_suffix``."""
        return sum(1 for r in list(self.requests) if r.path.endswith(path_suffix))

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

    def __enter__(self) -> Self:
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
