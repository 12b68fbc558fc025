"""A loan schedule as JSON: the one shape the CLI (`calc schedule --json`) and the API share.

Pure (no Django), so the CLI can use it without touching settings or the database.
"""

from decimal import Decimal
from typing import Any

from koperasi.domain.schedule import Schedule


def money_text(amount: Decimal) -> str:
    """An amount as a string with exactly two decimals, e.g. "916799.93"."""
    return f"{amount:.2f}"


def schedule_json(schedule: Schedule) -> dict[str, Any]:
    """`{"instalments": [{no, due_date, principal, interest, payment, balance}], totals}`."""
    return {
        "instalments": [
            {
                "no": row.no,
                "due_date": row.due_date.isoformat(),
                "principal": money_text(row.principal),
                "interest": money_text(row.interest),
                "payment": money_text(row.payment),
                "balance": money_text(row.balance),
            }
            for row in schedule.instalments
        ],
        "total_interest": money_text(schedule.total_interest),
        "total_payment": money_text(schedule.total_payment),
    }
