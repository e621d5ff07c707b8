"""The production log filter with the X channel's secrets, as bot/cli.py installs it."""
from __future__ import annotations

from typing import Any

import pytest

from adapters.twitter import SPEC
from tests.adapters.twitter.support import make_settings
from tests.harness.logsafe import production_log_redaction


@pytest.fixture(autouse=True)
def _log_redaction() -> Any:
    with production_log_redaction(SPEC, make_settings()):
        yield
