"""Text that is safe to put in a spreadsheet cell.

Excel, LibreOffice and Google Sheets read a cell that begins with ``=``, ``+``, ``-`` or
``@`` (and, after a tab or line break, the same) as a formula. A lead's name typed into a
web form as ``=HYPERLINK("http://evil…")`` would then run on the workstation of whoever
opens the export ("CSV injection"). OWASP's advice, followed here, is to start such a cell
with an apostrophe so it stays text. Every text cell an export writes goes through this,
and imports share the same rule.
"""

from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def escape_cell(value: str) -> str:
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value
