"""Store: SQLAlchemy tables, Alembic revisions and the repository."""

from champion.store.repository import DEFAULT_DB, Store, StoredTrials, database_url
from champion.store.rows import LeaderboardRow, ModelSighting, PromotionRow, RunSummary
from champion.store.workflows import (
    VerificationRow,
    WorkflowPromotionRow,
    WorkflowRouteRow,
    route_name,
)

__all__ = [
    "DEFAULT_DB",
    "LeaderboardRow",
    "ModelSighting",
    "PromotionRow",
    "RunSummary",
    "Store",
    "StoredTrials",
    "VerificationRow",
    "WorkflowPromotionRow",
    "WorkflowRouteRow",
    "database_url",
    "route_name",
]
