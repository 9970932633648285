"""Who may talk to champion's servers: loopback by default, a bearer token otherwise.

``serve`` and ``gateway`` bind 127.0.0.1 unless told otherwise. Any other host
is refused unless ``CHAMPION_TOKEN`` is set; when it is set, every request
must carry ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from champion._errors import InputError

__all__ = ["TOKEN_ENV", "BearerTokenMiddleware", "check_bind", "is_loopback", "server_token"]

TOKEN_ENV = "CHAMPION_TOKEN"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def server_token() -> str | None:
    """The bearer token from the environment, if one is set."""
    return os.environ.get(TOKEN_ENV) or None


def check_bind(host: str, port: int, command: str) -> str | None:
    """Refuse a non-loopback ``host`` without a token, and an address that cannot be
    listened on (a port in use); returns the token to require.

    Raises:
        InputError: naming ``CHAMPION_TOKEN``, or the address and why (the CLI exits
            with status 2).
    """
    token = server_token()
    if not is_loopback(host) and token is None:
        raise InputError(
            f"{command}: binding {host} (beyond loopback) needs a token; set"
            f" {TOKEN_ENV} and every request must then send 'Authorization: Bearer <token>'"
        )
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise InputError(f"{command}: cannot listen on {host}:{port}:"
                             f" {exc.strerror or exc}") from None
    return token


class BearerTokenMiddleware:
    """Rejects HTTP requests without ``Authorization: Bearer <token>`` (401).

    ``error_body`` builds the JSON body of the refusal, so each app answers in
    its own error shape.
    """

    def __init__(self, app: ASGIApp, token: str,
                 error_body: Callable[[str], bytes] | None = None) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()
        self.error_body = error_body or (lambda message: (
            b'{"error": {"message": "' + message.encode() + b'", "type": "unauthorized"}}'))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass authorised HTTP requests through; answer 401 to the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        body = self.error_body("missing or wrong bearer token")
        await send({"type": "http.response.start", "status": 401, "headers": [
            (b"content-type", b"application/json"), (b"www-authenticate", b"Bearer"),
            (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
