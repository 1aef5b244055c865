"""Exceptions raised by hpo. Each message names the problem and how to fix it."""

from __future__ import annotations


class HpoError(Exception):
    """Base class of hpo's errors."""


OptunaError = HpoError
"""Optuna's name of the base class: ``except optuna.exceptions.OptunaError`` catches hpo's errors."""


class ExperimentalWarning(Warning):
    """An API that may change without a deprecation period (as Optuna's)."""


class CLIUsageError(HpoError):
    """The command line received an invalid configuration."""


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


class ImportTargetError(HpoError, ValueError):
    """A string naming user code (``package.module:Name``, ``file.py:Name``) cannot be imported."""


class SpecError(HpoError, ValueError):
    """A sampler or pruner cannot be turned into a JSON spec, or a spec into an object."""


class WireError(HpoError, ValueError):
    """A message from Redis is not valid JSON of the expected shape."""


class ObjectiveNotAllowedError(HpoError):
    """A worker was asked to run an objective outside its allowed modules, or an unknown one."""


class CoordinatorUnavailableError(HpoError):
    """No coordinator answers on the broker, or it did not answer in time."""


class StudyFailedError(HpoError):
    """The coordinator ended a submitted study with an error."""


class ConfigError(HpoError, ValueError):
    """A setting (``HPO_*`` variable or config file) has a value hpo cannot use."""


class ConfigFileNotFoundError(ConfigError, FileNotFoundError):
    """``HPO_CONFIG_FILE`` names a file that does not exist."""


class BrokerUnavailableError(HpoError):
    """The Redis broker cannot be reached."""


class CoordinatorConflictError(HpoError):
    """Another coordinator already serves this broker."""
