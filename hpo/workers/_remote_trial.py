"""``RemoteTrial``: the trial an objective receives on a worker; the coordinator decides everything."""

from __future__ import annotations

import datetime
import json
import warnings
from typing import TYPE_CHECKING, Any

from hpo.distributed import wire
from hpo.distributions import (
    BaseDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from hpo.outcome import validate_report
from hpo.trial import BaseTrial
from hpo.workers._channel import AttemptChannel

if TYPE_CHECKING:
    from hpo.artifacts import ArtifactMeta  # the workers do not import studies and storages


class RemoteTrial(BaseTrial):
    """Define-by-run over the wire.

    Parameters the coordinator sampled ahead (the relative search space and enqueued values)
    come with the task and cost nothing; any other ``suggest_*`` is one round trip;
    ``report`` is one round trip that returns the pruner's decision, which ``should_prune``
    then answers locally. Params taken from the task and user attrs ride along with the next
    message, so they cost no round trip of their own; so do the metas of uploaded artifacts
    (``hpo.artifacts.upload_artifact(..., study_or_trial=trial)``), which the coordinator stores as the
    trial's system attrs.
    """

    def __init__(self, task: wire.TrialTask, channel: AttemptChannel) -> None:
        self._task = task
        self._channel = channel
        self._presampled = {
            name: (entry["value"], json_to_distribution(entry["distribution"])) for name, entry in task.params.items()
        }
        self._params: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._intermediate_steps: set[int] = set()
        self._unsent_params: dict[str, Any] = {}
        self._unsent_attrs: dict[str, Any] = {}
        self._artifacts: list[ArtifactMeta] = []
        self._unsent_artifacts: list[wire.ArtifactRecord] = []
        self._prune = False
        self._datetime_start = datetime.datetime.now()

    # --- define-by-run ------------------------------------------------------------------------
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name in self._distributions:
            check_distribution_compatibility(self._distributions[name], distribution, param_name=name)
            return self._params[name]
        if name in self._presampled and self._presampled_fits(name, distribution):
            value = self._presampled[name][0]
            self._unsent_params[name] = {"value": value, "distribution": distribution_to_json(distribution)}
        else:
            reply = self._channel.request(
                wire.Suggest(**self._header(), seq=self._channel.next_seq(), name=name,
                             distribution=distribution_to_json(distribution), **self.take_unsent())
            )
            if not reply.ok:
                raise ValueError(reply.error)
            value = reply.value
        self._params[name] = value
        self._distributions[name] = distribution
        return value

    def _presampled_fits(self, name: str, distribution: BaseDistribution) -> bool:
        value, sampled_from = self._presampled[name]
        check_distribution_compatibility(sampled_from, distribution, param_name=name)
        return distribution._contains(distribution.to_internal_repr(value))

    # --- pruning ------------------------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        value, step = validate_report(value, step, self._task.n_objectives)
        if step in self._intermediate_steps:
            warnings.warn(
                f"The reported value is ignored because step {step} was already reported.", UserWarning, stacklevel=2
            )
            return
        reply = self._channel.request(
            wire.Report(**self._header(), seq=self._channel.next_seq(), step=step, value=value, **self.take_unsent())
        )
        if not reply.ok:
            raise RuntimeError(reply.error)
        self._intermediate_steps.add(step)
        self._prune = reply.prune

    def should_prune(self) -> bool:
        if self._task.n_objectives > 1:
            raise NotImplementedError(
                "Trial.should_prune is not supported for multi-objective studies: pruners need one value."
            )
        return self._prune

    # --- attributes ---------------------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError) as e:
            raise TypeError(f"User attr {key!r} must be JSON-serializable to travel to the coordinator: {e}.") from e
        if size > wire.MAX_MESSAGE_BYTES // 2:
            raise ValueError(
                f"User attr {key!r} is {size} bytes as JSON; a trial's messages carry at most "
                f"{wire.MAX_MESSAGE_BYTES} bytes. Write large data to a file or an artifact store and keep "
                "its path in the attr."
            )
        self._user_attrs[key] = value
        self._unsent_attrs[key] = value

    def record_artifact(self, meta: ArtifactMeta) -> None:
        """Keep the meta of an artifact uploaded to this trial; it travels with the next message."""
        self._artifacts.append(meta)
        self._unsent_artifacts.append(wire.ArtifactRecord(
            artifact_id=meta.artifact_id, filename=meta.filename, mimetype=meta.mimetype, encoding=meta.encoding
        ))

    @property
    def artifact_metas(self) -> list[ArtifactMeta]:
        """The metas of the artifacts this attempt uploaded."""
        return list(self._artifacts)

    @property
    def number(self) -> int:
        return self._task.number

    @property
    def attempt(self) -> int:
        return self._task.attempt

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

    @property
    def study_name(self) -> str:
        return self._task.study_name

    # --- plumbing -----------------------------------------------------------------------------
    def _header(self) -> dict[str, Any]:
        task = self._task
        return {"study_id": task.study_id, "trial_id": task.trial_id, "attempt": task.attempt, "token": task.token}

    def take_unsent(self) -> dict[str, Any]:
        """The params taken from the task, user attrs and artifact metas not yet sent, as message
        fields; now counted sent."""
        unsent = {"used_params": self._unsent_params, "user_attrs": self._unsent_attrs,
                  "artifacts": self._unsent_artifacts or None}
        self._unsent_params, self._unsent_attrs, self._unsent_artifacts = {}, {}, []
        return unsent
