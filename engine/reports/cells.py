"""Text that is safe where reports land: spreadsheet cells and line-by-line JSON readers."""

from __future__ import annotations

from typing import Any

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (``=HYPERLINK(...)`` in a team name would run when the CSV is opened).  Tab and carriage
# return too, as OWASP advises.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that a spreadsheet will show as text: a leading formula character gets a
    leading apostrophe (the spreadsheet convention).  Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_LINE_SEPARATORS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def json_line_safe(data: bytes) -> bytes:
    """JSON with U+2028/U+2029 escaped: valid JSON either way, but raw they end a line for
    JavaScript and for some line-by-line readers of ``findings.jsonl``."""
    if b"\xe2" not in data:  # one byte: a memchr, far quicker than seeking the pair
        return data
    for raw, escaped in _LINE_SEPARATORS:
        data = data.replace(raw, escaped)
    return data
