"""``Study.optimize``: a loop of ask, run the objective, tell, in one or several threads."""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from hpo.exceptions import UpdateFinishedTrialError
from hpo.logging import get_logger, written_above_progress_bar
from hpo.outcome import FAIL_REASON_KEY, run_objective
from hpo.study._tell import tell
from hpo.trial import FrozenTrial, Trial

if TYPE_CHECKING:
    from hpo.study._study import Study

_logger = get_logger(__name__)

ObjectiveFuncType = Callable[[Trial], "float | Sequence[float]"]
CallbackType = Callable[["Study", FrozenTrial], None]


class _Budget:
    """How many more trials this ``optimize`` call may start, and until when; shared by its threads."""

    def __init__(self, n_trials: int | None, timeout: float | None) -> None:
        self._left = n_trials
        self._deadline = None if timeout is None else time.monotonic() + timeout
        self._lock = threading.Lock()
        self.started_at = time.monotonic()

    def take(self) -> bool:
        with self._lock:
            if self._deadline is not None and time.monotonic() >= self._deadline:
                return False
            if self._left is None:
                return True
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class _ProgressBar:
    """A tqdm bar with the best value so far; hpo's log lines are printed above it while it shows."""

    def __init__(self, enabled: bool, n_trials: int | None, timeout: float | None) -> None:
        self._bar = None
        self._by_time = n_trials is None and timeout is not None
        self._logs = contextlib.ExitStack()
        if enabled:
            from tqdm.auto import tqdm

            total = n_trials if n_trials is not None else timeout
            self._bar = tqdm(total=total, unit="s" if self._by_time else "trial")
            self._logs.enter_context(written_above_progress_bar())

    def update(self, study: Study, budget: _Budget) -> None:
        if self._bar is None:
            return
        if self._by_time:
            self._bar.n = min(time.monotonic() - budget.started_at, self._bar.total)
        else:
            self._bar.n += 1
        if len(study.directions) == 1:
            try:
                best = study.best_trial
                self._bar.set_description(f"Best trial: {best.number}. Best value: {best.value:.6g}", refresh=False)
            except ValueError:
                pass
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._logs.close()


def optimize(
    study: Study,
    func: ObjectiveFuncType,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: Iterable[CallbackType] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """Run trials until ``n_trials`` are done in this call, ``timeout`` seconds pass, or ``study.stop()``."""
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise ValueError(f"n_trials must be a non-negative integer or None, got {n_trials!r}.")
    if timeout is not None and not timeout >= 0:
        raise ValueError(f"timeout must be a non-negative number of seconds or None, got {timeout!r}.")
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (one per CPU), got {n_jobs!r}.")
    catch_tuple = (catch,) if isinstance(catch, type) else tuple(catch)
    callbacks = list(callbacks or [])
    budget = _Budget(n_trials, timeout)
    progress = _ProgressBar(show_progress_bar, n_trials, timeout)
    study._stop_flag = False
    study._optimizing = True

    def loop() -> None:
        while not study._stop_flag and budget.take():
            frozen = run_trial(study, func, catch_tuple)
            progress.update(study, budget)
            for callback in callbacks:
                callback(study, frozen)
            if gc_after_trial:
                gc.collect()

    try:
        if n_jobs == 1:
            loop()
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=n_jobs) as executor:
                futures = [executor.submit(loop) for _ in range(n_jobs)]
                try:
                    for future in concurrent.futures.as_completed(futures):
                        future.result()
                finally:
                    study._stop_flag = True
    finally:
        study._optimizing = False
        progress.close()


def run_trial(study: Study, func: ObjectiveFuncType, catch: tuple[type[Exception], ...]) -> FrozenTrial:
    """Ask for a trial, run ``func`` on it and tell the outcome. Re-raise errors not in ``catch``."""
    trial = study.ask()
    outcome = run_objective(func, trial, len(study.directions))
    try:
        frozen = tell(study, trial, outcome.returned, outcome.state, fail_reason=outcome.fail_reason)
    except UpdateFinishedTrialError:  # e.g. failed as stale by another process while it ran here
        frozen = study.storage.get_trial(trial.trial_id)
        reason = frozen.system_attrs.get(FAIL_REASON_KEY, "")
        _logger.warning(
            f"Trial {frozen.number} was ended {frozen.state.name} by another process while it ran here"
            f"{f' ({reason})' if reason else ''}; its outcome here ({outcome.state.name}) is not stored."
        )
    if outcome.error is not None and not isinstance(outcome.error, catch):
        raise outcome.error
    return frozen
