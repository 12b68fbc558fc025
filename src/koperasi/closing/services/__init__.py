"""Writes of the close: `runs` validates a day-end or month-end request, records the run and
marks days closed; `engine` runs the steps over id-range batches. Callers import from here."""

from koperasi.closing.services.runs import (
    DAY_MARK,
    business_date,
    check_day_close,
    check_month_close,
    day_started,
    days_to_close,
    execute,
    mark_interrupted,
    start_day_close,
    start_month_close,
)

__all__ = [
    "DAY_MARK",
    "business_date",
    "check_day_close",
    "check_month_close",
    "day_started",
    "days_to_close",
    "execute",
    "mark_interrupted",
    "start_day_close",
    "start_month_close",
]
