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
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator

from adapters.contract.validation import format_validation
from bot.config_ops import (  # noqa: F401 - re-exported: the settings' one import place stays bot.config
    HealthConfig,
    LaneConfig,
    MetricsConfig,
    OutboxConfig,
    RedisConfig,
    StartupConfig,
    Strict,
)

DEFAULT_CONFIG = "config.yaml"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A config problem, with the key path and what is wrong."""


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
    upload_paths: list[str] = ["/api/v1/reports", "/lapor", "/webhooks/twilio", "/petugas/t/"]
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
    # Anonymous dashboards, their CSV and /api/v1/performance are computed at most once per this many
    # seconds per page (concurrent requests share one computation); 0 turns the cache off.
    public_cache_seconds: float = Field(default=5, ge=0, le=3600)

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
    # PostgreSQL only: connections the gateway keeps open, and how many more it may open for a burst.
    # A connection opened past the pool is closed again when returned, and opening one costs the server
    # a backend: the pool should cover the usual concurrency (HTTP reads, intake, outbox lanes, budgets).
    pool_size: int = Field(default=20, ge=1)
    max_overflow: int = Field(default=10, ge=0)

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


class RatingsConfig(Strict):
    """Citizens rating finished tickets (bot/ratings.py)."""

    enabled: bool = True
    # A reply of a digit 1-5 this long after SELESAI is a rating of that ticket (not a new report).
    reply_window_days: float = Field(default=7, gt=0)
    # Words in a 1-2 rating's comment that mean "not fixed": the thank-you then offers the reopen path.
    unresolved_phrases: list[str] = ["belum beres", "belum selesai", "tidak beres", "gak beres", "nggak beres",
                                     "masih rusak", "masih sama", "belum diperbaiki", "not fixed", "not resolved",
                                     "still broken", "not done"]
    # Channels whose ask carries the one-click rating page link even where the channel's adapter says long
    # links do not fit (SMS: one more segment, once per ticket, for citizens who would rather tap than type).
    link_channels: list[str] = ["email", "sms"]

class DuplicatesConfig(Strict):
    """Possible duplicate reports (issue 15): linked at intake for officers, shown near the point on /lapor."""

    enabled: bool = True
    # Same category, an open report within this distance: a possible duplicate (and "nearby" on /lapor).
    radius_m: float = Field(default=50, gt=0, le=1000)
    # Near-identical text from the same kelurahan within this many hours: a possible duplicate.
    text_window_hours: float = Field(default=48, ge=0)
    # How alike two normalised texts must be (rapidfuzz token-sort ratio, 0-100) to count as near-identical.
    text_similarity: float = Field(default=90, ge=0, le=100)
    # At most this many recent reports of the kelurahan are compared (the newest first): bounded work per report.
    text_candidates: int = Field(default=10, ge=1, le=500)
    # Open reports read near a point (intake and /lapor): a crowded spot costs no more than this.
    nearby_candidates: int = Field(default=50, ge=1, le=500)
    # GET /api/v1/sekitar: lookups per client per minute.
    nearby_lookups_per_minute_per_ip: int = Field(default=30, ge=1)
    # Intake's lookup runs in a worker process of its own, on another core (bot/duplicate_worker.py); false: on
    # the writer, between group commits. (An in-memory SQLite database keeps it on the writer either way.)
    lookup_process: bool = True


class WorkingHoursConfig(Strict):
    start: str = Field(default="08:00", pattern=r"^\d{2}:\d{2}$")
    end: str = Field(default="16:00", pattern=r"^\d{2}:\d{2}$")
    days: list[int] = [0, 1, 2, 3, 4]  # Monday=0


class SlaConfig(Strict):
    coordinate_hours: float = Field(default=6, gt=0)
    resolve_hours: float = Field(default=168, gt=0)
    warn_at_fraction: float = Field(default=0.8, gt=0, lt=1)
    sweep_interval_seconds: float = Field(default=60, gt=0)
    # Bounded work per sweep (issue 16): tickets looked at per run, in deadline order; deadlines older than the
    # horizon are never alerted one by one (an import of history, a long outage); alerts beyond the caps are
    # recorded and summarised in one digest post per agency.
    sweep_max_tickets: int = Field(default=1000, ge=1)
    sweep_horizon_hours: float = Field(default=72, gt=0)
    alerts_per_sweep: int = Field(default=50, ge=1)
    alerts_per_agency_per_sweep: int = Field(default=10, ge=1)
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


class OidcConfig(Strict):
    """Optional single sign-on for officers (``web.oidc``): an OpenID Connect provider's id_token claim names
    the officer. The provider replaces the password step only: TOTP still applies (admins, validators)."""

    issuer: str  # discovery at {issuer}/.well-known/openid-configuration
    client_id: str
    client_secret: SecretStr
    claim: str = "email"  # the id_token claim that names the officer
    match: Literal["email", "code"] = "email"  # compared with the staff email (case-insensitive) or code
    scopes: str = "openid email profile"
    timeout_seconds: float = Field(default=10, gt=0)


class MapConfig(Strict):
    """The maps on /lapor and /t/{id} (``web.map``): Leaflet served from /static, tiles from this server.

    Pages work without JavaScript and without tiles: an empty ``tile_url`` draws the kelurahan
    outlines on a plain background. The pages' CSP allows images from the tile host only."""

    enabled: bool = True
    # A Leaflet URL template: {z}/{x}/{y}, optionally {s} (subdomains) and {r} (retina suffix).
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "\u00a9 OpenStreetMap contributors"  # plain text, shown on the map
    tile_subdomains: str = "abc"  # what {s} in tile_url stands for, one letter each
    max_zoom: int = Field(default=19, ge=1, le=22)
    centre_latitude: float = Field(default=-6.2088, ge=-90, le=90)  # the map's start before a pin is set
    centre_longitude: float = Field(default=106.8456, ge=-180, le=180)
    zoom: int = Field(default=11, ge=1, le=22)
    # GET /api/v1/lokasi (the kelurahan of a point, asked as the pin moves) per client per minute.
    locate_per_minute_per_ip: int = Field(default=60, ge=1)

    @field_validator("tile_url")
    @classmethod
    def _tile_url(cls, value: str) -> str:
        value = value.strip()
        if value:
            tile_origin(value)  # raises ValueError for a URL the CSP could not name
        return value

    @property
    def tile_origin(self) -> str | None:
        """The tile server's origin for the CSP's img-src (``{s}.`` becomes ``*.``); None without tiles."""
        return tile_origin(self.tile_url) if self.enabled and self.tile_url else None


