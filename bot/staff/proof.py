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
from sqlalchemy import Connection

from adapters.fetch import FetchRefused, FetchTooLarge, SafeFetcher

from store import proofs as proofs_store
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
    existing = proofs_store.attachment_with_hash(conn, ticket_id, photo.media.sha256, kind)
    if existing is not None:
        return existing
    m = photo.media
    return repo.insert(conn, repo.T_ATTACHMENT, dict(sha256=m.sha256, content_type=m.content_type, size=m.size, kind=kind,
                                     ticket_id=ticket_id, phash=photo.phash, created_at=now))


def find_reuse(conn: Connection, ticket_id: int, sha256: str, phash: str | None, threshold: int) -> list[dict[str, Any]]:
    """Proofs on other tickets identical or near-identical to this one, and the citizen's own photos."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for r in proofs_store.same_hash(conn, sha256):
        if r["ticket_id"] == ticket_id and r["kind"] != "citizen":
            continue
        if r["ticket_id"] != ticket_id and r["kind"] not in (PROOF, REJECTED):
            continue
        kind = "citizen_photo" if r["kind"] == "citizen" else "identical"
        found.setdefault((r["tracking_id"], kind), {"tracking_id": r["tracking_id"], "match": kind, "distance": 0})
    if phash:
        rows = proofs_store.hashes_elsewhere(conn, ticket_id, sha256, (PROOF, REJECTED))
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


latest_attachment = proofs_store.latest_attachment


def mark_as_proof(conn: Connection, attachment_id: int) -> None:
    """A photo shared in the thread becomes the ticket's proof (``selesai`` without a photo)."""
    proofs_store.set_kind(conn, attachment_id, PROOF)


def reject_proofs(conn: Connection, ticket_id: int) -> None:
    """The ticket's proofs become ``rejected``: no longer public, never validated later."""
    proofs_store.rekind(conn, ticket_id, PROOF, REJECTED)
