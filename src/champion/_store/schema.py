"""The tables as they are at the newest revision (SQLAlchemy Core), for queries.

The schema itself is created and changed only by the Alembic revisions under
``store/alembic/versions``; a change here needs a new revision there.

Columns carry the name of the record field they hold: a ``runs`` column holds
the RunResult field of that name, a ``run_models`` column the ModelRun field,
a ``trials`` column the Trial field.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

__all__ = ["canaries", "canary_tallies", "checks", "judge_calls", "metadata",
           "production_samples", "promotions", "rankings", "run_models", "runs",
           "shadow_outcomes", "trials", "workflow_promotions", "workflow_routes",
           "workflow_verifications"]

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("id", String(40), primary_key=True),
    Column("task", String(200), nullable=False),
    Column("suite_version", String(50), nullable=False),
    Column("strategy", String(20), nullable=False),
    Column("repeats", Integer, nullable=False),
    Column("cases", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("champion", String(300)),
    Column("runner_up", String(300)),
    Column("suite_json", JSON, nullable=False),
    Column("case_info", JSON, nullable=False),
    Column("suite_fingerprint", String(64), nullable=False, server_default=""),
    Column("lanes", JSON),
    Column("config", JSON),
    Column("format_version", Integer, nullable=False, server_default="1"),
    Column("calls", Integer),
    Index("ix_runs_task", "task"),
    Index("ix_runs_task_started", "task", "started_at"),
)

run_models = Table(
    "run_models", metadata,
    Column("run_id", String(40), ForeignKey("runs.id"), primary_key=True),
    Column("model", String(300), primary_key=True),
    Column("provider", String(50), nullable=False),
    Column("model_name", Text, nullable=False),
    Column("base_url", Text),
    Column("digest", String(200)),
    Column("identity", JSON, nullable=False),
    Column("cold_start_ms", Float),
    Column("error", Text),
    Column("warmup_error", Text),
    Column("price_in_per_mtok", Float),
    Column("price_out_per_mtok", Float),
    Column("price_source", String(100)),
    Column("key", String(500), nullable=False, server_default=""),
    Column("candidate", JSON),
    Column("notes", JSON),
    Column("stopped", Text),
    Column("lane", Text),
    Column("memory_mb", Float),
    Index("ix_run_models_key", "key"),
)

trials = Table(
    "trials", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("model", String(300), nullable=False),
    Column("case_id", String(300), nullable=False),
    Column("batch", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("output", Text, nullable=False),
    Column("got", Text, nullable=False),
    Column("parsed_ok", Boolean, nullable=False),
    Column("reason", Text),
    Column("error", Text),
    Column("fields", JSON),
    Column("latency_ms", Float),
    Column("ttft_ms", Float),
    Column("ttfot_ms", Float),
    Column("reasoning", Text),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("reasoning_tokens", Integer),
    Column("tokens_estimated", Boolean, nullable=False),
    Column("finish_reason", String(50)),
    Column("server_timings", JSON),
    Column("server_tokens_per_s", Float),
    Column("started_at", DateTime(timezone=True)),
    Column("error_kind", String(20)),
    Column("where", JSON),
    Column("unjudged", Boolean, nullable=False, server_default=false()),
    Index("uq_trials_key", "run_id", "model", "case_id", "batch", unique=True),
    Index("ix_trials_run_id", "run_id", "id"),
)

#: Each verdict a judge gave on a trial's answer (or on a calibration answer), apart
#: from the candidate's trial and linked to it by (run_id, model, case_id, batch).
#: ``cache_key`` finds a verdict again in any later run: a row with a verdict and
#: ``cached`` false is a real call whose verdict may be reused.
judge_calls = Table(
    "judge_calls", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("model", String(300), nullable=False),
    Column("case_id", String(300), nullable=False),
    Column("batch", Integer, nullable=False),
    Column("judge", String(300), nullable=False),
    Column("judge_key", String(500), nullable=False),
    Column("role", String(20), nullable=False),
    Column("cache_key", String(64), nullable=False),
    Column("verdict", String(4)),
    Column("reason", Text),
    Column("output", Text, nullable=False),
    Column("cached", Boolean, nullable=False),
    Column("purpose", String(20), nullable=False),
    Column("latency_ms", Float),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("cost_usd", Float),
    Column("error", Text),
    Column("error_kind", String(20)),
    Column("started_at", DateTime(timezone=True)),
    Index("ix_judge_calls_run_id", "run_id", "id"),
    Index("ix_judge_calls_cache_key", "cache_key"),
)

rankings = Table(
    "rankings", metadata,
    Column("run_id", String(40), ForeignKey("runs.id"), primary_key=True),
    Column("model", String(300), primary_key=True),
    Column("rank", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("pass_rate", Float, nullable=False),
    Column("median_ms", Float),
    Column("data", JSON, nullable=False),
)

#: Every promotion and rollback, kept forever; the newest ``promote`` or
#: ``rollback`` row of a (task, stage) is what that stage serves. A canary's
#: start, steps, holds, bad intervals, rollback or abort are rows too (actions
#: ``canary...``, with ``canary_id``, the canary's ``share`` and its figures in
#: ``details``); they never change what the stage serves. ``details`` of a gated
#: promotion (``--from``) names the stage, the check, or the reason it was forced.
promotions = Table(
    "promotions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("champion", String(300), nullable=False),
    Column("champion_key", String(500), nullable=False),
    Column("runner_up", String(300)),
    Column("runner_up_key", String(500)),
    Column("promoted_at", DateTime(timezone=True), nullable=False),
    Column("previous_id", Integer, ForeignKey("promotions.id")),
    Column("action", String(20), nullable=False),
    Column("canary_id", Integer),
    Column("share", Float),
    Column("details", JSON),
    Index("ix_promotions_task_stage", "task", "stage", "id"),
)

#: Canary rollouts: a run's pair serving ``share`` % of a task's calls on a stage,
#: its plan (step, interval, ceilings) and its state, shared by every gateway
#: worker and replica: the interval in progress, when it started, the bad ones.
canaries = Table(
    "canaries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("champion", String(300), nullable=False),
    Column("champion_key", String(500), nullable=False),
    Column("runner_up", String(300)),
    Column("runner_up_key", String(500)),
    Column("share", Float, nullable=False),
    Column("step", Float),
    Column("interval_s", Float, nullable=False),
    Column("failure_limit", Integer, nullable=False),
    Column("min_calls", Integer, nullable=False),
    Column("max_error_rate", Float, nullable=False),
    Column("max_fallback_rate", Float, nullable=False),
    Column("max_p95_ms", Float),
    Column("status", String(20), nullable=False),
    Column("interval_no", Integer, nullable=False),
    Column("interval_started_at", DateTime(timezone=True), nullable=False),
    Column("bad_intervals", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Index("ix_canaries_task_stage", "task", "stage", "id"),
)

#: What each gateway worker counted of a canary's interval, per cohort (the
#: canary's pair, or the pair it is compared with): one row per worker, added to
#: as it goes. ``latency`` maps a latency bucket to its count.
canary_tallies = Table(
    "canary_tallies", metadata,
    Column("canary_id", Integer, ForeignKey("canaries.id"), primary_key=True),
    Column("interval_no", Integer, primary_key=True),
    Column("cohort", String(10), primary_key=True),
    Column("worker", String(100), primary_key=True),
    Column("calls", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("fallbacks", Integer, nullable=False),
    Column("latency", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Shadow calls (``champion gateway --shadow``): a shadow model's answer to a
#: served call compared with the served answer. ``result`` is ``agree``,
#: ``disagree`` (``kind`` says how) or ``skipped`` (``count`` samples the bound
#: left out); texts and parsed values only with ``--record-text``.
shadow_outcomes = Table(
    "shadow_outcomes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("task", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("shadow_model", String(300), nullable=False),
    Column("served_by", String(300), nullable=False),
    Column("result", String(20), nullable=False),
    Column("kind", String(40)),
    Column("count", Integer, nullable=False, server_default="1"),
    Column("champion_ms", Float),
    Column("shadow_ms", Float),
    Column("prompt_sha256", String(64)),
    Column("prompt_vars", JSON),
    Column("prompt_text", Text),
    Column("champion_text", Text),
    Column("shadow_text", Text),
    Column("champion_value", Text),
    Column("shadow_value", Text),
    Index("ix_shadow_outcomes_task_at", "task", "at"),
)

#: ``champion check`` verdicts: a stage's promoted pair re-run on its suite.
checks = Table(
    "checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("promoted_run", String(40), ForeignKey("runs.id"), nullable=False),
    Column("check_run", String(40), ForeignKey("runs.id"), nullable=False),
    Column("champion", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("ratio", Float),
    Column("p_value", Float),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Index("ix_checks_task_stage", "task", "stage", "id"),
)

#: Every promotion and rollback of a workflow's plan, kept forever; the newest
#: row of a (workflow, stage) is what that stage serves. ``plan`` is the plan
#: as ``champion plan --format json`` prints it.
workflow_promotions = Table(
    "workflow_promotions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workflow", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("items", Integer, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("promoted_at", DateTime(timezone=True), nullable=False),
    Column("previous_id", Integer, ForeignKey("workflow_promotions.id")),
    Column("action", String(20), nullable=False),
    Index("ix_workflow_promotions_workflow_stage", "workflow", "stage", "id"),
)

#: Each step of a workflow promotion as a route: the planned model and its
#: fallback, from the step task's run.
workflow_routes = Table(
    "workflow_routes", metadata,
    Column("promotion_id", Integer, ForeignKey("workflow_promotions.id"), primary_key=True),
    Column("step", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("task", String(200), nullable=False),
    Column("run_id", String(40), ForeignKey("runs.id"), nullable=False),
    Column("champion", String(300), nullable=False),
    Column("champion_key", String(500), nullable=False),
    Column("runner_up", String(300)),
    Column("runner_up_key", String(500)),
)

#: Measured checks of a plan (``champion plan --verify``): the plan, and what
#: the sample items measured step by step.
workflow_verifications = Table(
    "workflow_verifications", metadata,
    Column("id", String(40), primary_key=True),
    Column("workflow", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("items", Integer, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("measured", JSON),
    Index("ix_workflow_verifications_workflow", "workflow", "started_at"),
)

#: A sample of the calls the gateway served (``champion gateway --record``): what
#: happened and how long it took; the prompt as a hash, its text and the
#: answer's only with ``--record-text``. ``task`` is empty for a pass-through call.
production_samples = Table(
    "production_samples", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("task", String(200), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("requested", String(300), nullable=False),
    Column("served_by", String(300), nullable=False),
    Column("status", Integer, nullable=False),
    Column("error_kind", String(40)),
    Column("fallback", String(200)),
    Column("stream", String(20), nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("queue_ms", Float, nullable=False),
    Column("inference_ms", Float, nullable=False),
    Column("parse_ms", Float, nullable=False),
    Column("ttft_ms", Float),
    Column("parse_ok", Boolean),
    Column("prompt_tokens", Integer),
    Column("completion_tokens", Integer),
    Column("finish_reason", String(50)),
    Column("prompt_sha256", String(64), nullable=False),
    Column("prompt_text", Text),
    Column("answer_text", Text),
    Index("ix_production_samples_task_at", "task", "at"),
)
