"""Turning a suite's cases into provider requests (done once per run, untimed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from champion._errors import SuiteError
from champion._providers.base import Constraint, GenerateRequest, Image, Message
from champion._suite.images import ImageError
from champion._suite.model import Case, Suite

__all__ = ["build_requests", "messages_request", "render_request", "warmup_request"]


def _constraint(suite: Suite) -> Constraint | None:
    output = suite.output
    if not output.constrain:
        return None
    if output.kind == "label":
        return Constraint(labels=output.labels)
    if output.kind == "json":
        return Constraint(json_schema=output.json_schema or {"type": "object"})
    return None


def _request(suite: Suite, messages: tuple[Message, ...]) -> GenerateRequest:
    params = suite.params
    return GenerateRequest(
        messages=messages, max_tokens=params.max_tokens, temperature=params.temperature,
        timeout_s=params.timeout_s, seed=params.seed, top_p=params.top_p, stop=params.stop,
        constraint=_constraint(suite), extra_params=dict(params.model_extra or {}),
    )


def build_requests(suite: Suite) -> dict[str, GenerateRequest]:
    """Case id → the rendered request; a case's images are encoded here, once.

    Raises:
        SuiteError: an image of a suite rebuilt from a stored run can no longer be read.
    """
    system, user = suite.prompt.templates()
    requests = {}
    for case in suite.cases:
        requests[case.id] = _request(suite, _messages(system.render(case.vars) if system else None,
                                                      user.render(case.vars), _images(suite, case)))
    return requests


def _images(suite: Suite, case: Case) -> tuple[Image, ...]:
    try:
        return tuple(Image(image.media_type or "application/octet-stream", image.base64())
                     for image in case.images)
    except ImageError as exc:
        raise SuiteError(suite.source or suite.task, f"case {case.id!r}: {exc}") from None


def render_request(suite: Suite, variables: Mapping[str, Any]) -> GenerateRequest:
    """The request for one set of template vars, rendered like a case's.

    Raises:
        KeyError: a placeholder has no value in ``variables``.
    """
    system, user = suite.prompt.templates()
    return _request(suite, _messages(system.render(variables) if system else None,
                                     user.render(variables)))


def messages_request(suite: Suite, messages: Sequence[Message]) -> GenerateRequest:
    """A request with the suite's parameters and constraint on given messages."""
    return _request(suite, tuple(messages))


def _messages(system: str | None, user: str,
              images: tuple[Image, ...] = ()) -> tuple[Message, ...]:
    if system:
        return (Message("system", system), Message("user", user, images))
    return (Message("user", user, images),)


def warmup_request(suite: Suite, first: Case) -> GenerateRequest:
    """A request like the suite's (same system prompt, params, constraint) on a
    user message that is not one of the measured cases."""
    system, _user = suite.prompt.templates()
    text = system.render(first.vars) if system else None
    return _request(suite, _messages(text, "Reply with the single word OK."))
