"""SPF/DKIM/DMARC results from the ``Authentication-Results`` header of a trusted relay (RFC 8601).

We run no DNS checks ourselves: the relay in front of us (Postfix with
OpenDKIM/OpenDMARC, a cloud mail gateway...) already did them. Only a header
whose authserv-id is listed in ``channels.email.trusted_authserv_ids`` counts,
the first such one (the relay closest to us adds it on top); with the list
empty nothing is trusted. The relay must remove incoming headers that carry
its own authserv-id (RFC 8601 section 5), or a sender could forge a "pass".
Parsing is done by the ``authres`` package.
"""
from __future__ import annotations

from typing import Any

import authres

from adapters.email.identity import aligned, domain_of


def auth_summary(values: list[str], trusted: tuple[str, ...], author: str | None, reporter: str | None) -> dict[str, Any]:
    """What the trusted relay found, whether it is aligned with From, and whether it vouches for the reporter.

    ``aligned``: DMARC pass for the From domain, or DKIM pass with d= aligned to it.
    ``verified``: aligned, and the reporter's address is in that same domain
    (a contact form's DKIM pass says nothing about the citizen in Reply-To).
    """
    summary: dict[str, Any] = {"checked": False, "spf": None, "dkim": None, "dmarc": None, "dkim_domain": None,
                               "aligned": False, "verified": False}
    wanted = {t.lower() for t in trusted}
    header = next((h for h in map(_parse, values) if h is not None and h.authserv_id.lower() in wanted), None)
    if header is None:
        return summary
    from_domain = domain_of(author)
    summary["checked"] = True
    for result in header.results:
        method, outcome = str(result.method).lower(), str(result.result).lower()
        if method == "spf" and summary["spf"] is None:
            summary["spf"] = outcome
        elif method == "dmarc" and summary["dmarc"] is None:
            summary["dmarc"] = outcome
            if outcome == "pass" and aligned(_prop(result, "header", "from").lower(), from_domain):
                summary["aligned"] = True
        elif method == "dkim":
            signer = (_prop(result, "header", "d") or _prop(result, "header", "i").rpartition("@")[2]).lower()
            if summary["dkim"] != "pass":  # one passing signature is enough
                summary["dkim"], summary["dkim_domain"] = outcome, signer or None
            if outcome == "pass" and aligned(signer, from_domain):
                summary["aligned"] = True
    summary["verified"] = summary["aligned"] and aligned(domain_of(reporter), from_domain)
    return summary


def _parse(value: str) -> Any:
    try:
        return authres.AuthenticationResultsHeader.parse_value(value)
    except Exception:  # noqa: BLE001 - a malformed header counts as absent
        return None


def _prop(result: Any, ptype: str, name: str) -> str:
    for prop in getattr(result, "properties", ()):
        if str(prop.type).lower() == ptype and str(prop.name).lower() == name:
            return str(prop.value or "").strip()
    return ""
