"""Findings stores: the protocol, SQLite (embedded default), PostgreSQL (shared), a faulty
wrapper for tests, and ``open_store(url)``."""

from promoter.store.base import FindingStore, StoreError
from promoter.store.url import StoreURLError, open_store

__all__ = ["FindingStore", "StoreError", "StoreURLError", "open_store"]
