"""The check's slowdown rule and the new-candidate filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from champion._errors import InputError
from champion._providers.candidate import Candidate
from champion._records import ModelRun
from champion._registry.check import compare_latency
from champion._registry.novelty import new_candidates
from champion._store import Store
from tests.store.factories import result, trial


def _trials(medians: list[float], model: str = "m") -> list:  # type: ignore[type-arg]
    return [trial(model, f"C{i}", b, latency_ms=value + b * 0.01)
            for i, value in enumerate(medians) for b in range(3)]


def test_a_consistent_slowdown_over_ten_percent_is_significant() -> None:
    before = [10.0 + i for i in range(8)]
    slower = compare_latency(_trials(before), _trials([v * 1.3 for v in before]))
    assert slower.cases == 8 and slower.ratio == pytest.approx(1.3, rel=1e-3)
    assert slower.p_value == pytest.approx(1 / 256) and slower.significantly_slower
    slightly = compare_latency(_trials(before), _trials([v * 1.05 for v in before]))
    assert slightly.p_value is not None and slightly.p_value < 0.05
    assert not slightly.significantly_slower
    too_few = compare_latency(_trials(before[:3]), _trials([v * 2 for v in before[:3]]))
    assert not too_few.significantly_slower and too_few.p_value == pytest.approx(1 / 8)


def test_only_correct_trials_of_shared_cases_count() -> None:
    now = [*_trials([20.0, 20.0]), trial("m", "C0", 9, correct=False, latency_ms=1.0),
           trial("m", "C9", 0, latency_ms=99.0)]
    comparison = compare_latency(_trials([10.0, 10.0]), now)
    assert comparison.cases == 2 and comparison.median_now_ms == pytest.approx(20.01)
    assert compare_latency([], now).cases == 0


def test_new_candidates_are_those_not_run_on_the_current_suite(any_db: str) -> None:
    with Store(any_db) as store:
        with pytest.raises(InputError, match="no runs of task 'mini'"):
            new_candidates(store, "mini", [])
        for run_id, fingerprint, minutes, models in (
                ("old", "fp0", 0, [("test", "gone", None)]),
                ("now", "fp1", 5, [("test", "a", "test"),
                                   ("openai", "m1", "http://gpu:8000/v1")])):
            store.begin_run(result(run_id, fingerprint=fingerprint, minutes=minutes))
            for provider, name, url in models:
                store.add_model(run_id, ModelRun(
                    model=name, provider=provider, model_name=name, base_url=url,
                    key=f"{provider}/{name}@{url or provider}"))
        candidates = [
            Candidate(id="a", provider="test", model="a"),
            Candidate(id="gone", provider="test", model="gone"),
            Candidate(id="m1", provider="openai", model="m1", base_url="http://gpu:8000/v1"),
            Candidate(id="m1b", provider="openai", model="m1",
                      base_url="http://other:8000/v1"),
        ]
        assert [c.id for c in new_candidates(store, "mini", candidates)] == ["gone", "m1b"]


def test_an_adapter_is_new_where_only_its_base_ran(any_db: str, tmp_path: Path) -> None:
    adapter = tmp_path / "adapter.gguf"
    adapter.write_bytes(b"an adapter file")  # only hashed here, never loaded
    with Store(any_db) as store:
        store.begin_run(result("now", fingerprint="fp1", minutes=1))
        store.add_model("now", ModelRun(
            model="smollm2-135m", provider="llamacpp", model_name="builtin:smollm2-135m",
            key="llamacpp/builtin:smollm2-135m@in-process"))
        base = Candidate(id="smollm2-135m", provider="llamacpp", model="builtin:smollm2-135m")
        tuned = base.model_copy(update={"id": "tuned",
                                        "options": {"lora_path": str(adapter)}})
        assert [c.id for c in new_candidates(store, "mini", [base, tuned])] == ["tuned"]
