"""Start-up warning when instance.public_base_url cannot reach the listener (e.g. ADUAN_HTTP_PORT changed alone)."""
from __future__ import annotations

import logging

from bot.listen_check import mismatch, warn_on_mismatch
from tests.conftest import make_config


def _cfg(tmp_path, url: str, host: str = "127.0.0.1", port: int = 8080):
    return make_config(tmp_path, instance={"public_base_url": url}, http={"host": host, "port": port})


def test_port_changed_without_public_url_is_reported(tmp_path, caplog) -> None:
    cfg = _cfg(tmp_path, "http://127.0.0.1:8080", port=9000)
    with caplog.at_level(logging.WARNING):
        problem = warn_on_mismatch(cfg)
    assert problem and "port 8080" in problem and "port 9000" in problem and "ADUAN_PUBLIC_BASE_URL" in problem
    assert problem in caplog.text


def test_loopback_public_url_with_a_public_listener_is_reported(tmp_path) -> None:
    assert "0.0.0.0" in (mismatch(_cfg(tmp_path, "http://localhost:8080", host="0.0.0.0")) or "")


def test_matching_or_proxied_settings_are_quiet(tmp_path) -> None:
    assert mismatch(_cfg(tmp_path, "http://127.0.0.1:8080/")) is None
    assert mismatch(_cfg(tmp_path, "http://localhost:80", port=80)) is None
    # A public name: a reverse proxy maps 443 to the listener's port.
    assert mismatch(_cfg(tmp_path, "https://aduan.jakarta.go.id", host="0.0.0.0", port=8080)) is None
