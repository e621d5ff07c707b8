"""Operations settings: the outbox's lanes and retries, degraded start-up, health, metrics.

Split from bot/config.py along its seam (how the process runs, not what the city is);
bot.config re-exports every name.
"""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LaneConfig(Strict):
    """Overrides for one outbox lane (a channel, or "<channel>:staff")."""

    concurrency: int | None = Field(default=None, ge=1)
    send_timeout_seconds: float | None = Field(default=None, gt=0)
    # The channel's send budget (default: the adapter's Capabilities, i.e. the provider's
    # documented limits); shared by every gateway process. 0 = no limit. Only on a channel's
    # own lane: its staff lane sends through the same provider account and shares it.
    rate_per_second: float | None = Field(default=None, ge=0)
    burst: int | None = Field(default=None, ge=1)
    per_recipient_per_second: float | None = Field(default=None, ge=0)
    per_recipient_burst: int | None = Field(default=None, ge=1)

    def budget_overrides(self) -> dict[str, float | int]:
        names = ("rate_per_second", "burst", "per_recipient_per_second", "per_recipient_burst")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


class OutboxConfig(Strict):
    # Transient failures are retried with capped exponential backoff and jitter
    # until a message is this old; only then is it dead-lettered.
    retry_horizon_hours: float = Field(default=24, gt=0)
    backoff_base_seconds: float = Field(default=2, gt=0)
    backoff_max_seconds: float = Field(default=600, gt=0)
    lease_seconds: float = Field(default=120, gt=0)
    # Each lane sends up to this many messages at once, each bounded by the timeout.
    lane_concurrency: int = Field(default=8, ge=1)
    staff_lane_concurrency: int = Field(default=2, ge=1)
    send_timeout_seconds: float = Field(default=30, gt=0)
    lanes: dict[str, LaneConfig] = Field(default_factory=dict)
    # While rows are due, the dispatcher polls every poll_interval_seconds. With nothing due it
    # sleeps until the next row falls due, a local wake (a commit in this process queued rows),
    # or at most idle_poll_seconds (rows another process or a tool queued).
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    idle_poll_seconds: float = Field(default=10.0, gt=0)
    sweep_interval_seconds: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> "OutboxConfig":
        longest = max([self.send_timeout_seconds] + [lane.send_timeout_seconds or 0 for lane in self.lanes.values()])
        if self.lease_seconds < 2 * longest:
            raise ValueError("lease_seconds must be at least twice the longest send_timeout_seconds")
        for name, lane in self.lanes.items():
            if ":" in name and lane.budget_overrides():
                raise ValueError(f"lanes.{name}: a send budget is the channel's; set it on lanes.{name.split(':')[0]}")
        return self

    def budget_overrides(self) -> dict[str, dict[str, float | int]]:
        """Per channel, the send-budget settings that replace the adapter's defaults."""
        return {name: lane.budget_overrides() for name, lane in self.lanes.items() if lane.budget_overrides()}


class RedisConfig(Strict):
    """Where shared rate limits live (bot/limiter.py). No url: PostgreSQL when the database is
    PostgreSQL, else this process's memory (SQLite runs one process)."""

    url: SecretStr | None = None  # e.g. redis://127.0.0.1:6379/0 (may carry a password)
    key_prefix: str = Field(default="aduan:", max_length=100)
    timeout_seconds: float = Field(default=0.5, gt=0)  # past it, limits fall back to per process

    @field_validator("url", mode="before")
    @classmethod
    def _empty_is_unset(cls, v: Any) -> Any:
        return None if v == "" else v  # ${ADUAN_REDIS_URL:-} left empty in config.yaml


class StartupConfig(Strict):
    """A channel whose provider is down at start-up starts degraded and is retried in the background."""

    adapter_timeout_seconds: float = Field(default=10, gt=0)
    retry_initial_seconds: float = Field(default=2, gt=0)
    retry_max_seconds: float = Field(default=300, gt=0)


class HealthConfig(Strict):
    """When /healthz turns degraded."""

    failed_sends: int = Field(default=5, ge=1)  # a channel's last N send attempts all failed
    oldest_queued_minutes: float = Field(default=10, gt=0)  # a channel's oldest queued reply is older


class MetricsConfig(Strict):
    """Prometheus /metrics (bot/http/metrics_route.py)."""

    enabled: bool = True
    # Scrapers must send "Authorization: Bearer <token>"; empty: no token asked.
    token: SecretStr | None = None
    # A listener of its own for /metrics (then not on the public port); None: the public port.
    port: int | None = Field(default=None, ge=1, le=65535)
    host: str = "127.0.0.1"

    @field_validator("token", "port", mode="before")
    @classmethod
    def _empty_is_unset(cls, v: Any) -> Any:
        return None if v == "" else v  # ${ADUAN_METRICS_PORT:-} left empty in config.yaml
