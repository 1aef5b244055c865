"""What the dashboard shows, read from a storage (never written) and, optionally, a broker."""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import math
import operator
import re
import threading
from collections import Counter
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import redis

from hpo.coordinator import JOB_KEY, WORKER_KEY, job_queue
from hpo.dashboard._thin import thin
from hpo.exceptions import HpoError
from hpo.outcome import FAIL_REASON_KEY
from hpo.pruners import PRUNE_REASON_KEY
from hpo.records import FrozenStudy, StudyDirection, TrialState
from hpo.storages import BaseStorage
from hpo.study import Study
from hpo.trial import FrozenTrial

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Figures kept per process (the latest of each study, chart and choice of parameters).
FIGURES_KEPT = 64
#: Seconds a coordinator's lease may go unrenewed before the runtime panel reports it down.
LEASE_STALE_S = 5.0
#: Whole history charts kept per process (thinned copies of them are sent).
HISTORIES_KEPT = 8
#: Largest page of the trials table.
MAX_LIMIT = 1000
#: Trials the charts that draw a mark per trial (:data:`SAMPLED_CHARTS`) draw at most: a larger study's are
#: sampled (:class:`SampledStudy`); 20,000 trials' slice and timeline are 1.5 and 7 MB, seconds in a browser.
CHART_TRIALS = 2000
SAMPLED_CHARTS = ("intermediate", "parallel", "slice", "contour", "timeline")
#: Sorted and filtered orders kept per study (one per sort/filter a browser asks for).
ORDERS_KEPT = 8

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le, ">=": operator.ge, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "=": operator.eq,
    "~": lambda a, b: str(b).lower() in str(a).lower(),
}
_CONDITION = re.compile(r"^\s*([^<>=!~]+?)\s*(<=|>=|!=|<|>|=|~)\s*(.*?)\s*$")


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(sep=" ", timespec="seconds")


def _finite(value: Any) -> Any:
    """A JSON-safe number: inf and nan become strings."""
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _duration(trial: FrozenTrial) -> float | None:
    start, end = trial.datetime_start, trial.datetime_complete
    return None if start is None or end is None else round((end - start).total_seconds(), 3)


def _worker(trial: FrozenTrial) -> str | None:
    worker = trial.system_attrs.get(WORKER_KEY)
    return None if worker is None else str(worker)


def trial_row(trial: FrozenTrial) -> dict[str, Any]:
    """The trials table's row of a trial."""
    return {
        "number": trial.number,
        "state": trial.state.name,
        "values": None if trial.values is None else [_finite(v) for v in trial.values],
        "params": {k: _finite(v) for k, v in trial.params.items()},
        "datetime_start": _iso(trial.datetime_start),
        "datetime_complete": _iso(trial.datetime_complete),
        "duration": _duration(trial),
        "worker": _worker(trial),
    }


_COLUMNS: dict[str, Callable[[FrozenTrial], Any]] = {
    "number": lambda t: t.number,
    "state": lambda t: t.state.name,
    "datetime_start": lambda t: _iso(t.datetime_start),
    "datetime_complete": lambda t: _iso(t.datetime_complete),
    "duration": _duration,
    "worker": _worker,
}


def _cell(column: str) -> Callable[[FrozenTrial], Any]:
    """A column's cell of a trial, as its table row shows it (:func:`trial_row`), read from the trial itself:
    sorting and filtering build no row."""
    if column.startswith("param:"):
        name = column[len("param:"):]
        return lambda t: _finite(t.params.get(name))
    if re.fullmatch(r"value\d*", column):
        index = int(column[len("value"):] or 0)
        return lambda t: _finite(t.values[index]) if t.values is not None and index < len(t.values) else None
    if column in _COLUMNS:
        return _COLUMNS[column]
    raise ValueError(f"Unknown sort column {column!r}: number, state, value, value1, param:NAME, "
                     "datetime_start, datetime_complete, duration or worker.")


