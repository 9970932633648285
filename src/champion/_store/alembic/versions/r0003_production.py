"""Production samples: a sample of the calls the gateway served (``--record``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the production_samples table and its index."""
    op.create_table(
        "production_samples",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("requested", sa.String(300), nullable=False),
        sa.Column("served_by", sa.String(300), nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_kind", sa.String(40)),
        sa.Column("fallback", sa.String(200)),
        sa.Column("stream", sa.String(20), nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("queue_ms", sa.Float, nullable=False),
        sa.Column("inference_ms", sa.Float, nullable=False),
        sa.Column("parse_ms", sa.Float, nullable=False),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("parse_ok", sa.Boolean),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("finish_reason", sa.String(50)),
        sa.Column("prompt_sha256", sa.String(64), nullable=False),
        sa.Column("prompt_text", sa.Text),
        sa.Column("answer_text", sa.Text),
    )
    op.create_index("ix_production_samples_task_at", "production_samples", ["task", "at"])


def downgrade() -> None:
    """Drop the production samples."""
    op.drop_index("ix_production_samples_task_at", table_name="production_samples")
    op.drop_table("production_samples")