_TILE_URL = re.compile(r"^(https?)://((?:\{s\}\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?)/[^\s\"'<>]*$")


def tile_origin(url: str) -> str:
    """``scheme://host[:port]`` of a tile URL template, with a ``{s}.`` subdomain as ``*.``."""
    m = _TILE_URL.match(url)
    if m is None or not all(p in url for p in ("{z}", "{x}", "{y}")):
        raise ValueError("must be an http(s) URL template with {z}, {x} and {y} (and optionally {s}. before "
                         "the host), or empty for a map without tiles")
    return f"{m.group(1)}://{m.group(2).replace('{s}.', '*.')}"


class WebConfig(Strict):
    """The public web face: tracking pages, dashboards, the citizen form."""

    secret_key: SecretStr | None = None  # signs sessions, CSRF and reopen links; generated under var/ if empty
    form_reports_per_hour_per_ip: int = Field(default=10, ge=1)
    session_hours: float = Field(default=12, gt=0)
    login_failures_per_hour_per_ip: int = Field(default=10, ge=1)
    login_failures_per_hour_per_account: int = Field(default=10, ge=1)
    oidc: OidcConfig | None = None  # single sign-on (Authlib); off when absent
    # Tracking-ID lookups (/t/{id}, /api/v1/tickets/{id}, Open311 single request/token) per client per minute.
    tracking_lookups_per_minute_per_ip: int = Field(default=60, ge=1)
    # Open311 GeoReport v2 (/open311/v2): the jurisdiction served and the discovery document's texts.
    open311_jurisdiction_id: str = "jakarta.go.id"
    open311_contact: str = "Aduan Jakarta: lihat README / see README"
    open311_key_service: str = "API keys are issued to partner apps: channels.partner.partners[].api_key"
    map: MapConfig = MapConfig()


class RoutingConfig(Strict):
    areas_csv: str = "data/jakarta_areas.csv"
    boundaries_geojson: str | None = None
    # A report with coordinates that no polygon or name places: nearest kelurahan centre within
    # this distance (approximate), else this city-level area (None: the lowest kota code), flagged.
    nearest_centre_max_km: float = Field(default=5.0, gt=0)
    unplaced_area: str | None = None
    # How often the server looks for a newer `aduan areas import` and reloads its polygons.
    boundaries_reload_minutes: int = Field(default=5, ge=1)


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


