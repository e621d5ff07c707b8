"""Polling the mentions timeline and DM events, with durable cursors.

A cursor (``since_id`` for mentions, the newest DM event id for DMs) is
persisted only after ``sink.submit`` returned, so a crash between fetching
and storing re-fetches instead of losing messages; intake deduplicates by
``(channel, external_id)``.

On the first run (no cursor yet) only the newest page is read: up to 100
recent mentions / DM events. Later runs page back to the cursor.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

import tweepy

from adapters.contract.channel import IntakeSink
from adapters.contract.messages import InboundMessage
from adapters.twitter.failures import describe, retry_after
from adapters.twitter.parsing import dm_from_v2, index_by_id, mention_from_v2
from adapters.twitter.settings import TwitterSettings

log = logging.getLogger("adapters.twitter")  # watched by the log-redaction filter (spec.py)

SINCE_ID_KEY = "twitter:since_id"
DM_CURSOR_KEY = "twitter:dm_last_event_id"
PAGE_SIZE = 100
# The mentions timeline serves at most the 800 newest mentions, DM lookup 30
# days; 10 pages of 100 cover a poll interval with room to spare.
MAX_PAGES = 10
MAX_BACKOFF_SECONDS = 15 * 60
MIN_DELAY_SECONDS = 1.0

MENTION_PARAMS: dict[str, Any] = {
    "expansions": ["author_id", "geo.place_id"],
    "tweet_fields": [
        "author_id", "conversation_id", "created_at", "geo",
        "in_reply_to_user_id", "referenced_tweets", "lang",
    ],
    "user_fields": ["username", "name"],
    "place_fields": ["geo", "full_name"],
}
DM_PARAMS: dict[str, Any] = {
    "event_types": "MessageCreate",
    "dm_event_fields": ["id", "text", "event_type", "created_at", "sender_id", "dm_conversation_id"],
    "expansions": ["sender_id"],
    "user_fields": ["username"],
}


def _id_number(value: Any) -> int:
    """Snowflake ids compare numerically; anything else sorts first."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


class Poller:
    """One polling round at a time; each endpoint keeps its own schedule."""

    def __init__(self, client: Any, settings: TwitterSettings, clock: Callable[[], float]) -> None:
        self._client = client
        self._settings = settings
        self._clock = clock
        self._next_at: dict[str, float] = {}
        self._failures: dict[str, int] = {}
        self.last_error: dict[str, str] = {}

    def _enabled(self) -> list[str]:
        s = self._settings
        return [name for name, on in (("mentions", s.poll_mentions), ("dms", s.poll_dms)) if on]

    async def poll_once(self, sink: IntakeSink) -> float:
        """Poll every endpoint that is due; return seconds until the next is due."""
        for name in self._enabled():
            if self._clock() < self._next_at.get(name, float("-inf")):
                continue
            await self._poll_endpoint(name, sink)
        due = [self._next_at.get(n, 0.0) for n in self._enabled()]
        if not due:
            return self._settings.poll_interval_seconds
        return max(min(due) - self._clock(), MIN_DELAY_SECONDS)

    async def _poll_endpoint(self, name: str, sink: IntakeSink) -> None:
        interval = self._settings.poll_interval_seconds
        try:
            count = await (self.poll_mentions(sink) if name == "mentions" else self.poll_dms(sink))
        except asyncio.CancelledError:
            raise
        except tweepy.TooManyRequests as exc:
            wait = retry_after(exc, self._clock())
            self._next_at[name] = self._clock() + wait
            self.last_error[name] = describe(exc)
            log.warning("twitter %s poll rate limited; next poll in %.0f s", name, wait)
        except Exception as exc:  # the poller must outlive 5xx, network and storage errors
            failures = self._failures.get(name, 0) + 1
            self._failures[name] = failures
            wait = min(interval * 2 ** (failures - 1), max(MAX_BACKOFF_SECONDS, interval))
            self._next_at[name] = self._clock() + wait
            self.last_error[name] = describe(exc)
            log.warning("twitter %s poll failed (%s); retry in %.0f s", name, describe(exc), wait)
        else:
            self._failures[name] = 0
            self.last_error.pop(name, None)
            self._next_at[name] = self._clock() + interval
            if count:
                log.info("twitter %s poll: %d new", name, count)

    async def poll_mentions(self, sink: IntakeSink) -> int:
        """Fetch mentions newer than the stored ``since_id``; submit; persist."""
        s = self._settings
        since_id = await sink.get_state(SINCE_ID_KEY)
        params: dict[str, Any] = dict(MENTION_PARAMS, max_results=PAGE_SIZE)
        if since_id:
            params["since_id"] = since_id
        tweets: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        places: dict[str, dict[str, Any]] = {}
        newest = _id_number(since_id)
        for _ in range(MAX_PAGES):
            page = await self._client.get_users_mentions(
                s.account_user_id, user_auth=s.bearer_token is None, **params
            )
            tweets += [t for t in page.get("data") or [] if isinstance(t, dict)]
            includes = page.get("includes") or {}
            users.update(index_by_id(includes.get("users")))
            places.update(index_by_id(includes.get("places")))
            meta = page.get("meta") or {}
            newest = max([newest, _id_number(meta.get("newest_id"))] + [_id_number(t.get("id")) for t in tweets])
            token = meta.get("next_token")
            if not token or not since_id:
                break
            params["pagination_token"] = token
        messages = [
            m for t in sorted(tweets, key=lambda t: _id_number(t.get("id")))
            if (m := mention_from_v2(t, users, places, account_id=s.account_user_id,
                                     max_place_span=s.place_max_span_degrees)) is not None
        ]
        if messages:
            await sink.submit(messages)
        if newest > _id_number(since_id):
            await sink.set_state(SINCE_ID_KEY, str(newest))
        return len(messages)

    async def poll_dms(self, sink: IntakeSink) -> int:
        """Fetch DM events newer than the stored cursor; submit; persist."""
        s = self._settings
        cursor = await sink.get_state(DM_CURSOR_KEY)
        last = _id_number(cursor)
        params: dict[str, Any] = dict(DM_PARAMS, max_results=PAGE_SIZE)
        fresh: list[dict[str, Any]] = []
        users: dict[str, dict[str, Any]] = {}
        for _ in range(MAX_PAGES):
            page = await self._client.get_direct_message_events(**params)
            events = [e for e in page.get("data") or [] if isinstance(e, dict)]
            users.update(index_by_id((page.get("includes") or {}).get("users")))
            fresh += [e for e in events if _id_number(e.get("id")) > last]
            token = (page.get("meta") or {}).get("next_token")
            # Events come newest first: an already-seen id ends the backlog.
            reached_seen = any(_id_number(e.get("id")) <= last for e in events)
            if not token or cursor is None or reached_seen:
                break
            params["pagination_token"] = token
        fresh.sort(key=lambda e: _id_number(e.get("id")))
        messages: list[InboundMessage] = [
            m for e in fresh if (m := dm_from_v2(e, users, account_id=s.account_user_id)) is not None
        ]
        if messages:
            await sink.submit(messages)
        if fresh:
            await sink.set_state(DM_CURSOR_KEY, str(_id_number(fresh[-1].get("id"))))
        return len(messages)
