"""Fixtures the Meta channels' tests share (imported by their conftests): the clock the adapter and
the Graph fake agree on, and an HTTP client."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import AsyncIterator

import httpx
import pytest

from tests.harness.graph_fake import StepClock

NOW = datetime(2024, 11, 28, 8, 30, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> StepClock:
    return StepClock(NOW)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client
