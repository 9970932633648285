"""Stable model keys, suite fingerprints, error kinds, one row per trial key,
indexes for history and leaderboards, and the registry's promotions.

Rows written before this revision are filled in from what they already hold:
a run's fingerprint from its stored suite, a model's key from its provider,
model name and endpoint ("in-process" for embedded models), an error trial's
kind from its message, a run's calls from its trials.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: What identifies an error trial's kind in the messages release 0.1 wrote.
_OLD_ERROR_PREFIXES = {
    "timeout": "timeout", "unavailable": "unavailable", "rate_limited": "rate_limited",
    "rejected": "rejected", "protocol": "protocol", "skipped": "skipped",
    "internal": "internal", "error": "internal",
}
_FINGERPRINTED = ("prompt", "output", "check", "qualify", "cases")


def upgrade() -> None:
    """Add the columns, fill them for existing rows, then the keys and indexes."""
    op.execute("DROP TABLE IF EXISTS champion_migrations")

    op.add_column("runs", sa.Column("suite_fingerprint", sa.String(64), nullable=False,
                                    server_default=""))
    op.add_column("runs", sa.Column("lanes", sa.JSON))
    op.add_column("runs", sa.Column("config", sa.JSON))
    op.add_column("runs", sa.Column("format_version", sa.Integer, nullable=False,
                                    server_default="1"))
    op.add_column("runs", sa.Column("calls", sa.Integer))

    op.add_column("run_models", sa.Column("key", sa.String(500), nullable=False,
                                          server_default=""))
    op.add_column("run_models", sa.Column("candidate", sa.JSON))
    op.add_column("run_models", sa.Column("notes", sa.JSON))
    op.add_column("run_models", sa.Column("stopped", sa.Text))
    op.add_column("run_models", sa.Column("lane", sa.Text))
    op.add_column("run_models", sa.Column("memory_mb", sa.Float))

    op.add_column("trials", sa.Column("error_kind", sa.String(20)))

    _fill_existing_rows()

    # A trial key was never meant to repeat; keep the first row of any that did.
    op.execute(
        "DELETE FROM trials WHERE id NOT IN"
        " (SELECT keep FROM (SELECT MIN(id) AS keep FROM trials"
        " GROUP BY run_id, model, case_id, batch) AS first_rows)"
    )
    op.drop_index("ix_trials_run_model", table_name="trials")
    op.create_index("uq_trials_key", "trials", ["run_id", "model", "case_id", "batch"],
                    unique=True)
    op.create_index("ix_trials_run_id", "trials", ["run_id", "id"])
    op.create_index("ix_runs_task_started", "runs", ["task", "started_at"])
    op.create_index("ix_run_models_key", "run_models", ["key"])

    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("champion", sa.String(300), nullable=False),
        sa.Column("champion_key", sa.String(500), nullable=False),
        sa.Column("runner_up", sa.String(300)),
        sa.Column("runner_up_key", sa.String(500)),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("promotions.id")),
        sa.Column("action", sa.String(20), nullable=False),
    )
    op.create_index("ix_promotions_task_stage", "promotions", ["task", "stage", "id"])


def _fill_existing_rows() -> None:
    bind = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.String), sa.column("suite_json", sa.JSON),
                    sa.column("suite_fingerprint", sa.String), sa.column("calls", sa.Integer))
    for run_id, suite_json in bind.execute(sa.select(runs.c.id, runs.c.suite_json)).all():
        bind.execute(runs.update().where(runs.c.id == run_id).values(
            suite_fingerprint=_fingerprint(suite_json)))
    trials = sa.table("trials", sa.column("id", sa.Integer), sa.column("run_id", sa.String),
                      sa.column("error", sa.Text), sa.column("error_kind", sa.String))
    bind.execute(runs.update().values(calls=sa.select(sa.func.count()).where(
        trials.c.run_id == runs.c.id).scalar_subquery()))
    for prefix, kind in _OLD_ERROR_PREFIXES.items():
        bind.execute(trials.update().where(
            trials.c.error_kind.is_(None),
            sa.func.substr(trials.c.error, 1, len(prefix) + 1) == f"{prefix}:",
        ).values(error_kind=kind))
    bind.execute(trials.update().where(trials.c.error.is_not(None),
                                       trials.c.error_kind.is_(None))
                 .values(error_kind="internal"))
    models = sa.table("run_models", sa.column("provider", sa.String),
                      sa.column("model_name", sa.Text), sa.column("base_url", sa.Text),
                      sa.column("key", sa.String), sa.column("notes", sa.JSON))
    # provider/model@lane: the endpoint, "in-process" for embedded models, else the provider.
    lane = sa.case((models.c.base_url.is_not(None), models.c.base_url),
                   (models.c.provider == "llamacpp", "in-process"), else_=models.c.provider)
    bind.execute(models.update().values(
        key=models.c.provider + "/" + models.c.model_name + "@" + lane, notes=[]))

def _fingerprint(suite_json: Any) -> str:
    """sha256 of the canonical JSON of what decides a run's verdicts."""
    if isinstance(suite_json, str):
        suite_json = json.loads(suite_json)
    subset = {name: (suite_json or {}).get(name) for name in _FINGERPRINTED}
    if subset["check"] is None:  # the check a suite without one gets from its output kind
        kind = (subset["output"] or {}).get("kind", "text")
        subset["check"] = {"type": "label" if kind == "label" else "exact", "fields": {},
                           "function": None, "ignore_case": False, "schema": None}
    canonical = json.dumps(subset, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def downgrade() -> None:
    """Back to release 0.1's tables (the new columns' contents are lost)."""
    op.drop_index("ix_promotions_task_stage", table_name="promotions")
    op.drop_table("promotions")
    op.drop_index("ix_run_models_key", table_name="run_models")
    op.drop_index("ix_runs_task_started", table_name="runs")
    op.drop_index("ix_trials_run_id", table_name="trials")
    op.drop_index("uq_trials_key", table_name="trials")
    op.create_index("ix_trials_run_model", "trials", ["run_id", "model"])
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("error_kind")
    with op.batch_alter_table("run_models") as batch:
        for column in ("memory_mb", "lane", "stopped", "notes", "candidate", "key"):
            batch.drop_column(column)
    with op.batch_alter_table("runs") as batch:
        for column in ("calls", "format_version", "config", "lanes", "suite_fingerprint"):
            batch.drop_column(column)
