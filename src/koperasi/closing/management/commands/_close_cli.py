"""What `close-day` and `close-month` share: the cooperative, the actor, a progress bar."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from koperasi.closing import services
from koperasi.closing.models import CloseRun
from koperasi.closing.steps import LABELS
from koperasi.errors import ServiceError
from koperasi.tenancy.models import Cooperative


def cooperative(code: str) -> Cooperative:
    found = Cooperative.objects.filter(code=code).first()
    if found is None:
        raise CommandError(_("No cooperative with code %(code)s.") % {"code": code}, returncode=2)
    return found


def actor(username: str | None) -> Any:
    if not username:
        return None  # the system
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(_("No user %(name)s.") % {"name": username}, returncode=2)
    return user


@contextmanager
def refusals() -> Iterator[None]:
    """A service's refusal is one clear line and exit code 2, never a traceback."""
    try:
        yield
    except ServiceError as exc:
        raise CommandError(str(exc.message), returncode=2) from exc


def execute(run: CloseRun, who: Any, quiet: bool) -> CloseRun:
    """Run with one progress bar per step (rich), the bar's text naming day and step."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=quiet,
    ) as bars:
        current: dict[str, Any] = {}

        def progress(step: str, done: int, total: int) -> None:
            key = f"{run.current_date}:{step}"
            if key not in current:
                label = f"{run.current_date:%d/%m/%Y} {LABELS.get(step, step)}"
                current[key] = bars.add_task(label, total=total)
            bars.update(current[key], completed=done)

        with refusals():
            return services.execute(run, actor=who, progress=progress)
