"""Facebook Messenger (a Page's inbox) through the Graph API."""
from typing import TYPE_CHECKING

from adapters.contract.lazy import lazy_exports
from adapters.messenger.settings import MessengerSettings
from adapters.messenger.spec import SPEC

if TYPE_CHECKING:
    from adapters.messenger.adapter import MessengerAdapter

# The adapter module imports the provider SDK: only when a gateway builds it (adapters/contract/lazy.py).
__getattr__ = lazy_exports(__name__, "adapters.messenger.adapter", ("MessengerAdapter",))

__all__ = ["SPEC", "MessengerAdapter", "MessengerSettings"]
