"""``LightGBMPruningCallback``: reports a validation metric of ``lightgbm.train`` / ``lightgbm.cv`` to the trial."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo.exceptions import TrialPruned
from hpo.integration._imports import try_import
from hpo.records import StudyDirection

if TYPE_CHECKING:
    from lightgbm.callback import CallbackEnv

    from hpo.trial import BaseTrial

with try_import("lightgbm") as _imports:
    import lightgbm  # noqa: F401  (checked when the callback is made)


class LightGBMPruningCallback:
    """LightGBM callback that reports ``metric`` on ``valid_name`` every ``report_interval`` iterations and
    raises :class:`hpo.TrialPruned` when the trial's pruner says so.

    Args:
        trial: the trial of the objective (in-process, or a worker's trial in distributed runs).
        metric: a metric LightGBM evaluates, e.g. ``binary_error``, ``multi_logloss``, ``auc``.
        valid_name: the validation set's name in ``lightgbm.train``'s ``valid_names`` (``valid_0`` is the
            first validation set's default name); ignored under ``lightgbm.cv``, which reports ``valid``.
        report_interval: report every n-th boosting iteration (the pruner's own interval still applies).

    A metric LightGBM did not evaluate raises ValueError listing what it did evaluate; a metric whose
    direction (LightGBM's ``is_higher_better``) differs from the study's raises ValueError too.
    """

    def __init__(
        self, trial: BaseTrial, metric: str, valid_name: str = "valid_0", report_interval: int = 1
    ) -> None:
        _imports.check()
        self._trial = trial
        self._valid_name = valid_name
        self._metric = metric
        self._report_interval = report_interval

    def _find_evaluation_result(self, target_valid_name: str, env: CallbackEnv) -> Any:
        for result in env.evaluation_result_list or []:
            # (dataset name, metric name, value, is_higher_better[, stdv under cv]); LightGBM >= 4
            # prefixes cv's metric names with "valid ".
            valid_name, metric = result[0], result[1]
            if valid_name == target_valid_name and metric in (self._metric, "valid " + self._metric):
                return result
        return None

    def __call__(self, env: CallbackEnv) -> None:
        if (env.iteration + 1) % self._report_interval != 0:
            return
        results = env.evaluation_result_list
        is_cv = bool(results) and len(results[0]) == 5  # type: ignore[index]
        target_valid_name = "valid" if is_cv else self._valid_name
        result = self._find_evaluation_result(target_valid_name, env)
        if result is None:
            raise ValueError(
                f'The entry associated with the validation name "{target_valid_name}" and the metric name '
                f'"{self._metric}" is not found in the evaluation result list {results}.'
            )
        current_score, is_higher_better = result[2], result[3]
        direction = _study_direction(self._trial)
        if direction is not None:
            if is_higher_better and direction != StudyDirection.MAXIMIZE:
                raise ValueError(
                    "The intermediate values are inconsistent with the objective values in terms of study "
                    "directions. Please specify a metric to be minimized for LightGBMPruningCallback."
                )
            if not is_higher_better and direction != StudyDirection.MINIMIZE:
                raise ValueError(
                    "The intermediate values are inconsistent with the objective values in terms of study "
                    "directions. Please specify a metric to be maximized for LightGBMPruningCallback."
                )
        self._trial.report(current_score, step=env.iteration)
        if self._trial.should_prune():
            raise TrialPruned(f"Trial was pruned at iteration {env.iteration}.")


def _study_direction(trial: BaseTrial) -> StudyDirection | None:
    """The direction of the trial's study, when the trial knows it (a worker's trial does not)."""
    study = getattr(trial, "study", None)
    return None if study is None else study.direction
