"""The ``hpo`` command line: ``hpo study ...``, ``hpo storage ...``, ``hpo run ...``."""

from hpo.cli._main import main

__all__ = ["main"]
