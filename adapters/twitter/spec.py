"""The X channel as data; listed in adapters/catalog.py."""
from __future__ import annotations

from adapters.contract import BuildDeps, ChannelAdapter, ChannelSpec
from adapters.twitter.settings import TwitterSettings

# Loggers that emit records carrying request headers or auth state (tweepy logs headers at DEBUG).
WATCHED_LOGGERS = ("adapters.twitter", "tweepy.asynchronous.client", "tweepy.client", "tweepy.api",
                   "requests_oauthlib.oauth1_auth", "oauthlib.oauth1.rfc5849")


def build(settings: TwitterSettings, deps: BuildDeps) -> tuple[ChannelAdapter, list[str]]:
    from adapters.twitter.adapter import TwitterAdapter

    # A refused DM falls back to "<ID> <status word> <link>" in public: the word as citizens read it.
    return TwitterAdapter(settings, status_label=deps.status_label), ["/webhooks/twitter"]


SPEC = ChannelSpec(name="twitter", settings_model=TwitterSettings, build=build,
                   quiet_loggers=("tweepy",),
                   watched_loggers=WATCHED_LOGGERS)
