"""Proof photos: stored content-addressed, with a perceptual hash, checked for reuse.

The press reported the same proof photo used for two different follow-ups.
Every proof gets ``attachment.phash`` (imagehash's 64-bit pHash); a proof
identical (same sha256) or near-identical (Hamming distance within
``media.proof_similarity_threshold``) to one used on another ticket is
flagged to the validator, as is a "proof" that is the citizen's own photo.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Connection, select

from adapters.fetch import FetchRefused, FetchTooLarge, SafeFetcher

from store import repo
from store.media import MediaRejected, MediaStore, StoredMedia

log = logging.getLogger(__name__)

# Attachment kinds: a photo an officer shared in the ticket's thread, a
# submitted proof, a proof the validator rejected.
STAFF_PHOTO = "staff"
PROOF = "proof"
REJECTED = "rejected"


class PhotoError(Exception):
    """A photo that cannot be used; ``key`` is the template saying why."""

    def __init__(self, key: str, **fields: int) -> None:
        super().__init__(key)
        self.key = key
        self.fields = fields


@dataclass(frozen=True)
class ProofPhoto:
    """A stored photo and its perceptual hash (hex, 16 digits)."""

    media: StoredMedia
    phash: str | None


def perceptual_hash(path: Any) -> str | None:
    import imagehash
    from PIL import Image

    try:
        with Image.open(path) as img:
            return str(imagehash.phash(img))
    except Exception:  # noqa: BLE001 - an odd image still gets the exact (sha256) check
        log.warning("could not compute the perceptual hash of a proof photo", exc_info=True)
        return None


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


class ProofStore:
    def __init__(self, media: MediaStore, threshold: int, *, http_client: httpx.AsyncClient | None = None,
                 allow_private_hosts: bool = False, max_bytes: int | None = None) -> None:
        self.media = media
        self.threshold = threshold
        self.http_client = http_client
        self.allow_private_hosts = allow_private_hosts
        self.max_bytes = max_bytes or media.max_bytes

    def _store(self, content: bytes) -> ProofPhoto:
        try:
            stored = self.media.put(content)
        except MediaRejected as exc:
            key = {"too_large": "staff_photo_too_large", "too_many_pixels": "staff_photo_too_many_pixels"}
            raise PhotoError(key.get(exc.code, "staff_photo_not_image"), **exc.fields) from None
        return ProofPhoto(stored, perceptual_hash(stored.path))

    async def store(self, content: bytes) -> ProofPhoto:
        """Check type and size, store durably, hash (off the event loop)."""
        return await asyncio.to_thread(self._store, content)

    async def fetch_url(self, url: str) -> bytes:
        """An officer's photo URL (``selesai <id> <url>``), through the outbound-fetch guard."""
        client = self.http_client
        own = client is None
        if client is None:
            client = httpx.AsyncClient(timeout=10)
        fetcher = SafeFetcher(client, max_bytes=self.max_bytes, allow_private=self.allow_private_hosts)
        try:
            return (await fetcher.get(url)).content
        except FetchTooLarge:
            raise PhotoError("staff_photo_too_large") from None
        except FetchRefused:
            raise PhotoError("staff_photo_download_failed") from None
        finally:
            if own:
                await client.aclose()


def add_attachment(conn: Connection, photo: ProofPhoto, ticket_id: int, kind: str, now: datetime) -> int:
    """The photo as an attachment of ``ticket_id``; an identical one of the same kind is reused."""
    A = repo.T_ATTACHMENT
    existing = conn.execute(select(A.c.id).where(A.c.ticket_id == ticket_id, A.c.sha256 == photo.media.sha256,
                                                 A.c.kind == kind).limit(1)).scalar()
    if existing is not None:
        return existing
    m = photo.media
    return repo.insert(conn, A, dict(sha256=m.sha256, content_type=m.content_type, size=m.size, kind=kind,
                                     ticket_id=ticket_id, phash=photo.phash, created_at=now))


def find_reuse(conn: Connection, ticket_id: int, sha256: str, phash: str | None, threshold: int) -> list[dict[str, Any]]:
    """Proofs on other tickets identical or near-identical to this one, and the citizen's own photos."""
    A, T = repo.T_ATTACHMENT, repo.T_TICKET
    found: dict[tuple[str, str], dict[str, Any]] = {}
    exact = conn.execute(
        select(A.c.id, A.c.ticket_id, A.c.kind, T.c.tracking_id).select_from(A.join(T, T.c.id == A.c.ticket_id))
        .where(A.c.sha256 == sha256, A.c.id.is_not(None))
    ).mappings()
    for r in exact:
        if r["ticket_id"] == ticket_id and r["kind"] != "citizen":
            continue
        if r["ticket_id"] != ticket_id and r["kind"] not in (PROOF, REJECTED):
            continue
        kind = "citizen_photo" if r["kind"] == "citizen" else "identical"
        found.setdefault((r["tracking_id"], kind), {"tracking_id": r["tracking_id"], "match": kind, "distance": 0})
    if phash:
        rows = conn.execute(
            select(A.c.phash, A.c.ticket_id, T.c.tracking_id).select_from(A.join(T, T.c.id == A.c.ticket_id))
            .where(A.c.kind.in_((PROOF, REJECTED)), A.c.ticket_id != ticket_id, A.c.phash.is_not(None),
                   A.c.sha256 != sha256)
        ).mappings()
        mine = int(phash, 16)
        for r in rows:
            try:
                distance = (mine ^ int(r["phash"], 16)).bit_count()
            except ValueError:
                continue
            if distance <= threshold:
                key = (r["tracking_id"], "similar")
                if key not in found or found[key]["distance"] > distance:
                    found[key] = {"tracking_id": r["tracking_id"], "match": "similar", "distance": distance}
    return sorted(found.values(), key=lambda f: (f["distance"], f["tracking_id"]))


def latest_attachment(conn: Connection, ticket_id: int, kind: str) -> dict[str, Any] | None:
    A = repo.T_ATTACHMENT
    row = conn.execute(select(A).where(A.c.ticket_id == ticket_id, A.c.kind == kind)
                       .order_by(A.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None
