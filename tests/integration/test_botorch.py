"""BoTorchSampler with real BoTorch/GPyTorch on CPU torch: what its candidates function receives, how the
candidate comes back, the default (log)EI on a real GP, reproducibility, and the errors."""

from __future__ import annotations

import importlib.util
import math
import sys
import warnings
from typing import Any

import pytest

import hpo
from hpo.integration import BoTorchSampler
from hpo.trial import TrialState

torch = pytest.importorskip("torch")
pytest.importorskip("botorch")
from hpo.integration import botorch as hpo_botorch  # noqa: E402

hpo.logging.set_verbosity(hpo.logging.ERROR)


def _objective(trial: hpo.Trial) -> float:
    x = trial.suggest_float("x", -5, 5)
    n = trial.suggest_int("n", 1, 9, step=2)
    c = trial.suggest_categorical("c", ["a", "b"])
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    return (x - 1) ** 2 + (n - 5) ** 2 + (c == "b") + abs(math.log10(lr) + 1)


class Recorder:
    """A candidates function that records its arguments and proposes a fixed point."""

    def __init__(self, candidate: list[float]) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.candidate = candidate

    def __call__(self, train_x: Any, train_obj: Any, train_con: Any, bounds: Any, pending_x: Any) -> Any:
        self.calls.append((train_x, train_obj, train_con, bounds, pending_x))
        return torch.tensor([self.candidate], dtype=torch.float64)


def test_the_candidates_function_gets_the_trials_in_botorchs_space_and_its_candidate_is_mapped_back() -> None:
    # columns, in sorted name order: c=a, c=b (one-hot), lr (log), n (+-1 beyond the ends), x
    recorder = Recorder([0.2, 0.7, math.log(0.05), 6.4, 2.5])
    sampler = BoTorchSampler(candidates_func=recorder, n_startup_trials=3, seed=0,
                             constraints_func=lambda t: [t.params["x"] - 4.0])
    study = hpo.create_study(sampler=sampler)
    study.optimize(_objective, n_trials=4)
    (train_x, train_obj, train_con, bounds, pending_x), = recorder.calls
    first = study.trials[:3]
    assert train_x.shape == (3, 5) and train_obj.shape == (3, 1) and train_con.shape == (3, 1)
    for row, t in enumerate(first):
        one_hot = [float(t.params["c"] == "a"), float(t.params["c"] == "b")]
        numbers = [math.log(t.params["lr"]), t.params["n"], t.params["x"]]
        assert train_x[row].tolist() == pytest.approx(one_hot + numbers)
        assert train_obj[row, 0].item() == pytest.approx(-t.value)  # BoTorch maximizes
        assert train_con[row, 0].item() == pytest.approx(t.params["x"] - 4.0)
    assert bounds[0].tolist() == pytest.approx([0, 0, math.log(1e-3), 0, -5])
    assert bounds[1].tolist() == pytest.approx([1, 1, 0, 10, 5])
    assert pending_x is None
    assert study.trials[3].params == pytest.approx({"c": "b", "lr": 0.05, "n": 7, "x": 2.5})
    assert list(study.trials[3].system_attrs["constraints"]) == [pytest.approx(2.5 - 4.0)]


def test_running_trials_are_pending_with_consider_running_trials() -> None:
    recorder = Recorder([0.5, 0.5])
    study = hpo.create_study(directions=["maximize", "minimize"], sampler=BoTorchSampler(
        candidates_func=recorder, n_startup_trials=2, consider_running_trials=True, seed=0))
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=2)
    running = study.ask()  # sampled by BoTorch with the finished trials, nothing pending yet
    xy = [running.suggest_float("x", 0, 1), running.suggest_float("y", 0, 1)]
    study.ask()  # sees `running` as pending
    train_x, train_obj, _, _, pending_x = recorder.calls[-1]
    assert train_obj[:, 0].tolist() == [t.values[0] for t in study.trials[:2]]
    assert train_obj[:, 1].tolist() == [-t.values[1] for t in study.trials[:2]]
    assert pending_x.tolist() == [xy] == [[0.5, 0.5]]
    assert [t.state for t in study.trials[2:]] == [TrialState.RUNNING, TrialState.RUNNING]


