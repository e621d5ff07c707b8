"""The metadata-free public copy of a photo is made safely when several sends need it at once (a reporter and
a follower of a merged ticket get the same proof photo in the same dispatcher pass)."""
from __future__ import annotations

import threading
from pathlib import Path

from store.media import MediaStore, public_copy
from tests.web.conftest import jpeg


def test_concurrent_public_copies_of_one_photo_all_succeed(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media", max_bytes=5_000_000)
    stored = store.put(jpeg((800, 600)))
    start = threading.Barrier(8)
    results: list[Path] = []
    errors: list[BaseException] = []

    def copy() -> None:
        start.wait()
        try:
            results.append(public_copy(store, stored.sha256, stored.content_type))
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=copy) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(results) == 8 and len(set(results)) == 1
    assert results[0].exists() and results[0].stat().st_size > 0
    assert not [p for p in results[0].parent.iterdir() if p.name.startswith(".tmp-")]  # no leftovers
