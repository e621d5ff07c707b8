"""The staff roles and the chat apps an officer's account can be linked to: plain data, so that the
``aduan staff`` argument parser does not import the directory and the database layer."""
from __future__ import annotations

ROLES = ("lurah", "agency_officer", "validator", "admin")
LINK_CHANNELS = ("slack", "telegram")
