"""The email channel as data; listed in adapters/catalog.py."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.email.settings import EmailSettings


def build(settings: EmailSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.email.adapter import EmailAdapter

    if not settings.maildir_path.is_absolute():
        settings = settings.model_copy(update={"maildir_path": deps.resolve_path(str(settings.maildir_path))})
    return EmailAdapter(settings), []


# aiosmtpd's "mail.log" logs envelope addresses at INFO and bodies at DEBUG.
SPEC = ChannelSpec(name="email", settings_model=EmailSettings, build=build, quiet_loggers=("mail.log",))
