"""Creating, loading, listing and deleting studies."""

from __future__ import annotations

from collections.abc import Sequence

from hpo.exceptions import DuplicatedStudyError
from hpo.logging import get_logger
from hpo.pruners import BasePruner
from hpo.records import StudyDirection, TrialState, parse_direction
from hpo.samplers import BaseSampler
from hpo.storages import BaseStorage, get_storage
from hpo.study._study import Study
from hpo.study._summary import StudySummary

_logger = get_logger(__name__)


def create_study(
    *,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
) -> Study:
    """Create a study (or load it with ``load_if_exists=True``) in ``storage`` (a URL; in memory if None)."""
    parsed = _parse_directions(direction, directions)
    storage_obj = get_storage(storage)
    try:
        study_id = storage_obj.create_new_study(parsed, study_name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        assert study_name is not None
        existing = storage_obj.get_study_directions(storage_obj.get_study_id_from_name(study_name))
        if (direction is not None or directions is not None) and existing != parsed:
            raise ValueError(
                f"Study {study_name!r} exists with directions {[d.name for d in existing]}, not "
                f"{[d.name for d in parsed]}. Load it without a direction, or use another study name."
            ) from None
        _logger.info(f"Using an existing study with name '{study_name}' instead of creating a new one.")
        return Study(study_name, storage_obj, sampler, pruner)
    name = storage_obj.get_study_name_from_id(study_id)
    _logger.info(f"A new study created in {_storage_kind(storage)} with name: {name}")
    return Study(name, storage_obj, sampler, pruner)


def load_study(
    *,
    study_name: str | None,
    storage: str | BaseStorage,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Load an existing study; ``study_name`` may be None when the storage holds exactly one."""
    storage_obj = get_storage(storage)
    if study_name is None:
        names = [s.study_name for s in storage_obj.get_all_studies()]
        if len(names) != 1:
            raise ValueError(
                f"study_name is None but the storage holds {len(names)} studies {sorted(names)[:20]}; "
                "pass the name of the one to load."
            )
        study_name = names[0]
    return Study(study_name, storage_obj, sampler, pruner)


def delete_study(*, study_name: str, storage: str | BaseStorage) -> None:
    """Delete a study and all its trials."""
    storage_obj = get_storage(storage)
    storage_obj.delete_study(storage_obj.get_study_id_from_name(study_name))


def copy_study(
    *,
    from_study_name: str,
    from_storage: str | BaseStorage,
    to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> None:
    """Copy a study with its finished trials and attributes into another storage."""
    source = load_study(study_name=from_study_name, storage=from_storage)
    target = create_study(study_name=to_study_name or from_study_name, storage=to_storage, directions=source.directions)
    for key, value in source.system_attrs.items():
        target.set_system_attr(key, value)
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    target.add_trials(t for t in source.get_trials(deepcopy=False) if t.state.is_finished())


def get_all_study_summaries(storage: str | BaseStorage, include_best_trial: bool = True) -> list[StudySummary]:
    """One summary per study: name, directions, trial count, start time and best trial."""
    storage_obj = get_storage(storage)
    summaries = []
    for study in storage_obj.get_all_studies():
        trials = storage_obj.get_all_trials(study.study_id, deepcopy=False)
        best = None
        if include_best_trial and len(study.directions) == 1 and any(t.state == TrialState.COMPLETE for t in trials):
            best = storage_obj.get_best_trial(study.study_id)
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        summaries.append(
            StudySummary(
                study_name=study.study_name,
                directions=study.directions,
                best_trial=best,
                user_attrs=study.user_attrs,
                system_attrs=study.system_attrs,
                n_trials=len(trials),
                datetime_start=min(starts) if starts else None,
                study_id=study.study_id,
            )
        )
    return summaries


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """The names of every study in ``storage``."""
    return [s.study_name for s in get_storage(storage).get_all_studies()]


def _parse_directions(
    direction: str | StudyDirection | None, directions: Sequence[str | StudyDirection] | None
) -> list[StudyDirection]:
    if direction is not None and directions is not None:
        raise ValueError("Pass either direction or directions, not both.")
    if directions is None:
        return [parse_direction(direction if direction is not None else "minimize")]
    if isinstance(directions, str) or not isinstance(directions, Sequence) or len(directions) == 0:
        raise ValueError(
            f"directions must be a non-empty list such as ['minimize', 'maximize'], got {directions!r}."
        )
    return [parse_direction(d) for d in directions]


def _storage_kind(storage: str | BaseStorage | None) -> str:
    if storage is None:
        return "memory"
    if isinstance(storage, str):
        return "RDB"
    return type(storage).__name__
