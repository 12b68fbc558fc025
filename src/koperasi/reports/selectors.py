"""What other apps read of the reports: the names of the statement lines and the health
assessment's components (the statements themselves are `statements`, `flows`, `health`)."""

from django.utils.functional import Promise

from koperasi.reports import lines
from koperasi.reports.health import COMPONENT_TEXT
from koperasi.reports.trends import Morning, Trends, morning, trends

__all__ = ["Morning", "Trends", "component_label", "line_label", "morning", "trends"]


def line_label(code: str) -> str | Promise:
    """A statement line's name, or the code itself for one this version does not know."""
    line = lines.BY_CODE.get(code)
    return line.label if line else code


def component_label(code: str) -> str | Promise:
    text = COMPONENT_TEXT.get(code)
    return text[0] if text else code
