"""Open311 answers in JSON or the spec's schemaless XML, and its error list format."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from fastapi.responses import JSONResponse, Response

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PLURALS = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value"}


class XMLResponse(Response):
    media_type = "text/xml; charset=utf-8"


class Open311Error(Exception):
    def __init__(self, status: int, description: str, code: int | None = None, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.code = code or status
        self.retry_after = retry_after


def _xml_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _xml_fill(parent: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        el = ET.SubElement(parent, key)
        if isinstance(value, list):
            child_tag = _PLURALS.get(key, "item")
            for item in value:
                child = ET.SubElement(el, child_tag)
                if isinstance(item, dict):
                    _xml_fill(child, item)
                else:
                    child.text = _xml_text(item)
        elif isinstance(value, dict):
            _xml_fill(el, value)
        else:
            el.text = _xml_text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """The spec's schemaless XML: a root holding one element per item (or one document)."""
    top = ET.Element(root)
    if item is None:
        _xml_fill(top, data)
    else:
        for row in data:
            _xml_fill(ET.SubElement(top, item), row)
    body = ET.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def answer(fmt: str, root: str, item: str | None, data: Any, status: int = 200) -> Response:
    if fmt == "xml":
        return XMLResponse(to_xml(root, item, data), status_code=status)
    return JSONResponse(data, status_code=status, media_type="application/json; charset=utf-8")


def error_answer(fmt: str, status: int, *errors: tuple[int, str]) -> Response:
    rows = [{"code": code, "description": desc} for code, desc in errors]
    return answer(fmt, "errors", "error", rows, status)
