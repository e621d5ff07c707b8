"""WhatsApp through Meta's Cloud API: the "whatsapp" channel without Twilio."""
from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.whatsapp_cloud.settings import CloudTemplate, WhatsAppCloudSettings
from adapters.whatsapp_cloud.spec import SPEC

if TYPE_CHECKING:
    from adapters.whatsapp_cloud.adapter import WhatsAppCloudAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.whatsapp_cloud.adapter", ("WhatsAppCloudAdapter",))

__all__ = ["SPEC", "CloudTemplate", "WhatsAppCloudAdapter", "WhatsAppCloudSettings"]
