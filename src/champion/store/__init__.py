"""Store: SQLAlchemy tables, numbered migrations and the repository."""

from champion.store.repository import DEFAULT_DB, Store, database_url

__all__ = ["DEFAULT_DB", "Store", "database_url"]
