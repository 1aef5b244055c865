"""Writes the compared study with real Optuna (run by Optuna's interpreter): ``python _optuna_study.py DB N [SEED_DB]``.

A study ``big`` (minimize) of ``N`` trials over x, log lr and a categorical optimizer, seeded: 80 %
COMPLETE with 8 intermediate values, 15 % PRUNED after 1 to 7 of them, 5 % FAIL (no value). The first
``min(N, 20000)`` trials go through Optuna's own ``Study.add_trials`` (about 10 ms a trial here: the
ORM's queries for each intermediate value); SQLite's journal and fsync are off while writing (the
speed of the build, not what is stored). Past 20,000, those trials' rows are copied in SQL, numbers
and ids shifted, into blocks of 20,000: Optuna's API would take 15+ minutes for 100,000 on this machine.
With SEED_DB (a database this script wrote with 20,000 trials), its copy is the start. The result is
checked with ``optuna.load_study``.
"""

from __future__ import annotations

import math
import random
import shutil
import sqlite3
import sys

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _fast_sqlite(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA synchronous=OFF")
    cursor.execute("PRAGMA journal_mode=MEMORY")
    cursor.close()


SEED_TRIALS = 20_000
# Each table a trial owns, with its id column: a copied block shifts ids and trial ids by the block's.
OWNED = {"trial_params": "param_id", "trial_values": "trial_value_id",
         "trial_intermediate_values": "trial_intermediate_value_id"}


def replicate(path: str, seed: int, n_trials: int) -> None:
    """Copies trials 0..seed-1 (ids 1..seed: a fresh database of one study) until there are ``n_trials``."""
    db = sqlite3.connect(path)
    with db:
        rows = {table: db.execute(f"SELECT max({key}) FROM {table}").fetchone()[0] for table, key in OWNED.items()}
        for block in range(1, -(-n_trials // seed)):
            shift, last = block * seed, min(seed, n_trials - block * seed)
            db.execute("INSERT INTO trials SELECT trial_id + ?, number + ?, study_id, state, datetime_start, "
                       "datetime_complete FROM trials WHERE trial_id <= ?", (shift, shift, last))
            for table, key in OWNED.items():
                columns = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
                shifted = ", ".join(f"{c} + {block * rows[table]}" if c == key else f"{c} + {shift}"
                                    if c == "trial_id" else c for c in columns)
                db.execute(f"INSERT INTO {table} SELECT {shifted} FROM {table} WHERE {key} <= ? AND trial_id <= ?",
                           (rows[table], last))
    db.close()


def main(path: str, n_trials: int, seed_db: str | None = None) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    seed = min(n_trials, SEED_TRIALS)
    if seed_db is not None:
        shutil.copyfile(seed_db, path)
    else:
        write(path, seed)
    if n_trials > seed:
        replicate(path, seed, n_trials)
    trials = optuna.load_study(study_name="big", storage=f"sqlite:///{path}").get_trials(deepcopy=False)
    assert [t.number for t in trials] == list(range(n_trials)), "trial numbers are not 0..N-1"
    states = {s.name: sum(t.state == s for t in trials)
              for s in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)}
    print(f"{n_trials} trials: {states}")


def write(path: str, seed: int) -> None:
    """``seed`` trials through Optuna's API."""
    study = optuna.create_study(study_name="big", storage=f"sqlite:///{path}")
    rng = random.Random(0)
    distributions = {"x": FloatDistribution(-5, 5), "lr": FloatDistribution(1e-5, 1e-1, log=True),
                     "optimizer": CategoricalDistribution(["adam", "sgd"])}
    batch = []
    for _ in range(seed):
        params = {"x": rng.uniform(-5, 5), "lr": 10 ** rng.uniform(-5, -1), "optimizer": rng.choice(["adam", "sgd"])}
        base = (params["x"] - 1) ** 2 + math.log10(params["lr"]) ** 2 / 10 + rng.random()
        curve = {step: base + 1 / (step + 1) for step in range(8)}
        draw = rng.random()
        if draw < 0.80:
            trial = create_trial(params=params, distributions=distributions, value=curve[7],
                                 intermediate_values=curve)
        elif draw < 0.95:
            steps = rng.randint(1, 7)
            trial = create_trial(params=params, distributions=distributions, state=TrialState.PRUNED,
                                 intermediate_values={s: curve[s] for s in range(steps)})
        else:
            trial = create_trial(params=params, distributions=distributions, state=TrialState.FAIL)
        batch.append(trial)
        if len(batch) == 1000:
            study.add_trials(batch)
            batch = []
    study.add_trials(batch)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None)
