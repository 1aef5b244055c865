"""Exceptions raised by hpo. Each message names the problem and how to fix it."""

from __future__ import annotations


class HpoError(Exception):
    """Base class of hpo's errors."""


class TrialPruned(HpoError):
    """Raised by an objective to tell the study that the trial was pruned."""


class DuplicatedStudyError(HpoError):
    """A study with the requested name already exists."""


class StudyNotFoundError(HpoError, KeyError):
    """No study has the requested name or id."""

    def __str__(self) -> str:  # KeyError would quote the message.
        return str(self.args[0]) if self.args else ""


class TrialNotFoundError(HpoError, KeyError, ValueError):
    """No trial has the requested id or number (a ValueError too, as in Optuna's ``tell``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UpdateFinishedTrialError(HpoError, RuntimeError, ValueError):
    """A finished trial (COMPLETE, PRUNED or FAIL) was asked to change (a ValueError too, as in Optuna's ``tell``)."""


class StorageInternalError(HpoError):
    """The storage backend failed in a way the caller cannot fix by changing its input."""


class StorageURLError(HpoError, ValueError):
    """A storage URL could not be understood."""


class StorageVersionError(HpoError):
    """The database schema is older or newer than this version of hpo expects."""
