"""The Slack channel: the officers' desk.

In: slash commands (``/webhooks/slack/commands``) and Events API callbacks
(``/webhooks/slack/events``), each signature-checked (401 otherwise) and
handed to the staff side's ``handler``. Out: ``chat.postMessage`` into a
ticket's thread (the thread is looked up through ``threads``), answers to a
command's ``response_url``, and downloads of files shared in threads with the
bot token. The real slack_sdk clients do the HTTP; ``api_base_url`` points
them at a local fake in tests.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol
from urllib.parse import urljoin

import aiohttp
import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.contract.channel import Capabilities, ChannelAdapter
from adapters.contract.clock import Clock, SystemClock
from adapters.contract.errors import FileFetchError, PermanentError, SendError, Throttled, TransientError, WebhookRejected
from adapters.contract.messages import OutboundMessage, RawRequest, WebhookResult
from adapters.slack.payloads import (
    SlackEvent,
    SlackFile,
    SlashCommand,
    escape,
    event_callback,
    parse_form,
    parse_json,
    slack_file,
    slash_command,
    thread_of_share,
)
from adapters.slack.settings import SlackSettings
from adapters.slack.signature import RequestVerifier

log = logging.getLogger("adapters.slack")

COMMANDS_PATH = "/webhooks/slack/commands"
EVENTS_PATH = "/webhooks/slack/events"

# The answer ``threads.resolve_thread`` gives while a ticket's first post is still queued.
PENDING = "pending"

# chat.postMessage: about one message per second per channel, short bursts allowed
# (https://api.slack.com/methods/chat.postMessage#rate_limiting). Text: 40,000
# characters hard limit, 4,000 recommended; we split at 3,000.
SLACK_CAPABILITIES = Capabilities(
    max_text_length=3000,
    supports_photo=False,
    rate_per_second=20.0,
    burst=50,
    per_recipient_per_second=1.0,
    per_recipient_burst=20,
    split_long_text=True,
)

# Last-resort answers when the staff side is missing or failed (it renders its own texts).
_UNAVAILABLE = "Layanan petugas Aduan belum siap. / The Aduan staff desk is not ready."
_FAILED = "Maaf, terjadi kesalahan. Coba lagi. / Sorry, something went wrong. Please retry."

# Slack errors that no retry will fix (https://api.slack.com/methods/chat.postMessage#errors).
_PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text", "too_many_attachments",
    "restricted_action", "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel", "cannot_reply_to_message", "invalid_arguments", "invalid_blocks",
    "duplicate_channel_not_found", "messages_tab_disabled", "team_access_not_granted",
})
_AUTH = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                   "missing_scope", "no_permission"})


class SlackStaffHandler(Protocol):
    """What the staff side implements for the adapter."""

    async def on_command(self, command: SlashCommand) -> str:
        """Answer within Slack's 3 seconds (the ephemeral ack); slow work goes to response_url."""

    async def on_event(self, event: SlackEvent) -> None:
        """Take one event callback (deduplicate by event_id, then work in the background)."""


class ThreadStore(Protocol):
    """Where a ticket's Slack thread is remembered (the staff side, over the database)."""

    async def resolve_thread(self, ticket_id: int) -> tuple[str, str] | str | None:
        """(channel, thread_ts); PENDING while the first post is queued; None when there is none."""

    async def record_root(self, ticket_id: int, channel: str, ts: str) -> None:
        """Remember the post that starts the ticket's thread."""


class SlackFileError(FileFetchError):
    """A shared Slack file that cannot be fetched; ``reason`` says why."""


