"""Alembic revisions of the store's schema, applied by :mod:`champion._store.migrations`.

Each revision writes its tables and columns out literally, so replaying the
history always builds the same schema whatever the current code looks like.
"""
