"""The shared base of HTTP providers: one keep-alive client, auth, secrets, error mapping.

Subclasses (``openai``, ``ollama``) only build requests and read their
protocol. The client is an ``aiohttp.ClientSession``, chosen by measurement
(``benchmarks/http_clients.py``: a fifth to a tenth of httpx's CPU per call
with 64 or 256 calls in flight); one is made per provider on first use, in the
event loop that uses it, or injected (``session=``). Its connections are not
capped here: callers bound their calls in flight (the runner's concurrency,
the gateway's ``--max-in-flight``).

Every credential the provider uses (the API key, header values filled from the
environment, a password or query value in the base URL) is registered with
:func:`champion._secrets.register_secret` before the first request, and every
message built from a server's body or a URL passes through ``redact``. Bodies
are read with a cap: an error body is cut, an answer body past the cap is an
``AnswerTooLarge``.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import os
import re
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import aiohttp
from pydantic import Field

from champion._errors import (
    AnswerTooLarge,
    CandidateError,
    MissingKey,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    UnknownModel,
)
from champion._providers.base import MAX_ANSWER_CHARS, Provider, ProviderOptions
from champion._providers.candidate import Candidate
from champion._secrets import redact, register_secret

__all__ = ["HttpOptions", "HttpProvider", "body_chunks", "error_for_status",
           "parse_retry_after", "read_capped"]

_ENV = re.compile(r"\$\{(\w+)\}")
#: How much of an error body is read: enough for any message, never a whole dump.
ERROR_BODY_BYTES = 65_536
#: How much of a metadata document (a model listing) is read.
METADATA_BYTES = 16 * 1024 * 1024
# An answer body may escape every character of the answer (\uXXXX), plus its envelope.
_BODY_FACTOR = 6
_BODY_SLACK = 65_536
_CONTENT = re.compile(rb'"content"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)', re.DOTALL)


def _content_prefix(raw: bytes) -> str:
    """The first ``"content"`` string of a cut JSON body, as far as it arrived ("" if none)."""
    match = _CONTENT.search(raw)
    if match is None:
        return ""
    text = match.group(1).decode("utf-8", "ignore")
    for end in range(len(text), max(-1, len(text) - 6), -1):  # a cut escape: drop it
        try:
            value = json.loads(f'"{text[:end]}"')
        except ValueError:
            continue
        return value if isinstance(value, str) else ""
    return ""


def _from_environment(match: re.Match[str]) -> str:
    """``${VAR}``'s value, registered as a secret (a token may be quoted back alone)."""
    value = os.environ.get(match.group(1), "")
    register_secret(value)
    return value


class HttpOptions(ProviderOptions):
    """Options every HTTP provider takes."""

    #: The answer (content and reasoning) is cut here and the call is an error.
    max_answer_chars: int = Field(default=MAX_ANSWER_CHARS, gt=0)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: delta-seconds or an HTTP-date; None when absent or invalid."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


# A server error whose body says the request itself is wrong: a retry cannot help
# (llama-cpp-python's server answers 500 to a response_format it does not take).
_INVALID_REQUEST = re.compile(
    r"invalid_request|validation error|literal_error|input should be|not supported|"
    r"unsupported|unrecognized|unknown (?:field|parameter|argument)|invalid (?:request|param)",
    re.IGNORECASE)
_UNKNOWN_MODEL = re.compile(r"model_not_found|\bmodel\b[^.]{0,80}\b(?:not (?:be )?found|does not"
                            r" exist)|(?:unknown|no such|invalid) model", re.IGNORECASE)


def error_for_status(status: int, body: str, retry_after: str | None = None) -> ProviderError:
    """The error for a non-2xx answer: 429 and 5xx are transient, other 4xx are not.

    429 and 503 carry the server's ``Retry-After`` (seconds) when it sent one.
    A 5xx whose body says the request is invalid is rejected (never retried);
    a 404, or a 4xx saying the model is not found, is an ``UnknownModel``.
    The message is redacted: a server may echo a credential back.
    """
    detail = body.strip().replace("\n", " ")[:300] or "(empty body)"
    message = redact(f"HTTP {status}: {detail}")
    wait = parse_retry_after(retry_after) if status in (429, 503) else None
    if status == 429:
        return RateLimited(message, status=status, retry_after_s=wait)
    if status >= 500:
        if status != 503 and _INVALID_REQUEST.search(body[:ERROR_BODY_BYTES]):
            return ProviderRejected(message, status=status)
        return ProviderUnavailable(message, status=status, retry_after_s=wait)
    if status == 404 or _UNKNOWN_MODEL.search(body[:ERROR_BODY_BYTES]):
        return UnknownModel(message, status=status)
    return ProviderRejected(message, status=status)


