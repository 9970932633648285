"""A suite's fingerprint: two runs compare only when it matches."""

from __future__ import annotations

import hashlib
import json

from champion.suite.model import Suite

__all__ = ["suite_fingerprint"]


def suite_fingerprint(suite: Suite) -> str:
    """sha256 of the canonical JSON of prompt, output, check, qualify and cases.

    Canonical: keys sorted, no insignificant whitespace, Unicode kept as is.
    The check is the effective one (defaulted from the output kind when the
    file gives none), so an explicit default does not change the fingerprint.
    """
    data = {
        "prompt": suite.prompt.model_dump(mode="json", by_alias=True),
        "output": suite.output.model_dump(mode="json", by_alias=True),
        "check": suite.check_spec.model_dump(mode="json", by_alias=True),
        "qualify": suite.qualify.model_dump(mode="json", by_alias=True),
        "cases": [case.model_dump(mode="json", by_alias=True) for case in suite.cases],
    }
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
