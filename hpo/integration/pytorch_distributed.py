"""``TorchDistributedTrial``: one trial shared by the processes of a ``torch.distributed`` job, as
optuna-integration's.

Rank 0 holds the real trial and answers every call; the other ranks receive the answer, and the
trial's properties after it, as JSON in a uint8 tensor broadcast (optuna-integration uses
``broadcast_object_list``, which unpickles what rank 0 sent; this module unpickles nothing).
"""

from __future__ import annotations

import datetime
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hpo import exceptions
from hpo.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
    json_to_distribution,
)
from hpo.exceptions import ExperimentalWarning
from hpo.integration._imports import try_import
from hpo.trial import BaseTrial

with try_import("torch") as _imports:
    import torch
    import torch.distributed as dist

__all__ = ["TorchDistributedTrial"]

#: Exceptions a non-zero rank re-raises by name when rank 0's call raised one (others: RuntimeError).
_ERRORS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (ValueError, TypeError, KeyError, RuntimeError, NotImplementedError, AttributeError,
                exceptions.TrialPruned, exceptions.UpdateFinishedTrialError, exceptions.StorageInternalError)
}
_gloo_group: Any = None


@dataclass(frozen=True)
class _Answer:
    """What rank 0 sends after each call: the result or the error, and the trial's properties."""

    result: Any
    error: tuple[str, str] | None
    number: int
    params: dict[str, Any]
    distributions: dict[str, str]  # name -> distribution_to_json
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    datetime_start: str | None

    def encode(self) -> bytes:
        return json.dumps(self.__dict__).encode()

    @classmethod
    def decode(cls, data: bytes) -> _Answer:
        fields = json.loads(data.decode())
        error = fields.pop("error")
        return cls(error=tuple(error) if error is not None else None, **fields)


class TorchDistributedTrial(BaseTrial):
    """A trial every process of a ``torch.distributed`` job calls in step.

    Rank 0 passes its :class:`~hpo.trial.Trial` (any ``BaseTrial``), the other ranks ``None``; every
    method must then be called by all ranks together (each call is a collective operation). Rank 0
    runs the call and broadcasts its result, so all ranks get the same parameters and pruning
    decisions; an exception on rank 0 is raised on every rank (on the others as the same built-in or
    hpo exception type with rank 0's message, else as ``RuntimeError``). Experimental, as in Optuna.

    Args:
        trial: The trial on rank 0; ``None`` on the other ranks.
        group: The process group to communicate in; it must support CPU tensors. Default: the
            default group (initialized with ``torch.distributed.init_process_group``), or a gloo
            group made once from it when its backend is nccl.
    """

    def __init__(self, trial: BaseTrial | None, group: Any = None) -> None:
        warnings.warn(
            "TorchDistributedTrial is experimental (supported from v2.6.0). The interface can change in the future.",
            ExperimentalWarning,
            stacklevel=2,
        )
        _imports.check()
        self._group = group if group is not None else _default_group()
        if dist.get_rank(self._group) == 0:
            if not isinstance(trial, BaseTrial):
                raise ValueError("Rank 0 node expects an hpo.trial.Trial instance as the trial argument.")
        elif trial is not None:
            raise ValueError("Non-rank 0 node is supposed to receive None as the trial argument.")
        self._delegate = trial
        self._answer = self._call(lambda: None)

    # --- the calls, run on rank 0 ------------------------------------------------------------
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        def suggest() -> Any:
            trial = self._rank0_trial()
            if isinstance(distribution, FloatDistribution):
                return trial.suggest_float(name, distribution.low, distribution.high, step=distribution.step,
                                           log=distribution.log)
            if isinstance(distribution, IntDistribution):
                return trial.suggest_int(name, distribution.low, distribution.high, step=distribution.step,
                                         log=distribution.log)
            assert isinstance(distribution, CategoricalDistribution)
            return trial.suggest_categorical(name, distribution.choices)

        return self._call(suggest).result

    def report(self, value: float, step: int) -> None:
        self._call(lambda: self._rank0_trial().report(value, step))

    def should_prune(self) -> bool:
        return bool(self._call(lambda: bool(self._rank0_trial().should_prune())).result)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._call(lambda: self._rank0_trial().set_user_attr(key, value))

    def set_system_attr(self, key: str, value: Any) -> None:
        """Deprecated in Optuna 3.1: set a system attribute of the trial (rank 0's trial must have them)."""
        warnings.warn("set_system_attr has been deprecated in v3.1.0.", FutureWarning, stacklevel=2)

        def set_attr() -> None:
            setter = getattr(self._rank0_trial(), "set_system_attr", None)
            if setter is None:
                raise NotImplementedError(f"{type(self._delegate).__name__} has no system attributes to set.")
            setter(key, value)

        self._call(set_attr)

    # --- the properties, as rank 0 last sent them -------------------------------------------
    @property
    def number(self) -> int:
        return self._answer.number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._answer.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return {name: json_to_distribution(d) for name, d in self._answer.distributions.items()}

    @property
    def user_attrs(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._answer.user_attrs))

    @property
    def system_attrs(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._answer.system_attrs))

    @property
    def datetime_start(self) -> datetime.datetime | None:
        started = self._answer.datetime_start
        return datetime.datetime.fromisoformat(started) if started is not None else None

    # --- communication ------------------------------------------------------------------------
    def _rank0_trial(self) -> BaseTrial:
        assert self._delegate is not None, "only rank 0 runs the calls"
        return self._delegate

    def _call(self, func: Callable[[], Any]) -> _Answer:
        """Run ``func`` on rank 0; every rank gets its result (or raises its error) and the new properties."""
        error: BaseException | None = None
        if dist.get_rank(self._group) == 0:
            result = None
            try:
                result = func()
            except Exception as e:  # raised on every rank below, after the broadcast
                error = e
            trial = self._rank0_trial()
            started = trial.datetime_start
            answer = _Answer(
                result=result,
                error=(type(error).__name__, str(error)) if error is not None else None,
                number=trial.number,
                params=trial.params,
                distributions={name: distribution_to_json(d) for name, d in trial.distributions.items()},
                user_attrs=trial.user_attrs,
                system_attrs=getattr(trial, "system_attrs", {}),
                datetime_start=started.isoformat() if started is not None else None,
            )
            self._broadcast(answer.encode())
        else:
            answer = _Answer.decode(self._broadcast(None))
        self._answer = answer
        if error is not None:
            raise error
        if answer.error is not None:
            name, message = answer.error
            raise _ERRORS.get(name, RuntimeError)(message if name in _ERRORS else f"{name} on rank 0: {message}")
        return answer

    def _broadcast(self, data: bytes | None) -> bytes:
        """Rank 0's ``data`` on every rank: its length, then its bytes, as CPU tensors."""
        size = torch.tensor([len(data) if data is not None else 0], dtype=torch.int64)
        dist.broadcast(size, src=0, group=self._group)
        buffer = (torch.frombuffer(bytearray(data), dtype=torch.uint8) if data is not None
                  else torch.empty(int(size.item()), dtype=torch.uint8))
        dist.broadcast(buffer, src=0, group=self._group)
        return data if data is not None else bytes(buffer.numpy().tobytes())


def _default_group() -> Any:
    """The default process group, or (once) a gloo group beside it when the default one is nccl."""
    global _gloo_group
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError(
            "torch distributed is not initialized: call torch.distributed.init_process_group(...) in every "
            "process before making a TorchDistributedTrial, or pass group=."
        )
    if _gloo_group is None:
        world = dist.group.WORLD
        _gloo_group = dist.new_group(backend="gloo") if dist.get_backend(world) == "nccl" else world
    return _gloo_group
