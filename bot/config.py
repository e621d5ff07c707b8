"""Configuration: ``config.yaml`` validated with pydantic at start-up.

Secrets come from the environment as ``${VAR}`` (or ``${VAR:-default}``) and
are typed ``SecretStr`` so they never print. A bad config exits non-zero with
the offending key named, before anything serves.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

DEFAULT_CONFIG = "config.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A config problem, with the key path and what is wrong."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstanceConfig(Strict):
    name: str = "Aduan"
    tracking_prefix: str = Field(default="JKT", pattern=r"^[A-Z]{2,5}$")
    default_language: Literal["id", "en"] = "id"
    public_base_url: str = "http://127.0.0.1:8080"
    timezone: str = "Asia/Jakarta"


class HttpConfig(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    max_upload_bytes: int = Field(default=12 * 1_048_576, gt=0)
    # Paths that take uploads get max_upload_bytes; everything else max_body_bytes.
    upload_paths: list[str] = ["/api/v1/reports", "/lapor", "/webhooks/twilio"]
    # Reverse proxies (IPs or CIDR networks) whose X-Forwarded-For / X-Forwarded-Proto are believed.
    # Empty: nobody's, so a client cannot pick the address rate limits count against.
    trusted_proxies: list[str] = []
    # Slow or huge requests: the request line and headers must fit in max_header_bytes and arrive
    # within header_timeout_seconds; idle keep-alive connections close after keep_alive_seconds.
    max_header_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)
    header_timeout_seconds: float = Field(default=10, gt=0, le=300)
    keep_alive_seconds: float = Field(default=5, gt=0, le=300)
    # Open connections plus running requests beyond this get 503 (None: no limit).
    max_concurrency: int | None = Field(default=1000, ge=1)
    # One line per request (method, path without query string, status, duration) on logger aduan.access.
    access_log: bool = True

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for entry in v:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
        return [e.strip() for e in v]


class DatabaseConfig(Strict):
    url: str = "sqlite:///var/aduan.db"

    @field_validator("url")
    @classmethod
    def _supported(cls, v: str) -> str:
        if not (v.startswith("sqlite") or v.startswith("postgresql+asyncpg://")):
            raise ValueError("use sqlite:///path or postgresql+asyncpg://user@host/db")
        return v


class MediaConfig(Strict):
    dir: str = "var/media"
    max_bytes: int = Field(default=10 * 1_048_576, gt=0)
    # Photos whose header declares more pixels are refused before decoding (image bombs).
    max_pixels: int = Field(default=40_000_000, gt=0)
    # A proof photo whose perceptual hash is within this Hamming distance (of 64
    # bits) of a proof used on another ticket is flagged to the validator.
    proof_similarity_threshold: int = Field(default=6, ge=0, le=32)


class IntakeConfig(Strict):
    thread_window_minutes: float = Field(default=120, ge=0)
    reopen_window_days: float = Field(default=7, ge=0)
    location_window_minutes: float = Field(default=30, ge=0)
    group_commit_max: int = Field(default=256, ge=1)
    auto_replies_per_hour: int = Field(default=20, ge=1)


class WorkingHoursConfig(Strict):
    start: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")
    end: str = Field(default="16:00", pattern=r"^\d{2}:\d{2}$")
    days: list[int] = [0, 1, 2, 3, 4]  # Monday=0


class SlaConfig(Strict):
    coordinate_hours: float = Field(default=6, gt=0)
    resolve_hours: float = Field(default=168, gt=0)
    warn_at_fraction: float = Field(default=0.8, gt=0, lt=1)
    sweep_interval_seconds: float = Field(default=60, gt=0)
    # calendar: deadlines run on wall-clock time; working_hours: only within
    # working hours, skipping weekends and public holidays.
    clock: Literal["calendar", "working_hours"] = "calendar"
    working_hours: WorkingHoursConfig = WorkingHoursConfig()
    # Public holidays from the `holidays` package (bot/holiday_calendar.py) for this ISO country code;
    # null: only the dates in `holidays`.
    holiday_country: str | None = "ID"
    cuti_bersama: bool = False  # also skip the government's cuti bersama (collective leave) days
    holidays: list[str] = []  # extra closed days, ISO dates, e.g. 2026-12-24
    holidays_removed: list[str] = []  # listed holidays the offices work anyway


class WebConfig(Strict):
    """The public web face: tracking pages, dashboards, the citizen form."""

    secret_key: SecretStr | None = None  # signs sessions, CSRF and reopen links; generated under var/ if empty
    form_reports_per_hour_per_ip: int = Field(default=10, ge=1)
    session_hours: float = Field(default=12, gt=0)
    login_failures_per_hour_per_ip: int = Field(default=10, ge=1)
    # Tracking-ID lookups (/t/{id}, /api/v1/tickets/{id}, Open311 single request/token) per client per minute.
    tracking_lookups_per_minute_per_ip: int = Field(default=60, ge=1)
    # Open311 GeoReport v2 (/open311/v2): the jurisdiction served and the discovery document's texts.
    open311_jurisdiction_id: str = "jakarta.go.id"
    open311_contact: str = "Aduan Jakarta: lihat README / see README"
    open311_key_service: str = "API keys are issued to partner apps: channels.partner.partners[].api_key"


class LaneConfig(Strict):
    """Overrides for one outbox lane (a channel, or "<channel>:staff")."""

    concurrency: int | None = Field(default=None, ge=1)
    send_timeout_seconds: float | None = Field(default=None, gt=0)


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
    poll_interval_seconds: float = Field(default=1.0, gt=0)
    sweep_interval_seconds: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _lease_outlives_a_send(self) -> "OutboxConfig":
        longest = max([self.send_timeout_seconds] + [lane.send_timeout_seconds or 0 for lane in self.lanes.values()])
        if self.lease_seconds < 2 * longest:
            raise ValueError("lease_seconds must be at least twice the longest send_timeout_seconds")
        return self


class StartupConfig(Strict):
    """A channel whose provider is down at start-up starts degraded and is retried in the background."""

    adapter_timeout_seconds: float = Field(default=10, gt=0)
    retry_initial_seconds: float = Field(default=2, gt=0)
    retry_max_seconds: float = Field(default=300, gt=0)


class HealthConfig(Strict):
    """When /healthz turns degraded."""

    failed_sends: int = Field(default=5, ge=1)  # a channel's last N send attempts all failed
    oldest_queued_minutes: float = Field(default=10, gt=0)  # a channel's oldest queued reply is older


class RoutingConfig(Strict):
    areas_csv: str = "data/jakarta_areas.csv"
    boundaries_geojson: str | None = None


class AgencyConfig(Strict):
    code: str
    name: str
    parent: str | None = None
    # Staff desk: the Slack channel (id) where this agency's new tickets are
    # posted (sub-units without one use their parent's), and where its
    # escalations go (else channels.slack.supervisor_channel).
    slack_channel: str | None = None
    supervisor_slack_channel: str | None = None


class CategoryConfig(Strict):
    code: str
    name_id: str
    name_en: str
    agency: str | None = None
    keywords: list[str] = []
    coordinate_hours: float | None = None
    resolve_hours: float | None = None
    priority: int = 0


class StaffConfig(Strict):
    code: str
    name: str
    role: Literal["lurah", "agency_officer", "validator", "admin"]
    agency: str | None = None
    area: str | None = None
    slack_user_id: str | None = None
    telegram_user_id: str | None = None
    email: str | None = None
    password_hash: str | None = None
    # Language of the officer's command answers (default: instance.default_language).
    language: Literal["id", "en"] | None = None


class PartnerConfig(Strict):
    name: str = Field(pattern=r"^[a-z0-9_-]{2,30}$")
    api_key: SecretStr
    callback_url: str | None = None
    callback_secret: SecretStr | None = None

    @field_validator("callback_url", mode="before")
    @classmethod
    def _empty_is_none(cls, v: object) -> object:
        return None if v == "" else v


class PartnerChannelConfig(Strict):
    enabled: bool = True
    partners: list[PartnerConfig] = []
    max_photo_bytes: int = 10 * 1_048_576
    photo_fetch_timeout_seconds: float = 10


class ChannelsConfig(BaseModel):
    # Channel sections are validated by each adapter's own settings model at
    # wiring time (adapters/registry.py); unknown channel names are an error there.
    model_config = ConfigDict(extra="allow")
    partner: PartnerChannelConfig = PartnerChannelConfig()


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


class AdminConfig(Strict):
    api_token: SecretStr | None = None


class AppConfig(Strict):
    instance: InstanceConfig = InstanceConfig()
    http: HttpConfig = HttpConfig()
    database: DatabaseConfig = DatabaseConfig()
    media: MediaConfig = MediaConfig()
    intake: IntakeConfig = IntakeConfig()
    sla: SlaConfig = SlaConfig()
    outbox: OutboxConfig = OutboxConfig()
    startup: StartupConfig = StartupConfig()
    health: HealthConfig = HealthConfig()
    routing: RoutingConfig = RoutingConfig()
    agencies: list[AgencyConfig] = []
    categories: list[CategoryConfig] = []
    staff: list[StaffConfig] = []
    channels: ChannelsConfig = ChannelsConfig()
    admin: AdminConfig = AdminConfig()
    metrics: MetricsConfig = MetricsConfig()
    web: WebConfig = WebConfig()
    templates: dict[str, dict[str, str]] = {}
    status_labels: dict[str, dict[str, str]] = {}
    # Where the config file lives: relative paths in it resolve from here.
    base_dir: str = "."

    @model_validator(mode="after")
    def _references(self) -> "AppConfig":
        agencies = {a.code for a in self.agencies}
        for i, a in enumerate(self.agencies):
            if a.parent and a.parent not in agencies:
                raise ValueError(f"agencies[{i}].parent: unknown agency {a.parent!r}")
        codes = set()
        for i, c in enumerate(self.categories):
            if c.agency and c.agency not in agencies:
                raise ValueError(f"categories[{i}].agency: unknown agency {c.agency!r}")
            if c.code in codes:
                raise ValueError(f"categories[{i}].code: duplicate {c.code!r}")
            codes.add(c.code)
        if self.categories and "lainnya" not in codes:
            raise ValueError("categories: the triage category 'lainnya' is required")
        for i, s in enumerate(self.staff):
            if s.agency and s.agency not in agencies:
                raise ValueError(f"staff[{i}].agency: unknown agency {s.agency!r}")
        for lang in ("id", "en"):
            if self.templates and lang not in self.templates:
                raise ValueError(f"templates.{lang}: missing language")
        return self

    def path(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else Path(self.base_dir) / p


def _substitute_env(node: Any, where: str) -> Any:
    if isinstance(node, dict):
        return {k: _substitute_env(v, f"{where}.{k}" if where else str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute_env(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):

        def repl(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where}: environment variable {name} is not set")

        return _ENV_REF.sub(repl, node)
    return node


def _format_validation(err: ValidationError, prefix: str = "") -> str:
    lines = []
    for e in err.errors():
        loc = prefix
        for part in e["loc"]:
            loc += f"[{part}]" if isinstance(part, int) else (f".{part}" if loc else str(part))
        lines.append(f"{loc or '(root)'}: {e['msg']}")
    return "; ".join(lines)


def parse_config(data: dict[str, Any], base_dir: str = ".") -> AppConfig:
    data = _substitute_env(data or {}, "")
    data.setdefault("base_dir", base_dir)
    try:
        return AppConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation(err)) from None


def load_config(path: str | None = None) -> AppConfig:
    """Load and validate config; ``ADUAN_CONFIG`` and ``ADUAN_DATABASE_URL`` override."""
    path = path or os.environ.get("ADUAN_CONFIG") or DEFAULT_CONFIG
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{path}: config file not found (write a starting one with `aduan init DIR`)")
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    if os.environ.get("ADUAN_DATABASE_URL"):
        data.setdefault("database", {})["url"] = os.environ["ADUAN_DATABASE_URL"]
    try:
        return parse_config(data, base_dir=str(p.parent.resolve()))
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from None


def resolved_database_url(cfg: AppConfig) -> str:
    """The database URL with a relative SQLite path resolved from the config's folder."""
    from sqlalchemy.engine import make_url

    url = cfg.database.url
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        if not Path(u.database).is_absolute():
            return str(u.set(database=str(cfg.path(u.database))))
    return url
