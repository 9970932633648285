"""Table definitions (SQLAlchemy Core). Changes go through a new migration."""

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
)

__all__ = ["metadata", "migrations_table", "rankings", "run_models", "runs", "trials"]

metadata = MetaData()

migrations_table = Table(
    "champion_migrations", metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(40), primary_key=True),
    Column("task", String(200), nullable=False, index=True),
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
    Index("ix_trials_run_model", "run_id", "model"),
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
