"""``RDBStorage.apply_batch``: the coordinator's write-behind calls in one transaction."""

from __future__ import annotations

import pytest

from hpo.distributions import FloatDistribution
from hpo.exceptions import UpdateFinishedTrialError
from hpo.storages import RDBStorage
from hpo.study import StudyDirection
from hpo.trial import TrialState


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_batch_applies_in_order_and_counts_as_one_transaction(storage_url_factory, backend: str) -> None:  # type: ignore[no-untyped-def]
    storage = RDBStorage(storage_url_factory(backend))
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    storage.apply_batch([
        ("set_trial_param", (trial_id, "x", 0.5, FloatDistribution(0, 1))),
        ("set_trial_intermediate_value", (trial_id, 0, 2.0)),
        ("set_trial_user_attr", (trial_id, "k", [1, 2])),
        ("set_trial_state_values", (trial_id, TrialState.COMPLETE, [0.25])),
    ])
    trial = storage.get_trial(trial_id)
    assert (trial.params, trial.intermediate_values, trial.user_attrs, trial.values, trial.state) == (
        {"x": 0.5}, {0: 2.0}, {"k": [1, 2]}, [0.25], TrialState.COMPLETE
    )
    other = storage.create_new_trial(study_id)
    with pytest.raises(UpdateFinishedTrialError):
        storage.apply_batch([
            ("set_trial_intermediate_value", (other, 0, 1.0)),
            ("set_trial_user_attr", (trial_id, "late", 1)),  # the finished trial refuses: all is rolled back
        ])
    assert storage.get_trial(other).intermediate_values == {}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_trusted_batches_look_a_running_trial_up_once(storage_url_factory, backend: str) -> None:  # type: ignore[no-untyped-def]
    import sqlalchemy

    storage = RDBStorage(storage_url_factory(backend))
    study_id = storage.create_new_study([StudyDirection.MINIMIZE], "s")
    trial_id = storage.create_new_trial(study_id)
    statements: list[str] = []
    sqlalchemy.event.listen(storage.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    for step in range(5):  # five batches, as the coordinator's writer sends them
        storage.apply_batch([("set_trial_intermediate_value", (trial_id, step, float(step)))], trusted=True)
    lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT") and "trials" in s]
    assert len(lookups) == 1, lookups
    storage.apply_batch([("set_trial_state_values", (trial_id, TrialState.COMPLETE, [1.0]))], trusted=True)
    with pytest.raises(UpdateFinishedTrialError):  # finished: looked up again, and refused
        storage.apply_batch([("set_trial_user_attr", (trial_id, "late", 1))], trusted=True)
    assert storage.get_trial(trial_id).intermediate_values == {s: float(s) for s in range(5)}
