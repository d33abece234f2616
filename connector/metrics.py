"""Prometheus metrics of the connector.

Counters and histograms are updated where things happen (runs finishing, HTTP responses from
1C and the tracker); queue gauges (outbox depth and oldest age, inbox depth and webhook lag)
are read from the store at scrape time, so every replica reports the shared queue truthfully.
A private ``CollectorRegistry`` keeps tests and several apps in one process independent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import requests
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.store.models import InboxEvent, Link, OutboxIntent, Run
from connector.store.types import utcnow
from connector.sync.core.early_warning import Watched, early_warning, watched_link

log = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The connector's metric families in one registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._guard = threading.Lock()
        self._watching = False
        self.requests = Counter(
            "onec_bridge_requests",
            "HTTP requests to 1C and the tracker",
            ["system", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "onec_bridge_request_seconds",
            "Latency of requests to 1C and the tracker",
            ["system", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.jobs = Counter(
            "onec_bridge_jobs",
            "Scheduled job executions by outcome (ran, skipped_locked, failed)",
            ["job", "outcome"],
            registry=self.registry,
        )

    def observe_response(self, system: str, response: requests.Response) -> None:
        status = str(response.status_code)
        self.requests.labels(system=system, method=response.request.method or "GET", status=status).inc()
        self.latency.labels(system=system, status=status).observe(response.elapsed.total_seconds())

    def instrument(self, session: requests.Session, system: str) -> None:
        """Count and time every response of ``session`` under ``system`` (``onec``/``tracker``)."""

        def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
            self.observe_response(system, response)
            return response

        hooks = session.hooks.setdefault("response", [])
        if not any(getattr(h, "_onec_bridge_system", None) == system for h in hooks):
            hook._onec_bridge_system = system  # type: ignore[attr-defined]
            hooks.append(hook)

    def ensure_store(self, sessions: sessionmaker[Session]) -> None:
        """Expose run totals and queue gauges computed from the store at each scrape (once)."""
        with self._guard:
            if self._watching:
                return
            self.registry.register(QueueCollector(sessions))
            self.registry.register(RunCollector(sessions))
            self.registry.register(RiskCollector(sessions))
            self._watching = True

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RiskCollector(Collector):
    """Early warning at scrape time: open objects per mapping and verdict (at_risk, on_track,
    no_plan, no_progress), from the links' plan, fact and progress (payload ``percent_done`` or
    ``planned_start``/``planned_finish``) with the default thresholds."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "onec_bridge_early_warning_objects",
            "Open objects by early-warning verdict",
            labels=["mapping", "verdict"],
        )
        try:
            with self.sessions() as s:
                rows = s.execute(
                    select(
                        Link.mapping,
                        Link.onec_ref,
                        Link.task_code,
                        Link.planned_minutes,
                        Link.actual_minutes,
                        Link.payload,
                    ).where(Link.status == "open", Link.onec_type != "static")
                ).all()
        except Exception:  # a scrape must not fail because the store hiccuped
            log.warning("early-warning gauge: store unavailable")
            return
        watched: dict[str, list[Watched]] = {}
        for mapping, ref, code, plan, fact, payload in rows:
            watched.setdefault(mapping, []).append(watched_link(ref, code, "", plan, fact, payload))
        today = utcnow().date()
        for mapping, items in sorted(watched.items()):
            counts = {"at_risk": 0, "on_track": 0, "no_plan": 0, "no_progress": 0}
            for a in early_warning(items, today):
                counts[a.verdict] += 1
            for verdict, n in counts.items():
                family.add_metric([mapping, verdict], n)
        yield family


