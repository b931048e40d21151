"""The plain-text part of an email, derived from its HTML.

Mail clients that show text only (and spam filters that compare the two parts) get the
same words: paragraphs separated by a blank line, ``<br>`` as a new line, list items as
"- item" (numbered in an ordered list), links as "label (url)", entities decoded, runs of
whitespace collapsed, and no tag left over. Only the standard library's parser is used.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote",
    "section", "article", "header", "footer", "hr", "pre", "address", "figure", "dl",
    "main", "nav", "aside", "form", "fieldset",
})
_LINES = frozenset({"tr", "dt", "dd", "caption", "figcaption"})
_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area",
                   "base", "source", "track", "embed", "param"})
# breaks between the words: a new line (block edges), or one <br> each
_LINE, _PARAGRAPH, _BR = object(), object(), object()
_SPACES = re.compile(r"\s+")


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str | object] = []
        self.skipping = 0
        self.lists: list[list[int | None]] = []  # per open list: [next number or None]
        self.bullet: str | None = None  # written before the item's first words
        self.links: list[tuple[str, int]] = []  # (href, where its label starts in out)

    # -- structure ------------------------------------------------------------------
    def _break(self, kind: object) -> None:
        self.out.append(kind)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self._break(_PARAGRAPH)
            if tag in ("ul", "ol"):
                self.lists.append([1 if tag == "ol" else None])
        elif tag in _LINES:
            self._break(_LINE)
        elif tag == "br":
            self._break(_BR)
        elif tag == "li":
            self._break(_LINE)
            current = self.lists[-1] if self.lists else [None]
            if current[0] is None:
                self.bullet = "- "
            else:
                self.bullet = f"{current[0]}. "
                current[0] += 1
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.handle_data(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            self._break(_PARAGRAPH)
        elif tag in _LINES or tag == "li":
            self.bullet = None
            self._break(_LINE)
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = _SPACES.sub(" ", "".join(p for p in self.out[start:]
                                             if isinstance(p, str))).strip()
            href = href.strip()
            if href and not _same_link(label, href):
                self.handle_data(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        text = _SPACES.sub(" ", data)
        if self.bullet is not None and text.strip():
            self.out.append(self.bullet)
            self.bullet = None
            text = text.lstrip()
        self.out.append(text)

    # -- result ---------------------------------------------------------------------
    def text(self) -> str:
        lines: list[str] = []
        current: list[str] = []
        gap = 0  # before the next line: 1 = a new line, 2 = a blank line as well
        for piece in [*self.out, _LINE]:
            if isinstance(piece, str):
                current.append(piece)
                continue
            words = " ".join("".join(current).split())
            current = []
            if words:
                if lines and gap >= 2:
                    lines.append("")
                lines.append(words)
                gap = 1
            elif piece is _BR:
                gap = min(2, gap + 1)  # <br><br>: a blank line
            if piece is _PARAGRAPH:
                gap = 2
        return "\n".join(lines)


def _same_link(label: str, href: str) -> bool:
    if label == href:
        return True
    bare = href.removeprefix("mailto:").removeprefix("tel:")
    return label == bare or label.rstrip("/") == href.rstrip("/")


def html_to_text(html: str) -> str:
    """The words of ``html`` as plain text (see the module's description)."""
    maker = _TextMaker()
    maker.feed(html or "")
    maker.close()
    return maker.text()
