"""Files shipped in resources/ (icons, style sheet, template library), found the same way
in a checkout, an installed wheel and the PyInstaller bundle."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def resource(*parts: str) -> Traversable:
    node = resources.files("orchid_desktop.resources")
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    return resource(*parts).read_text(encoding="utf-8")


def read_bytes(*parts: str) -> bytes:
    return resource(*parts).read_bytes()
