"""The access log: one line per chat call, as text or JSON (``--log-format``).

A line names the task, the model asked for and the model that served, the
status, why the champion did not serve (the kinds of failure, never their
text, which may quote an answer), the stages' times in ms and token counts;
never the prompt or the answer.
"""

from __future__ import annotations

import json
import logging

from champion._web.gateway.calls import CallRecord
from champion._web.gateway.wire import header_text

__all__ = ["ACCESS_LOGGER", "AccessLog"]

ACCESS_LOGGER = "champion.gateway.access"


class AccessLog:
    """Writes each call to the ``champion.gateway.access`` logger at INFO.

    Args:
        json_lines: one JSON object per line instead of ``key=value`` text.
    """

    def __init__(self, json_lines: bool = False) -> None:
        self.json_lines = json_lines
        self.log = logging.getLogger(ACCESS_LOGGER)

    @staticmethod
    def fields(call: CallRecord) -> dict[str, object]:
        """What a line says about ``call``."""
        stages = call.stages
        return {
            "at": call.at.isoformat(timespec="milliseconds"), "status": call.status,
            "task": call.task, "model": header_text(call.requested, 200),
            "served_by": call.served_by,
            "fallback": call.fallback_kinds, "error_type": call.error_type,
            "stream": call.stream,
            "prompt_build_ms": round(stages.prompt_build_ns / 1e6, 3),
            "queue_ms": round(stages.queue_ns / 1e6, 3),
            "inference_ms": round(stages.inference_ns / 1e6, 3),
            "parse_ms": round(stages.parse_ns / 1e6, 3),
            "total_ms": round(stages.total_ns / 1e6, 3),
            "prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
            "finish_reason": call.finish_reason,
        }

    def observe(self, call: CallRecord) -> None:
        """Log one line for ``call``."""
        log = self.log
        if not log.isEnabledFor(logging.INFO):
            return
        fields = self.fields(call)
        if self.json_lines:
            log.info(json.dumps(fields, separators=(",", ":")))
        else:
            log.info(" ".join(f"{key}={'-' if value in (None, '') else value}"
                              for key, value in fields.items()))
