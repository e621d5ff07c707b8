"""Content-addressed photo storage under ``var/media``, keyed by sha256."""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bot.media import EXTENSIONS, sniff_image_type


DEFAULT_MAX_PIXELS = 40_000_000  # a phone camera makes 12-50 MP; decoding costs 3-4 bytes a pixel


class MediaRejected(ValueError):
    """A file that is too big or not an allowed image; ``code`` says which, for the channel's own message."""

    def __init__(self, message: str, code: str = "not_image", **fields: int) -> None:
        super().__init__(message)
        self.code = code  # too_large | too_many_pixels | not_image
        self.fields = fields


def check_pixels(source: bytes | Path, max_pixels: int) -> None:
    """Refuse an image whose header declares more than ``max_pixels``, BEFORE anything is decoded.

    Pillow's ``Image.open`` is lazy: it reads the header (JPEG SOF, PNG IHDR,
    WebP VP8/VP8L/VP8X) and stops; ``.size`` is known without decoding a pixel.
    Pillow refuses on its own beyond twice its MAX_IMAGE_PIXELS: that is over
    our limit too, so it is the same refusal, without exact dimensions.
    """
    from PIL import Image, UnidentifiedImageError

    limit_mp = max(1, max_pixels // 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as img:
                width, height = img.size
    except Image.DecompressionBombError:
        raise MediaRejected(f"photo has more than {limit_mp} megapixels", "too_many_pixels",
                            megapixels=limit_mp) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaRejected("not a readable JPEG, PNG or WebP image") from None
    if width * height > max_pixels:
        raise MediaRejected(f"photo is {width}x{height} pixels, more than {limit_mp} megapixels", "too_many_pixels",
                            width=width, height=height, megapixels=limit_mp)


@dataclass(frozen=True)
class StoredMedia:
    sha256: str
    content_type: str
    size: int
    path: Path


class MediaStore:
    def __init__(self, root: str | Path, max_bytes: int, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self._folders: set[Path] = set()  # shard folders known to exist durably

    def path_for(self, sha256: str, content_type: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}{EXTENSIONS.get(content_type, '.bin')}"

    def put(self, content: bytes) -> StoredMedia:
        """Check and store ``content``; durable (file and name fsynced) before it returns."""
        stored = self._write(content)
        _fsync_dir(stored.path.parent)
        return stored

    def put_all(self, contents: Sequence[bytes]) -> list[StoredMedia | MediaRejected]:
        """Store several photos (a refused one is returned as its ``MediaRejected``): each file is
        fsynced, then each of their folders once, so all are durable when it returns."""
        results: list[StoredMedia | MediaRejected] = []
        for content in contents:
            try:
                results.append(self._write(content))
            except MediaRejected as exc:
                results.append(exc)
        for folder in dict.fromkeys(r.path.parent for r in results if isinstance(r, StoredMedia)):
            _fsync_dir(folder)
        return results

    def _write(self, content: bytes) -> StoredMedia:
        """Check ``content`` and write it under its digest, the file fsynced; its name is not yet."""
        if len(content) > self.max_bytes:
            raise MediaRejected(f"photo is {len(content)} bytes, the limit is {self.max_bytes}", "too_large")
        content_type = sniff_image_type(content)
        if content_type is None:
            raise MediaRejected("not a JPEG, PNG or WebP image")
        check_pixels(content, self.max_pixels)  # an image bomb is refused before anything decodes it
        digest = hashlib.sha256(content).hexdigest()
        path = self.path_for(digest, content_type)
        if not path.exists():
            self._folder(path.parent)
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
        # An existing file is synced again with its folder by the caller: it may be another
        # thread's rename whose folder is not fsynced yet.
        return StoredMedia(digest, content_type, len(content), path)

    def _folder(self, folder: Path) -> None:
        """Create a shard folder and make its name durable in the root, once per process."""
        if folder in self._folders:
            return
        folder.mkdir(parents=True, exist_ok=True)
        _fsync_dir(folder.parent)  # also when it existed: another thread may not have synced it yet
        self._folders.add(folder)

    def open_path(self, sha256: str, content_type: str) -> Path:
        return self.path_for(sha256, content_type)


def _fsync_dir(folder: Path) -> None:
    """fsync a directory: a file renamed into it survives a crash only once its folder is synced."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def strip_metadata(source: Path, target: Path, content_type: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
    """Re-encode an image without EXIF/XMP (GPS location lives there)."""
    from PIL import Image, ImageOps

    # Files stored before the pixel limit existed are checked again before decoding.
    check_pixels(source, max_pixels)
    with Image.open(source) as opened:
        img = ImageOps.exif_transpose(opened)  # keep the orientation the EXIF asked for
        fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
        if fmt == "JPEG" and img.mode not in ("RGB", "L"):
            img = img.convert("RGB")
        # A temporary name of its own: two sends of the same photo (a reporter and a follower, two lanes)
        # may make the copy at once; each renames its own file over the target, so both succeed.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                img.save(out, format=fmt, **({"quality": 90} if fmt != "PNG" else {}))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def public_copy(store: MediaStore, sha256: str, content_type: str) -> Path:
    """A metadata-free copy of a stored photo, made once and cached beside it."""
    source = store.path_for(sha256, content_type)
    target = source.with_name(f"{sha256}.public{EXTENSIONS.get(content_type, '.bin')}")
    if not target.exists():
        strip_metadata(source, target, content_type, store.max_pixels)
    return target
