"""The narrow protocols the web face and the HTTP routes are typed with (bot/ports.py) match the real Gateway.

Without a type checker in the test run, ``runtime_checkable`` makes a missing or renamed part
of the composition root fail here, not at the first request that uses it.
"""
from __future__ import annotations

from types import SimpleNamespace

from bot.ports import HttpGateway, ReparsePorts, WebGateway


async def test_the_gateway_provides_every_part_the_web_and_http_sides_use(gateway) -> None:
    assert isinstance(gateway, WebGateway)
    assert isinstance(gateway, HttpGateway)
    assert isinstance(gateway, ReparsePorts)


def test_a_composition_root_missing_a_part_does_not_pass() -> None:
    partial = SimpleNamespace(db=object(), clock=object(), registry=object())  # no intake
    assert not isinstance(partial, ReparsePorts)
    assert not isinstance(partial, WebGateway)
