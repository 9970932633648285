"""Where each trial ran: ``trials.where`` (JSON; node, address, GPU ids, threads on a
Ray worker; null for trials run on the machine that ran champion)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the column; rows written before it ran on the machine that ran champion."""
    op.add_column("trials", sa.Column("where", sa.JSON))


def downgrade() -> None:
    """Drop the column (where trials ran is lost)."""
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("where")
