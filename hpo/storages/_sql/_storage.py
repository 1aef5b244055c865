"""``RDBStorage``: studies and trials in SQLite, PostgreSQL or MySQL, shared by many processes."""

from __future__ import annotations

import copy
import datetime
import json
import math
import threading
import uuid
import warnings
from collections.abc import Collection, Container, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

import hpo.storages._sql._statements as sql
from hpo.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from hpo.exceptions import (
    DuplicatedStudyError,
    StudyNotFoundError,
    TrialNotFoundError,
    UpdateFinishedTrialError,
)
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages._base import BaseStorage
from hpo.storages._heartbeat import BaseHeartbeat, StaleTrialCallback
from hpo.storages._in_memory import DEFAULT_STUDY_NAME_PREFIX, _unknown_study_message
from hpo.storages._sql._cache import StudyTrialCache
from hpo.storages._sql._database import Database
from hpo.storages._sql._load import load_study_trials, load_trial
from hpo.storages._sql._migrate import prepare_schema
from hpo.storages._sql._models import MAX_NAME_LENGTH, encode_value
from hpo.trial import FrozenTrial


class RDBStorage(BaseStorage, BaseHeartbeat):
    """Studies in an SQL database, safe for many threads and processes at once.

    Args:
        url: ``sqlite:///path.db``, ``sqlite:///:memory:``, ``postgresql+psycopg://user:pw@host/db``
            (``postgresql://`` means the same) or ``mysql+pymysql://user:pw@host/db``.
        engine_kwargs: Extra arguments of :func:`sqlalchemy.create_engine`, e.g. ``{"pool_size": 8}``.
        skip_compatibility_check: Accepted as Optuna accepts it; hpo checks the schema version anyway,
            because writing to a schema of another version would lose data.
        heartbeat_interval: Seconds between heartbeats of each running trial (None: no heartbeats).
            :meth:`Study.ask` starts them, in :meth:`Study.optimize` and in ask/tell loops alike.
        grace_period: Seconds without a heartbeat after which a RUNNING trial is stale (default:
            twice ``heartbeat_interval``). Stale trials are failed when a process next asks for a trial.
        heartbeat_stale_trial_callback: Called with the study and each trial failed as stale, e.g.
            :class:`~hpo.storages.RetryHeartbeatStaleTrialCallback` to run it again.
        failed_trial_callback: Optuna's older name of ``heartbeat_stale_trial_callback``.
        skip_table_creation: Do not create the tables of an empty database (the schema version is
            still checked).

    An empty database gets hpo's tables on first use. A database with an older schema raises
    :class:`~hpo.exceptions.StorageVersionError`; upgrade it with ``hpo storage upgrade --storage URL``.
    """

    def __init__(
        self,
        url: str,
        engine_kwargs: dict[str, Any] | None = None,
        skip_compatibility_check: bool = False,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: StaleTrialCallback | None = None,
        failed_trial_callback: StaleTrialCallback | None = None,
        skip_table_creation: bool = False,
    ) -> None:
        for name, seconds in (("heartbeat_interval", heartbeat_interval), ("grace_period", grace_period)):
            if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                        or not 0 < seconds < math.inf):
                raise ValueError(f"{name} must be None or a number of seconds > 0, got {seconds!r}.")
        if grace_period is not None and heartbeat_interval is None:
            raise ValueError(
                "grace_period needs heartbeat_interval: pass both, e.g. heartbeat_interval=60, grace_period=120."
            )
        if heartbeat_stale_trial_callback is not None and failed_trial_callback is not None:
            raise ValueError("Pass heartbeat_stale_trial_callback or its older name failed_trial_callback, not both.")
        if failed_trial_callback is not None:
            warnings.warn(
                "RDBStorage(failed_trial_callback=) is deprecated (as in Optuna 4.9); "
                "use heartbeat_stale_trial_callback=.",
                FutureWarning,
                stacklevel=2,
            )
        self.url = url
        self.engine_kwargs = dict(engine_kwargs or {})
        self.skip_compatibility_check = skip_compatibility_check
        self.skip_table_creation = skip_table_creation
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.heartbeat_stale_trial_callback = heartbeat_stale_trial_callback or failed_trial_callback
        self._db = Database(url, self.engine_kwargs)
        try:
            with self._db.explained_errors():
                prepare_schema(self._db, create=not skip_table_creation)
        except BaseException:
            self._db.dispose()
            raise
        self._cache_lock = threading.Lock()
        self._caches: dict[int, StudyTrialCache] = {}
        self._directions: dict[int, list[StudyDirection]] = {}
        self._distributions: dict[tuple[int, str], BaseDistribution] = {}
        # running trial id -> (study id, number), see apply_batch
        self._trusted_updatable: dict[int, tuple[int, int]] = {}

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (as in Optuna's ``RDBStorage.engine``)."""
        return self._db.engine

    def __repr__(self) -> str:
        return f"RDBStorage({self._db.shown_url!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "engine_kwargs": self.engine_kwargs,
            "skip_compatibility_check": self.skip_compatibility_check,
            "heartbeat_interval": self.heartbeat_interval,
            "grace_period": self.grace_period,
            "heartbeat_stale_trial_callback": self.heartbeat_stale_trial_callback,
            "skip_table_creation": self.skip_table_creation,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    def close(self) -> None:
        self._db.dispose()

    # --- heartbeats ---------------------------------------------------------------------------
    def record_heartbeats(self, trial_ids: Collection[int]) -> None:
        rows = [{"trial_id": trial_id} for trial_id in trial_ids]
        if rows:
            self._db.run(lambda conn: conn.execute(sql.record_heartbeat(conn.dialect.name), rows), write=True)

    def get_stale_trial_ids(self, study_id: int) -> list[int]:
        parameters = {"p_study_id": study_id, "p_grace": self.get_grace_period()}
        return self._db.run(
            lambda conn: [int(i) for i in conn.execute(sql.stale_trial_ids(conn.dialect.name), parameters).scalars()],
            write=False,
        )

    def get_heartbeat_interval(self) -> float | None:
        return self.heartbeat_interval

    def get_grace_period(self) -> float:
        if self.grace_period is not None:
            return self.grace_period
        if self.heartbeat_interval is None:
            raise ValueError("This RDBStorage keeps no heartbeats: pass heartbeat_interval= to use them.")
        return 2 * self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> StaleTrialCallback | None:
        return self.heartbeat_stale_trial_callback

    # --- studies ------------------------------------------------------------------------------
    def _lock_updatable_trial(self, conn: Connection, trial_id: int) -> tuple[int, int]:
        """:func:`_lock_updatable_trial`, once per trial within a batch (the lock holds until its commit);
        in a trusted batch, once per trial until it finishes."""
        memo = self._db.batch_memo()
        if memo is None:
            return _lock_updatable_trial(conn, trial_id)
        locked = self._trusted_updatable if memo.get(_TRUSTED) else memo.setdefault(_LOCKED, {})
        if trial_id not in locked:
            locked[trial_id] = _lock_updatable_trial(conn, trial_id)
        return locked[trial_id]

    def apply_batch(self, calls: Sequence[tuple[str, tuple[Any, ...]]], *, trusted: bool = False) -> None:
        """Apply ``(method name, args)`` write calls in order, in one transaction (all or nothing).

        ``trusted``: the caller is the only writer of these trials and has already refused updates of
        finished ones (the coordinator's in-memory view does), so a running trial is looked up once,
        not locked and checked again in every batch.
        """

        def apply(conn: Connection, memo: dict[Any, Any]) -> None:
            memo[_TRUSTED] = trusted
            for method, args in calls:
                getattr(self, method)(*args)
            for (table, keys), rows in memo.get(_UPSERTS, {}).items():
                conn.execute(sql.upsert(conn.dialect.name, table, keys), list(rows.values()))

        self._db.batch(apply)

    def _upsert(self, conn: Connection, table: Table, keys: tuple[str, ...], row: dict[str, Any]) -> None:
        """Insert or update ``row``; inside a batch, rows wait to be written together (the last per key wins)."""
        memo = self._db.batch_memo()
        if memo is None:
            conn.execute(sql.upsert(conn.dialect.name, table, keys), row)
            return
        rows = memo.setdefault(_UPSERTS, {}).setdefault((table, keys), {})
        rows[tuple(row[k] for k in keys)] = row

    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str | None = None) -> int:
        name = study_name if study_name is not None else DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4())
        _check_name(name, "study name")
        directions = list(directions)

        def _create(conn: Connection) -> int:
            try:
                result = conn.execute(sql.INSERT_STUDY, {"study_name": name, "next_trial_number": 0})
            except IntegrityError:
                raise DuplicatedStudyError(
                    f"A study named {name!r} already exists. Pass load_if_exists=True to resume it, "
                    "or choose another name."
                ) from None
            study_id = int(_primary_key(result))
            conn.execute(
                sql.INSERT_DIRECTIONS,
                [{"study_id": study_id, "objective": i, "direction": d} for i, d in enumerate(directions)],
            )
            return study_id

        study_id = self._db.run(_create, write=True)
        self._directions[study_id] = directions
        return study_id

    def delete_study(self, study_id: int) -> None:
        def _delete(conn: Connection) -> None:
            _check_study(conn, study_id)
            for statement in sql.DELETE_STUDY:
                conn.execute(statement, {"p_study_id": study_id})

        self._db.run(_delete, write=True)
        with self._cache_lock:
            self._caches.pop(study_id, None)
        self._directions.pop(study_id, None)
        for key in [key for key in self._distributions if key[0] == study_id]:
            self._distributions.pop(key, None)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(sql.STUDY_USER_ATTRS, study_id, key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(sql.STUDY_SYSTEM_ATTRS, study_id, key, value)

    def _set_study_attr(self, table: Table, study_id: int, key: str, value: Any) -> None:
        _check_name(key, "attribute key")
        row = {"study_id": study_id, "key": key, "value_json": _to_json(key, value)}

        def _set(conn: Connection) -> None:
            _check_study(conn, study_id)
            self._upsert(conn, table, ("study_id", "key"), row)

        self._db.run(_set, write=True)

    def get_study_id_from_name(self, study_name: str) -> int:
        def _get(conn: Connection) -> int:
            study_id = conn.execute(sql.STUDY_ID_BY_NAME, {"p_name": study_name}).scalar()
            if study_id is None:
                names = [name for _, name in conn.execute(sql.ALL_STUDIES)]
                raise StudyNotFoundError(_unknown_study_message(study_name, names))
            return int(study_id)

        return self._db.run(_get, write=False)

    def get_study_name_from_id(self, study_id: int) -> str:
        def _get(conn: Connection) -> str:
            name = conn.execute(sql.STUDY_NAME_BY_ID, {"p_study_id": study_id}).scalar()
            if name is None:
                raise _study_not_found(study_id)
            return str(name)

        return self._db.run(_get, write=False)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        if study_id not in self._directions:  # directions never change: read them once

            def _get(conn: Connection) -> list[StudyDirection]:
                directions = list(conn.execute(sql.STUDY_DIRECTIONS, {"p_study_id": study_id}).scalars())
                if not directions:
                    raise _study_not_found(study_id)
                return directions

            self._directions[study_id] = self._db.run(_get, write=False)
        return list(self._directions[study_id])

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(sql.STUDY_USER_ATTRS, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._get_study_attrs(sql.STUDY_SYSTEM_ATTRS, study_id)

    def _get_study_attrs(self, table: Table, study_id: int) -> dict[str, Any]:
        def _get(conn: Connection) -> dict[str, Any]:
            rows = conn.execute(sql.STUDY_ATTRS[table.name], {"p_study_id": study_id}).all()
            if not rows:
                _check_study(conn, study_id)
            return {key: json.loads(value) for key, value in rows}

        return self._db.run(_get, write=False)

    def get_all_studies(self) -> list[FrozenStudy]:
        def _get(conn: Connection) -> list[FrozenStudy]:
            studies = {
                study_id: FrozenStudy(study_name=name, directions=[], user_attrs={}, system_attrs={}, study_id=study_id)
                for study_id, name in conn.execute(sql.ALL_STUDIES)
            }
            for study_id, direction in conn.execute(sql.ALL_DIRECTIONS):
                if study_id in studies:
                    studies[study_id].directions.append(direction)
            for table, field in ((sql.STUDY_USER_ATTRS, "user_attrs"), (sql.STUDY_SYSTEM_ATTRS, "system_attrs")):
                for study_id, key, value in conn.execute(sql.ALL_STUDY_ATTRS[table.name]):
                    if study_id in studies:
                        getattr(studies[study_id], field)[key] = json.loads(value)
            return list(studies.values())

        return self._db.run(_get, write=False)

    # --- trials -------------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Create a trial numbered by the study's counter, in one write transaction.

        ``UPDATE studies SET next_trial_number = next_trial_number + 1`` locks the study's row until
        commit (SQLite: the whole database), so trials are committed in the order of their numbers,
        which the incremental cache relies on.
        """
        template = template_trial
        children = _template_rows(template) if template is not None else {}

        def _create(conn: Connection) -> int:
            if template is not None:
                for name, distribution in template.distributions.items():
                    self._check_distribution(conn, study_id, name, distribution)
            row: dict[str, Any] = {
                "study_id": study_id,
                "number": _next_trial_number(conn, study_id),
                "state": TrialState.RUNNING,
                "datetime_start": datetime.datetime.now(),
                "datetime_complete": None,
            }
            if template is not None:
                row["state"] = template.state
                row["datetime_start"] = template.datetime_start
                row["datetime_complete"] = template.datetime_complete
            trial_id = int(_primary_key(conn.execute(sql.INSERT_TRIAL, row)))
            for table, rows in children.items():
                conn.execute(table.insert(), [{**r, "trial_id": trial_id} for r in rows])
            return trial_id

        trial_id = self._db.run(_create, write=True)
        if template is not None:
            for name, distribution in template.distributions.items():
                self._distributions.setdefault((study_id, name), distribution)
        return trial_id

    def set_trial_param(
        self, trial_id: int, param_name: str, param_value_internal: float, distribution: BaseDistribution
    ) -> None:
        _check_name(param_name, "parameter name")
        row = {
            "trial_id": trial_id,
            "param_name": param_name,
            "param_value": float(param_value_internal),
            "distribution_json": distribution_to_json(distribution),
        }

        def _set(conn: Connection) -> int:
            study_id, _ = self._lock_updatable_trial(conn, trial_id)
            self._check_distribution(conn, study_id, param_name, distribution)
            self._upsert(conn, sql.PARAMS, ("trial_id", "param_name"), row)
            return study_id

        study_id = self._db.run(_set, write=True)
        self._distributions.setdefault((study_id, param_name), distribution)

    def _check_distribution(self, conn: Connection, study_id: int, name: str, distribution: BaseDistribution) -> None:
        """Raise ``ValueError`` when ``distribution`` is incompatible with the study's for ``name``."""
        known = self._distributions.get((study_id, name))
        if known is None:
            stored = conn.execute(sql.STUDY_DISTRIBUTION, {"p_study_id": study_id, "p_name": name}).scalar()
            if stored is None:
                return
            known = self._distributions.setdefault((study_id, name), json_to_distribution(stored))
        check_distribution_compatibility(known, distribution, param_name=name)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        def _get(conn: Connection) -> int:
            parameters = {"p_study_id": study_id, "p_number": trial_number}
            trial_id = conn.execute(sql.TRIAL_ID_BY_NUMBER, parameters).scalar()
            if trial_id is not None:
                return int(trial_id)
            n_trials = conn.execute(sql.STUDY_TRIAL_COUNT, {"p_study_id": study_id}).scalar()
            if n_trials is None:
                raise _study_not_found(study_id)
            raise TrialNotFoundError(f"Study {study_id} has no trial number {trial_number}; it has {n_trials} trials.")

        return self._db.run(_get, write=False)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        value_rows = _value_rows(values) if values is not None else []

        def _set(conn: Connection) -> bool:
            self._lock_updatable_trial(conn, trial_id)
            now = datetime.datetime.now()
            if state == TrialState.RUNNING:  # pop a WAITING trial: exactly one caller wins
                result = conn.execute(sql.POP_WAITING_TRIAL, {"p_trial_id": trial_id, "p_now": now})
                if result.rowcount != 1:
                    return False
            else:
                changes: dict[str, Any] = {"p_trial_id": trial_id, "state": state}
                if state.is_finished():
                    changes["datetime_complete"] = now
                    memo = self._db.batch_memo()
                    if memo is not None:  # later calls must see it finished
                        memo.get(_LOCKED, {}).pop(trial_id, None)
                        self._trusted_updatable.pop(trial_id, None)
                conn.execute(sql.UPDATE_TRIAL, changes)
            if values is not None:
                conn.execute(sql.DELETE_VALUES, {"p_trial_id": trial_id})
                if value_rows:
                    conn.execute(sql.VALUES.insert(), [{**r, "trial_id": trial_id} for r in value_rows])
            return True

        return self._db.run(_set, write=True)

    def set_trial_intermediate_value(self, trial_id: int, step: int, intermediate_value: float) -> None:
        value, value_type = encode_value(intermediate_value)
        row = {"trial_id": trial_id, "step": step, "intermediate_value": value, "intermediate_value_type": value_type}

        def _set(conn: Connection) -> None:
            self._lock_updatable_trial(conn, trial_id)
            self._upsert(conn, sql.INTERMEDIATE_VALUES, ("trial_id", "step"), row)

        self._db.run(_set, write=True)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(sql.TRIAL_USER_ATTRS, trial_id, key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(sql.TRIAL_SYSTEM_ATTRS, trial_id, key, value)

    def _set_trial_attr(self, table: Table, trial_id: int, key: str, value: Any) -> None:
        _check_name(key, "attribute key")
        row = {"trial_id": trial_id, "key": key, "value_json": _to_json(key, value)}

        def _set(conn: Connection) -> None:
            self._lock_updatable_trial(conn, trial_id)
            self._upsert(conn, table, ("trial_id", "key"), row)

        self._db.run(_set, write=True)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._cached_finished_trial(trial_id)
        if cached is not None:
            return copy.deepcopy(cached)
        trial = self._db.run(lambda conn: load_trial(conn, trial_id), write=False)
        if trial is None:
            raise _trial_not_found(trial_id)
        return trial  # built for this call: the caller's own

    def get_trial_number_from_id(self, trial_id: int) -> int:
        trial = self._cached_finished_trial(trial_id)
        if trial is not None:
            return trial.number

        def _get(conn: Connection) -> int:
            number = conn.execute(sql.TRIAL_NUMBER_BY_ID, {"p_trial_id": trial_id}).scalar()
            if number is None:
                raise _trial_not_found(trial_id)
            return int(number)

        return self._db.run(_get, write=False)

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        with self._cache_lock:
            cache = self._caches.get(study_id)
            if cache is None:
                cache = StudyTrialCache()
            above_number, also_ids = cache.refresh_bounds()
            found, fetched = self._db.run(
                lambda conn: load_study_trials(conn, study_id, above_number, also_ids), write=False
            )
            if not found:
                self._caches.pop(study_id, None)
                raise _study_not_found(study_id)
            cache.merge(fetched)
            self._caches[study_id] = cache
            trials = list(cache.trials.values())
        if states is not None:
            trials = [t for t in trials if t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials

    def _cached_finished_trial(self, trial_id: int) -> FrozenTrial | None:
        with self._cache_lock:
            for cache in self._caches.values():
                trial = cache.finished_trial(trial_id)
                if trial is not None:
                    return trial
        return None

    # --- derived queries, answered by SQL -----------------------------------------------------
    def get_n_trials(self, study_id: int, state: TrialState | Sequence[TrialState] | None = None) -> int:
        states = (state,) if isinstance(state, TrialState) else state

        def _get(conn: Connection) -> int:
            if states is None:
                row = conn.execute(sql.N_TRIALS, {"p_study_id": study_id}).one()
            else:
                row = conn.execute(sql.N_TRIALS_IN_STATES, {"p_study_id": study_id, "p_states": list(states)}).one()
            n_trials, found = row
            if not found:
                raise _study_not_found(study_id)
            return int(n_trials)

        return self._db.run(_get, write=False)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            raise RuntimeError("A multi-objective study has no single best trial; use `best_trials`.")
        maximize = directions[0] == StudyDirection.MAXIMIZE
        query = sql.BEST_TRIAL_MAXIMIZE if maximize else sql.BEST_TRIAL_MINIMIZE
        trial_id = self._db.run(lambda conn: conn.execute(query, {"p_study_id": study_id}).scalar(), write=False)
        if trial_id is None:
            raise ValueError("No trial is completed yet, so there is no best trial.")
        return self.get_trial(int(trial_id))


# --- helpers ------------------------------------------------------------------------------------
_LOCKED = "locked trials"  # batch memo: trial id -> (study id, number), checked updatable in this batch
_TRUSTED = "trusted"  # batch memo: apply_batch(trusted=...)
_UPSERTS = "upserts"  # batch memo: (table, key columns) -> {key values: row}, written at the end of the batch


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str):
        raise TypeError(f"A {what} must be a string, got {type(name).__name__} {name!r}.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"The {what} {name[:40]!r}... is {len(name)} characters long; the database holds at most "
            f"{MAX_NAME_LENGTH}. Use a shorter one."
        )


def _to_json(key: str, value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"The value of attribute {key!r} ({type(value).__name__}) cannot be stored: {e}. Attribute values "
            "must be JSON-serializable (None, bool, int, float, str, and lists and dicts of them)."
        ) from e


def _study_not_found(study_id: int) -> StudyNotFoundError:
    return StudyNotFoundError(f"No study with id {study_id}.")


def _trial_not_found(trial_id: int) -> TrialNotFoundError:
    return TrialNotFoundError(f"No trial with id {trial_id}.")


def _check_study(conn: Connection, study_id: int) -> None:
    if conn.execute(sql.STUDY_NAME_BY_ID, {"p_study_id": study_id}).scalar() is None:
        raise _study_not_found(study_id)


def _next_trial_number(conn: Connection, study_id: int) -> int:
    """Take the study's next trial number; the study's row stays locked until commit."""
    parameters = {"p_study_id": study_id}
    if conn.dialect.update_returning:
        number = conn.execute(sql.NEXT_TRIAL_NUMBER_RETURNING, parameters).scalar()
    else:
        number = None
        if conn.execute(sql.NEXT_TRIAL_NUMBER, parameters).rowcount == 1:
            number = conn.execute(sql.STUDY_TRIAL_COUNT, parameters).scalar()
    if number is None:
        raise _study_not_found(study_id)
    return int(number) - 1


def _lock_updatable_trial(conn: Connection, trial_id: int) -> tuple[int, int]:
    """Lock the trial's row until commit; return its (study id, number), or raise if it is finished."""
    row = conn.execute(sql.LOCK_TRIAL, {"p_trial_id": trial_id}).one_or_none()
    if row is None:
        raise _trial_not_found(trial_id)
    study_id, number, state = row
    if state.is_finished():
        raise UpdateFinishedTrialError(
            f"Trial#{number} has already finished ({state.name}) and cannot be updated. "
            "Finished trials are immutable; create a new trial instead."
        )
    return study_id, number


def _value_rows(values: Sequence[float]) -> list[dict[str, Any]]:
    rows = []
    for objective, value in enumerate(values):
        encoded, value_type = encode_value(value)
        rows.append({"objective": objective, "value": encoded, "value_type": value_type})
    return rows


def _template_rows(template: FrozenTrial) -> dict[Table, list[dict[str, Any]]]:
    """The child rows of a trial copied from ``template``, without their ``trial_id``."""
    rows: dict[Table, list[dict[str, Any]]] = {}
    if template.params:
        rows[sql.PARAMS] = [
            {
                "param_name": _checked(name, "parameter name"),
                "param_value": float(template.distributions[name].to_internal_repr(value)),
                "distribution_json": distribution_to_json(template.distributions[name]),
            }
            for name, value in template.params.items()
        ]
    if template.values:
        rows[sql.VALUES] = _value_rows(template.values)
    if template.intermediate_values:
        rows[sql.INTERMEDIATE_VALUES] = []
        for step, value in template.intermediate_values.items():
            encoded, value_type = encode_value(value)
            rows[sql.INTERMEDIATE_VALUES].append(
                {"step": step, "intermediate_value": encoded, "intermediate_value_type": value_type}
            )
    for table, attrs in ((sql.TRIAL_USER_ATTRS, template.user_attrs), (sql.TRIAL_SYSTEM_ATTRS, template.system_attrs)):
        if attrs:
            rows[table] = [
                {"key": _checked(key, "attribute key"), "value_json": _to_json(key, value)}
                for key, value in attrs.items()
            ]
    return rows


def _checked(name: str, what: str) -> str:
    _check_name(name, what)
    return name


def _primary_key(result: Any) -> Any:
    """The primary key of the row an INSERT just created."""
    key = result.inserted_primary_key
    assert key is not None, "an INSERT of one row has its primary key"
    return key[0]
