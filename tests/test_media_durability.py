"""A stored photo is durable when ``put`` returns: its bytes and its name (the folder entry) are fsynced.
``put_all`` syncs each folder once for several photos (issue 16, point 4: one directory fsync per batch)."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from store.media import MediaRejected, MediaStore, StoredMedia
from tests.web.conftest import jpeg


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync, as "file" or "dir:<path>", in order."""
    calls: list[str] = []
    real = os.fsync

    def record(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            calls.append(f"dir:{os.readlink(f'/proc/self/fd/{fd}')}")
        else:
            calls.append("file")
        real(fd)

    monkeypatch.setattr(os, "fsync", record)
    return calls


def test_put_syncs_the_file_then_its_folder_and_a_new_shard_folder_in_the_root(tmp_path: Path, synced: list[str]) -> None:
    store = MediaStore(tmp_path / "media", max_bytes=5_000_000)
    stored = store.put(jpeg((64, 48)))
    shard = stored.path.parent
    assert stored.path.read_bytes() and shard.parent == tmp_path / "media"
    assert synced == [f"dir:{shard.parent}", "file", f"dir:{shard}"]

    synced.clear()
    again = store.put(jpeg((64, 48)))  # the same photo: no new file, its folder is synced again
    assert again == stored and synced == [f"dir:{shard}"]


def test_put_all_syncs_each_folder_once_after_all_files(tmp_path: Path, synced: list[str]) -> None:
    store = MediaStore(tmp_path / "media", max_bytes=5_000_000)
    shard = tmp_path / "media" / "ab"
    store.path_for = lambda sha256, content_type: shard / f"{sha256}.jpg"  # type: ignore[method-assign]
    results = store.put_all([jpeg((64, 48)), b"not an image", jpeg((80, 60))])

    assert isinstance(results[0], StoredMedia) and isinstance(results[2], StoredMedia)
    assert isinstance(results[1], MediaRejected) and results[1].code == "not_image"
    assert results[0].path.exists() and results[2].path.exists()
    assert synced == [f"dir:{shard.parent}", "file", "file", f"dir:{shard}"]
