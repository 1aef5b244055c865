"""Writes Optuna databases for tests/storage/test_optuna_import.py, run by the Python of an Optuna venv.

    python optuna_writer.py write URL             # the studies below, written by real Optuna (3.x to 5.x)
    python optuna_writer.py dump URL              # what Optuna reads back, as JSON on stdout
    python optuna_writer.py downgrade URL REV     # Optuna's own alembic downgrade of the schema to REV

:func:`dump` takes the module, so the test calls it with ``hpo`` on the imported database too.
"""

from __future__ import annotations

import json
import math
import sys
from types import ModuleType
from typing import Any

CHOICES = [None, True, False, 1, 2.5, "a"]
ENQUEUED = {"x": 2.0, "n": 3, "c": "a"}


def objective(trial: Any, optuna: ModuleType) -> float:
    """Six kinds of parameters; some trials pruned (NaN and infinities among their reports, not last: Optuna
    takes a pruned trial's last report as its value), some failed."""
    x = trial.suggest_float("x", -10, 10)
    trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    trial.suggest_float("q", 0, 1, step=0.25)
    trial.suggest_int("n", 1, 9)
    trial.suggest_int("k", 1, 64, log=True)
    trial.suggest_int("s", 0, 10, step=2)
    trial.suggest_categorical("c", CHOICES)
    trial.set_user_attr("double_x", 2 * x)
    if trial.number % 7 == 5:
        raise ValueError("a failed trial")
    if trial.number % 7 == 3:
        for step, value in enumerate([1.5, math.nan, math.inf, -math.inf, (x - 2) ** 2 + 100]):
            trial.report(value, step)
        raise optuna.TrialPruned()
    trial.report((x - 2) ** 2 + 1, 0)
    return (x - 2) ** 2


def write(optuna: ModuleType, url: str) -> None:
    """Studies 'single' (minimize, 25 optimized trials, legacy distributions, a running and an enqueued
    trial), 'multi' (minimize, maximize, with infinities) and 'empty' (attributes only)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    _no_fsync()
    single = optuna.create_study(
        study_name="single", storage=url, sampler=optuna.samplers.TPESampler(seed=1, n_startup_trials=5)
    )
    single.set_user_attr("owner", "ana")
    single.set_user_attr("nested", {"a": [1, 2.5, None], "b": "text"})
    single._storage.set_study_system_attr(single._study_id, "origin", "optuna")
    single.optimize(lambda t: objective(t, optuna), n_trials=25, catch=(ValueError,))
    single.add_trial(
        optuna.trial.create_trial(
            params={"x": 0.5, "c": None, "u": 0.25, "m": 4},
            distributions={"x": FloatDistribution(-10, 10), "c": CategoricalDistribution(CHOICES),
                           "u": FloatDistribution(0, 1), "m": IntDistribution(0, 8, step=2)},
            value=2.25,
            user_attrs={"legacy": True},
            system_attrs={"note": ["kept", 1]},
            intermediate_values={0: 3.0, 5: 2.25},
        )
    )
    _as_optuna_2_wrote_them(url)
    running = single.ask()
    running.suggest_float("x", -10, 10)
    running.set_user_attr("still", "running")
    single.enqueue_trial(ENQUEUED)

    multi = optuna.create_study(study_name="multi", storage=url, directions=["minimize", "maximize"])
    for values in [(1.0, 2.0), (math.inf, -math.inf), (-math.inf, math.inf), (0.5, 0.25)]:
        trial = multi.ask()
        trial.suggest_int("i", 0, 10)
        trial.suggest_categorical("flag", [True, False])
        multi.tell(trial, values)
    multi.tell(multi.ask(), state=optuna.trial.TrialState.PRUNED)
    multi.tell(multi.ask(), state=optuna.trial.TrialState.FAIL)

    empty = optuna.create_study(study_name="empty", storage=url, direction="maximize")
    empty.set_user_attr("note", "no trials yet")


def _no_fsync() -> None:
    """SQLite without waiting for the disk on every commit (Optuna commits each trial several times)."""
    import sqlalchemy

    @sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA synchronous = OFF")


def _as_optuna_2_wrote_them(url: str) -> None:
    """Store the distributions of 'u' and 'm' under their legacy names, as Optuna 2 did (Optuna 3+ converts
    them on write, but reads them)."""
    import sqlalchemy

    legacy = {
        "u": {"name": "UniformDistribution", "attributes": {"low": 0.0, "high": 1.0}},
        "m": {"name": "IntUniformDistribution", "attributes": {"low": 0, "high": 8, "step": 2}},
    }
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        for name, dist in legacy.items():
            conn.execute(
                sqlalchemy.text("UPDATE trial_params SET distribution_json = :d WHERE param_name = :n"),
                {"d": json.dumps(dist), "n": name},
            )
    engine.dispose()


def dump(optuna: ModuleType, url: str) -> dict[str, Any]:
    """Every study and trial field as the library ``optuna`` (Optuna or hpo) reads them, JSON-ready."""
    convert = getattr(optuna.distributions, "_convert_old_distribution_to_new_distribution", None)

    def distribution(d: Any) -> Any:
        if convert is not None:  # Optuna returns legacy classes (UniformDistribution) as stored
            d = convert(d, suppress_warning=True)
        return json.loads(optuna.distributions.distribution_to_json(d))

    storage = optuna.storages.RDBStorage(url)
    studies = {}
    for study in storage.get_all_studies():
        study_id = storage.get_study_id_from_name(study.study_name)
        studies[study.study_name] = {
            "directions": [d.name for d in study.directions],
            "user_attrs": study.user_attrs,
            "system_attrs": study.system_attrs,
            "trials": [
                {
                    "number": t.number,
                    "state": t.state.name,
                    "values": t.values,
                    "datetime_start": t.datetime_start.isoformat() if t.datetime_start else None,
                    "datetime_complete": t.datetime_complete.isoformat() if t.datetime_complete else None,
                    "params": t.params,
                    "distributions": {name: distribution(d) for name, d in t.distributions.items()},
                    "user_attrs": t.user_attrs,
                    "system_attrs": t.system_attrs,
                    "intermediate_values": {str(step): v for step, v in t.intermediate_values.items()},
                }
                for t in storage.get_all_trials(study_id)
            ],
        }
    return _plain(studies)


def _plain(value: Any) -> Any:
    """NaN and infinities as strings, so that dumps compare with ==."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def downgrade(url: str, revision: str) -> None:
    """Optuna's own migrations, run backwards to ``revision``."""
    from alembic import command
    from optuna.storages import RDBStorage

    storage = RDBStorage(url)
    command.downgrade(storage._version_manager._create_alembic_config(), revision)


if __name__ == "__main__":
    import optuna as _optuna

    verb, url, *rest = sys.argv[1:]
    if verb == "write":
        write(_optuna, url)
    elif verb == "dump":
        print(json.dumps(dump(_optuna, url)))
    elif verb == "downgrade":
        downgrade(url, rest[0])
    else:
        raise SystemExit(f"unknown verb {verb!r}")
