"""The ``champion`` commands through the real console entry point (test provider)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import run_cli

Write = Callable[[str, str], Path]

MODELS = """\
models:
  - id: good
    provider: test
    model: good
    options: {rules: [["charged|refund", "billing"], ["error", "technical"]]}
  - id: lazy
    provider: test
    model: lazy
    options: {reply: billing}
"""

HARD = """\
task: hard-one
prompt: {user: "Q {q}"}
output: {kind: label, labels: [yes, no]}
cases:
  - {id: H1, vars: {q: a}, expected: "yes"}
  - {id: H2, vars: {q: b}, expected: "no"}
"""


#: The full grid: these tests count every trial.
RUN = ("run", "--strategy", "full")

def test_several_suites_print_champions_and_write_json_per_task(
        triage_suite: Path, write: Write, tmp_path: Path, db_url: str) -> None:
    models = write("models.yaml", MODELS)
    hard = write("hard.yaml", HARD)
    out = tmp_path / "out" / "run.json"
    result = run_cli(*RUN, str(triage_suite), str(hard), "--models", str(models),
                     "--repeats", "2", "--db", db_url, "--json", str(out),
                     "--require-champion")
    assert result.returncode == 3, result.stderr  # hard-one has no champion
    assert "Traceback" not in result.stderr
    triage = json.loads((tmp_path / "out" / "run.mini-triage.json").read_text())
    hard_run = json.loads((tmp_path / "out" / "run.hard-one.json").read_text())
    assert triage["champion"] == "good" and hard_run["champion"] is None
    assert triage["calls"] == 12 and hard_run["calls"] == 8
    summary = result.stdout[result.stdout.index("Champions"):]
    assert "mini-triage" in summary and "good (median " in summary
    assert "hard-one" in summary and "none qualified" in summary
    # Without --require-champion the same run is a success.
    again = run_cli(*RUN, str(hard), "--models", str(models), "--repeats", "1",
                    "--db", db_url)
    assert again.returncode == 0 and "Champion: none" in again.stdout
    assert "Champions" not in again.stdout  # one suite: no cross-suite table


def test_plain_output_lists_progress_tree_and_reasons(triage_suite: Path, write: Write,
                                                      db_url: str) -> None:
    result = run_cli(*RUN, str(triage_suite), "--models", str(write("m.yaml", MODELS)),
                     "--repeats", "2", "--db", db_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "good: loading, 6 trials planned" in out and "good: 6/6 trials, 6 correct" in out
    assert "good 🏆 champion" in out and "C1 ✅ median " in out
    good = next(line for line in out.splitlines() if "Result: champion" in line)
    assert "| 6/6 correct | median " in good and ", p90 " in good and "| Score: " in good
    lazy = next(line for line in out.splitlines() if "Result: disqualified" in line)
    assert lazy.startswith("└── Result: disqualified (pass rate 66.7% under the 100% rule) ❌"
                           " | 4/6 correct | median ")
    assert "Score" not in lazy and "Avg" not in out
    assert "Champion: good (median" in out and "Runner-up: none" in out
    assert "- lazy: 4/6 correct; failed C2 (2/2)" in out


def test_validate_prints_task_and_case_count(triage_suite: Path) -> None:
    result = run_cli("validate", str(triage_suite),
                     str(Path(__file__).parents[2] / "examples" / "job-posting-grading.json"))
    assert result.returncode == 0, result.stderr
    assert "task mini-triage, 3 cases" in result.stdout
    assert "task job_posting_summary_grading, 10 cases" in result.stdout


def test_report_defaults_to_the_latest_run(triage_suite: Path, write: Write,
                                           db_url: str) -> None:
    models = write("m.yaml", MODELS)
    empty = run_cli("report", "--db", db_url)
    assert empty.returncode == 2 and "no runs yet" in empty.stderr
    first = run_cli(*RUN, str(triage_suite), "--models", str(models), "--repeats", "1",
                    "--db", db_url)
    second = run_cli(*RUN, str(triage_suite), "-m", "test/echo", "--repeats", "1",
                     "--db", db_url)
    assert first.returncode == 0 and second.returncode == 0
    latest = run_cli("report", "--db", db_url, "--format", "json")
    assert [m["model"] for m in json.loads(latest.stdout)["models"]] == ["echo"]
    missing = run_cli("report", "nope", "--db", db_url)
    assert missing.returncode == 2 and "no run 'nope'" in missing.stderr


def test_bad_models_file_and_spec_exit_2(triage_suite: Path, write: Write) -> None:
    bad = write("bad-models.yaml", "models:\n  - id: x\n    provider: openai\n    colour: red\n")
    result = run_cli(*RUN, str(triage_suite), "--models", str(bad))
    assert result.returncode == 2
    assert f"{bad}:4: models[0]: unknown key 'colour'" in result.stderr
    typo = write("typo-models.yaml", "models:\n  - provider: openai\n    model: m\n"
                                     "    api_key_envv: KEY\n")
    result = run_cli(*RUN, str(triage_suite), "--models", str(typo))
    assert result.returncode == 2
    assert "did you mean 'api_key_env'?" in result.stderr
    assert "Traceback" not in result.stderr
    spec = run_cli(*RUN, str(triage_suite), "-m", "no-slash-here")
    assert spec.returncode == 2 and "expected PROVIDER/MODEL" in spec.stderr
    assert "--models" not in spec.stderr
    file_as_spec = run_cli(*RUN, str(triage_suite), "-m", "models.yaml")
    assert file_as_spec.returncode == 2
    assert "a models file is given with --models models.yaml" in file_as_spec.stderr
    assert "Traceback" not in file_as_spec.stderr


def test_models_lists_embedded_sizes_and_filters_by_size() -> None:
    from champion._providers.builtin import builtin_path

    small = builtin_path("smollm2-135m").stat().st_size / 1e9
    listed = run_cli("models")
    assert listed.returncode == 0, listed.stderr
    assert "smollm2-135m" in listed.stdout and "gemma3-270m" in listed.stdout
    assert f"{small:.2f} GB" in listed.stdout
    filtered = run_cli("models", "--max-size-gb", f"{small + 0.01:.2f}")
    assert "smollm2-135m" in filtered.stdout and "gemma3-270m" not in filtered.stdout


def test_models_json_says_where_each_embedded_gguf_is_without_assembling_it(
        write: Write, tmp_path: Path) -> None:
    from champion._providers.builtin import builtin_path

    # A fresh home: gemma's parts are in its package, its assembled file is not there yet.
    home = tmp_path / "home"
    listed = run_cli("models", "-m", "builtin", "--format", "json", env={"HOME": str(home)})
    assert listed.returncode == 0, listed.stderr
    models = {m["id"]: m for m in json.loads(listed.stdout)["models"]}
    smollm = models["smollm2-135m"]
    assert smollm["path"] == str(builtin_path("smollm2-135m")) and smollm["file"] == "present"
    assert (smollm["provider"], smollm["model"], smollm["base_url"], smollm["capabilities"]) \
        == ("llamacpp", "builtin:smollm2-135m", None, ["completion"])
    assert smollm["size_gb"] == builtin_path("smollm2-135m").stat().st_size / 1e9
    gemma = models["gemma3-270m"]
    assert gemma["file"] == "not assembled yet" and gemma["size_gb"] > 0.2
    assert gemma["path"].startswith(str(home)) and not Path(gemma["path"]).exists()
    others = write("models.yaml", f"""\
        models:
          - {{id: gone, provider: llamacpp, model: {tmp_path / "gone.gguf"}}}
          - {{id: remote, provider: openai, model: m1, base_url: "http://127.0.0.1:9/v1"}}
        """)
    listed = run_cli("models", "--models", str(others), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    gone, remote = json.loads(listed.stdout)["models"]
    assert (gone["path"], gone["file"]) == (str(tmp_path / "gone.gguf"), "missing")
    assert gone["file_error"] == f"no file at {tmp_path / 'gone.gguf'}"
    assert (remote["base_url"], remote["path"], remote["file"]) == (
        "http://127.0.0.1:9/v1", None, None)
    assert remote["capabilities"] is None
    table = run_cli("models", "--models", str(others))
    assert table.returncode == 0 and "┃ id" in table.stdout and "{" not in table.stdout


def test_json_suites_show_valid_json_share_and_field_accuracy(write: Write,
                                                              db_url: str) -> None:
    suite = write("crm.yaml", """\
        task: crm
        prompt: {user: "Extract from: {call}"}
        output: {kind: json}
        check: {type: json_fields, fields: {name: ci, amount: {numeric: 1}}}
        cases:
          - {id: A, vars: {call: "Ann, 100"}, expected: {name: Ann, amount: 100}}
          - {id: B, vars: {call: "Bob, 250"}, expected: {name: Bob, amount: 250}}
        """)
    models = write("m.yaml", """\
        models:
          - id: sloppy
            provider: test
            model: sloppy
            options:
              rules: [["Ann", '{"name": "ann", "amount": 100.4}'], ["Bob", "Bob spent 250"]]
        """)
    result = run_cli(*RUN, str(suite), "--models", str(models), "--repeats", "1",
                     "--db", db_url)
    assert result.returncode == 0, result.stderr
    # A is right (case-insensitive name, amount within 1); B is not JSON at all.
    assert "❌ | 1/2 correct | median " in result.stdout
    assert "Valid JSON: 50%" in result.stdout
    assert "Fields: amount 50%, name 50%" in result.stdout
