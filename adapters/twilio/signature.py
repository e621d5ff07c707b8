"""X-Twilio-Signature checks against the public URL Twilio called."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from twilio.request_validator import HMAC_SHA1, RequestValidator, get_signature_algorithm

from adapters.twilio.settings import TwilioSettings

SIGNATURE_HEADER = "x-twilio-signature"
SIGNATURE_SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"


class FormParams(dict[str, list[str]]):
    """Form fields with every value kept; ``getlist`` is what RequestValidator reads."""

    def getlist(self, name: str) -> list[str]:
        return self[name]

    def first(self, name: str, default: str | None = None) -> str | None:
        values = self.get(name)
        return values[0] if values else default


def candidate_urls(public_base_url: str, path: str, query: dict[str, str]) -> list[str]:
    """The URL Twilio called, rebuilt behind proxies from the configured base.

    RawRequest carries the query decoded, so both usual encodings are tried.
    """
    base = public_base_url.rstrip("/") + path
    if not query:
        return [base]
    plus = base + "?" + urlencode(query)
    percent = base + "?" + urlencode(query, quote_via=quote)
    return [plus] if plus == percent else [plus, percent]


def check_signature(
    settings: TwilioSettings,
    urls: list[str],
    params: FormParams,
    signature: str | None,
    settings_header: str | None,
) -> str | None:
    """None when the request is genuine, else the reason it is not.

    https://www.twilio.com/docs/usage/webhooks/webhooks-security
    https://www.twilio.com/docs/usage/webhooks/webhook-shared-keys
    """
    if not signature:
        return "missing X-Twilio-Signature"
    if settings_header:
        # A Webhook Rule signs with a SharedKey and the algorithm it names.
        if settings.webhook_shared_key_secret is None:
            return "signed with a SharedKey but no webhook_shared_key_secret is configured"
        secret = settings.webhook_shared_key_secret.get_secret_value()
        algorithm = get_signature_algorithm(settings_header)
    else:
        secret = settings.auth_token.get_secret_value()
        algorithm = HMAC_SHA1
    validator = RequestValidator(secret)
    if any(validator.validate(url, params, signature, algorithm) for url in urls):
        return None
    return "X-Twilio-Signature does not match"
