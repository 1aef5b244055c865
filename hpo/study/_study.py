"""``Study``: ask/tell over a storage, with ``optimize`` as a loop on top."""

from __future__ import annotations

import copy
from collections.abc import Container, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from hpo.distributions import BaseDistribution
from hpo.multi_objective import pareto_front_trials
from hpo.pruners import BasePruner
from hpo.records import FIXED_PARAMS_KEY, METRIC_NAMES_KEY, StudyDirection, single_direction
from hpo.samplers import BaseSampler
from hpo.storages import BaseStorage, fail_stale_trials, get_storage, heartbeat_keeper
from hpo.study._dataframe import DEFAULT_ATTRS, trials_dataframe
from hpo.study._optimize import CallbackType, ObjectiveFuncType, optimize
from hpo.study._tell import tell
from hpo.trial import FrozenTrial, Trial, TrialState

if TYPE_CHECKING:
    import pandas as pd  # imported when a DataFrame is asked for: it is slow to import


def is_feasible(trial: FrozenTrial) -> bool:
    """True unless a constraint value of the trial (``set_constraint``, or a sampler's
    ``constraints_func``) is > 0."""
    return all(c <= 0.0 for c in trial.constraints.values())


def _single_value(trial: FrozenTrial) -> float:
    """The objective value of a COMPLETE trial of a single-objective study."""
    values = trial.values
    assert values is not None, "a COMPLETE trial has its values"
    return values[0]


