"""An OpenAI-compatible gateway over the Router (``champion gateway``).

``POST /v1/chat/completions``, streamed (server-sent events of
``chat.completion.chunk`` objects, then ``data: [DONE]``) or not:

- ``model: "task:<task>"`` is served by the task's registered champion, with
  the Router's fallback to the runner-up, circuit breaker, backpressure and
  output validation. The client's messages are sent as they are, with the
  task's own generation parameters (a smaller ``max_tokens`` of the client's
  is sent instead); or, when the body carries the task's template vars as
  ``champion: {"vars": {...}}``, the task's own prompt is rendered from them
  (``champion: {"verify": true}`` asks both models and answers only when they
  agree; for a judged task ``champion: {"verify": "judge"}`` answers only with
  an answer the task's judge passes, the champion's or else the runner-up's). A
  streamed answer is validated before it is sent, and arrives whole in one
  content chunk, unless the stream mode is ``live`` (the gateway's ``--stream
  live``, or per request ``champion: {"stream": "live"}`` or the header
  ``x-champion-stream: live``): then tokens go out as they come, and a fallback
  is possible only before the first one.
- any other ``model`` that names a registered model (its id, the model name its
  backend knows, or its ``-m`` spec) goes straight to that model, with the
  client's own parameters; streamed, token by token as the backend sends them.

The answer's ``model`` is the id of the model that served; ``finish_reason``
and ``usage`` are the backend's. Headers: ``x-champion-served-by``,
``x-champion-fallback`` (``none``, or why the champion did not serve) and
``x-champion-timing`` (``prompt_build=…;queue=…;inference=…;parse=…;total=…``,
ms). ``GET /v1/models`` lists the tasks (``task:<task>``) and the models;
``GET /metrics`` the Prometheus metrics. Errors use OpenAI's shape: 400 bad
request, 401 without the bearer token, 404 unknown model or task, 429 with
``Retry-After`` when the models have no room, 502 when no model gave a usable
answer (or the judge passed none: ``judge_rejected``), 504 when every model
ran out of time.
"""

from __future__ import annotations

from collections.abc import Sequence

from champion._registry.router import Router
from champion._web.gateway.app import Gateway, GatewayConfig
from champion._web.gateway.calls import CallObserver, CallRecord
from champion._web.gateway.metrics import GatewayMetrics
from champion._web.gateway.wire import error_body
from champion._web.security import ASGIApp, BearerTokenMiddleware

__all__ = ["CallObserver", "CallRecord", "Gateway", "GatewayConfig", "create_gateway",
           "error_body"]


def create_gateway(router: Router, token: str | None = None,
                   config: GatewayConfig | None = None,
                   observers: Sequence[CallObserver] = (),
                   metrics: GatewayMetrics | None = None) -> ASGIApp:
    """The gateway's ASGI app over ``router``; with ``token``, every request
    (``/metrics`` included) needs ``Authorization: Bearer <token>``."""
    app = Gateway(router, config or GatewayConfig(), metrics or GatewayMetrics(), observers)
    if token is None:
        return app
    return BearerTokenMiddleware(app, token, error_body=error_body)
