"""X payloads (API v2 objects and Account Activity v1.1 events) to InboundMessage.

Pure functions, no I/O. Privacy rules applied here: ``sender`` is the numeric
user id, ``sender_name`` stays None, and the @username is kept only in
``reply_context`` (never in ``text``).
"""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from typing import Any, Iterable

from adapters.contract.messages import InboundMessage
from adapters.twitter.geo import v2_location, v11_location

CHANNEL = "twitter"
DM_PREFIX = "dm:"
# Reply chains prefix tweets with "@a @b ..."; a handle is 1-15 word chars.
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w{1,15}\b)+\s*")
# X tags Indonesian with the legacy code "in"; "und"/"zxx"/"qme"... mean unknown.
_LANG_ALIASES = {"in": "id", "iw": "he"}


def strip_leading_mentions(text: str) -> str:
    """``@DKIJakarta @x jalan rusak`` -> ``jalan rusak``."""
    return _LEADING_MENTIONS.sub("", text or "", count=1).strip()


def normalize_language(lang: str | None) -> str | None:
    if not lang or lang in ("und", "zxx") or lang.startswith("q"):
        return None
    return _LANG_ALIASES.get(lang, lang)


def parse_v2_time(value: str | None) -> datetime | None:
    """``2024-05-01T03:04:05.000Z``."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def parse_v11_time(value: str | None) -> datetime | None:
    """``Wed Oct 10 20:19:24 +0000 2018``."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def parse_epoch_ms(value: Any) -> datetime | None:
    """Account Activity DM ``created_timestamp`` (epoch milliseconds, a string)."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def _raw(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def index_by_id(items: Iterable[Any] | None) -> dict[str, dict[str, Any]]:
    """``includes.users`` / ``includes.places`` keyed by id."""
    return {str(i["id"]): i for i in items or () if isinstance(i, dict) and "id" in i}


def _referenced(tweet: dict[str, Any], kind: str) -> str | None:
    for ref in tweet.get("referenced_tweets") or ():
        if isinstance(ref, dict) and ref.get("type") == kind and ref.get("id"):
            return str(ref["id"])
    return None


def mention_from_v2(
    tweet: dict[str, Any],
    users: dict[str, dict[str, Any]],
    places: dict[str, dict[str, Any]],
    *,
    account_id: str,
    max_place_span: float,
) -> InboundMessage | None:
    """An API v2 tweet from the mentions timeline, or None to ignore it."""
    tweet_id, author = str(tweet.get("id") or ""), str(tweet.get("author_id") or "")
    if not tweet_id or not author or author == account_id:
        return None  # our own replies show up in mention threads
    if _referenced(tweet, "retweeted"):
        return None  # a retweet repeats someone's report, it is not a new one
    conversation_id = str(tweet.get("conversation_id") or tweet_id)
    replied_to = _referenced(tweet, "replied_to")
    refs = [r for r in (replied_to, conversation_id) if r and r != tweet_id]
    location = v2_location(tweet, places, max_place_span)
    user = users.get(author, {})
    place = places.get(str((tweet.get("geo") or {}).get("place_id") or ""))
    included = {"users": [user] if user else [], "places": [place] if place else []}
    return InboundMessage(
        channel=CHANNEL,
        external_id=tweet_id,
        sender=author,
        text=strip_leading_mentions(str(tweet.get("text") or "")),
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        received_at=parse_v2_time(tweet.get("created_at")),
        language=normalize_language(tweet.get("lang")),
        thread_refs=list(dict.fromkeys(refs)),
        reply_context={
            "tweet_id": tweet_id,
            "conversation_id": conversation_id,
            "via": "mention",
            "username": user.get("username"),
        },
        raw=_raw({"data": tweet, "includes": included}),
    )


def dm_from_v2(event: dict[str, Any], users: dict[str, dict[str, Any]], *, account_id: str) -> InboundMessage | None:
    """An API v2 ``MessageCreate`` DM event, or None to ignore it."""
    event_id, sender = str(event.get("id") or ""), str(event.get("sender_id") or "")
    if event.get("event_type") != "MessageCreate" or not event_id or not sender or sender == account_id:
        return None
    user = users.get(sender, {})
    return InboundMessage(
        channel=CHANNEL,
        external_id=DM_PREFIX + event_id,
        sender=sender,
        text=str(event.get("text") or "").strip(),
        received_at=parse_v2_time(event.get("created_at")),
        reply_context={
            "tweet_id": None,
            "conversation_id": event.get("dm_conversation_id"),
            "via": "dm",
            "username": user.get("username"),
        },
        raw=_raw({"data": event, "includes": {"users": [user] if user else []}}),
    )


def _v11_full_text(status: dict[str, Any]) -> str:
    """Untruncated text of a v1.1 tweet (extended tweets keep it aside)."""
    extended = status.get("extended_tweet") or {}
    return str(extended.get("full_text") or status.get("full_text") or status.get("text") or "")


def _v11_mentions(status: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for holder in (status, status.get("extended_tweet") or {}):
        found += list(((holder.get("entities") or {}).get("user_mentions")) or [])
    return [m for m in found if isinstance(m, dict)]


def mentions_account(status: dict[str, Any], account_id: str, username: str) -> bool:
    """Whether a v1.1 tweet @mentions our account (by id, else by handle)."""
    for m in _v11_mentions(status):
        if str(m.get("id_str") or m.get("id") or "") == account_id:
            return True
        if username and str(m.get("screen_name") or "").lower() == username.lower():
            return True
    return False


def tweet_from_v11(
    status: dict[str, Any], *, account_id: str, account_username: str, max_place_span: float
) -> InboundMessage | None:
    """An Account Activity ``tweet_create_events`` item, or None to ignore it."""
    tweet_id = str(status.get("id_str") or status.get("id") or "")
    user = status.get("user") or {}
    author = str(user.get("id_str") or user.get("id") or "")
    if not tweet_id or not author or author == account_id:
        return None
    if status.get("retweeted_status") or not mentions_account(status, account_id, account_username):
        return None
    replied_to = str(status.get("in_reply_to_status_id_str") or "") or None
    location = v11_location(status, max_place_span)
    return InboundMessage(
        channel=CHANNEL,
        external_id=tweet_id,
        sender=author,
        text=strip_leading_mentions(_v11_full_text(status)),
        latitude=location[0] if location else None,
        longitude=location[1] if location else None,
        received_at=parse_v11_time(status.get("created_at")),
        language=normalize_language(status.get("lang")),
        thread_refs=[replied_to] if replied_to else [],
        reply_context={
            "tweet_id": tweet_id,
            # v1.1 payloads carry no conversation id; the reply target is the
            # best thread hint they have.
            "conversation_id": None,
            "via": "mention",
            "username": user.get("screen_name"),
        },
        raw=_raw(status),
    )


def one_to_one_conversation_id(a: str, b: str) -> str:
    """v2 id of a one-to-one DM conversation: both user ids, lower first."""
    low, high = sorted((a, b), key=lambda v: (len(v), v))
    return f"{low}-{high}"


def dm_from_v11(
    event: dict[str, Any], users: dict[str, Any], *, account_id: str
) -> InboundMessage | None:
    """An Account Activity ``direct_message_events`` item, or None to ignore it."""
    if event.get("type") != "message_create":
        return None
    create = event.get("message_create") or {}
    event_id, sender = str(event.get("id") or ""), str(create.get("sender_id") or "")
    if not event_id or not sender or sender == account_id:
        return None
    recipient = str((create.get("target") or {}).get("recipient_id") or account_id)
    user = users.get(sender) or {}
    return InboundMessage(
        channel=CHANNEL,
        external_id=DM_PREFIX + event_id,
        sender=sender,
        text=str((create.get("message_data") or {}).get("text") or "").strip(),
        received_at=parse_epoch_ms(event.get("created_timestamp")),
        reply_context={
            "tweet_id": None,
            "conversation_id": one_to_one_conversation_id(sender, recipient),
            "via": "dm",
            "username": user.get("screen_name"),
        },
        raw=_raw(event),
    )
