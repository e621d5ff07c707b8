"""Render one outbox row into the messages a provider gets: a pure function.

The only channel knowledge it needs is the channel's ``TextPolicy``. Fitting,
splitting, shortening and the photo-to-link fallback happen here and nowhere
else, so every channel gets them the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.base import TextPolicy
from bot.textsplit import shorten_to_fit, split_to_fit


@dataclass(frozen=True)
class Part:
    """One provider message: its text, and whether the photo goes with it."""

    text: str
    with_photo: bool = False


def render(text: str, policy: TextPolicy, *, tracking_id: str | None, tracking_url: str,
           has_photo: bool = False, photo_link_line: str = "") -> list[Part]:
    """The parts to send, in order; the photo (if the channel carries it) rides on the last part.

    ``photo_link_line`` is the localised "proof photo: <link>" line used when
    the channel cannot carry the photo and the text does not link to it yet.
    """
    text = policy.prepare(text)
    photo = has_photo and policy.photos
    if has_photo and not photo and tracking_url not in text:
        text = f"{text}\n{photo_link_line}" if photo_link_line else text
    if policy.fits(text):
        parts = [text]
    elif policy.split_long_text:
        parts = split_to_fit(text, policy.fits)
    else:
        parts = [shorten_to_fit(_without(text, tracking_url), policy.fits, tracking_url)]
    if photo and len(parts[-1]) > policy.photo_caption_max:
        parts.append(tracking_id or "")  # the photo goes last with a short caption
    last = len(parts) - 1
    return [Part(p, photo and i == last) for i, p in enumerate(parts)]


def _without(text: str, url: str) -> str:
    """The text minus the link that shortening appends anyway, so it is never sent twice."""
    if not url or url not in text:
        return text
    return re.sub(r"[ \t]{2,}", " ", text.replace(url, "")).strip()
