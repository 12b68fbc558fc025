"""The close engine: runs each step of a day-end or month-end over id-range batches.

Guarantees (DESIGN.md rule 8):
- idempotent per (cooperative, business date, step): a step marked done is never run again;
- resumable: each batch commits with a `CloseBatch` marker in the same transaction, so after a
  crash the rerun skips exactly the batches already in the books and redoes the rest;
- batches are fixed id ranges (`first_id` a multiple of the batch size), not "the next N rows",
  so a rerun cuts the work the same way even when rows were added or changed meanwhile.

Steps themselves live with their data (`loans/services/close_steps.py`, `savings/services/…`);
`closing/steps.py` lists them (names, labels and two callables) and this module runs them.
"""

import datetime as dt
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from koperasi.bulk import Batch
from koperasi.closing.models import CloseBatch, CloseRun, CloseStep
from koperasi.closing.steps import Step
from koperasi.tenancy.models import Cooperative


def _crash_point(step: str, index: int) -> None:
    """Fault injection for the crash-and-resume test: KOPERASI_CLOSE_CRASH_AT="step:n" kills
    the process inside batch n of the step, after its work and before its commit."""
    if os.environ.get("KOPERASI_CLOSE_CRASH_AT") == f"{step}:{index}":
        os._exit(9)


ProgressCallback = Callable[[str, int, int], None]


def step_done(cooperative: Cooperative, day: dt.date, name: str) -> bool:
    return CloseStep.objects.filter(
        cooperative=cooperative, business_date=day, step=name, status=CloseStep.Status.DONE
    ).exists()


def run_steps(
    *,
    run: CloseRun,
    day: dt.date,
    steps: Sequence[Step],
    actor: Any,
    progress: ProgressCallback | None = None,
) -> None:
    """Run every step not yet done for the day, in order. A failing step is recorded with its
    error (and re-raised); the steps before it stay done, so the rerun starts at it."""
    cooperative = run.cooperative
    for step in steps:
        if step_done(cooperative, day, step.name):
            continue
        started = time.monotonic()
        record = CloseStep.objects.create(
            cooperative=cooperative, run=run, business_date=day, step=step.name
        )
        ranges = step.ranges(cooperative, day)
        _set_progress(run, day, step.name, 0, len(ranges))
        try:
            for index, (first_id, last_id) in enumerate(ranges, start=1):
                batch = Batch(cooperative, day, step.name, first_id, last_id, actor)
                _run_batch(step, batch, index)
                _set_progress(run, day, step.name, index, len(ranges))
                if progress is not None:
                    progress(step.name, index, len(ranges))
        except Exception as exc:
            record.status = CloseStep.Status.FAILED
            record.error = error_text(exc)
            record.finished_at = timezone.now()
            record.seconds = time.monotonic() - started
            record.save(update_fields=["status", "error", "finished_at", "seconds"])
            raise
        rows = sum(
            CloseBatch.objects.filter(
                cooperative=cooperative, business_date=day, step=step.name
            ).values_list("rows", flat=True)
        )
        record.status = CloseStep.Status.DONE
        record.rows = rows
        record.finished_at = timezone.now()
        record.seconds = time.monotonic() - started
        record.save(update_fields=["status", "rows", "finished_at", "seconds"])


def _run_batch(step: Step, batch: Batch, index: int) -> None:
    with transaction.atomic():
        if CloseBatch.objects.filter(
            cooperative=batch.cooperative,
            business_date=batch.day,
            step=batch.step,
            first_id=batch.first_id,
        ).exists():
            return  # committed by an earlier, interrupted run
        rows = step.run_batch(batch)
        _crash_point(step.name, index)
        CloseBatch.objects.create(
            cooperative=batch.cooperative,
            business_date=batch.day,
            step=batch.step,
            first_id=batch.first_id,
            rows=rows,
        )


def _set_progress(run: CloseRun, day: dt.date, step: str, done: int, total: int) -> None:
    run.current_date, run.current_step = day, step
    run.done_batches, run.total_batches = done, total
    CloseRun.objects.filter(pk=run.pk).update(
        current_date=day, current_step=step, done_batches=done, total_batches=total
    )


def error_text(exc: Exception) -> str:
    """What a person reads about a failure: a service's own message, else the exception."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return str(message)[:2000]


@contextmanager
def exclusive(cooperative: Cooperative) -> Iterator[bool]:
    """One close at a time per cooperative, under a lock that dies with the process holding it:
    a crashed close never blocks the next one, and a run still marked running while the lock is
    free is known to be dead. Yields False when another close holds it.

    PostgreSQL: a session advisory lock (the server releases it when the connection ends).
    SQLite: an exclusive flock on a file beside the database (the kernel releases it when the
    process ends), or, for an in-memory database (one process by nature), a lock in memory.
    """
    if connection.vendor == "postgresql":
        lock = _advisory_lock(cooperative.pk)
    elif connection.is_in_memory_db():
        lock = _process_lock(cooperative.pk)
    else:
        lock = _file_lock(Path(f"{connection.settings_dict['NAME']}-close-{cooperative.pk}.lock"))
    with lock as acquired:
        yield acquired


@contextmanager
def _advisory_lock(cooperative_id: int) -> Iterator[bool]:
    with connection.cursor() as cursor:
        # Namespaced: 0x6B6F70 ("kop") in the high half, the cooperative in the low half.
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [0x6B6F70, cooperative_id])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [0x6B6F70, cooperative_id])


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    # An flock belongs to this open file, so two closes in one process exclude each other too.
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            acquired = False
        else:
            acquired = True
        try:
            yield acquired
        finally:
            if acquired:
                fcntl.flock(handle, fcntl.LOCK_UN)


_IN_MEMORY_CLOSES: set[int] = set()
_IN_MEMORY_GUARD = threading.Lock()


@contextmanager
def _process_lock(cooperative_id: int) -> Iterator[bool]:
    with _IN_MEMORY_GUARD:
        acquired = cooperative_id not in _IN_MEMORY_CLOSES
        _IN_MEMORY_CLOSES.add(cooperative_id)
    try:
        yield acquired
    finally:
        if acquired:
            with _IN_MEMORY_GUARD:
                _IN_MEMORY_CLOSES.discard(cooperative_id)
