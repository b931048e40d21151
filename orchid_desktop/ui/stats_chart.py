"""A small daily chart painted with QPainter (PySide6-Essentials has no QtCharts):
delivered as bars, unique opens and unique clicks as lines over them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor("#d8cce4")
OPENS = QColor("#6b3fa0")
CLICKS = QColor("#e07b39")
GRID = QColor("#ebe6ef")
TEXT = QColor("#6d6475")


def nice_ceiling(value: float, ticks: int = 4) -> tuple[float, float]:
    """A round top for the axis and its step (1, 2, 2.5 or 5 × 10ⁿ per tick)."""
    if value <= 0:
        return float(ticks), 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if step < 1:
        step = 1.0
    return step * math.ceil(value / step), step


class StatsChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.days: list[date] = []
        self.bars: list[int] = []
        self.lines: list[tuple[str, QColor, list[int]]] = []
        self.bar_label = "Delivered"
        self.empty_text = "No figures from SendGrid yet."
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(640, 240)

    def set_series(self, days: Sequence[date], delivered: Sequence[int],
                   opens: Sequence[int], clicks: Sequence[int]) -> None:
        self.days = list(days)
        self.bars = list(delivered)
        self.lines = [("Unique opens", OPENS, list(opens)),
                      ("Unique clicks", CLICKS, list(clicks))]
        self.update()

    def has_data(self) -> bool:
        return any(self.bars) or any(any(v) for _, _, v in self.lines)

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        font = QFont(self.font())
        font.setPointSizeF(max(7.5, font.pointSizeF() * 0.9))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        if not self.days or not self.has_data():
            painter.setPen(TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            painter.end()
            return
        top_value, step = nice_ceiling(max([*self.bars, *(max(v) for _, _, v in self.lines)]))
        label_width = metrics.horizontalAdvance(f"{int(top_value):,}") + 10
        legend_height = metrics.height() + 12
        plot = QRectF(label_width + 6, legend_height + 6,
                      self.width() - label_width - 20,
                      self.height() - legend_height - metrics.height() - 20)
        self._legend(painter, metrics, label_width + 6)
        self._grid(painter, metrics, plot, top_value, step)
        slot = plot.width() / len(self.days)

        def y(value: float) -> float:
            return plot.bottom() - value / top_value * plot.height()

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BAR)
        bar_width = max(2.0, slot * 0.7)
        for index, value in enumerate(self.bars):
            if value:
                x = plot.left() + index * slot + (slot - bar_width) / 2
                painter.drawRoundedRect(QRectF(x, y(value), bar_width, plot.bottom() - y(value)),
                                        1.5, 1.5)
        for _, color, values in self.lines:
            path = QPainterPath()
            points = [QPointF(plot.left() + (i + 0.5) * slot, y(v)) for i, v in enumerate(values)]
            path.moveTo(points[0])
            for point in points[1:]:
                path.lineTo(point)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(color, 2.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))
            painter.drawPath(path)
            if slot >= 9:
                painter.setBrush(color)
                painter.setPen(QPen(QColor("#ffffff"), 1.0))
                for point, value in zip(points, values, strict=True):
                    if value:
                        painter.drawEllipse(point, 3.0, 3.0)
        self._dates(painter, metrics, plot, slot)
        painter.end()

    def _legend(self, painter: QPainter, metrics: QFontMetrics, left: float) -> None:
        x, middle = left, 6 + metrics.height() / 2
        for text, color, is_bar in ((self.bar_label, BAR, True),
                                    *((t, c, False) for t, c, _ in self.lines)):
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            if is_bar:
                painter.drawRoundedRect(QRectF(x, middle - 5, 12, 10), 2, 2)
            else:
                painter.setPen(QPen(color, 2.0))
                painter.drawLine(QPointF(x, middle), QPointF(x + 12, middle))
            painter.setPen(TEXT)
            painter.drawText(QPointF(x + 17, middle + metrics.ascent() / 2 - 1), text)
            x += 17 + metrics.horizontalAdvance(text) + 18

    def _grid(self, painter: QPainter, metrics: QFontMetrics, plot: QRectF,
              top_value: float, step: float) -> None:
        value = 0.0
        while value <= top_value + 1e-9:
            line_y = plot.bottom() - value / top_value * plot.height()
            painter.setPen(QPen(GRID if value else QColor("#cfc6d6"), 1.0))
            painter.drawLine(QPointF(plot.left(), line_y), QPointF(plot.right(), line_y))
            painter.setPen(TEXT)
            text = f"{value:,.0f}" if step >= 1 else f"{value:,.1f}"
            painter.drawText(QRectF(0, line_y - metrics.height() / 2, plot.left() - 6,
                                    metrics.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)
            value += step

    def _dates(self, painter: QPainter, metrics: QFontMetrics, plot: QRectF,
               slot: float) -> None:
        painter.setPen(TEXT)
        label_width = metrics.horizontalAdvance("30 Sep") + 12
        every = max(1, math.ceil(label_width / slot))
        last = len(self.days) - 1
        for index in range(last, -1, -every):  # the latest day always labelled
            center = plot.left() + (index + 0.5) * slot
            text = f"{self.days[index].day} {self.days[index]:%b}"
            left = min(center - label_width / 2, self.width() - label_width - 2)
            painter.drawText(QRectF(left, plot.bottom() + 4, label_width, metrics.height()),
                             Qt.AlignmentFlag.AlignHCenter, text)
