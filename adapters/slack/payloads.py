"""Slack's inbound payloads as plain dataclasses (no web framework, no core types).

* Slash command: a form POST (https://api.slack.com/interactivity/slash-commands).
* Events API: a JSON envelope (https://api.slack.com/apis/connections/events-api).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from adapters.contract.errors import WebhookRejected
from adapters.jsonbody import parse_json_object

MAX_COMMAND_TEXT = 4000


@dataclass(frozen=True)
class SlashCommand:
    command: str
    text: str  # as typed, Slack's &amp; &lt; &gt; escapes undone
    user_id: str
    response_url: str
    channel_id: str = ""
    team_id: str = ""
    trigger_id: str = ""


@dataclass(frozen=True)
class SlackFile:
    """One file of a message event (or of files.info)."""

    id: str
    mimetype: str = ""
    size: int | None = None
    url: str | None = None  # url_private_download, else url_private


@dataclass
class SlackEvent:
    """One ``event_callback``: the envelope's event_id plus the fields we use."""

    event_id: str
    type: str
    subtype: str | None = None
    user: str | None = None
    channel: str | None = None
    text: str = ""
    ts: str | None = None
    thread_ts: str | None = None
    bot: bool = False
    files: list[SlackFile] = field(default_factory=list)
    file_id: str | None = None  # file_shared
    retry_num: int = 0
    team_id: str = ""


def parse_form(body: bytes) -> dict[str, str]:
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected(400, "body is not a form") from None
    return {k: v[0] for k, v in fields.items() if v}


def slash_command(form: dict[str, str]) -> SlashCommand:
    """A slash command from its form fields; 400 when a required field is missing."""
    for name in ("command", "user_id", "response_url"):
        if not form.get(name):
            raise WebhookRejected(400, f"slash command without {name}")
    text = form.get("text", "")
    if len(text) > MAX_COMMAND_TEXT:
        raise WebhookRejected(400, "command text too long")
    return SlashCommand(
        command=form["command"].strip(),
        text=html.unescape(text),
        user_id=form["user_id"],
        response_url=form["response_url"],
        channel_id=form.get("channel_id", ""),
        team_id=form.get("team_id", ""),
        trigger_id=form.get("trigger_id", ""),
    )


def parse_json(body: bytes) -> dict[str, Any]:
    return parse_json_object(body)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def slack_file(data: Any) -> SlackFile | None:
    if not isinstance(data, dict) or not _str(data.get("id")):
        return None
    size = data.get("size")
    return SlackFile(
        id=data["id"],
        mimetype=str(data.get("mimetype") or ""),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        url=_str(data.get("url_private_download")) or _str(data.get("url_private")),
    )


def event_callback(payload: dict[str, Any], retry_num: int = 0) -> SlackEvent:
    """The event of an ``event_callback`` envelope; 400 without event_id or event."""
    event_id = _str(payload.get("event_id"))
    event = payload.get("event")
    if not event_id or not isinstance(event, dict):
        raise WebhookRejected(400, "event_callback without event_id or event")
    files = [f for f in (slack_file(x) for x in event.get("files") or [] if isinstance(event.get("files"), list)) if f]
    file_obj = event["file"] if isinstance(event.get("file"), dict) else {}
    return SlackEvent(
        event_id=event_id,
        type=str(event.get("type") or ""),
        subtype=_str(event.get("subtype")),
        user=_str(event.get("user")) or _str(event.get("user_id")),
        channel=_str(event.get("channel")) or _str(event.get("channel_id")),
        text=html.unescape(event.get("text") or "") if isinstance(event.get("text"), str) else "",
        ts=_str(event.get("ts")),
        thread_ts=_str(event.get("thread_ts")),
        bot=bool(event.get("bot_id")) or event.get("subtype") == "bot_message",
        files=files,
        file_id=_str(event.get("file_id")) or _str(file_obj.get("id")),
        retry_num=retry_num,
        team_id=str(payload.get("team_id") or ""),
    )


def thread_of_share(file_info: dict[str, Any], channel: str) -> tuple[str, str | None] | None:
    """(message ts, thread_ts) of a file's share in ``channel``, from files.info ``shares``."""
    shares = file_info.get("shares")
    if not isinstance(shares, dict):
        return None
    for scope in ("public", "private"):
        entries = (shares.get(scope) or {}).get(channel) if isinstance(shares.get(scope), dict) else None
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict) and _str(entry.get("ts")):
                    return entry["ts"], _str(entry.get("thread_ts"))
    return None


def escape(text: str) -> str:
    """Slack's three control characters, so no text we post can ping or link (<!channel>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
