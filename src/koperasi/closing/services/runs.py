"""Day-end and month-end close: validate the request, record the run, run the steps.

`close_days` closes every day from the first unclosed one up to a target (catching up missed
days in order); `close_month` runs the month-end steps and locks the month. Both are the same
from the CLI and from the background task the UI starts.
"""

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.closing.models import CloseBatch, CloseRun, CloseStep
from koperasi.closing.services.engine import (
    ProgressCallback,
    error_text,
    exclusive,
    run_steps,
    step_done,
)
from koperasi.closing.steps import DAY_STEPS, MONTH_STEPS
from koperasi.domain.periods import month_bounds
from koperasi.errors import Conflict, ServiceError
from koperasi.ledger import services as ledger
from koperasi.tenancy.models import Cooperative

ONE_DAY = dt.timedelta(days=1)
# The marker a day-end leaves when it closes a day to other work (a CloseBatch row).
DAY_MARK = "day"


def days_to_close(cooperative: Cooperative, to: dt.date) -> list[dt.date]:
    """The days a close up to `to` runs: the last marked day again if its steps are unfinished
    (an interrupted run), then every day after it."""
    closed = cooperative.days_closed_through
    if closed is None:
        # The first close: only the target day (older days are history before the close).
        return [to]
    interrupted = day_started(cooperative, closed) and not all(
        step_done(cooperative, closed, s.name) for s in DAY_STEPS
    )
    start = closed if interrupted else closed + ONE_DAY
    return [start + dt.timedelta(days=n) for n in range((to - start).days + 1)]


def check_day_close(cooperative: Cooperative, to: dt.date) -> list[dt.date]:
    """The days to close, or a clear refusal."""
    today = ledger.local_today(cooperative)
    if to > today:
        raise ServiceError(
            "future_day",
            _("%(date)s has not begun yet; a day can be closed from that day on.")
            % {"date": to.strftime("%d/%m/%Y")},
            "to",
        )
    if cooperative.books_closed_through and to <= cooperative.books_closed_through:
        raise ServiceError(
            "period_closed",
            _("The books are closed through %(date)s; choose a later date.")
            % {"date": cooperative.books_closed_through.strftime("%d/%m/%Y")},
            "to",
        )
    return [day for day in days_to_close(cooperative, to) if day <= to]


def start_day_close(*, cooperative: Cooperative, actor: Any, to: dt.date | None = None) -> CloseRun:
    """Record a day-end run to be carried out (by the worker, or at once by the CLI)."""
    target = to or ledger.local_today(cooperative)
    check_day_close(_fresh(cooperative), target)
    return _new_run(cooperative, actor, CloseRun.Kind.DAY, target)


def start_month_close(*, cooperative: Cooperative, actor: Any, year: int, month: int) -> CloseRun:
    _first, last = month_bounds(year, month)
    check_month_close(_fresh(cooperative), last)
    return _new_run(cooperative, actor, CloseRun.Kind.MONTH, last)


def check_month_close(cooperative: Cooperative, last: dt.date) -> None:
    closed = cooperative.days_closed_through
    if (
        closed is None
        or closed < last
        or not all(step_done(cooperative, last, s.name) for s in DAY_STEPS)
    ):
        raise ServiceError(
            "days_open",
            _("Close every day of the month first (through %(date)s).")
            % {"date": last.strftime("%d/%m/%Y")},
            "month",
        )
    if not day_started(cooperative, last.replace(day=1)):
        # Interest needs each day's balances, which only the day-end records.
        raise ServiceError(
            "days_not_closed_by_close",
            _(
                "The day-end close did not run for every day of this month; its savings interest "
                "cannot be computed. Close the next month instead."
            ),
            "month",
        )
    books = cooperative.books_closed_through
    if books is not None and books >= last:
        raise ServiceError("already_closed", _("This month is already closed."), "month")
    if books is not None and books != last.replace(day=1) - ONE_DAY:
        raise ServiceError("close_in_order", _("Close the earlier months first."), "month")


def _new_run(cooperative: Cooperative, actor: Any, kind: str, target: dt.date) -> CloseRun:
    with exclusive(cooperative) as nobody_closing:
        if nobody_closing:
            # The history shows a dead run as interrupted from now on, not when a worker
            # picks the new one up.
            mark_interrupted(cooperative)
    try:
        with transaction.atomic():
            run = CloseRun.objects.create(
                cooperative=cooperative,
                kind=kind,
                target=target,
                started_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:
        # One waiting run per cooperative (a unique index): a second would run after it and
        # find nothing to do. A running one is excluded by the lock in `execute`.
        raise Conflict(
            "close_waiting", _("A close is already waiting to run for this cooperative.")
        ) from exc
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action=f"closing.{kind}",
        obj=run,
        summary=f"{run.get_kind_display()} {target.isoformat()}",
        data={"kind": kind, "target": target.isoformat()},
    )
    return run


