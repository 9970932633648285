"""From production back to the suite: shadow disagreements as a suite draft.

``champion cases TASK --from-shadow`` writes the task's suite (prompt, output,
check, parameters, from its latest run) with one case per distinct prompt a
shadow disagreed on, newest first, ``expected`` left empty for a human to fill:
the answer the caller got and the shadow's are written beside each case as
comments. A case's vars are those the caller sent (``champion.vars``), else
read back from the prompt with the task's own templates; a prompt that does not
fit them (a client's own wording) cannot become a case and is counted. Only
outcomes recorded with ``--record-text`` hold the prompt.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml

from champion._errors import InputError
from champion._store import Store
from champion._suite.model import Suite

__all__ = ["SuiteDraft", "draft_from_shadow", "prompt_pattern"]

_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class SuiteDraft:
    """A suite draft: its YAML text, the cases in it, and the prompts left out."""

    text: str
    cases: int
    unfit: int


def prompt_pattern(suite: Suite) -> re.Pattern[str]:
    """A pattern that reads a prompt rendered from the suite's templates (as the
    store writes it: ``role: content`` per message) back into its vars."""
    parts = ([f"system: {suite.prompt.system}"] if suite.prompt.system else []) + [
        f"user: {suite.prompt.user}"]
    regex, seen = "", set()
    for literal, name, _spec, _conversion in _FORMATTER.parse("\n\n".join(parts)):
        regex += re.escape(literal)
        if name is None:
            continue
        regex += f"(?P={name})" if name in seen else f"(?P<{name}>.*?)"
        seen.add(name)
    return re.compile(regex, re.DOTALL)


def _comment(label: str, text: Any, limit: int = 300) -> str:
    """A YAML comment line showing untrusted text: quoted, escaped, printable ASCII."""
    shown = json.dumps(text, ensure_ascii=True)
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return "  # " + re.sub(r"[^\x20-\x7e]", "?", f"{label}: {shown}")


def draft_from_shadow(store: Store, task: str, limit: int = 50,
                      since: datetime | None = None) -> SuiteDraft:
    """The newest ``limit`` distinct prompts a shadow of ``task`` disagreed on, as a
    suite draft.

    Raises:
        InputError: the task has no run, or no disagreement with recorded text.
    """
    latest = store.latest_run(task)
    if latest is None:
        raise InputError(f"no run of {task!r} in this database")
    suite = Suite.model_validate(store.load_run(latest.run_id).suite_json)
    rows = store.shadow_outcomes(task, since, results=("disagree",), limit=max(limit, 1) * 20,
                                 with_text=True)
    if not rows:
        raise InputError(f"no shadow disagreement of {task!r} with its text recorded: a"
                         " gateway keeps texts only when it records them (record_text)")
    pattern = prompt_pattern(suite)
    cases: list[str] = []
    seen: set[str] = set()
    unfit = 0
    for row in rows:
        if len(cases) >= limit:
            break
        if row["prompt_sha256"] in seen:
            continue
        seen.add(row["prompt_sha256"])
        variables = row["prompt_vars"]
        if variables is None:
            match = pattern.fullmatch(row["prompt_text"] or "")
            if match is None:
                unfit += 1
                continue
            variables = match.groupdict()
        number = len(cases) + 1
        case = yaml.safe_dump([{"id": f"SHADOW_{number:03d}", "vars": variables}],
                              sort_keys=False, allow_unicode=False, width=100)
        lines = [_comment(f"answered by {row['served_by']}", row["champion_text"]),
                 _comment(f"shadow {row['shadow_model']} ({row['kind']})", row["shadow_text"]),
                 *("  " + line for line in case.rstrip("\n").splitlines()),
                 "    expected:  # the gold answer: fill in before running this suite"]
        cases.append("\n".join(lines))
    if not cases:
        raise InputError(f"none of the {unfit} prompts a shadow of {task!r} disagreed on fits"
                         " the task's prompt templates, and none came with champion.vars")
    head = suite.model_dump(mode="json", by_alias=True, exclude={"cases", "source"})
    text = (f"# A suite draft from {len(cases)} prompts a shadow of {task} disagreed on"
            " (champion cases --from-shadow).\n# Fill in each case's expected answer, then run"
            " it or merge its cases into the task's suite.\n"
            + yaml.safe_dump(head, sort_keys=False, allow_unicode=False, width=100)
            + "cases:\n" + "\n".join(cases) + "\n")
    return SuiteDraft(text, len(cases), unfit)
