"""Document dates as ISO calendar dates, from the W3C date-time forms that ODF and EPUB metadata use."""

from __future__ import annotations

import datetime as dt
import re

_W3C_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def iso_date(value: str | None) -> str | None:
    """`YYYY-MM-DD` from `2024`, `2024-05`, `2024-05-06` or a date-time; None when it is no date.

    A year or month alone becomes its first day, as the export stores one date form.
    """
    match = _W3C_DATE.match(value or "")
    if not match:
        return None
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
