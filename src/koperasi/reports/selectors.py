"""What other apps read of the reports: the names of the statement lines and the health
assessment's components (the statements themselves are `statements`, `flows`, `health`)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise

from koperasi.reports import lines
from koperasi.reports.flows import activity
from koperasi.reports.health import COMPONENT_TEXT
from koperasi.reports.trends import Morning, Trends, morning, trends
from koperasi.tenancy.models import Cooperative

__all__ = [
    "Morning",
    "Trends",
    "YearActivity",
    "component_label",
    "line_label",
    "morning",
    "trends",
    "year_activity",
]


@dataclass(frozen=True)
class YearActivity:
    surplus: Decimal
    member_surplus: Decimal
    non_member_surplus: Decimal
    member_income: Decimal
    non_member_income: Decimal


def year_activity(*, cooperative: Cooperative, year: int) -> YearActivity:
    """A whole year's result as the statement of activities shows it (closing entries left
    out), with the members' and non-members' parts."""
    statement = activity(
        cooperative=cooperative, period=(dt.date(year, 1, 1), dt.date(year, 12, 31))
    )
    f = statement.figures
    return YearActivity(
        f["surplus"][0],
        f["member_surplus"][0],
        f["non_member_surplus"][0],
        f["member_income"][0],
        f["non_member_income"][0],
    )


def line_label(code: str) -> str | Promise:
    """A statement line's name, or the code itself for one this version does not know."""
    line = lines.BY_CODE.get(code)
    return line.label if line else code


def component_label(code: str) -> str | Promise:
    text = COMPONENT_TEXT.get(code)
    return text[0] if text else code