class QueueCollector(Collector):
    """Outbox depth and oldest pending age; inbox depth and webhook lag (oldest unprocessed event)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("onec_bridge_outbox_depth", "Outbox intents by state", labels=["state"])
        age = GaugeMetricFamily("onec_bridge_outbox_oldest_age_seconds", "Age of the oldest open intent")
        inbox = GaugeMetricFamily("onec_bridge_inbox_depth", "Webhook events by state", labels=["state"])
        lag = GaugeMetricFamily(
            "onec_bridge_webhook_lag_seconds", "Age of the oldest webhook event not processed yet"
        )
        try:
            with self.sessions() as s:
                now = utcnow()
                for state, n in s.execute(
                    select(OutboxIntent.state, func.count()).group_by(OutboxIntent.state)
                ):
                    depth.add_metric([state], n)
                oldest = s.execute(
                    select(func.min(OutboxIntent.created_at)).where(
                        OutboxIntent.state.in_(("pending", "claimed"))
                    )
                ).scalar_one()
                age.add_metric([], (now - oldest).total_seconds() if oldest else 0.0)
                for state, n in s.execute(select(InboxEvent.state, func.count()).group_by(InboxEvent.state)):
                    inbox.add_metric([state], n)
                first = s.execute(
                    select(func.min(InboxEvent.received_at)).where(
                        InboxEvent.state.in_(("pending", "claimed"))
                    )
                ).scalar_one()
                lag.add_metric([], (now - first).total_seconds() if first else 0.0)
        except Exception as exc:  # the store being down must not break the scrape
            log.warning("queue metrics unavailable: %s", exc)
            return
        yield from (depth, age, inbox, lag)


class RunCollector(Collector):
    """Runs by kind/status and run items by outcome/reason, summed from the run history.

    The store is the shared truth of all replicas, so each replica reports the same totals.
    Finished runs are folded in once (a watermark below the oldest unfinished run), so a scrape
    reads only the runs that are new or were still running last time.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.floor = 0
        self.folded: set[int] = set()
        self.runs: dict[tuple[str, str], int] = {}
        self.items: dict[tuple[str, str, str], int] = {}

    def _fold(self, run: Run) -> None:
        key = (run.kind, run.status)
        self.runs[key] = self.runs.get(key, 0) + 1
        counters = {k: v for k, v in (run.counters or {}).items() if isinstance(v, int) and v > 0}
        explained: dict[str, int] = {}
        for name, value in counters.items():
            outcome, _, reason = name.partition(":")
            if reason:
                self._add(run.kind, outcome, reason, value)
                explained[outcome] = explained.get(outcome, 0) + value
        for name, value in counters.items():
            if ":" not in name and value > explained.get(name, 0):
                self._add(run.kind, name, "none", value - explained.get(name, 0))

    def _add(self, kind: str, outcome: str, reason: str, n: int) -> None:
        self.items[(kind, outcome, reason)] = self.items.get((kind, outcome, reason), 0) + n

    def collect(self) -> Iterator[CounterMetricFamily]:
        try:
            with self.sessions() as s:
                rows = s.execute(select(Run).where(Run.id >= self.floor).order_by(Run.id)).scalars().all()
                unfinished = [r.id for r in rows if r.finished_at is None]
                for run in rows:
                    if run.finished_at is not None and run.id not in self.folded:
                        self._fold(run)
                        self.folded.add(run.id)
                top = max((r.id for r in rows), default=self.floor - 1)
                self.floor = min(unfinished) if unfinished else top + 1
                self.folded = {i for i in self.folded if i >= self.floor}
        except Exception as exc:  # the store being down must not break the scrape
            log.warning("run metrics unavailable: %s", exc)
        runs = CounterMetricFamily("onec_bridge_runs", "Finished sync runs", labels=["kind", "status"])
        for (kind, status), n in sorted(self.runs.items()):
            runs.add_metric([kind, status], n)
        items = CounterMetricFamily(
            "onec_bridge_run_items",
            "Items of finished runs by outcome and reason",
            labels=["kind", "outcome", "reason"],
        )
        for (kind, outcome, reason), n in sorted(self.items.items()):
            items.add_metric([kind, outcome, reason], n)
        yield runs
        yield items


_default: Metrics | None = None


def default_metrics() -> Metrics:
    """The process-wide metrics (the service's; tests may build their own ``Metrics``)."""
    global _default
    if _default is None:
        _default = Metrics()
    return _default
