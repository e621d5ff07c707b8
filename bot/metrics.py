"""Prometheus metrics: what an operator graphs and alerts on.

The metric objects live in prometheus_client's default registry (with its process and
platform collectors), so any module records with one call and /metrics shows it all.
Outbox backlog is read from the database at scrape time, since other processes may share
the outbox; everything else counts events in this process.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterator

from prometheus_client import REGISTRY, CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from adapters.errors import SendError

INTAKE = Counter("aduan_intake_messages", "Inbound messages committed, by channel and outcome", ["channel", "outcome"])
INTAKE_SECONDS = Histogram("aduan_intake_seconds", "From submit to durable commit, by channel", ["channel"],
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
GROUP_COMMIT = Histogram("aduan_intake_group_commit_size", "Messages per intake group commit",
                         buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256))
SENDS = Counter("aduan_sends", "Outbound messages sent, by channel", ["channel"])
SEND_FAILURES = Counter("aduan_send_failures", "Failed send attempts, by channel and error kind", ["channel", "kind"])
SLA_ALERTS = Counter("aduan_sla_alerts", "SLA warnings and breaches recorded, by kind", ["kind"])
HTTP_REQUESTS = Counter("aduan_http_requests", "HTTP requests by route template, method and status",
                        ["route", "method", "status"])
HTTP_SECONDS = Histogram("aduan_http_request_seconds", "HTTP request duration by route template", ["route"])


def intake_committed(channel: str, outcome: str, seconds: float) -> None:
    INTAKE.labels(channel, outcome).inc()
    INTAKE_SECONDS.labels(channel).observe(seconds)


def group_committed(size: int) -> None:
    GROUP_COMMIT.observe(size)


def sent(channel: str) -> None:
    SENDS.labels(channel).inc()


def send_failed(channel: str, exc: BaseException) -> None:
    # The adapters' error classes are a small closed set; anything else is an adapter bug.
    kind = type(exc).__name__ if isinstance(exc, SendError) else "unexpected"
    SEND_FAILURES.labels(channel, kind).inc()


def sla_alert(kind: str) -> None:
    SLA_ALERTS.labels(kind).inc()


class BacklogCollector(Collector):
    """Outbox depth and oldest age per lane, from the snapshot the /metrics handler just read."""

    def __init__(self) -> None:
        self.snapshot: dict[str, tuple[int, datetime]] = {}
        self.now = datetime.now(timezone.utc)

    def update(self, snapshot: dict[str, tuple[int, datetime]], now: datetime) -> None:
        self.snapshot, self.now = snapshot, now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily("aduan_outbox_queued", "Pending outbound messages per lane", labels=["lane"])
        age = GaugeMetricFamily("aduan_outbox_oldest_age_seconds", "Age of the oldest pending message per lane",
                                labels=["lane"])
        for lane, (count, oldest) in sorted(self.snapshot.items()):
            if oldest.tzinfo is None:  # SQLite hands back naive UTC
                oldest = oldest.replace(tzinfo=timezone.utc)
            depth.add_metric([lane], count)
            age.add_metric([lane], max(0.0, (self.now - oldest).total_seconds()))
        yield depth
        yield age


BACKLOG = BacklogCollector()
REGISTRY.register(BACKLOG)


def exposition(backlog: dict[str, tuple[int, datetime]], now: datetime) -> tuple[bytes, str]:
    """The text exposition of every metric, with the outbox snapshot taken for this scrape."""
    BACKLOG.update(backlog, now)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST

