"""SQL storage: :class:`RDBStorage` on SQLite, PostgreSQL or MySQL, with alembic migrations."""

from hpo.storage._sql._migrate import current_version, head_version, upgrade
from hpo.storage._sql._storage import RDBStorage

__all__ = ["RDBStorage", "current_version", "head_version", "upgrade"]
