"""Store: SQLAlchemy tables, Alembic revisions and the repository."""

from champion.store.repository import DEFAULT_DB, Store, StoredTrials, database_url
from champion.store.rows import LeaderboardRow, ModelSighting, PromotionRow, RunSummary

__all__ = [
    "DEFAULT_DB",
    "LeaderboardRow",
    "ModelSighting",
    "PromotionRow",
    "RunSummary",
    "Store",
    "StoredTrials",
    "database_url",
]