def _sort_key(column: str) -> Callable[[FrozenTrial], tuple[int, Any]]:
    """Trials without the column sort last; numbers before strings."""
    get = _cell(column)

    def key(trial: FrozenTrial) -> tuple[int, Any]:
        value = get(trial)
        if value is None:
            return (2, 0)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return (0, value)
        return (1, str(value))

    return key


def _condition(text: str) -> Callable[[FrozenTrial], bool]:
    """One filter condition ``NAME OP VALUE`` (OP: < <= > >= = != ~, ~ meaning contains)."""
    match = _CONDITION.match(text)
    if match is None:
        raise ValueError(f"Cannot read the filter {text!r}: write NAME OP VALUE, e.g. value<0.5 or lr>=1e-3 "
                         "or state=COMPLETE or worker~gpu (OP: < <= > >= = != ~).")
    name, op, raw = match.groups()
    compare = _OPS[op]
    wanted: Any = raw
    try:
        wanted = float(raw)
    except ValueError:
        pass
    column = name if name in ("number", "state", "datetime_start", "datetime_complete", "duration", "worker") \
        or re.fullmatch(r"value\d*", name) else "param:" + name
    get = _sort_key(column)

    def test(trial: FrozenTrial) -> bool:
        kind, value = get(trial)
        if kind == 2:
            return False
        if op != "~" and isinstance(wanted, float) != (kind == 0):
            return compare(str(value).lower(), str(wanted).lower()) if op in ("=", "!=") else False
        return bool(compare(value, wanted))

    return test


def parse_filter(text: str) -> Callable[[FrozenTrial], bool] | None:
    """The trials a filter keeps: conditions separated by commas or ``and``, all of which must hold."""
    parts = [p for p in re.split(r",|\band\b", text) if p.strip()]
    if not parts:
        return None
    conditions = [_condition(p) for p in parts]
    return lambda trial: all(c(trial) for c in conditions)


class _StudyRows:
    """A study's table rows, built when a page, sort or filter needs them, and again only for trials the
    storage replaced since."""

    def __init__(self) -> None:
        self.trials: list[FrozenTrial] = []
        self.built: dict[int, tuple[FrozenTrial, dict[str, Any]]] = {}
        self.version = ""
        self.orders: dict[tuple[str, bool, str], list[int]] = {}

    def update(self, trials: list[FrozenTrial], version: str) -> None:
        if version != self.version:
            self.trials, self.version, self.orders = trials, version, {}

    def row(self, index: int) -> dict[str, Any]:
        trial = self.trials[index]
        built = self.built.get(trial.number)
        if built is None or built[0] is not trial:
            built = self.built[trial.number] = (trial, trial_row(trial))
        return built[1]

    def order(self, sort: str, descending: bool, filter_text: str) -> Sequence[int]:
        """The rows' indices in this order; by number, unfiltered, without building any row (the storage
        gives the trials sorted by number)."""
        keep = parse_filter(filter_text)
        if sort == "number" and keep is None:
            return range(len(self.trials) - 1, -1, -1) if descending else range(len(self.trials))
        key = (sort, descending, filter_text)
        if key not in self.orders:
            sort_key = _sort_key(sort)
            keys = {i: sort_key(trial) for i, trial in enumerate(self.trials) if keep is None or keep(trial)}
            # Rows without the column stay last in either order.
            present = [i for i, k in keys.items() if k[0] != 2]
            present.sort(key=keys.__getitem__, reverse=descending)
            if len(self.orders) >= ORDERS_KEPT:
                self.orders.pop(next(iter(self.orders)))
            self.orders[key] = present + [i for i, k in keys.items() if k[0] == 2]
        return self.orders[key]


def trials_version(trials: list[FrozenTrial], finished_before: int = 0) -> str:
    """Changes when a trial is added, finishes, or reports an intermediate value. ``finished_before``:
    the trials before it are known finished (they never change again), so only the rest are read."""
    finished = finished_before
    reported = 0
    for trial in trials[finished_before:]:
        if trial.state.is_finished():
            finished += 1
        else:
            reported += len(trial.intermediate_values) + 1000 * trial.state
    return f"{len(trials)}.{finished}.{reported}"


