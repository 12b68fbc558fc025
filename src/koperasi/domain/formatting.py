"""Indonesian display formats that are not about money."""

from datetime import date


def format_date_id(d: date) -> str:
    """Format as DD/MM/YYYY, the usual Indonesian numeric date (e.g. "22/11/2026")."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"