def body_chunks(response: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The body's bytes as they arrive, in whatever pieces the socket gave."""
    return response.content.iter_any()


async def read_capped(response: aiohttp.ClientResponse, limit: int) -> tuple[bytes, bool]:
    """Up to ``limit`` bytes of the body, read in chunks; True when there was more."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in body_chunks(response):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every HTTPS endpoint of the process (certifi's
    CA bundle when it is installed, else the system's)."""
    try:
        import certifi
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


#: How long a connection may take to open; the call's own deadline bounds the rest.
CONNECT_TIMEOUT_S = 10.0


class HttpProvider(Provider):
    """A provider behind an HTTP endpoint."""

    default_base_url: ClassVar[str | None] = None

    def __init__(self, candidate: Candidate,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__(candidate)
        base_url = candidate.resolved_base_url() or self.default_base_url
        if not base_url:
            raise CandidateError(f"{candidate.id or candidate.model}: provider {self.name}"
                                 " needs a base_url (-m PROVIDER/MODEL@BASE_URL)")
        # A query string in the base URL (Azure's api-version, a key) is sent as
        # params with every request, not glued in front of the path.
        # Credentials in the URL become Basic auth unless an API key is configured.
        parts = urlsplit(base_url)
        self._params = dict(parse_qsl(parts.query, keep_blank_values=True))
        basic = (unquote(parts.username or ""), unquote(parts.password or "")) \
            if parts.username else None
        for value in self._params.values():
            register_secret(value)
        encoded = None if basic is None else base64.b64encode(":".join(basic).encode()).decode()
        if basic is not None and encoded is not None and parts.password:
            register_secret(parts.password)
            register_secret(basic[1])
            # A server that quotes the Authorization header back shows this form.
            register_secret(encoded)
        self._basic = None if encoded is None else f"Basic {encoded}"
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port:
            host = f"{host}:{parts.port}"
        self.base_url = urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")
        # Made now (CA bundle and all), never while another model's call is timed;
        # a plain-HTTP endpoint needs none.
        self._tls: ssl.SSLContext | None = _tls_context() if parts.scheme == "https" else None
        self._client: aiohttp.ClientSession | None = session
        self._own_client = session is None
        self.headers()  # registers the key and header secrets before any request

    def _new_client(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=0, ssl=self._tls or True)
        return aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT_S),
            cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)

    @property
    def client(self) -> aiohttp.ClientSession:
        """The keep-alive session of the running event loop (made on first use, and
        again after :meth:`aclose`)."""
        if self._client is None:
            self._client = self._new_client()
        return self._client

    def headers(self) -> dict[str, str]:
        """Extra headers (``${VAR}`` filled from the environment) and the API key.

        The key is read from the environment for each call and never kept; it
        and every value filled from the environment are registered as secrets.
        """
        headers: dict[str, str] = {}
        for name, value in self.candidate.headers.items():
            if "${" in value:
                value = _ENV.sub(_from_environment, value)
                register_secret(value)
            headers[name] = value
        key = self.candidate.api_key()
        if key:
            register_secret(key)
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _require_key(self, headers: dict[str, str]) -> None:
        if self.candidate.api_key_env and "Authorization" not in headers:
            raise MissingKey(f"environment variable {self.candidate.api_key_env} is"
                             " not set (api_key_env)")

    def preflight(self) -> None:
        """The API key's environment variable, when the candidate names one, is set.

        Raises:
            MissingKey: it is not.
        """
        self._require_key(self.headers())

    @asynccontextmanager
    async def stream(self, method: str, path: str, body: dict[str, Any] | bytes | None,
                     ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send a request and yield the response with a 2xx status, mapping every failure.

        ``body`` is JSON: a value, or bytes already encoded. Redirects are not
        followed (a credential never travels to another address).
        """
        headers = self.headers()
        self._require_key(headers)
        content = None
        if body is not None:
            content = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self._basic and "Authorization" not in headers:
            headers["Authorization"] = self._basic
        answered = False
        try:
            async with self.client.request(method, self.base_url + path, data=content,
                                           params=self._params or None, headers=headers,
                                           allow_redirects=False) as response:
                answered = True
                if response.status >= 400:
                    raw, _cut = await read_capped(response, ERROR_BODY_BYTES)
                    raise error_for_status(response.status,
                                           raw.decode("utf-8", "replace"),
                                           response.headers.get("retry-after"))
                yield response
        except aiohttp.ServerTimeoutError as exc:
            raise ProviderTimeout(f"timeout: {type(exc).__name__}") from exc
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError,
                aiohttp.ClientResponseError) as exc:
            if not answered:  # closed before any answer: a restart, a stale keep-alive
                raise ProviderUnavailable(
                    redact(f"connection failed: {exc or type(exc).__name__}")) from exc
            raise ProviderProtocolError(
                redact(f"protocol: {exc or type(exc).__name__}")) from exc
        except aiohttp.ClientError as exc:
            raise ProviderUnavailable(
                redact(f"connection failed: {type(exc).__name__}: {exc}")) from exc

    async def read_answer_body(self, response: aiohttp.ClientResponse,
                               limit_chars: int) -> bytes:
        """A whole (non-streamed) answer body, read in chunks up to what ``limit_chars`` allows.

        Raises:
            AnswerTooLarge: the body passed the cap; ``partial`` is empty (a cut
                JSON document has no answer to read).
        """
        raw, cut = await read_capped(response, limit_chars * _BODY_FACTOR + _BODY_SLACK)
        if cut:
            raise AnswerTooLarge(f"protocol: the answer body passed {len(raw):,} bytes;"
                                 " reading stopped there",
                                 _content_prefix(raw)[:limit_chars])
        return raw

    async def get_json(self, path: str) -> Any:
        """GET a JSON document (read up to a cap)."""
        async with self.stream("GET", path, None) as response:
            raw, cut = await read_capped(response, METADATA_BYTES)
        if cut:
            raise ProviderProtocolError(f"protocol: {path} answered more than"
                                        f" {METADATA_BYTES:,} bytes")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ProviderProtocolError(f"protocol: {path} did not answer JSON") from exc

    async def aclose(self) -> None:
        """Close the session if this provider made it."""
        if self._client is not None and self._own_client:
            await self._client.close()
        self._client = None
