"""Rollout: canaries and what each gateway worker counted of them, shadow
outcomes, check verdicts, and the canary columns of the promotion history."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the canary columns to promotions and the four rollout tables."""
    op.add_column("promotions", sa.Column("canary_id", sa.Integer))
    op.add_column("promotions", sa.Column("share", sa.Float))
    op.add_column("promotions", sa.Column("details", sa.JSON))
    op.create_table(
        "canaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("champion", sa.String(300), nullable=False),
        sa.Column("champion_key", sa.String(500), nullable=False),
        sa.Column("runner_up", sa.String(300)),
        sa.Column("runner_up_key", sa.String(500)),
        sa.Column("share", sa.Float, nullable=False),
        sa.Column("step", sa.Float),
        sa.Column("interval_s", sa.Float, nullable=False),
        sa.Column("failure_limit", sa.Integer, nullable=False),
        sa.Column("min_calls", sa.Integer, nullable=False),
        sa.Column("max_error_rate", sa.Float, nullable=False),
        sa.Column("max_fallback_rate", sa.Float, nullable=False),
        sa.Column("max_p95_ms", sa.Float),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("interval_no", sa.Integer, nullable=False),
        sa.Column("interval_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bad_intervals", sa.Integer, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_canaries_task_stage", "canaries", ["task", "stage", "id"])
    op.create_table(
        "canary_tallies",
        sa.Column("canary_id", sa.Integer, sa.ForeignKey("canaries.id"), primary_key=True),
        sa.Column("interval_no", sa.Integer, primary_key=True),
        sa.Column("cohort", sa.String(10), primary_key=True),
        sa.Column("worker", sa.String(100), primary_key=True),
        sa.Column("calls", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("fallbacks", sa.Integer, nullable=False),
        sa.Column("latency", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "shadow_outcomes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("shadow_model", sa.String(300), nullable=False),
        sa.Column("served_by", sa.String(300), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40)),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("champion_ms", sa.Float),
        sa.Column("shadow_ms", sa.Float),
        sa.Column("prompt_sha256", sa.String(64)),
        sa.Column("prompt_vars", sa.JSON),
        sa.Column("prompt_text", sa.Text),
        sa.Column("champion_text", sa.Text),
        sa.Column("shadow_text", sa.Text),
        sa.Column("champion_value", sa.Text),
        sa.Column("shadow_value", sa.Text),
    )
    op.create_index("ix_shadow_outcomes_task_at", "shadow_outcomes", ["task", "at"])
    op.create_table(
        "checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("promoted_run", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("check_run", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("champion", sa.String(300), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("ratio", sa.Float),
        sa.Column("p_value", sa.Float),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checks_task_stage", "checks", ["task", "stage", "id"])


def downgrade() -> None:
    """Drop the rollout tables and the canary columns (their contents are lost)."""
    op.drop_index("ix_checks_task_stage", table_name="checks")
    op.drop_table("checks")
    op.drop_index("ix_shadow_outcomes_task_at", table_name="shadow_outcomes")
    op.drop_table("shadow_outcomes")
    op.drop_table("canary_tallies")
    op.drop_index("ix_canaries_task_stage", table_name="canaries")
    op.drop_table("canaries")
    with op.batch_alter_table("promotions") as batch:
        batch.drop_column("details")
        batch.drop_column("share")
        batch.drop_column("canary_id")
