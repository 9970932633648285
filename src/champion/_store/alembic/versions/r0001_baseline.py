"""The schema of release 0.1: runs, the models in each run, trials and rankings.

A database written by 0.1 (it has the ``champion_migrations`` table) is
stamped at this revision instead of running it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables of release 0.1."""
    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("suite_version", sa.String(50), nullable=False),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("repeats", sa.Integer, nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("champion", sa.String(300)),
        sa.Column("runner_up", sa.String(300)),
        sa.Column("suite_json", sa.JSON, nullable=False),
        sa.Column("case_info", sa.JSON, nullable=False),
    )
    op.create_index("ix_runs_task", "runs", ["task"])
    op.create_table(
        "run_models",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("model", sa.String(300), primary_key=True),
        sa.Column("provider", sa.String(50), nullable=False),
        sa.Column("model_name", sa.Text, nullable=False),
        sa.Column("base_url", sa.Text),
        sa.Column("digest", sa.String(200)),
        sa.Column("identity", sa.JSON, nullable=False),
        sa.Column("cold_start_ms", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("warmup_error", sa.Text),
        sa.Column("price_in_per_mtok", sa.Float),
        sa.Column("price_out_per_mtok", sa.Float),
        sa.Column("price_source", sa.String(100)),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("case_id", sa.String(300), nullable=False),
        sa.Column("batch", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("got", sa.Text, nullable=False),
        sa.Column("parsed_ok", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("error", sa.Text),
        sa.Column("fields", sa.JSON),
        sa.Column("latency_ms", sa.Float),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("ttfot_ms", sa.Float),
        sa.Column("reasoning", sa.Text),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("reasoning_tokens", sa.Integer),
        sa.Column("tokens_estimated", sa.Boolean, nullable=False),
        sa.Column("finish_reason", sa.String(50)),
        sa.Column("server_timings", sa.JSON),
        sa.Column("server_tokens_per_s", sa.Float),
        sa.Column("started_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_trials_run_model", "trials", ["run_id", "model"])
    op.create_table(
        "rankings",
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("model", sa.String(300), primary_key=True),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("pass_rate", sa.Float, nullable=False),
        sa.Column("median_ms", sa.Float),
        sa.Column("data", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    """Drop the four tables."""
    for table in ("rankings", "trials", "run_models", "runs"):
        op.drop_table(table)
