"""Store: SQLAlchemy tables, Alembic revisions and the repository."""

from champion._store.repository import DEFAULT_DB, Store, StoredTrials, database_url
from champion._store.rows import LeaderboardRow, ModelSighting, PromotionRow, RunSummary
from champion._store.workflows import (
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
