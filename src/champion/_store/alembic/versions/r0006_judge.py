"""Judged tasks: each judge verdict in its own table, and the unjudged state of a trial."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add trials.unjudged and the judge_calls table with its indexes."""
    with op.batch_alter_table("trials") as batch:
        batch.add_column(sa.Column("unjudged", sa.Boolean, nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "judge_calls",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("case_id", sa.String(300), nullable=False),
        sa.Column("batch", sa.Integer, nullable=False),
        sa.Column("judge", sa.String(300), nullable=False),
        sa.Column("judge_key", sa.String(500), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("cache_key", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(4)),
        sa.Column("reason", sa.Text),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("cached", sa.Boolean, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("latency_ms", sa.Float),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("error", sa.Text),
        sa.Column("error_kind", sa.String(20)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_judge_calls_run_id", "judge_calls", ["run_id", "id"])
    op.create_index("ix_judge_calls_cache_key", "judge_calls", ["cache_key"])


def downgrade() -> None:
    """Drop the judge calls and the trials' unjudged column."""
    op.drop_index("ix_judge_calls_cache_key", table_name="judge_calls")
    op.drop_index("ix_judge_calls_run_id", table_name="judge_calls")
    op.drop_table("judge_calls")
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("unjudged")
