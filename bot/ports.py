"""What the web face, the HTTP routes and the health checks need from the composition root.

They used to take the whole ``Gateway`` typed ``Any`` and reach into it as a service
locator (issue 12, point 5). Each consumer now names the few parts it uses, as a
``typing.Protocol``: a test fake needs only those, and a new dependency shows up here.
The protocols are runtime-checkable so a test can assert that the real Gateway
still provides every part (tests/test_ports.py).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, TypeVar, cast, runtime_checkable

from bot.clock import Clock

if TYPE_CHECKING:
    from adapters.contract.channel import ChannelAdapter
    from adapters.contract.messages import InboundAttachment, RawRequest
    from bot.config import AppConfig
    from bot.intake import IntakeOutcome
    from bot.models import DeliveryUpdate, InboundMessage
    from bot.outbox import OutboxPolicy
    from bot.routing import AreaResolver
    from bot.templates import Templates

T = TypeVar("T")


class DatabasePort(Protocol):
    """``store.db.Database`` as its callers see it: run a store function in a transaction."""

    @property
    def dialect(self) -> str: ...

    async def read(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def write(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def read_heavy(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def ping(self) -> bool: ...


class IntakePort(Protocol):
    """The durable intake (``bot.intake_service.IntakeService``)."""

    batches: int
    messages: int

    async def submit(self, messages: list[InboundMessage]) -> list[IntakeOutcome]: ...

    async def record_delivery(self, updates: list[DeliveryUpdate]) -> None: ...

    async def retry_failed(self, limit: int = 100) -> int: ...


class WebhookRoutes(Protocol):
    """The channel registry, as the webhook routes and the health checks use it."""

    def webhook_adapter(self, path: str) -> ChannelAdapter | None: ...

    def channels(self) -> Any: ...

    def adapters(self) -> Any: ...


class StoreAndClock(Protocol):
    """Enough to keep a webhook body no adapter could parse."""

    # Read-only properties, not attributes: a settable protocol member must match the gateway's
    # concrete type exactly, while a property accepts any implementation of the port.
    @property
    def db(self) -> DatabasePort: ...

    clock: Clock


@runtime_checkable
class ReparsePorts(StoreAndClock, Protocol):
    """Enough to hand kept webhook bodies to their adapters again."""

    @property
    def registry(self) -> WebhookRoutes: ...

    @property
    def intake(self) -> IntakePort: ...


@runtime_checkable
class WebGateway(Protocol):
    """What the public web face (bot/web) uses."""

    config: AppConfig
    clock: Clock
    templates: Templates
    policy: OutboxPolicy  # tracking links; the reopen page records a transition with it
    registry: Any  # the channel registry: offered contact channels, the web adapter's registration
    staff: Any  # the staff service: its directory scopes what a signed-in officer sees
    dispatcher: Any  # wake() after a reopen queued a reply
    limiter: Any  # bot.limiter.SharedLimiter: the per-client limits, shared by every process
    resolver: AreaResolver  # the kelurahan of a point on the maps: the very resolver intake routes with
    categorizer: Any  # bot.categorize.Categorizer: /api/v1/sekitar categorises as intake does
    boundary_loader: Any  # bot.area_boundaries.BoundaryLoader: map_shapes, the dashboards' choropleth paths

    @property
    def db(self) -> DatabasePort: ...  # read-only, see StoreAndClock

    @property
    def intake(self) -> IntakePort: ...

    def adapter(self, channel: str) -> ChannelAdapter: ...


@runtime_checkable
class HttpGateway(WebGateway, Protocol):
    """What the HTTP routes (bot/http) and the health checks use, on top of the web face's parts."""

    registry: Any
    dispatcher: Any  # wake() after a requeue; lanes, failure streaks and ambiguous retries for /healthz
    media: Any  # the media store: its root is probed for a full disk
    startup: Any  # the channels' degraded start-up

    async def media_public_copy(self, sha256: str, content_type: str) -> Any: ...

    def receiver_states(self) -> dict[str, Any]: ...


def http_gateway(request: Any) -> HttpGateway:
    """The gateway ``create_app`` put on the app, typed by what a route may use of it."""
    gateway: HttpGateway = request.app.state.gateway
    return gateway


class PartnerReports(Protocol):
    """The partner channel's adapter as the partner API and Open311 use it (the core imports no channel package)."""

    def parse_report(self, request: RawRequest) -> Any: ...

    async def fetch_photo(self, url: str, field: str = "photo_url") -> InboundAttachment: ...


def partner_reports(gateway: WebGateway) -> PartnerReports:
    """The partner adapter, typed by the methods its routes call.

    A cast: the registry hands out channels by name as ``ChannelAdapter``, and which class serves
    "partner" is configuration, so no static type links the name to ``PartnerAdapter``.
    """
    return cast(PartnerReports, gateway.adapter("partner"))