class StaffRoleConfig(Strict):
    """What a staff role may do beyond its commands (``staff_roles:``, per role)."""

    # See the reporter's phone number or email address on the console's ticket page; every view is audited.
    can_view_contact: bool = False


class ChannelsConfig(BaseModel):
    """The ``channels:`` sections, each validated once by its channel's own settings model.

    The catalog (adapters/catalog.py) knows the channels; unknown names are an error.
    ``parse_config`` validates at load, so a bad section stops the process at start.
    """

    model_config = ConfigDict(extra="allow")
    _validated: dict[str, Any] | None = PrivateAttr(default=None)

    def validated(self) -> dict[str, Any]:
        """Every configured or on-by-default channel's settings, enabled or not (name -> (enabled, settings))."""
        if self._validated is None:
            from adapters.catalog import ChannelConfigError, validate_sections

            try:
                self._validated = validate_sections(dict(self.model_extra or {}))
            except ChannelConfigError as err:
                raise ConfigError(str(err)) from None
            # Keep the typed settings, not the raw text: secrets then print as SecretStr('**********').
            extra = self.__pydantic_extra__ if self.__pydantic_extra__ is not None else {}
            for name, (_, settings) in self._validated.items():
                if name in extra:
                    extra[name] = settings
        return self._validated

    def settings(self, name: str) -> Any | None:
        """The validated settings of an enabled channel, or None when it is off or not configured."""
        enabled, settings = self.validated().get(name, (False, None))
        return settings if enabled else None

    def enabled(self) -> dict[str, Any]:
        """Enabled channels' validated settings, in catalog order."""
        return {name: settings for name, (on, settings) in self.validated().items() if on}

    @property
    def partner(self) -> Any:
        """The partner section's settings (partner API keys also serve Open311), even when switched off."""
        return self.validated()["partner"][1]


class AdminConfig(Strict):
    api_token: SecretStr | None = None


class AppConfig(Strict):
    instance: InstanceConfig = InstanceConfig()
    http: HttpConfig = HttpConfig()
    database: DatabaseConfig = DatabaseConfig()
    media: MediaConfig = MediaConfig()
    intake: IntakeConfig = IntakeConfig()
    ratings: RatingsConfig = RatingsConfig()
    duplicates: DuplicatesConfig = DuplicatesConfig()
    sla: SlaConfig = SlaConfig()
    outbox: OutboxConfig = OutboxConfig()
    startup: StartupConfig = StartupConfig()
    health: HealthConfig = HealthConfig()
    routing: RoutingConfig = RoutingConfig()
    agencies: list[AgencyConfig] = []
    categories: list[CategoryConfig] = []
    staff: list[StaffConfig] = []
    staff_roles: dict[Literal["lurah", "agency_officer", "validator", "admin"], StaffRoleConfig] = {}
    channels: ChannelsConfig = ChannelsConfig()
    admin: AdminConfig = AdminConfig()
    metrics: MetricsConfig = MetricsConfig()
    redis: RedisConfig = RedisConfig()
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

    def channel_settings(self, name: str) -> Any | None:
        """A channel's settings, validated once at load (None when the channel is off)."""
        return self.channels.settings(name)

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


# Kept under its old name for callers on other branches.
_format_validation = format_validation


def parse_config(data: dict[str, Any], base_dir: str = ".") -> AppConfig:
    data = _substitute_env(data or {}, "")
    data.setdefault("base_dir", base_dir)
    try:
        cfg = AppConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation(err)) from None
    cfg.channels.validated()  # channel sections, once, now: a bad one stops the start
    return cfg


def _read_yaml(text: str) -> Any:
    """The YAML document in ``text``: libyaml's parser when PyYAML has it (~10x faster: under 10 ms for the
    shipped config instead of 70-90 ms, on every command's start-up); an error is raised again by the
    pure-Python parser, whose message shows the offending line (and which accepts the few inputs libyaml is
    stricter about)."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        return yaml.safe_load(text)


def load_config(path: str | None = None) -> AppConfig:
    """Load and validate config; ``ADUAN_CONFIG`` and ``ADUAN_DATABASE_URL`` override."""
    path = path or os.environ.get("ADUAN_CONFIG") or DEFAULT_CONFIG
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{path}: config file not found (write a starting one with `aduan init DIR`)")
    try:
        data = _read_yaml(p.read_text(encoding="utf-8")) or {}
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
