"""Reads for the close pages, always scoped to one cooperative."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from koperasi.closing.models import CloseRun, CloseStep
from koperasi.closing.steps import LABELS
from koperasi.domain.money import ZERO
from koperasi.errors import NotFound
from koperasi.ledger import selectors as ledger_selectors
from koperasi.ledger.models import ClosedPeriod
from koperasi.savings.services.close_steps import withholding_list
from koperasi.tenancy.models import Cooperative

ACTIVE = (CloseRun.Status.QUEUED, CloseRun.Status.RUNNING)


def step_label(name: str) -> Any:
    """The step's label for people (its code when a step was renamed since)."""
    return LABELS.get(name, name)


def runs(*, cooperative: Cooperative) -> QuerySet[CloseRun]:
    """The cooperative's close runs, newest first, with the rows their steps touched."""
    return (
        CloseRun.objects.filter(cooperative=cooperative)
        .select_related("started_by")
        .annotate(step_rows=Sum("steps__rows"))
        .order_by("-created_at", "-id")
    )


def recent_runs(*, cooperative: Cooperative, limit: int = 10) -> list[CloseRun]:
    return list(runs(cooperative=cooperative)[:limit])


def run(*, cooperative: Cooperative, run_id: int) -> CloseRun:
    """One run of this cooperative; another cooperative's run is not found (no leak)."""
    found = (
        CloseRun.objects.filter(cooperative=cooperative, pk=run_id)
        .select_related("started_by")
        .first()
    )
    if found is None:
        raise NotFound
    return found


def run_steps(*, run: CloseRun) -> list[CloseStep]:
    """The steps a run carried out, in order, each with its label."""
    steps = list(run.steps.order_by("business_date", "id"))
    for step in steps:
        step.label = step_label(step.step)  # type: ignore[attr-defined]
    return steps


def duration(run: CloseRun) -> dt.timedelta | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return run.finished_at - run.started_at


def waiting_run(*, cooperative: Cooperative) -> CloseRun | None:
    """The run queued or running now, if any."""
    return CloseRun.objects.filter(cooperative=cooperative, status__in=ACTIVE).first()


def closed_months(*, cooperative: Cooperative, limit: int = 12) -> list[ClosedPeriod]:
    return list(ledger_selectors.closed_periods(cooperative=cooperative)[:limit])


def is_month_closed(*, cooperative: Cooperative, year: int, month: int) -> bool:
    return ClosedPeriod.objects.filter(cooperative=cooperative, year=year, month=month).exists()


@dataclass(frozen=True)
class WithholdingRow:
    number: str
    name: str
    nik: str
    gross: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


@dataclass(frozen=True)
class Withholding:
    rows: list[WithholdingRow]
    gross: Decimal
    tax: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.tax


def withholding(*, cooperative: Cooperative, year: int, month: int) -> Withholding:
    """The month's savings interest and final tax per member, with totals."""
    rows = [
        WithholdingRow(
            number=row["number"],
            name=row["name"],
            nik=row["nik"] or "",
            gross=row["gross"],
            tax=row["tax"],
        )
        for row in withholding_list(cooperative=cooperative, year=year, month=month)
    ]
    return Withholding(
        rows=rows,
        gross=sum((r.gross for r in rows), ZERO),
        tax=sum((r.tax for r in rows), ZERO),
    )
