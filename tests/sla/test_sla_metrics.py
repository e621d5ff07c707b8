"""SLA warnings and breaches are counted for /metrics, once each like the alerts themselves."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prometheus_client import REGISTRY

from tests.sla.conftest import report, sweeper

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


def _count(kind: str) -> float:
    return REGISTRY.get_sample_value("aduan_sla_alerts_total", {"kind": kind}) or 0.0


async def test_warning_and_breach_counted_once(make_gateway, clock, officer_calls) -> None:
    clock.set(T0)
    gw = await make_gateway()
    await report(gw)
    kinds = ("coordinate_warning", "coordinate_breach")
    before = {k: _count(k) for k in kinds}
    for when in (T0 + timedelta(hours=5), T0 + timedelta(hours=5, minutes=30), T0 + timedelta(hours=6)):
        clock.set(when)
        await sweeper(gw).sweep(gw, clock.now())
    assert {k: _count(k) - before[k] for k in kinds} == {"coordinate_warning": 1, "coordinate_breach": 1}