def map_error(exc: SlackApiError) -> SendError:
    """One typed send error per Slack Web API failure."""
    resp = exc.response
    status = getattr(resp, "status_code", 0) or 0
    data = getattr(resp, "data", None)
    error = data.get("error") if isinstance(data, dict) else None
    if status == 429 or error == "ratelimited":
        headers = getattr(resp, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After") or headers.get("retry-after") or 30)
        except (TypeError, ValueError):
            retry_after = 30.0
        return Throttled(f"slack: {error or 'HTTP 429'}", retry_after)
    if status >= 500:
        return TransientError(f"slack: HTTP {status}")
    if error in _PERMANENT:
        return PermanentError(f"slack: {error}")
    # Bad credentials or unknown errors: the message is fine, retry then dead-letter.
    return TransientError(f"slack: {error or f'HTTP {status}'}")


class SlackAdapter(ChannelAdapter):
    name = "slack"
    capabilities = SLACK_CAPABILITIES
    WEBHOOK_PATHS = (COMMANDS_PATH, EVENTS_PATH)

    def __init__(
        self,
        settings: SlackSettings,
        *,
        clock: Clock | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        # Set by the staff side (bot/staff): commands/events go to ``handler``,
        # thread lookups to ``threads``.
        self.handler: SlackStaffHandler | None = None
        self.threads: ThreadStore | None = None
        self._http = http_client
        self._own_http = http_client is None
        self._session: aiohttp.ClientSession | None = None
        self._web: AsyncWebClient | None = None
        self.auth_failed = False
        self.use_clock(clock or SystemClock())

    def attach_staff_desk(self, desk: Any, clock: Clock) -> None:
        """The staff desk answers commands and events and keeps the ticket threads (``StaffDeskHost``)."""
        self.handler = desk
        self.threads = desk
        self.use_clock(clock)

    def use_clock(self, clock: Clock) -> None:
        """The clock the signature window is measured with (the gateway's)."""
        self.clock = clock
        self._verifier = RequestVerifier(self.settings.signing_secret.get_secret_value(), clock)

    # -- lifecycle -------------------------------------------------------

    async def start(self) -> None:
        timeout = self.settings.timeout_seconds
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout))
        self._web = AsyncWebClient(
            token=self.settings.bot_token.get_secret_value(),
            base_url=self.settings.api_base_url,
            session=self._session,
            timeout=int(max(1, timeout)),
        )
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=timeout)

    async def stop(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
        self._web = None
        if self._http is not None and self._own_http:
            client, self._http = self._http, None
            await client.aclose()

    def _client(self) -> AsyncWebClient:
        if self._web is None:
            raise TransientError("slack adapter not started")
        return self._web

    # -- receiving -------------------------------------------------------

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        """Signature (401), then a slash command or an event callback."""
        if request.method.upper() != "POST":
            raise WebhookRejected(405, "POST only")
        if request.path not in self.WEBHOOK_PATHS:
            raise WebhookRejected(404, "unknown Slack endpoint")
        self._verifier.verify(request)
        if request.path == COMMANDS_PATH:
            return await self._command(request)
        return await self._event(request)

    async def _command(self, request: RawRequest) -> WebhookResult:
        form = parse_form(request.body)
        if form.get("ssl_check"):
            return WebhookResult(status=200)
        command = slash_command(form)
        if self.handler is None:
            return _ephemeral(_UNAVAILABLE)
        try:
            text = await self.handler.on_command(command)
        except Exception:  # noqa: BLE001 - an officer gets an answer, never a 5xx page
            log.exception("slack: command handler failed")
            text = _FAILED
        return _ephemeral(text)

    async def _event(self, request: RawRequest) -> WebhookResult:
        payload = parse_json(request.body)
        kind = payload.get("type")
        if kind == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str) or not challenge or len(challenge) > 500:
                raise WebhookRejected(400, "url_verification without challenge")
            return _json({"challenge": challenge})
        if kind != "event_callback":
            return WebhookResult(status=200)  # app_rate_limited and the like: nothing to do
        retry = request.header("x-slack-retry-num") or "0"
        event = event_callback(payload, int(retry) if retry.isdigit() else 0)
        if self.handler is None:
            return WebhookResult(status=503, reason="staff desk not ready; retry later")
        try:
            await self.handler.on_event(event)
        except Exception:  # noqa: BLE001 - e.g. the database is down: let Slack retry
            log.exception("slack: event %s could not be taken", event.event_id)
            return WebhookResult(status=503, reason="temporarily unavailable; retry later")
        return WebhookResult(status=200)

    # -- sending ---------------------------------------------------------

    async def send(self, message: OutboundMessage) -> str:
        """chat.postMessage into the ticket's thread; returns "<channel>:<ts>"."""
        web = self._client()
        ctx = message.reply_context or {}
        channel, thread_ts = message.recipient, ctx.get("thread_ts")
        ticket_id = ctx.get("ticket_id")
        root = False
        if not thread_ts and ticket_id is not None and not ctx.get("top_level"):
            if ctx.get("root") or self.threads is None:
                root = bool(ctx.get("root"))
            else:
                ref = await self.threads.resolve_thread(int(ticket_id))
                if isinstance(ref, str):  # PENDING
                    raise TransientError("the ticket's first Slack post is not sent yet")
                if ref is None:
                    root = True  # no thread yet: this post starts it
                else:
                    channel, thread_ts = ref
        if not channel:
            raise PermanentError("no Slack channel to post to")
        try:
            resp = await web.chat_postMessage(
                channel=channel, text=escape(message.text), thread_ts=thread_ts or None,
                unfurl_links=False, unfurl_media=False,
            )
        except SlackApiError as exc:
            err = map_error(exc)
            if "invalid_auth" in str(err) or "not_authed" in str(err):
                self.auth_failed = True
                log.error("slack refused the bot token: check channels.slack.bot_token")
            raise err from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise TransientError(f"slack: {type(exc).__name__}") from None
        self.auth_failed = False
        posted = str(resp.get("channel") or channel)
        ts = str(resp.get("ts") or f"unknown-{message.id}")
        if root and ticket_id is not None and self.threads is not None:
            try:
                await self.threads.record_root(int(ticket_id), posted, ts)
            except Exception:  # noqa: BLE001 - the message row keeps the id; the lookup falls back to it
                log.exception("slack: could not record the thread of ticket %s", ticket_id)
        return f"{posted}:{ts}"

    async def respond(self, response_url: str, text: str) -> bool:
        """Answer a slash command through its response_url (ephemeral); False on failure."""
        if not response_url.startswith(tuple(self.settings.response_url_prefixes)):
            log.warning("slack: refusing a response_url outside the allowed prefixes")
            return False
        client = AsyncWebhookClient(response_url, session=self._session, timeout=int(self.settings.timeout_seconds))
        try:
            resp = await client.send(text=escape(text), response_type="ephemeral", replace_original=False)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("slack: response_url failed (%s)", type(exc).__name__)
            return False
        if resp.status_code != 200:
            log.warning("slack: response_url answered HTTP %s", resp.status_code)
            return False
        return True

    # -- files -----------------------------------------------------------

    def _file_url_allowed(self, url: str) -> bool:
        return url.startswith(tuple(self.settings.file_url_prefixes))

    async def download(self, url: str, declared_size: int | None = None) -> bytes:
        """A shared file's bytes (url_private with the bot token); SlackFileError otherwise."""
        limit = self.settings.max_file_bytes
        if declared_size is not None and declared_size > limit:
            raise SlackFileError("too_large")
        if not self._file_url_allowed(url):
            # The bot token goes only to Slack's file host.
            raise SlackFileError("not_allowed", "file URL outside file_url_prefixes")
        if self._http is None:
            raise SlackFileError("download_failed", "adapter not started")
        headers = {"Authorization": f"Bearer {self.settings.bot_token.get_secret_value()}"}
        try:
            for _ in range(4):
                async with self._http.stream("GET", url, headers=headers, follow_redirects=False) as resp:
                    if resp.status_code in (301, 302, 303, 307, 308):
                        url = urljoin(url, resp.headers.get("location", ""))
                        if not self._file_url_allowed(url):
                            raise SlackFileError("not_allowed", "redirect outside file_url_prefixes")
                        continue
                    if resp.status_code != 200:
                        raise SlackFileError("download_failed", f"HTTP {resp.status_code}")
                    chunks, size = [], 0
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        if size > limit:
                            raise SlackFileError("too_large")
                        chunks.append(chunk)
                    return b"".join(chunks)
        except httpx.HTTPError as exc:
            raise SlackFileError("download_failed", type(exc).__name__) from None
        raise SlackFileError("download_failed", "too many redirects")

    async def file_info(self, file_id: str) -> dict[str, Any]:
        """files.info for a ``file_shared`` event (its URL and where it was shared)."""
        try:
            resp = await self._client().files_info(file=file_id)
        except SlackApiError as exc:
            raise SlackFileError("download_failed", str(map_error(exc))) from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise SlackFileError("download_failed", type(exc).__name__) from None
        info = resp.get("file")
        if not isinstance(info, dict):
            raise SlackFileError("download_failed", "files.info without file")
        return info

    async def shared_file(self, file_id: str, channel: str) -> tuple[SlackFile, str] | None:
        """The file of a ``file_shared`` event and the thread it went to; None when not shared in a thread."""
        info = await self.file_info(file_id)
        share, file = thread_of_share(info, channel), slack_file(info)
        if share is None or file is None:
            return None
        ts, thread_ts = share
        if not thread_ts or thread_ts == ts:
            return None  # not shared in a thread: not about a ticket
        return file, thread_ts

    async def fetch_file(self, file: SlackFile) -> bytes:
        """A shared file's bytes, looking its URL up first when the event carried none."""
        if not file.url:
            file = slack_file(await self.file_info(file.id)) or file
        if not file.url:
            raise SlackFileError("download_failed", "no url_private")
        return await self.download(file.url, file.size)

    def health(self) -> dict[str, object]:
        if self._web is None:
            return {"state": "stopped"}
        if self.auth_failed:
            return {"state": "degraded", "error": "bot token refused"}
        return {"state": "ok", "handler": self.handler is not None}


def _json(data: dict[str, Any]) -> WebhookResult:
    import json

    return WebhookResult(status=200, body=json.dumps(data).encode(), content_type="application/json")


def _ephemeral(text: str) -> WebhookResult:
    return _json({"response_type": "ephemeral", "text": escape(text)})
