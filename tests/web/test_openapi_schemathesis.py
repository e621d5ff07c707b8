"""Property-based API tests with schemathesis against /openapi.json: every public and
partner operation, a bounded number of generated requests each; no 5xx, and every
answer matches the documented status codes, content types and schemas.

The app runs in-process through schemathesis' ASGI transport. The gateway is started
in the app's lifespan, so its intake writer and database pools live on the same event
loop as the requests (schemathesis runs one loop for every ASGI application)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="pip install schemathesis (see tests/web README note)")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from adapters.partner import PartnerAdapter  # noqa: E402
from bot.clock import FakeClock  # noqa: E402
from bot.gateway import Gateway  # noqa: E402
from bot.http.app import create_app  # noqa: E402
from tests.web.conftest import GatewayLifespan, fresh_database_url, web_config  # noqa: E402

MAX_EXAMPLES = 8
# Valid requests, and requests that break the schema (each must still get a documented 4xx).
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    url = fresh_database_url(migrated_template, tmp)
    config = web_config(Path(tmp), url)
    gateway = Gateway(config, clock=FakeClock(), database_url=url,
                      adapters=[(PartnerAdapter(config.channels.partner), [])])
    app = GatewayLifespan(create_app(gateway), gateway)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.web_state = app.app.app.state.web  # type: ignore[attr-defined]  # inside the body-limit middleware
    yield schema
    from schemathesis.python.asgi import shutdown_lifespans

    shutdown_lifespans()


def test_api_conforms(api_schema: Any) -> None:
    """Each operation in turn (schemathesis' pytest plugin cannot name nodes on pytest 9, so the
    operations are driven through their Hypothesis strategies here); all failures are reported."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    _conform(operations, {})
    _console_signed_in(api_schema)


def _console_signed_in(api_schema: Any) -> None:
    """The officers' console (/petugas) again, as a signed-in officer with a CSRF cookie: generated filters,
    searches, tracking IDs and forms (with forged tokens) still get only documented answers. (In the same
    test: the gateway lives in the schema's ASGI lifespan, which ends with the first test that used it.)"""
    from bot.web.state import CSRF_COOKIE, SESSION_COOKIE
    from tests.web.conftest import _HASH

    web = api_schema.web_state
    session = web.session_token({"code": "lurah-bangka", "password_hash": _HASH, "session_epoch": 0})
    operations = [op for op in (r.ok() for r in api_schema.get_all_operations()) if op.path.startswith("/petugas")]
    assert len(operations) >= 7
    seen = _conform(operations, {"cookie": f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}=schemathesis-csrf-cookie"})
    assert 200 in seen["/petugas"] and 200 in seen["/petugas/baru"], seen  # really signed in


def _conform(operations: list[Any], headers: dict[str, str]) -> dict[str, set[int]]:
    """Runs every operation in both modes; the status codes seen per path."""
    from hypothesis import given
    from hypothesis.errors import Unsatisfiable

    failures: list[str] = []
    seen: dict[str, set[int]] = {}
    for operation, mode in [(op, mode) for op in operations for mode in MODES]:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen.setdefault(case.operation.path, set()).add(response.status_code)

        try:
            run()
        except Unsatisfiable:
            continue  # nothing in this operation can be made invalid (no parameters, free strings)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
            failures.append(f"{operation.label} ({mode.value}): {type(exc).__name__}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
    return seen
