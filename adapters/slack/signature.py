"""Slack request signatures: v0 HMAC-SHA256 over the raw body, 5-minute window.

https://api.slack.com/authentication/verifying-requests-from-slack
The computation is slack_sdk's own ``SignatureVerifier``; we only give it the
gateway's clock, so tests never depend on wall time.
"""
from __future__ import annotations

from slack_sdk.signature import Clock as SdkClock
from slack_sdk.signature import SignatureVerifier

from adapters.contract.clock import Clock
from adapters.contract.errors import WebhookRejected
from adapters.contract.messages import RawRequest

# slack_sdk rejects a timestamp more than this far from now (replay window).
MAX_AGE_SECONDS = 300


class _SdkClock(SdkClock):
    """slack_sdk's clock interface (``now() -> float``) over our Clock."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self._clock = clock

    def now(self) -> float:
        return self._clock.now().timestamp()


class RequestVerifier:
    """Raises ``WebhookRejected(401)`` unless a request is signed by Slack, recently."""

    def __init__(self, signing_secret: str, clock: Clock) -> None:
        self._clock = clock
        self._verifier = SignatureVerifier(signing_secret, clock=_SdkClock(clock))

    def verify(self, request: RawRequest) -> None:
        timestamp = request.header("x-slack-request-timestamp")
        signature = request.header("x-slack-signature")
        if not timestamp or not signature:
            raise WebhookRejected(401, "missing Slack signature")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise WebhookRejected(401, "bad Slack request timestamp")
        if abs(self._clock.now().timestamp() - int(timestamp)) > MAX_AGE_SECONDS:
            raise WebhookRejected(401, "stale Slack request (replay?)")
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookRejected(401, "invalid Slack signature") from None
        if not self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature):
            raise WebhookRejected(401, "invalid Slack signature")
