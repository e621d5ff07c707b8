"""Proof-photo upload through tweepy's v1.1 ``API.media_upload``.

The v1.1 client is synchronous (requests), so it runs in a worker thread. Each
upload builds its own ``API`` because a ``requests.Session`` is not meant to
be shared between threads.
"""
from __future__ import annotations

import asyncio
import io
import os

import tweepy

from adapters.contract.errors import PermanentError
from adapters.contract.media import EXTENSIONS, sniff_image_type
from adapters.twitter.session import API_HOST, UPLOAD_HOST, RewritingRequestsSession
from adapters.twitter.settings import TwitterSettings

# X accepts images up to 5 MB through the simple upload.
MAX_IMAGE_BYTES = 5 * 1024 * 1024
TWEET_IMAGE = "tweet_image"
DM_IMAGE = "dm_image"


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(MAX_IMAGE_BYTES + 1)


class MediaUploader:
    """Uploads one local image and returns its ``media_id_string``."""

    def __init__(self, settings: TwitterSettings) -> None:
        self._settings = settings

    def _api(self) -> tweepy.API:
        s = self._settings
        auth = tweepy.OAuth1UserHandler(
            s.consumer_key,
            s.consumer_secret.get_secret_value(),
            s.access_token,
            s.access_token_secret.get_secret_value(),
        )
        api = tweepy.API(auth, timeout=s.request_timeout_seconds)
        api.session = RewritingRequestsSession({API_HOST: s.api_base_url, UPLOAD_HOST: s.upload_base_url})
        return api

    async def upload(self, path: str, *, category: str) -> str:
        """Upload ``path``; PermanentError if it is not a usable image."""
        try:
            data = await asyncio.to_thread(_read, path)
        except OSError as exc:
            raise PermanentError(f"media upload: cannot read photo ({type(exc).__name__})") from exc
        if len(data) > MAX_IMAGE_BYTES:
            raise PermanentError("media upload: photo larger than 5 MB")
        kind = sniff_image_type(data)
        if kind is None:
            raise PermanentError("media upload: not a JPEG, PNG or WebP image")
        # tweepy picks simple vs chunked upload from the file name/bytes, so
        # give it a name whose extension matches the real content.
        stem = os.path.splitext(os.path.basename(path))[0] or "photo"
        filename = stem + EXTENSIONS[kind]
        media = await asyncio.to_thread(
            self._api().media_upload, filename, file=io.BytesIO(data), media_category=category
        )
        return str(getattr(media, "media_id_string", None) or media.media_id)
