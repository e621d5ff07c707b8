"""Open311 GeoReport v2 under /open311/v2 (https://wiki.open311.org/GeoReport_v2).

Every method in both formats the spec requires: ``.json`` and ``.xml``.
Categories are the services; a CRM ticket is a service request whose
``service_request_id`` is its tracking ID; SELESAI and DITOLAK are
``closed``, everything else ``open``. POST runs the same intake pipeline as
every channel, as the partner named by ``api_key`` (channel ``partner``), so
partner callbacks deliver later updates. Errors are the spec's list of
``{code, description}`` with HTTP 400, 403 (api_key) or 404. Never any
reporter's identity in an answer.

Modules: ``routes`` (the router, GET handlers, OpenAPI description),
``intake`` (POST requests), ``filters`` (GET parameters), ``records``
(services and tickets as GeoReport records), ``formats`` (JSON/XML and the
error list), ``models`` (response models for OpenAPI).
"""
from __future__ import annotations

from bot.web.open311.routes import router

__all__ = ["router"]
