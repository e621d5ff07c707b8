"""Clean plain text from an HTML mail body.

Uses the stdlib ``html.parser``: html2text emits Markdown (escaped "1\\.",
dropped link targets), not clean text.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "address", "table", "tr", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "dl", "dt", "dd", "center", "form", "blockquote",
}
_SKIP_TAGS = {"style", "script", "head", "title", "noscript", "template", "svg", "xml"}


class _HtmlText(HTMLParser):
    """Plain text from mail HTML: blocks become lines, quotes get "> ", links keep their URL."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line = ""
        self._quote = 0
        self._skip = 0
        self._pre = 0
        self._href: str | None = None
        self._link_text = ""

    def _newline(self) -> None:
        self.lines.append((self._quote, self._line))
        self._line = ""

    def _block(self) -> None:
        if self._line.strip():
            self._newline()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._block()
            self._line = "- "
        elif tag in ("td", "th"):
            if self._line.strip():
                self._line += " | "
        elif tag == "a":
            self._href = dict(attrs).get("href")
            self._link_text = ""
        elif tag in _BLOCK_TAGS:
            self._block()
            if tag == "blockquote":
                self._quote += 1
            elif tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._newline()
        elif tag == "hr":
            self._block()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "a":
            href, self._href = self._href, None
            text = self._link_text.strip()
            if href and re.match(r"https?://", href) and text and href.rstrip("/") not in text:
                self._line += f" ({href})"
        elif tag in _BLOCK_TAGS or tag == "li":
            self._block()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
            if tag in ("p", "table", "blockquote", "ul", "ol") or tag.startswith("h"):
                self.lines.append((self._quote, ""))

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = re.sub(r"[ \t\r\n\f\v]+", " ", data)
            if not self._line.strip():
                data = data.lstrip()
        if self._pre and "\n" in data:
            first, *rest = data.split("\n")
            self._line += first
            for piece in rest:
                self._newline()
                self._line += piece
        else:
            self._line += data
        if self._href is not None:
            self._link_text += data

    def text(self) -> str:
        if self._line.strip():
            self._newline()
        out = []
        for depth, line in self.lines:
            line = line.replace("\xa0", " ").rstrip()
            out.append(("> " * depth + line) if depth and line else line)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def html_to_text(html: str) -> str:
    """Clean plain text from an HTML mail body; never raises."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; this is belt and braces
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()