def execute(run: CloseRun, *, actor: Any, progress: ProgressCallback | None = None) -> CloseRun:
    """Carry out a recorded run. Safe to call again after a crash: finished steps and batches
    are skipped, the rest is done."""
    cooperative = run.cooperative
    with exclusive(cooperative) as acquired:
        if not acquired:
            refusal = Conflict("close_running", _("Another close is running for this cooperative."))
            # Not left waiting: a waiting run would block every later start.
            CloseRun.objects.filter(pk=run.pk).update(
                status=CloseRun.Status.FAILED,
                finished_at=timezone.now(),
                error=str(refusal.message),
            )
            raise refusal
        mark_interrupted(cooperative, carrying_on=run)
        CloseRun.objects.filter(pk=run.pk).update(
            status=CloseRun.Status.RUNNING, started_at=timezone.now(), error=""
        )
        try:
            if run.kind == CloseRun.Kind.DAY:
                _close_days(run, actor, progress)
            else:
                _close_month(run, actor, progress)
        except Exception as exc:
            CloseRun.objects.filter(pk=run.pk).update(
                status=CloseRun.Status.FAILED, finished_at=timezone.now(), error=error_text(exc)
            )
            raise
        CloseRun.objects.filter(pk=run.pk).update(
            status=CloseRun.Status.DONE, finished_at=timezone.now(), current_step=""
        )
    run.refresh_from_db()
    return run


def mark_interrupted(cooperative: Cooperative, carrying_on: CloseRun | None = None) -> None:
    """Mark the runs and steps still "running" as interrupted. Only for a caller holding the
    close lock (`exclusive`): a live close would hold it, so whatever says it is running died
    with its process. The run `carrying_on` (resumed by the caller) keeps its status; its own
    dead steps are marked all the same. When it died is unknown: no finishing time is made up.
    """
    CloseStep.objects.filter(cooperative=cooperative, status=CloseStep.Status.RUNNING).update(
        status=CloseStep.Status.INTERRUPTED
    )
    dead = CloseRun.objects.filter(cooperative=cooperative, status=CloseRun.Status.RUNNING)
    if carrying_on is not None:
        dead = dead.exclude(pk=carrying_on.pk)
    dead.update(status=CloseRun.Status.INTERRUPTED)


def _close_days(run: CloseRun, actor: Any, progress: ProgressCallback | None) -> None:
    for day in check_day_close(_fresh(run.cooperative), run.target):
        _mark_day_closed(run.cooperative, day)
        run_steps(run=run, day=day, steps=DAY_STEPS, actor=actor, progress=progress)


@transaction.atomic
def _mark_day_closed(cooperative: Cooperative, day: dt.date) -> None:
    """From here on, new work is dated after the day. The books lock waits for teller work that
    already read the day as open (it holds the lock shared), so that work is in the day."""
    ledger.lock_closed_dates(cooperative)
    coop = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    if coop.days_closed_through is None or coop.days_closed_through < day:
        coop.days_closed_through = day
        coop.save(update_fields=["days_closed_through"])
        # Marks the day as begun by the close, so a run interrupted before its steps finish
        # is resumed at this day.
        CloseBatch.objects.get_or_create(
            cooperative=coop, business_date=day, step=DAY_MARK, first_id=0
        )
    cooperative.days_closed_through = coop.days_closed_through


def day_started(cooperative: Cooperative, day: dt.date) -> bool:
    return CloseBatch.objects.filter(
        cooperative=cooperative, business_date=day, step=DAY_MARK
    ).exists()


def _close_month(run: CloseRun, actor: Any, progress: ProgressCallback | None) -> None:
    cooperative = _fresh(run.cooperative)
    last = run.target
    if cooperative.books_closed_through is not None and cooperative.books_closed_through >= last:
        return  # finished by an earlier run
    check_month_close(cooperative, last)
    run_steps(run=run, day=last, steps=MONTH_STEPS, actor=actor, progress=progress)
    ledger.close_month(
        cooperative=cooperative, actor=actor, year=last.year, month=last.month, by_close=True
    )


def _fresh(cooperative: Cooperative) -> Cooperative:
    cooperative.refresh_from_db(fields=["days_closed_through", "books_closed_through"])
    return cooperative


def business_date(cooperative: Cooperative) -> dt.date:
    """The first day not yet closed (what the close page calls the business date)."""
    closed = _fresh(cooperative).days_closed_through
    return closed + ONE_DAY if closed else ledger.local_today(cooperative)
