"""Content-addressed photo storage under ``var/media``, keyed by sha256."""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.media import EXTENSIONS, sniff_image_type


class MediaRejected(ValueError):
    """A file that is too big or not an allowed image."""


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    content_type: str
    size: int
    path: Path


class MediaStore:
    def __init__(self, root: str | Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str, content_type: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{EXTENSIONS.get(content_type, '.bin')}"

    def put(self, content: bytes) -> StoredMedia:
        """Check and store ``content``; durable (fsynced) before it returns."""
        if len(content) > self.max_bytes:
            raise MediaRejected(f"photo is {len(content)} bytes, the limit is {self.max_bytes}")
        content_type = sniff_image_type(content)
        if content_type is None:
            raise MediaRejected("not a JPEG, PNG or WebP image")
        digest = hashlib.sha256(content).hexdigest()
        path = self.path_for(digest, content_type)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(content)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return StoredMedia(digest, content_type, len(content), path)

    def open_path(self, sha256: str, content_type: str) -> Path:
        return self.path_for(sha256, content_type)


def strip_metadata(source: Path, target: Path, content_type: str) -> None:
    """Re-encode an image without EXIF/XMP (GPS location lives there)."""
    from PIL import Image, ImageOps

    with Image.open(source) as img:
        img = ImageOps.exif_transpose(img)  # keep the orientation the EXIF asked for
        fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        tmp = target.with_suffix(target.suffix + ".tmp")
        img.save(tmp, format=fmt, **({"quality": 90} if fmt != "PNG" else {}))
        os.replace(tmp, target)


def public_copy(store: MediaStore, sha256: str, content_type: str) -> Path:
    """A metadata-free copy of a stored photo, made once and cached beside it."""
    source = store.path_for(sha256, content_type)
    target = source.with_name(f"{sha256}.public{EXTENSIONS.get(content_type, '.bin')}")
    if not target.exists():
        strip_metadata(source, target, content_type)
    return target
