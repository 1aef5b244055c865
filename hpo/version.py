"""hpo's version (as ``optuna.version``)."""

__version__ = "0.1.0"
