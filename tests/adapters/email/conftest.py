"""Fixtures shared by the email channel tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.email.harness import make_self_signed_cert


@pytest.fixture(scope="session")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and key for 127.0.0.1, made once per run."""
    made = make_self_signed_cert(tmp_path_factory.mktemp("tls"))
    if made is None:
        pytest.skip("neither the cryptography package nor the openssl CLI is available")
    return made
