"""Workflows: promotions of a workflow's plan, their per-step routes, and
measured checks of a plan (verify runs)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three workflow tables."""
    op.create_table(
        "workflow_promotions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("workflow_promotions.id")),
        sa.Column("action", sa.String(20), nullable=False),
    )
    op.create_index("ix_workflow_promotions_workflow_stage", "workflow_promotions",
                    ["workflow", "stage", "id"])
    op.create_table(
        "workflow_routes",
        sa.Column("promotion_id", sa.Integer, sa.ForeignKey("workflow_promotions.id"),
                  primary_key=True),
        sa.Column("step", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("champion", sa.String(300), nullable=False),
        sa.Column("champion_key", sa.String(500), nullable=False),
        sa.Column("runner_up", sa.String(300)),
        sa.Column("runner_up_key", sa.String(500)),
    )
    op.create_table(
        "workflow_verifications",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("workflow", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("measured", sa.JSON),
    )
    op.create_index("ix_workflow_verifications_workflow", "workflow_verifications",
                    ["workflow", "started_at"])


def downgrade() -> None:
    """Drop the workflow tables (their contents are lost)."""
    op.drop_index("ix_workflow_verifications_workflow", table_name="workflow_verifications")
    op.drop_table("workflow_verifications")
    op.drop_table("workflow_routes")
    op.drop_index("ix_workflow_promotions_workflow_stage", table_name="workflow_promotions")
    op.drop_table("workflow_promotions")
