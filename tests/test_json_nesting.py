"""Issue 10, problem 4: deeply nested JSON gets a 400 with a reason on every endpoint, never a 500."""
from __future__ import annotations

import json

import pytest

from adapters.errors import WebhookRejected
from adapters.jsonbody import MAX_DEPTH, TooDeep, loads_limited, parse_json_object
from tests.conftest import ADMIN_TOKEN, PARTNER_KEY

DEPTHS = [1_000, 100_000]


@pytest.mark.parametrize("n", DEPTHS)
async def test_partner_report_with_deep_nesting_is_400(client, n):
    r = await client.post("/api/v1/reports", content=b"[" * n,
                          headers={"Authorization": f"Bearer {PARTNER_KEY}", "content-type": "application/json"})
    assert r.status_code == 400 and "nested deeper than 64" in r.json()["detail"]


@pytest.mark.parametrize("n", DEPTHS)
async def test_partner_report_with_deep_nesting_inside_a_field_is_400(client, n):
    body = b'{"text": "Sampah", "reporter_id": "u1", "idempotency_key": "k1", "extra": ' + b"{\"a\": " * n
    r = await client.post("/api/v1/reports", content=body,
                          headers={"Authorization": f"Bearer {PARTNER_KEY}", "content-type": "application/json"})
    assert r.status_code == 400 and "nested" in r.json()["detail"]


@pytest.mark.parametrize("n", DEPTHS)
async def test_open311_post_with_a_nested_json_body_is_400(client, n):
    r = await client.post("/open311/v2/requests.json", content=b"[" * n, headers={"content-type": "application/json"})
    assert r.status_code == 400


@pytest.mark.parametrize("n", DEPTHS)
async def test_admin_and_webhook_routes_with_nested_bodies_are_not_5xx(client, n):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}
    assert (await client.post("/admin/inbound/retry", content=b"[" * n, headers=admin)).status_code == 200
    assert (await client.post("/admin/outbox/1/requeue", content=b"[" * n, headers=admin)).status_code == 404
    assert (await client.post("/webhooks/nowhere", content=b"[" * n)).status_code == 404


def test_limit_is_exact_and_brackets_inside_strings_do_not_count():
    assert loads_limited("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(TooDeep):
        loads_limited("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    text = json.dumps({"text": "[" * 500 + '\\" {{{' * 100, "n": [[[1]]]})
    assert loads_limited(text)["n"] == [[[1]]]


def test_lone_surrogate_escapes_still_parse():
    """Real clients send them; the intake edge makes them U+FFFD, the parser must not refuse them."""
    assert parse_json_object(b'{"text": "Sampah \\ud83d"}') == {"text": "Sampah \ud83d"}


@pytest.mark.parametrize("body, reason", [
    (b"{not json", "not valid JSON"), (b"[1]", "must be a JSON object"), (b"\xff\xfe", "not UTF-8 JSON"),
    (b"1" * 5000, "not valid JSON"),  # Python's limit on integer digits is a ValueError too
])
def test_every_parse_failure_is_a_400_with_a_reason(body, reason):
    with pytest.raises(WebhookRejected) as err:
        parse_json_object(body)
    assert err.value.status == 400 and reason in err.value.reason