def test_the_default_log_ei_on_a_real_gp_is_reproducible_and_stays_in_range() -> None:
    runs = []
    for _ in range(2):
        study = hpo.create_study(sampler=BoTorchSampler(n_startup_trials=4, seed=3))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # BoTorch's numerical warnings on 4 points
            study.optimize(_objective, n_trials=6)
        runs.append([t.params for t in study.trials])
        for t in study.trials:
            assert t.params["n"] in (1, 3, 5, 7, 9) and 1e-3 <= t.params["lr"] <= 1 and -5 <= t.params["x"] <= 5
    assert runs[0] == runs[1]


def test_qei_with_pending_points_on_a_real_gp() -> None:
    sampler = BoTorchSampler(n_startup_trials=3, consider_running_trials=True, seed=0)
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2 + t.suggest_float("y", -1, 1) ** 2, n_trials=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = study.ask()
        pending = (first.suggest_float("x", -2, 2), first.suggest_float("y", -1, 1))
        second = study.ask()
        x, y = second.suggest_float("x", -2, 2), second.suggest_float("y", -1, 1)
    assert (x, y) != pending and -2 <= x <= 2 and -1 <= y <= 1


def test_default_candidates_functions_follow_objectives_constraints_and_running_trials() -> None:
    pick = hpo_botorch._default_candidates_func
    assert pick(1, False, False) is hpo_botorch.logei_candidates_func
    assert pick(1, True, True) is hpo_botorch.qei_candidates_func
    assert pick(2, False, False) is hpo_botorch.qehvi_candidates_func
    assert pick(4, False, False) is hpo_botorch.ehvi_candidates_func
    assert pick(4, True, False) is hpo_botorch.qparego_candidates_func


@pytest.mark.parametrize(("candidate", "error", "match"), [
    ([[0.1, 0.2], [0.3, 0.4]], ValueError, "batch optimization is not supported"),
    ([0.1, 0.2, 0.3], ValueError, "must match with the given bounds"),
    ([[[0.1, 0.2]]], ValueError, "one or two-dimensional"),
])
def test_a_wrong_candidate_is_refused(candidate: Any, error: type[Exception], match: str) -> None:
    sampler = BoTorchSampler(candidates_func=lambda *a: torch.tensor(candidate), n_startup_trials=1)
    study = hpo.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)
    with pytest.raises(error, match=match):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)


def test_not_a_tensor_and_a_second_study_are_refused() -> None:
    sampler = BoTorchSampler(candidates_func=lambda *a: [0.5, 0.5], n_startup_trials=1)
    study = hpo.create_study(sampler=sampler, storage="sqlite:///:memory:")
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)
    with pytest.raises(TypeError, match="torch.Tensor"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=1)
    other = hpo.create_study(sampler=sampler, storage=study.storage)
    with pytest.raises(RuntimeError, match="multiple studies"):
        other.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)


def test_without_botorch_the_error_names_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "botorch" or m.startswith("botorch.")]:
        monkeypatch.setitem(sys.modules, name, None)
    spec = importlib.util.find_spec("hpo.integration.botorch")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(ImportError, match="pip install botorch gpytorch torch"):
        module.BoTorchSampler()


def test_the_sampler_and_the_candidate_functions_are_experimental_as_in_optuna() -> None:
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="BoTorchSampler is experimental"):
        BoTorchSampler()
    x = torch.tensor([[0.1], [0.5], [0.9]], dtype=torch.float64)
    bounds = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    with pytest.warns(hpo.exceptions.ExperimentalWarning, match="qei_candidates_func is experimental"):
        candidate = hpo_botorch.qei_candidates_func(x, -((x - 0.4) ** 2), None, bounds, None)
    assert candidate.shape == (1, 1) and 0 <= candidate.item() <= 1