class Study:
    """A named optimization task in a storage: its direction(s), sampler, pruner and trials.

    Create one with :func:`hpo.create_study` or :func:`hpo.load_study`. The same ask/tell
    methods serve in-process :meth:`optimize` and the distributed coordinator.
    """

    def __init__(
        self,
        study_name: str,
        storage: str | BaseStorage | None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        from hpo.pruners import MedianPruner
        from hpo.samplers import default_sampler

        self.study_name = study_name
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self._directions = self._storage.get_study_directions(self._study_id)
        self.sampler = sampler if sampler is not None else default_sampler(len(self._directions))
        self.pruner = pruner if pruner is not None else MedianPruner()
        self._stop_flag = False
        self._optimizing = False

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, directions={self._directions})"

    @property
    def storage(self) -> BaseStorage:
        """The storage that holds the study (samplers and pruners read and write trials through it)."""
        return self._storage

    @property
    def study_id(self) -> int:
        """The storage's id of the study."""
        return self._study_id

    # --- directions ---------------------------------------------------------------------------
    @property
    def direction(self) -> StudyDirection:
        return single_direction(self._directions)

    @property
    def directions(self) -> list[StudyDirection]:
        return list(self._directions)

    @property
    def metric_names(self) -> list[str] | None:
        """The names of the objective's values, set by :meth:`set_metric_names` (None until then)."""
        return self._storage.get_study_system_attrs(self._study_id).get(METRIC_NAMES_KEY)

    def set_metric_names(self, metric_names: list[str]) -> None:
        """Name each value the objective returns (used by ``trials_dataframe`` and the plots)."""
        if len(metric_names) != len(self._directions):
            raise ValueError(
                f"{len(metric_names)} metric names for {len(self._directions)} objectives: give one name per "
                "objective, in the order the objective returns its values."
            )
        self._storage.set_study_system_attr(self._study_id, METRIC_NAMES_KEY, list(metric_names))

    # --- trials -------------------------------------------------------------------------------
    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials(deepcopy=True)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """All trials sorted by number; with ``deepcopy=False`` treat them as read-only."""
        return self._storage.get_all_trials(self._study_id, deepcopy=deepcopy, states=states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The best COMPLETE trial; ``ValueError`` when there is none yet."""
        if len(self._directions) > 1:
            raise RuntimeError("A multi-objective study has no single best trial; use `best_trials`.")
        best = self._storage.get_best_trial(self._study_id)
        if is_feasible(best):
            return best
        feasible = [t for t in self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if is_feasible(t)]
        if not feasible:
            raise ValueError("No feasible trial is completed yet (every one violates its constraints).")
        pick = max if self._directions[0] == StudyDirection.MAXIMIZE else min
        return copy.deepcopy(pick(feasible, key=_single_value))

    @property
    def best_value(self) -> float:
        value = self.best_trial.value
        assert value is not None
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        return self.best_trial.params

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of COMPLETE trials that satisfy their constraints, if any."""
        trials = [t for t in self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if is_feasible(t)]
        return copy.deepcopy(pareto_front_trials(trials, self._directions))

    def trials_dataframe(
        self, attrs: tuple[str, ...] = DEFAULT_ATTRS, multi_index: bool = False
    ) -> pd.DataFrame:
        """The trials as a DataFrame: ``number``, ``value``, ``params_<name>``, ``state`` ..."""
        return trials_dataframe(self, attrs, multi_index)

    # --- ask / tell ---------------------------------------------------------------------------
    def ask(self, fixed_distributions: dict[str, BaseDistribution] | None = None) -> Trial:
        """Start a trial (an enqueued one first) and return it; ``fixed_distributions`` are suggested now.

        With a storage that keeps heartbeats, stale trials are failed first (and handed to the storage's
        stale-trial callback), and the new trial's heartbeat is kept until :meth:`tell`.
        """
        heartbeats = heartbeat_keeper(self._storage)
        if heartbeats is not None:
            fail_stale_trials(self)
        trial_id = self._pop_waiting_trial_id()
        if trial_id is None:
            trial_id = self._storage.create_new_trial(self._study_id)
        if heartbeats is not None:
            heartbeats.start(trial_id)
        if type(self.sampler).before_trial is not BaseSampler.before_trial:
            self.sampler.before_trial(self, self._storage.get_trial(trial_id))
        trial = Trial(self, trial_id)  # reads the trial with what before_trial stored (e.g. a grid point)
        for name, distribution in (fixed_distributions or {}).items():
            trial.suggest(name, distribution)
        return trial

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        *,
        fail_reason: str | None = None,
    ) -> FrozenTrial:
        """Finish a trial from :meth:`ask` with its value(s), or with ``state`` PRUNED or FAIL.

        ``fail_reason`` (with FAIL) is stored in the trial's ``fail_reason`` system attr.
        """
        return tell(self, trial, values, state, skip_if_finished, fail_reason=fail_reason)

    def _pop_waiting_trial_id(self) -> int | None:
        for trial in self._storage.get_all_trials(self._study_id, deepcopy=False, states=(TrialState.WAITING,)):
            if self._storage.set_trial_state_values(trial.trial_id, state=TrialState.RUNNING):
                return trial.trial_id
        return None

    def optimize(
        self,
        func: ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: Iterable[CallbackType] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run ``func`` on new trials until ``n_trials`` (counted in this call) or ``timeout`` seconds.

        Exceptions from ``func`` end the trial FAIL and stop the loop unless listed in ``catch``.
        With ``n_jobs > 1`` trials run in threads. To share one trial budget among processes, use
        :class:`hpo.study.MaxTrialsCallback`, or ``hpo.submit_study`` for distributed runs.
        """
        optimize(
            self, func, n_trials, timeout, n_jobs, catch, callbacks, gc_after_trial, show_progress_bar
        )

    @property
    def is_optimizing(self) -> bool:
        """True while :meth:`optimize` runs, when :meth:`stop` may be called."""
        return self._optimizing

    def stop(self) -> None:
        """Let running trials finish, then return from :meth:`optimize`."""
        if not self._optimizing:
            raise RuntimeError("Study.stop() works only inside optimize(), e.g. from an objective or callback.")
        self._stop_flag = True

    # --- adding trials ------------------------------------------------------------------------
    def enqueue_trial(
        self, params: dict[str, Any], user_attrs: dict[str, Any] | None = None, skip_if_exists: bool = False
    ) -> None:
        """Make the next trial use ``params`` (other parameters are sampled as usual)."""
        if skip_if_exists and self._has_trial_with_params(params):
            return
        template = FrozenTrial(
            number=-1,
            state=TrialState.WAITING,
            value=None,
            datetime_start=None,
            datetime_complete=None,
            params={},
            distributions={},
            user_attrs=dict(user_attrs or {}),
            system_attrs={FIXED_PARAMS_KEY: dict(params)},
            intermediate_values={},
            trial_id=-1,
        )
        self._storage.create_new_trial(self._study_id, template_trial=template)

    def _has_trial_with_params(self, params: dict[str, Any]) -> bool:
        for trial in self.get_trials(deepcopy=False):
            known = trial.params if trial.state != TrialState.WAITING else trial.system_attrs.get(FIXED_PARAMS_KEY, {})
            if all(name in known and known[name] == value for name, value in params.items()):
                return True
        return False

    def add_trial(self, trial: FrozenTrial) -> None:
        """Store a finished trial made with :func:`hpo.trial.create_trial` (e.g. a known good point)."""
        trial.validate()
        if trial.values is not None and len(trial.values) != len(self._directions):
            raise ValueError(
                f"The trial has {len(trial.values)} values but the study has {len(self._directions)} directions."
            )
        self._storage.create_new_trial(self._study_id, template_trial=trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        for trial in trials:
            self.add_trial(trial)

    # --- attributes ---------------------------------------------------------------------------
    @property
    def user_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_user_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_user_attr(self._study_id, key, value)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return self._storage.get_study_system_attrs(self._study_id)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_system_attr(self._study_id, key, value)
