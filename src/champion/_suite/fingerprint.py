"""A suite's fingerprint: two runs compare only when it matches."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from champion._suite.model import Case, Suite

__all__ = ["suite_fingerprint"]


def suite_fingerprint(suite: Suite) -> str:
    """sha256 of the canonical JSON of prompt, output, check, qualify and cases.

    Canonical: keys sorted, no insignificant whitespace, Unicode kept as is.
    The check is the effective one (defaulted from the output kind when the
    file gives none), so an explicit default does not change the fingerprint.
    A case's images count by content (media type and SHA-256), not by where
    the files lie. Calibration cases count when there are any.
    """
    data = {
        "prompt": suite.prompt.model_dump(mode="json", by_alias=True),
        "output": suite.output.model_dump(mode="json", by_alias=True),
        "check": suite.check_spec.model_dump(mode="json", by_alias=True),
        "qualify": suite.qualify.model_dump(mode="json", by_alias=True),
        "cases": [_case(case) for case in suite.cases],
    }
    if suite.calibration:
        data["calibration"] = [case.model_dump(mode="json") for case in suite.calibration]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _case(case: Case) -> dict[str, Any]:
    data: dict[str, Any] = case.model_dump(mode="json", by_alias=True)
    if case.images:
        data["images"] = [{"media_type": image.media_type, "sha256": image.sha256}
                          for image in case.images]
    return data
