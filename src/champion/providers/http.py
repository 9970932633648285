"""The shared base of HTTP providers: one keep-alive client, auth, error mapping.

Subclasses (``openai``, ``ollama``) only build requests and read their
protocol. The client can be injected (``client=``) for custom transports.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

import httpx

from champion.errors import (
    CandidateError,
    ProviderError,
    ProviderProtocolError,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from champion.providers.base import Provider
from champion.providers.candidate import Candidate

__all__ = ["HttpProvider", "error_for_status"]

_ENV = re.compile(r"\$\{(\w+)\}")


def error_for_status(status: int, body: str) -> ProviderError:
    """The error for a non-2xx answer: 429 and 5xx are transient, other 4xx are not."""
    detail = body.strip().replace("\n", " ")[:300] or "(empty body)"
    if status == 429:
        return RateLimited(f"HTTP 429: {detail}")
    if status >= 500:
        return ProviderUnavailable(f"HTTP {status}: {detail}")
    return ProviderRejected(f"HTTP {status}: {detail}")


class HttpProvider(Provider):
    """A provider behind an HTTP endpoint."""

    default_base_url: ClassVar[str | None] = None

    def __init__(self, candidate: Candidate, client: httpx.AsyncClient | None = None) -> None:
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
        self._basic = (unquote(parts.username or ""), unquote(parts.password or "")) \
            if parts.username else None
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        self.base_url = urlunsplit((parts.scheme, host, parts.path, "", "")).rstrip("/")
        self._client = client
        self._own_client = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        """The keep-alive client, created on first use."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=10.0, read=None, write=30.0, pool=None),
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
            )
        return self._client

    def headers(self) -> dict[str, str]:
        """Extra headers (``${VAR}`` filled from the environment) and the API key.

        The key is read from the environment for each call and never kept.
        """
        headers = {name: _ENV.sub(lambda m: os.environ.get(m.group(1), ""), value)
                   for name, value in self.candidate.headers.items()}
        key = self.candidate.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif self.candidate.api_key_env:
            raise ProviderRejected(f"environment variable {self.candidate.api_key_env} is"
                                   " not set (api_key_env)")
        return headers

    @asynccontextmanager
    async def stream(self, method: str, path: str, body: dict[str, Any] | bytes | None,
                     ) -> AsyncIterator[httpx.Response]:
        """Send a request and yield the response with a 2xx status, mapping every failure.

        ``body`` is JSON: a value, or bytes already encoded.
        """
        headers = self.headers()
        content = None
        if isinstance(body, bytes):
            content, body = body, None
            headers["Content-Type"] = "application/json"
        auth = self._basic if self._basic and "Authorization" not in headers else None
        try:
            async with self.client.stream(method, self.base_url + path, json=body,
                                          content=content,
                                          params=self._params or None,
                                          headers=headers, auth=auth) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise error_for_status(response.status_code, text)
                yield response
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"timeout: {type(exc).__name__}") from exc
        except (httpx.RemoteProtocolError, httpx.DecodingError) as exc:
            raise ProviderProtocolError(f"protocol: {exc or type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            raise ProviderUnavailable(
                f"connection failed: {type(exc).__name__}: {exc}") from exc

    async def get_json(self, path: str) -> Any:
        """GET a JSON document."""
        async with self.stream("GET", path, None) as response:
            raw = await response.aread()
        try:
            import json

            return json.loads(raw)
        except ValueError as exc:
            raise ProviderProtocolError(f"protocol: {path} did not answer JSON") from exc

    async def aclose(self) -> None:
        """Close the client if this provider made it."""
        if self._client is not None and self._own_client:
            await self._client.aclose()
        self._client = None