@dataclass(frozen=True)
class View:
    """The plot area a chart is drawn for: pixels, and the data ranges shown (None: all of it)."""

    width: int
    height: int
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not (0 < self.width <= 10_000 and 0 < self.height <= 10_000):
            raise ValueError(f"width and height must be 1..10000 pixels, got {self.width} x {self.height}.")
        for name, span in (("x", self.x_range), ("y", self.y_range)):
            if span is not None and not (math.isfinite(span[0]) and math.isfinite(span[1]) and span[0] < span[1]):
                raise ValueError(f"{name}0 < {name}1 must be finite numbers, got {span}.")


class SampledStudy(Study):
    """A study whose trials, for a chart, are at most :data:`CHART_TRIALS`: the latest ones (``latest``),
    or every k-th COMPLETE trial and the best (their spread over the search space is kept)."""

    def __init__(self, study_name: str, storage: BaseStorage, latest: bool) -> None:
        super().__init__(study_name, storage)
        trials = super().get_trials(deepcopy=False)
        self.n_trials = len(trials)
        if latest:
            self.sample = trials[-CHART_TRIALS:]
        else:
            complete = [t for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
            step = max(1, math.ceil(len(complete) / CHART_TRIALS))
            kept = complete[::step]
            if len(self.directions) == 1 and complete:
                pick = min if self.directions[0] == StudyDirection.MINIMIZE else max
                best = pick(complete, key=lambda t: (t.values or [0.0])[0])
                if best not in kept:
                    kept = sorted([*kept, best], key=lambda t: t.number)
            self.sample = kept if len(kept) < len(trials) else trials

    def get_trials(self, deepcopy: bool = True, states: Container[TrialState] | None = None) -> list[FrozenTrial]:
        trials = [t for t in self.sample if states is None or t.state in states]
        return copy.deepcopy(trials) if deepcopy else trials


def draw_figure(data: DashboardData, name: str, kind: str, params: list[str], objective: int) -> go.Figure:
    """A chart of the study as a plotly figure, drawn by :mod:`hpo.visualization`. Over :data:`CHART_TRIALS`
    trials, the charts drawing a mark per trial draw a :class:`SampledStudy`; ``layout.meta`` then says
    so (``trials_shown`` of ``trials``)."""
    from hpo import visualization as vis

    frozen = data.study(name)
    study: Study = Study(frozen.study_name, data.storage)
    if kind in SAMPLED_CHARTS and len(data.trials(frozen.study_id)) > CHART_TRIALS:
        study = SampledStudy(frozen.study_name, data.storage, latest=kind in ("timeline", "intermediate"))
    multi = len(frozen.directions) > 1
    target: dict[str, Any] = {}
    if multi:
        target = {"target": lambda t: t.values[objective], "target_name": f"Objective {objective}"}
    chosen = params or None
    draw: dict[str, Callable[[], Any]] = {
        "history": lambda: vis.plot_optimization_history(study, **target),
        "intermediate": lambda: vis.plot_intermediate_values(study),
        "importance": lambda: vis.plot_param_importances(study, params=chosen, **target),
        "parallel": lambda: vis.plot_parallel_coordinate(study, params=chosen, **target),
        "slice": lambda: vis.plot_slice(study, params=chosen, **target),
        "contour": lambda: vis.plot_contour(study, params=chosen, **target),
        "pareto": lambda: vis.plot_pareto_front(study),
        "timeline": lambda: vis.plot_timeline(study),
    }
    if kind not in draw:
        raise ValueError(f"Unknown chart {kind!r}: one of {', '.join(draw)}.")
    if kind == "pareto" and not multi:
        raise ValueError("The Pareto front needs a study with several objectives.")
    figure = draw[kind]()
    if isinstance(study, SampledStudy):
        figure.layout.meta = {"trials_shown": len(study.sample), "trials": study.n_trials}
    return figure


class DashboardData:
    """Read-only views of the studies of ``storage`` (and of the runtime when ``broker_url`` is given)."""

    def __init__(self, storage: BaseStorage, broker_url: str | None = None) -> None:
        self.storage = storage
        self.broker_url = broker_url
        self._lock = threading.Lock()
        self._rows: dict[int, _StudyRows] = {}
        self._summaries: dict[int, tuple[str, dict[str, Any]]] = {}
        self._figures: dict[tuple[Any, ...], str] = {}
        self._histories: dict[tuple[str, int, str], go.Figure] = {}
        self._leases: dict[str, int] = {}
        self._finished_prefix: dict[int, int] = {}

    def study(self, name: str) -> FrozenStudy:
        for study in self.storage.get_all_studies():
            if study.study_name == name:
                return study
        raise KeyError(name)

    def warm(self) -> None:
        """Read every study's trials, build its table rows (newest first, as a page opens), summary and whole
        history chart now, so that first page views are quick."""
        for study in self.storage.get_all_studies():
            self.page(study.study_name, sort="number", descending=True)
            self.study_summary(study)
            if any(t.state == TrialState.COMPLETE for t in self.trials(study.study_id)):
                self.history(study.study_name, 0)

    def trials_version(self, study_id: int, trials: list[FrozenTrial]) -> str:
        """:func:`trials_version` of a study's trials, reading only those after its first unfinished one
        (a finished study of 100,000 trials: microseconds, not a tenth of a second per request)."""
        with self._lock:
            start = self._finished_prefix.get(study_id, 0)
        start = start if start <= len(trials) else 0
        while start < len(trials) and trials[start].state.is_finished():
            start += 1
        with self._lock:
            self._finished_prefix[study_id] = start
        return trials_version(trials, start)

    def study_summary(self, name: str | FrozenStudy) -> dict[str, Any]:
        """:meth:`summary` of a study (or its name), computed again only when its trials changed."""
        study = self.study(name) if isinstance(name, str) else name
        trials = self.trials(study.study_id)
        version = self.trials_version(study.study_id, trials)
        with self._lock:
            cached = self._summaries.get(study.study_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        summary = self.summary(study, trials, version)
        with self._lock:
            self._summaries[study.study_id] = (version, summary)
        return summary

    def figure(self, name: str, kind: str, params: list[str], objective: int, view: View | None = None) -> str:
        """The chart's plotly figure JSON, drawn again only when the study's trials changed. The history
        is thinned to ``view`` (:func:`hpo.dashboard._thin.thin`); ``layout.meta`` then says how many of its
        points it keeps (``points_shown`` of ``points``)."""
        view = view if kind == "history" else None
        key = (name, kind, tuple(params), objective, view, self.version(name))
        with self._lock:
            cached = self._figures.get(key)
        if cached is None:
            if view is None:
                figure = draw_figure(self, name, kind, params, objective)
            else:
                import plotly.graph_objects

                figure = plotly.graph_objects.Figure(self.history(name, objective, key[-1]))  # a copy, thinned
                shown, points = thin(figure, view.width, view.height, view.x_range, view.y_range)
                figure.layout.meta = {"points_shown": shown, "points": points}
            cached = str(figure.to_json())
            with self._lock:
                if len(self._figures) >= FIGURES_KEPT:
                    self._figures.pop(next(iter(self._figures)))
                self._figures[key] = cached
        return cached

    def history(self, name: str, objective: int, version: str | None = None) -> go.Figure:
        """The study's whole history chart (not copied: never mutate it), kept for the study's version, from
        which each view's is thinned."""
        key = (name, objective, version or self.version(name))
        with self._lock:
            figure = self._histories.get(key)
        if figure is None:
            figure = draw_figure(self, name, "history", [], objective)
            with self._lock:
                if len(self._histories) >= HISTORIES_KEPT:
                    self._histories.pop(next(iter(self._histories)))
                self._histories[key] = figure
        return figure

    def trials(self, study_id: int) -> list[FrozenTrial]:
        """The study's trials, through the storage's incremental cache (not copied: never mutate them)."""
        return self.storage.get_all_trials(study_id, deepcopy=False)

    def studies(self, name_filter: str = "") -> list[dict[str, Any]]:
        """One summary per study whose name contains ``name_filter`` (case-insensitive)."""
        found = []
        for study in self.storage.get_all_studies():
            if name_filter.lower() not in study.study_name.lower():
                continue
            found.append(self.study_summary(study))
        return sorted(found, key=lambda s: s["name"])

    def summary(self, study: FrozenStudy, trials: list[FrozenTrial], version: str) -> dict[str, Any]:
        """Name, directions, state, trials by state, best value(s), last activity and parameter names."""
        counts = Counter(t.state.name for t in trials)
        complete = [(t.number, t.values) for t in trials if t.state == TrialState.COMPLETE and t.values is not None]
        best: list[Any] = []
        if len(study.directions) == 1 and complete:
            pick = min if study.directions[0] == StudyDirection.MINIMIZE else max
            number, values = pick(complete, key=lambda c: c[1][0])
            best = [{"number": number, "values": [_finite(v) for v in values]}]
        moments = [m for t in trials for m in (t.datetime_complete, t.datetime_start) if m is not None]
        try:
            running_job = job_queue(study.system_attrs) is not None
            has_job = JOB_KEY in study.system_attrs
        except HpoError:
            running_job = has_job = False
        running = running_job if has_job else counts.get("RUNNING", 0) > 0 or counts.get("WAITING", 0) > 0
        params = sorted({name for t in trials for name in t.distributions}) if len(trials) < 2000 else \
            sorted({name for t in trials[-2000:] for name in t.distributions})
        return {
            "name": study.study_name,
            "directions": [d.name for d in study.directions],
            "state": ("running on the coordinator" if has_job else "running") if running else "finished",
            "n_trials": len(trials),
            "by_state": dict(sorted(counts.items())),
            "best": best,
            "last_activity": _iso(max(moments)) if moments else None,
            "params": params,
            "version": version,
        }

    def version(self, name: str | None) -> str:
        """A short token that changes whenever the studies list (``name`` None) or that study changes."""
        if name is not None:
            study_id = self.study(name).study_id
            return self.trials_version(study_id, self.trials(study_id))
        parts = [f"{s.study_name}:{self.trials_version(s.study_id, self.trials(s.study_id))}"
                 for s in self.storage.get_all_studies()]
        return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]

    def page(self, name: str, *, limit: int = 50, offset: int = 0, sort: str = "number", descending: bool = False,
             filter_text: str = "") -> dict[str, Any]:
        """One page of the trials table, sorted and filtered on the whole study."""
        if not 0 < limit <= MAX_LIMIT or offset < 0:
            raise ValueError(f"limit must be 1..{MAX_LIMIT} and offset >= 0.")
        study_id = self.study(name).study_id
        trials = self.trials(study_id)
        version = self.trials_version(study_id, trials)
        with self._lock:
            rows = self._rows.setdefault(study_id, _StudyRows())
            rows.update(trials, version)
            order = rows.order(sort, descending, filter_text)
            page = [rows.row(i) for i in order[offset:offset + limit]]
        return {"total": len(order), "n_trials": len(trials), "offset": offset, "rows": page}

    def trial(self, name: str, number: int) -> dict[str, Any]:
        """Everything about one trial: params, values, intermediate values, attrs, why it was pruned or failed."""
        for trial in self.trials(self.study(name).study_id):
            if trial.number == number:
                break
        else:
            raise KeyError(number)
        row = trial_row(trial)
        row.update({
            "distributions": {k: type(d).__name__ for k, d in trial.distributions.items()},
            "intermediate_values": [[step, _finite(v)] for step, v in sorted(trial.intermediate_values.items())],
            "user_attrs": _jsonable(trial.user_attrs),
            "system_attrs": _jsonable({k: v for k, v in trial.system_attrs.items()
                                       if k not in (FAIL_REASON_KEY, PRUNE_REASON_KEY, WORKER_KEY)}),
            "prune_reason": _jsonable(trial.system_attrs.get(PRUNE_REASON_KEY)),
            "fail_reason": trial.system_attrs.get(FAIL_REASON_KEY),
        })
        return row

    def runtime(self) -> dict[str, Any] | None:
        """Workers per queue with their slots and GPUs, queue depths, trials running (started on a worker, or
        in-process) and waiting (published, not started) per study, and the coordinator's health; None
        without a broker."""
        if self.broker_url is None:
            return None
        from hpo.distributed.broker import redis_client

        client = redis_client(self.broker_url)
        try:
            return self._runtime(client)
        except (redis.RedisError, OSError) as e:
            return {"error": f"The broker does not answer: {e}"}
        finally:
            client.close()

    def _coordinator(self, holder: str | None, lease_ms: int) -> dict[str, Any]:
        """The coordinator is up while it holds its lease and renews it (it does every half second): a
        lease that ran down :data:`LEASE_STALE_S` below the longest seen for its holder is a coordinator
        killed or hung, its lease not yet expired."""
        if holder is None or lease_ms < 0:
            return {"alive": False, "holder": None, "lease_ttl_s": None, "renewed_s_ago": None}
        with self._lock:
            longest = max(lease_ms, self._leases.get(holder, 0))
            self._leases = {holder: longest}
        behind = (longest - lease_ms) / 1000
        return {"alive": behind < LEASE_STALE_S, "holder": holder, "lease_ttl_s": round(lease_ms / 1000, 1),
                "renewed_s_ago": round(behind, 1)}

    def _runtime(self, client: redis.Redis) -> dict[str, Any]:
        from hpo.distributed import wire

        holder = client.get(wire.coordinator_key())
        lease_ms = client.pttl(wire.coordinator_key())
        coordinator = self._coordinator(holder.decode(errors="replace") if isinstance(holder, bytes) else holder,
                                        int(lease_ms))
        keys = list(client.scan_iter(match=wire.WORKERS_PATTERN, count=1000))
        queues: dict[str, dict[str, Any]] = {}
        for raw in client.mget(keys) if keys else []:
            if raw is None:
                continue
            try:
                info = wire.parse(raw, wire.WorkerInfo)
            except HpoError:
                continue
            for queue in info.queues:
                entry = queues.setdefault(queue, {"workers": [], "slots": 0, "gpus": []})
                gpus = [str(g) for g in info.gpus or []]
                entry["workers"].append({"hostname": info.hostname, "slots": info.concurrency, "gpus": gpus})
                entry["slots"] += info.concurrency
                entry["gpus"] += gpus
        running: dict[str, int] = {}
        waiting: dict[str, int] = {}
        for study in self.storage.get_all_studies():
            try:
                queue = job_queue(study.system_attrs)
            except HpoError:
                queue = None
            if queue is not None:
                queues.setdefault(queue, {"workers": [], "slots": 0, "gpus": []})
            # A coordinator's trial is RUNNING from its publication; it runs once a worker started it.
            on_coordinator = JOB_KEY in study.system_attrs
            started = published = 0
            for trial in self.trials(study.study_id):
                if trial.state == TrialState.RUNNING:
                    if not on_coordinator or trial.system_attrs.get(WORKER_KEY) is not None:
                        started += 1
                    else:
                        published += 1
            if started:
                running[study.study_name] = started
            if published:
                waiting[study.study_name] = published
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            pipe.llen(queue)
        for queue, depth in zip(list(queues), pipe.execute()):
            queues[queue]["depth"] = int(depth)
        return {
            "coordinator": coordinator,
            "queues": dict(sorted(queues.items())),
            "running": running,
            "waiting": waiting,
        }
