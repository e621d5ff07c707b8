"""Facebook Messenger (a Page's inbox) through the Graph API."""
from adapters.messenger.adapter import MessengerAdapter
from adapters.messenger.settings import MessengerSettings
from adapters.messenger.spec import SPEC

__all__ = ["SPEC", "MessengerAdapter", "MessengerSettings"]
