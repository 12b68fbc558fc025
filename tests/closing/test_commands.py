"""`koperasi close-day` and `close-month`: they close, and bad input is exit code 2."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from koperasi.closing.models import CloseRun
from koperasi.tenancy.models import Cooperative
from tests.closing.conftest import TODAY, start_closing_after

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, "--quiet", stdout=out)
    return out.getvalue()


def test_close_day_catches_up_and_reports_the_business_date(coop):
    start_closing_after(coop, TODAY - dt.timedelta(days=3))
    out = run("close_day", "--coop", coop.code, "--to", TODAY.isoformat())
    coop.refresh_from_db()
    assert coop.days_closed_through == TODAY
    nxt = (TODAY + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert TODAY.strftime("%d/%m/%Y") in out and nxt in out
    assert CloseRun.objects.get().status == CloseRun.Status.DONE


def test_close_month_closes_the_previous_month_by_default(coop):
    first = TODAY.replace(day=1)
    last = first - dt.timedelta(days=1)
    start_closing_after(coop, last.replace(day=1) - dt.timedelta(days=1))
    run("close_day", "--coop", coop.code, "--to", last.isoformat())
    out = run("close_month", "--coop", coop.code)
    coop.refresh_from_db()
    assert coop.books_closed_through == last
    assert f"{last.month:02d}/{last.year}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("close_day", "--coop", "nope"), "nope"),
        (("close_day", "--coop", "kopdit", "--to", "31-12-2026"), "--to"),
        (("close_day", "--coop", "kopdit", "--to", "2099-01-01"), "01/01/2099"),
        (("close_day", "--coop", "kopdit", "--user", "ghost"), "ghost"),
        (("close_month", "--coop", "kopdit", "--month", "2026-13"), "--month"),
        (("close_month", "--coop", "kopdit", "--month", "2026-05"), "31/05/2026"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(coop, args, message):
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert Cooperative.objects.get(pk=coop.pk).days_closed_through is None
    assert not CloseRun.objects.exists()
