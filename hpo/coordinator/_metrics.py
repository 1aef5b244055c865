"""The coordinator's Prometheus metrics (``/metrics``) and health endpoint (``/healthz``).

Counters and the report histogram are updated on the inbox lane; everything else is read from the
coordinator's own state when Prometheus scrapes, so an idle coordinator does no work for them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hpo.records import TrialState

if TYPE_CHECKING:
    from hpo.coordinator._coordinator import Coordinator

_logger = logging.getLogger(__name__)

#: Report-to-decision latency buckets, in seconds: a report is answered in about 1 to 5 ms.
_LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class CoordinatorMetrics:
    """The metrics of one coordinator, in a registry of its own."""

    def __init__(self, coordinator: Coordinator) -> None:
        self.registry = CollectorRegistry()
        self.reports = Counter("hpo_reports", "Intermediate values reported by trials.", registry=self.registry)
        self.report_seconds = Histogram(
            "hpo_report_decision_seconds",
            "From a report's arrival at the coordinator to its pruning decision.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_StateCollector(coordinator))

    def observe_report(self, seconds: float) -> None:
        self.reports.inc()
        self.report_seconds.observe(seconds)


class _StateCollector(Collector):
    """Gauges read from the coordinator when scraped."""

    def __init__(self, coordinator: Coordinator) -> None:
        self._coordinator = coordinator

    def collect(self) -> Iterator[GaugeMetricFamily]:
        coordinator = self._coordinator
        runs = coordinator.jobs.runs()
        yield GaugeMetricFamily("hpo_coordinator_up", "1 while the coordinator's lanes run.",
                                value=1.0 if coordinator.healthy() else 0.0)
        yield GaugeMetricFamily("hpo_studies_running", "Studies whose trials are being published.",
                                value=sum(run.job.running for run in runs))
        trials = GaugeMetricFamily("hpo_trials", "Trials of the studies hosted since the start, by state.",
                                   labels=["state"])
        study_ids = [study.study_id for study in coordinator.storage.get_all_studies()]
        for state in TrialState:
            trials.add_metric([state.name], sum(coordinator.storage.get_n_trials(i, state) for i in study_ids))
        yield trials
        queues = sorted({run.queue for run in runs} | set(coordinator.slots.queues()))
        depth = GaugeMetricFamily("hpo_queue_depth", "Trial tasks waiting in each queue.", labels=["queue"])
        try:
            for queue, length in zip(queues, coordinator.queue_lengths(queues)):
                depth.add_metric([queue], length)
        except redis.RedisError as e:  # scraped during a Redis outage: the other metrics still count
            _logger.debug("Queue depths unavailable: %s", e)
        yield depth
        workers = GaugeMetricFamily("hpo_workers_alive", "Worker processes announcing each queue.", labels=["queue"])
        slots = GaugeMetricFamily("hpo_worker_slots", "Trials the workers of each queue run at once.",
                                  labels=["queue"])
        for queue in queues:
            hosts, capacity = coordinator.slots.workers(queue)
            workers.add_metric([queue], hosts)
            slots.add_metric([queue], capacity)
        yield workers
        yield slots
        yield GaugeMetricFamily("hpo_sql_writer_lag_seconds", "Age of the oldest write not yet stored in SQL.",
                                value=coordinator.storage.writer.lag_s())


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


class MetricsServer:
    """Serves ``/metrics`` (Prometheus text format) and ``/healthz`` (200 ``ok`` while ``healthy()``,
    else 503) from a daemon thread."""

    def __init__(self, metrics: CoordinatorMetrics, healthy: Callable[[], bool], host: str, port: int) -> None:
        metrics_app = make_wsgi_app(metrics.registry)

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                ok = healthy()
                start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"ok\n" if ok else b"unhealthy\n"]
            return metrics_app(environ, start_response)

        self._server = make_server(host, port, app, server_class=_Server, handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="hpo-metrics", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
