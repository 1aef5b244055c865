"""SQL storage: :class:`RDBStorage` on SQLite, PostgreSQL or MySQL, with alembic migrations."""

from hpo.storages._sql._migrate import current_version, head_version, upgrade
from hpo.storages._sql._optuna_import import ImportedStudy, import_optuna_database
from hpo.storages._sql._storage import RDBStorage
from hpo.storages._sql._url import is_shared_url

__all__ = [
    "ImportedStudy",
    "RDBStorage",
    "current_version",
    "head_version",
    "import_optuna_database",
    "is_shared_url",
    "upgrade",
]
