"""Texts citizens and officers read, rendered from templates in config.

Bahasa Indonesia is the default; English is the alternative. A template that
is missing in the citizen's language falls back to the default language.
"""
from __future__ import annotations

from typing import Any, Mapping

REQUIRED_KEYS = (
    "ack_new",
    "ack_appended",
    "status_reply",
    "help",
    "invalid_id",
    "not_found",
    "reopened",
    "reopen_refused",
    "empty_report",
    "opted_in",
    "language_set",
    "location_received",
    "location_orphan",
    "note_received",
    "status_changed",
    "proof_done",
    "staff_reply",
    "public_short",
    "photo_link",
)


class TemplateError(Exception):
    pass


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        raise TemplateError(f"template field {{{key}}} has no value")


class Templates:
    def __init__(
        self,
        texts: Mapping[str, Mapping[str, str]],
        status_labels: Mapping[str, Mapping[str, str]],
        default_language: str = "id",
    ) -> None:
        self._texts = texts
        self._labels = status_labels
        self.default_language = default_language
        missing = [k for k in REQUIRED_KEYS if k not in texts.get(default_language, {})]
        if missing:
            raise TemplateError(f"templates.{default_language}: missing {', '.join(missing)}")

    def language(self, lang: str | None) -> str:
        return lang if lang is not None and lang in self._texts else self.default_language

    def render(self, key: str, lang: str | None, **fields: Any) -> str:
        lang = self.language(lang)
        text = self._texts.get(lang, {}).get(key) or self._texts[self.default_language].get(key)
        if text is None:
            raise TemplateError(f"no template {key!r}")
        return text.format_map(_Fields(fields)).strip()

    def has(self, key: str) -> bool:
        """Whether a text named ``key`` exists (in the default language, which every other falls back to)."""
        return key in self._texts.get(self.default_language, {})

    def status_label(self, status: str, lang: str | None) -> str:
        lang = self.language(lang)
        return self._labels.get(lang, {}).get(status) or self._labels.get(self.default_language, {}).get(status) or status
