"""How far a task's shadows agree with what served it: ``champion shadow`` and the dashboard.

Agreement is the share of compared shadow calls whose answer agreed with the
served one, with its two-sided 95% Clopper–Pearson interval (each bound at
2.5%): exact for any number of calls. A shadow call that failed (timed out,
erred, answered something the task's parser rejects) is a disagreement of that
kind; a call the in-flight bound skipped compared nothing and is only counted.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from champion._ranking.stats import clopper_pearson_lower, clopper_pearson_upper, percentile
from champion._store import Store

__all__ = ["DISAGREEMENTS_SHOWN", "ShadowFigures", "ShadowReport", "agreement_series",
           "shadow_report"]

#: Disagreements listed per shadow model.
DISAGREEMENTS_SHOWN = 10
#: Latencies read per shadow model (the newest).
_LATENCIES = 50_000


def _latency(values: Sequence[float]) -> dict[str, float | None]:
    ordered = sorted(values)
    if not ordered:
        return {"median": None, "p95": None}
    return {"median": statistics.median(ordered), "p95": percentile(ordered, 95)}


@dataclass(frozen=True)
class ShadowFigures:
    """One shadow model's agreement with what served a task.

    Attributes:
        model: the shadow model's id.
        calls: shadow calls compared.
        agreed: how many agreed.
        skipped: sampled calls the in-flight bound left out.
        kinds: disagreements by kind (``value``, ``unparseable``, ``timeout``, ...).
        latency_ms, champion_latency_ms: median and p95 of the shadow's calls and of
            the served calls they shadowed.
        disagreements: the newest distinct prompts the shadow disagreed on (texts when
            recorded), each with how many times (``times``) among the calls read.
    """

    model: str
    calls: int
    agreed: int
    skipped: int
    kinds: dict[str, int]
    latency_ms: dict[str, float | None]
    champion_latency_ms: dict[str, float | None]
    disagreements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def agreement(self) -> float | None:
        """The share of compared calls that agreed (None: none compared)."""
        return self.agreed / self.calls if self.calls else None

    @property
    def lower95(self) -> float:
        """The two-sided 95% interval's lower bound (0 without calls)."""
        return clopper_pearson_lower(self.agreed, self.calls, 0.025)

    @property
    def upper95(self) -> float:
        """The two-sided 95% interval's upper bound (1 without calls)."""
        return clopper_pearson_upper(self.agreed, self.calls, 0.025)

    def as_json(self) -> dict[str, Any]:
        """The ``champion shadow --format json`` form."""
        return {"model": self.model, "calls": self.calls, "agreed": self.agreed,
                "agreement": self.agreement, "agreement_lower95": self.lower95,
                "agreement_upper95": self.upper95, "latency_ms": self.latency_ms,
                "champion_latency_ms": self.champion_latency_ms, "skipped": self.skipped,
                "disagreement_kinds": self.kinds, "disagreements": self.disagreements}


@dataclass(frozen=True)
class ShadowReport:
    """Every shadow of a task since a time, against an agreement floor."""

    task: str
    since: datetime | None
    min_agreement: float
    shadows: list[ShadowFigures]

    @property
    def below_floor(self) -> list[ShadowFigures]:
        """Shadows whose agreement's upper bound is below the floor."""
        return [s for s in self.shadows if s.calls and s.upper95 < self.min_agreement]

    def as_json(self) -> dict[str, Any]:
        """The ``champion shadow --format json`` document."""
        return {"task": self.task, "since": self.since.isoformat() if self.since else None,
                "min_agreement": self.min_agreement,
                "ok": not self.below_floor, "shadows": [s.as_json() for s in self.shadows]}


def _disagreement(row: dict[str, Any]) -> dict[str, Any]:
    return {"at": row["at"].isoformat() if row["at"] else None, "kind": row["kind"],
            "served_by": row["served_by"], "prompt_sha256": row["prompt_sha256"],
            "prompt": row["prompt_text"], "champion_answer": row["champion_text"],
            "shadow_answer": row["shadow_text"], "champion_value": row["champion_value"],
            "shadow_value": row["shadow_value"]}


def _distinct(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest disagreement of each prompt (and answer), newest first, with its count."""
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = (row["prompt_sha256"], row["kind"], row["shadow_value"], row["champion_value"])
        if key in found:
            found[key]["times"] += 1
        elif len(found) < DISAGREEMENTS_SHOWN:
            found[key] = {**_disagreement(row), "times": 1}
    return list(found.values())


def shadow_report(store: Store, task: str, since: datetime | None = None,
                  min_agreement: float = 0.95) -> ShadowReport:
    """The agreement of each of ``task``'s shadows (outcomes since ``since``)."""
    figures = []
    for model, counts in sorted(store.shadow_counts(task, since).items()):
        agreed = sum(n for (result, _kind), n in counts.items() if result == "agree")
        kinds: dict[str, int] = {}
        for (result, kind), n in counts.items():
            if result == "disagree":
                kinds[kind or "unknown"] = kinds.get(kind or "unknown", 0) + n
        skipped = sum(n for (result, _kind), n in counts.items() if result == "skipped")
        rows = store.shadow_outcomes(task, since, limit=_LATENCIES, model=model)
        figures.append(ShadowFigures(
            model=model, calls=agreed + sum(kinds.values()), agreed=agreed, skipped=skipped,
            kinds=kinds,
            latency_ms=_latency([r["shadow_ms"] for r in rows if r["shadow_ms"] is not None]),
            champion_latency_ms=_latency([r["champion_ms"] for r in rows
                                          if r["champion_ms"] is not None]),
            disagreements=_distinct([r for r in rows if r["result"] == "disagree"])))
    return ShadowReport(task, since, min_agreement, figures)


def agreement_series(store: Store, task: str, since: datetime | None = None,
                     buckets: int = 24) -> dict[str, list[dict[str, Any]]]:
    """Agreement over time per shadow model: the span from the first outcome to the
    last, cut into at most ``buckets`` equal slices, each with its calls, agreement
    and 95% interval."""
    rows = store.shadow_outcomes(task, since, limit=_LATENCIES)
    if not rows:
        return {}
    first, last = min(r["at"] for r in rows), max(r["at"] for r in rows)
    width = max((last - first) / buckets, timedelta(seconds=1))
    series: dict[str, dict[int, list[int]]] = {}
    for row in rows:
        slot = min(buckets - 1, int((row["at"] - first) / width))
        counts = series.setdefault(row["shadow_model"], {}).setdefault(slot, [0, 0])
        counts[0] += row["count"]
        counts[1] += row["count"] if row["result"] == "agree" else 0
    return {model: [{"start": (first + width * slot).isoformat(), "calls": calls,
                     "agreement": agreed / calls, "lower95":
                     clopper_pearson_lower(agreed, calls, 0.025),
                     "upper95": clopper_pearson_upper(agreed, calls, 0.025)}
                    for slot, (calls, agreed) in sorted(slots.items())]
            for model, slots in sorted(series.items())}
