"""The channel adapter contract.

An adapter knows one provider's protocol and nothing else: it verifies and
parses raw webhook requests into ``InboundMessage``s, optionally runs a
long-lived receiver (SMTP server, long polling), and sends one
``OutboundMessage``. Limits are declared as data in ``Capabilities``; text
splitting, photo fallbacks, retries and rate limiting live once in the core.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Protocol, Sequence

from adapters.contract.messages import DeliveryUpdate, InboundMessage, OutboundMessage, RawRequest, WebhookResult


@dataclass(frozen=True)
class MessagingWindow:
    """A channel where the business may write freely only for a while after the citizen's last message.

    ``outside`` is what the provider allows once the window has closed: ``"template"`` (pre-approved
    templates, WhatsApp), ``"tag"`` (message tags for some kinds of update, Messenger) or ``"none"``.
    The core decides whether a message is inside the window; the adapter picks the template or tag.
    """

    hours: float = 24.0
    outside: str = "none"


@dataclass(frozen=True)
class Capabilities:
    """What a channel can carry, as data the core reads."""

    max_text_length: int = 4096
    supports_photo: bool = False
    max_photo_bytes: int = 10 * 1024 * 1024
    photo_caption_max: int = 1024
    # Outbound budget for the whole channel and for one recipient, per second.
    rate_per_second: float = 30.0
    burst: int = 30
    per_recipient_per_second: float = 1.0
    per_recipient_burst: int = 3
    # True: a long text becomes several messages (Telegram). False: it is
    # shortened and ends with the tracking-page link (SMS, X).
    split_long_text: bool = True
    # False where a ~190-character link does not fit a message (SMS, X): such
    # channels are told "reply BUKA <id>" instead of a one-time reopen link.
    links_fit: bool = True
    # True where a reply may be shown in public (X mentions): the core then adds a redacted
    # ``payload["public_text"]`` to every reply; other channels are spared building it.
    public_replies: bool = False
    # The messaging window (WhatsApp, Messenger), or None where the business may write at any time.
    window: MessagingWindow | None = None
    # True where the adapter shows ``payload["buttons"]`` ([{"label": "4", "text": "NILAI JKT-... 4"}])
    # as buttons under the message (Telegram inline keyboard, Messenger quick replies); a press comes
    # back as an inbound message whose text is the button's ``text``.
    reply_buttons: bool = False


@dataclass(frozen=True)
class TextPolicy:
    """Everything the core's renderer needs to know about a channel's text, in one place."""

    prepare: Callable[[str], str]  # e.g. GSM-7 friendly quotes on SMS
    fits: Callable[[str], bool]  # whether a text fits one message, as the channel counts length
    split_long_text: bool  # True: split into several messages; False: shorten and end with the link
    links_fit: bool
    photos: bool  # False: the photo becomes a link to the tracking page
    photo_caption_max: int


class IntakeSink(Protocol):
    """What a long-running receiver talks to (the core implements it)."""

    async def submit(self, messages: list[InboundMessage]) -> Sequence[object]:
        """Hand messages to intake; returns only once they are durable."""

    async def record_delivery(self, updates: list[DeliveryUpdate]) -> None:
        """Record delivery receipts / bounces for messages we sent."""

    async def get_state(self, key: str) -> str | None:
        """Read a persisted receiver value (poll offset, since_id...)."""

    async def set_state(self, key: str, value: str) -> None:
        """Persist a receiver value durably."""


class ChannelAdapter:
    """Base class: override what the channel supports."""

    name: ClassVar[str] = ""
    capabilities: Capabilities = Capabilities()

    async def start(self) -> None:
        """Open clients. Called once inside the running loop."""

    async def stop(self) -> None:
        """Close clients and stop receivers."""

    async def handle_webhook(self, request: RawRequest) -> WebhookResult:
        """Verify and parse one webhook request. Raise WebhookRejected for 4xx."""
        return WebhookResult(status=404, reason="this channel takes no webhooks")

    async def run_receiver(self, sink: IntakeSink) -> None:
        """Run a long-lived receiver (polling, SMTP) until cancelled."""

    async def send(self, message: OutboundMessage) -> str:
        """Send one message (already split to fit) and return the provider's id."""
        raise NotImplementedError

    def capabilities_for(self, channel: str) -> Capabilities:
        """Capabilities of one served channel (SMS and WhatsApp differ)."""
        return self.capabilities

    def prepare_text(self, text: str, channel: str) -> str:
        """Adapt text to the channel before fitting (e.g. GSM-7 friendly quotes)."""
        return text

    def text_fits(self, text: str, channel: str) -> bool:
        """Whether ``text`` fits in one message as the channel counts length."""
        return len(text) <= self.capabilities_for(channel).max_text_length

    def text_policy(self, channel: str, reply_context: Mapping[str, Any] | None = None) -> TextPolicy:
        """The text policy for one message; ``reply_context`` lets a channel vary it per sender."""
        caps = self.capabilities_for(channel)
        return TextPolicy(
            prepare=lambda text: self.prepare_text(text, channel),
            fits=lambda text: self.text_fits(text, channel),
            split_long_text=caps.split_long_text,
            links_fit=caps.links_fit,
            photos=caps.supports_photo,
            photo_caption_max=caps.photo_caption_max,
        )

    def contact(self, channel: str) -> str | None:
        """How a citizen reaches us on ``channel`` (a number, a page, a handle), listed on /lapor and the
        public pages; None to leave the channel off that list."""
        return None

    def outside_window_path(self, channel: str, kind: str, template: str | None) -> str | None:
        """What this adapter sends outside the messaging window for such a message (a message tag,
        a template id), or None when nothing may be sent there. Only asked on channels with a window."""
        return None

    def channels(self) -> tuple[str, ...]:
        """Channel names this adapter serves (one adapter may serve SMS and WhatsApp)."""
        return (self.name,)

    def can_reach(self, channel: str, recipient: str) -> bool:
        """False when messages to this recipient can never be delivered (no callback URL...)."""
        return True

    def health(self) -> dict[str, object]:
        """Channel state for /healthz."""
        return {"state": "ok"}
