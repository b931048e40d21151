"""The app's icon in every size the platform may ask for."""

from __future__ import annotations

from PySide6.QtGui import QIcon, QPixmap

from orchid_desktop import assets

SIZES = (16, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    icon = QIcon()
    for size in SIZES:
        pixmap = QPixmap()
        pixmap.loadFromData(assets.read_bytes("icons", f"orchid-{size}.png"), "PNG")
        icon.addPixmap(pixmap)
    return icon
