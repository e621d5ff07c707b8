"""WhatsApp through Meta's Cloud API: the "whatsapp" channel without Twilio."""
from adapters.whatsapp_cloud.adapter import WhatsAppCloudAdapter
from adapters.whatsapp_cloud.settings import CloudTemplate, WhatsAppCloudSettings
from adapters.whatsapp_cloud.spec import SPEC

__all__ = ["SPEC", "CloudTemplate", "WhatsAppCloudAdapter", "WhatsAppCloudSettings"]
