"""The close pages: the close page and its two forms, a run and its live progress, the close
history, and the month's final-tax withholding list (HTML and XLSX)."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from koperasi.closing import selectors as close_selectors
from koperasi.closing import services as closing
from koperasi.closing import views as close_views
from koperasi.closing.models import CloseRun, CloseStep
from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.closing.conftest import start_closing_after
from tests.conftest import books_snapshot, make_user, sukarela_account

D = Decimal
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def client(english_client):
    # These tests read the English wording; the Indonesian catalogue is the translator's.
    return english_client


@pytest.fixture
def manager(coop):
    return make_user("manajer-tutup", coop, Role.MANAGER)


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def url(coop, name, **kwargs):
    return reverse(f"closing:{name}", kwargs={"code": coop.code, **kwargs})


def today(coop):
    return ledger.local_today(coop)


def last_month_end(coop):
    return today(coop).replace(day=1) - dt.timedelta(days=1)


def month_value(day):
    return f"{day.year:04d}-{day.month:02d}"


def fresh(coop):
    coop.refresh_from_db()
    return coop


# --- The close page ---------------------------------------------------------------------------


def test_close_page_for_a_manager_has_both_forms(manager_client, coop):
    response = manager_client.get(url(coop, "close"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="close-day"' in html and 'id="close-month"' in html
    assert 'name="to"' in html and f'value="{today(coop).isoformat()}"' in html
    # The month preselected is the last one (nothing closed yet).
    assert f'value="{month_value(last_month_end(coop))}" selected' in html
    assert "Business date" in html and today(coop).strftime("%d/%m/%Y") in html
    assert "No close has run yet." in html
    # The staff navigation links here.
    assert f'href="{url(coop, "close")}"' in html


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ACCOUNTANT])
def test_close_page_is_read_only_without_the_close_permission(client, coop, role):
    client.force_login(make_user(f"lihat-{role}", coop, role))
    response = client.get(url(coop, "close"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="read-only"' in html
    assert 'id="close-day"' not in html and 'id="close-month"' not in html
    assert url(coop, "close_day") not in html


def test_teller_sees_no_close_page(client, coop, teller):
    client.force_login(teller)
    assert client.get(url(coop, "close")).status_code == 403


def test_manager_closes_the_day_from_the_page(
    manager_client, coop, manager, funded_sukarela, django_capture_on_commit_callbacks
):
    day = today(coop)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(url(coop, "close_day"), {"to": day.isoformat()})
    assert len(callbacks) == 1  # queued once, after the commit
    run = CloseRun.objects.get(cooperative=coop)
    assert response.status_code == 302
    assert response["Location"] == url(coop, "run", run_id=run.pk)
    assert (run.kind, run.target, run.status, run.started_by) == (
        CloseRun.Kind.DAY,
        day,
        CloseRun.Status.DONE,
        manager,
    )
    assert fresh(coop).days_closed_through == day
    assert closing.business_date(coop) == day + dt.timedelta(days=1)
    done = CloseStep.objects.filter(run=run, status=CloseStep.Status.DONE)
    assert done.count() == 5
    # The day's savings balance was recorded for the account that moved today.
    assert done.get(step="savings_day_balances").rows == 1

    page = manager_client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "Done" in html and manager.get_username() in html
    for label in (
        "Time deposits at maturity",
        "End-of-day savings balances",
        "Loan interest accrual",
        "Arrears, penalties and loan quality",
        "Loan-loss allowance (CKPN)",
    ):
        assert label in html
    # Finished: the live block no longer polls.
    assert 'hx-trigger="every 2s"' not in html
    assert "has started" in html  # the flash message

    close_page = manager_client.get(url(coop, "close")).content.decode()
    assert (day + dt.timedelta(days=1)).strftime("%d/%m/%Y") in close_page  # business date
    assert f"#{run.pk}" in close_page


def test_teller_cannot_start_a_close(client, coop, teller, funded_sukarela):
    client.force_login(teller)
    before = books_snapshot(coop)
    for name, data in (
        ("close_day", {"to": today(coop).isoformat()}),
        ("close_month", {"month": month_value(last_month_end(coop))}),
    ):
        assert client.post(url(coop, name), data).status_code == 403
    assert not CloseRun.objects.exists()
    assert fresh(coop).days_closed_through is None
    assert books_snapshot(coop) == before


def test_supervisor_cannot_start_a_close(client, coop, supervisor):
    client.force_login(supervisor)
    response = client.post(url(coop, "close_day"), {"to": today(coop).isoformat()})
    assert response.status_code == 403
    assert not CloseRun.objects.exists()


def test_close_day_forms_answer_get_with_405(manager_client, coop):
    assert manager_client.get(url(coop, "close_day")).status_code == 405


def test_a_future_day_is_refused_beside_the_field(
    manager_client, coop, django_capture_on_commit_callbacks
):
    tomorrow = today(coop) + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(url(coop, "close_day"), {"to": tomorrow.isoformat()})
    assert response.status_code == 400
    assert not callbacks  # nothing queued
    html = response.content.decode()
    assert f"{tomorrow.strftime('%d/%m/%Y')} has not begun yet" in html
    assert 'class="field-error"' in html
    assert not CloseRun.objects.exists()
    assert fresh(coop).days_closed_through is None


def test_a_bad_date_is_refused(manager_client, coop):
    response = manager_client.post(url(coop, "close_day"), {"to": "31/02/2026"})
    assert response.status_code == 400
    assert not CloseRun.objects.exists()


def test_a_second_close_while_one_waits_is_a_conflict(
    manager_client, coop, manager, django_capture_on_commit_callbacks
):
    waiting = closing.start_day_close(cooperative=coop, actor=manager, to=today(coop))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(url(coop, "close_day"), {"to": today(coop).isoformat()})
    assert response.status_code == 409
    assert not callbacks
    html = response.content.decode()
    assert "already waiting to run" in html
    # The page points at the waiting run.
    assert url(coop, "run", run_id=waiting.pk) in html
    assert list(CloseRun.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_month_close_is_refused_while_its_days_are_open(
    manager_client, coop, django_capture_on_commit_callbacks
):
    last = last_month_end(coop)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager_client.post(url(coop, "close_month"), {"month": month_value(last)})
    assert response.status_code == 400
    assert not callbacks
    html = response.content.decode()
    assert "Close every day of the month first" in html
    assert 'class="field-error"' in html
    assert not CloseRun.objects.exists()
    assert fresh(coop).books_closed_through is None


def test_a_crafted_month_is_refused(manager_client, coop):
    for bad in ("2026-13", "abc", ""):
        response = manager_client.post(url(coop, "close_month"), {"month": bad})
        assert response.status_code == 400
    assert not CloseRun.objects.exists()


def test_month_close_from_the_page_locks_the_month(
    manager_client, coop, manager, django_capture_on_commit_callbacks
):
    """A cooperative without members (the savings-interest step has nobody to pay)."""
    last = last_month_end(coop)
    start_closing_after(coop, last.replace(day=1) - dt.timedelta(days=1))
    closing.execute(
        closing.start_day_close(cooperative=coop, actor=manager, to=last), actor=manager
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url(coop, "close_month"), {"month": month_value(last)})
    assert response.status_code == 302
    run = CloseRun.objects.get(kind=CloseRun.Kind.MONTH)
    assert run.status == CloseRun.Status.DONE, run.error
    assert fresh(coop).books_closed_through == last
    run_page = manager_client.get(response["Location"]).content.decode()
    assert "Savings interest and final tax" in run_page
    assert "Simpanan wajib bills for next month" in run_page
    # The close page now links the month's withholding list and offers the next month.
    html = manager_client.get(url(coop, "close")).content.decode()
    assert url(coop, "withholding", year=last.year, month=last.month) in html
    assert f'value="{month_value(today(coop))}" selected' in html


# --- A run and its live progress --------------------------------------------------------------


def test_another_cooperatives_run_is_not_found(manager_client, coop, other_coop):
    theirs = closing.start_day_close(cooperative=other_coop, actor=None, to=today(other_coop))
    for name in ("run", "run_progress"):
        assert manager_client.get(url(coop, name, run_id=theirs.pk)).status_code == 404
    assert manager_client.get(url(coop, "run", run_id=999999)).status_code == 404


def test_progress_partial_polls_while_the_run_is_under_way(manager_client, coop, manager):
    run = closing.start_day_close(cooperative=coop, actor=manager, to=today(coop))
    partial = manager_client.get(url(coop, "run_progress", run_id=run.pk))
    assert partial.status_code == 200
    html = partial.content.decode()
    assert "<html" not in html  # a fragment for htmx
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{url(coop, "run_progress", run_id=run.pk)}"' in html
    assert "Queued" in html

    CloseRun.objects.filter(pk=run.pk).update(
        status=CloseRun.Status.RUNNING,
        current_date=today(coop),
        current_step="loan_accrual",
        done_batches=3,
        total_batches=12,
    )
    html = manager_client.get(url(coop, "run_progress", run_id=run.pk)).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "Loan interest accrual" in html
    assert "Batch 3 of 12" in html and "(25%)" in html
    assert '<progress value="3" max="12">' in html

    closing.execute(run, actor=manager)
    html = manager_client.get(url(coop, "run_progress", run_id=run.pk)).content.decode()
    assert 'hx-trigger="every 2s"' not in html  # done: polling stops
    assert "Done" in html and "End-of-day savings balances" in html


def test_a_failed_step_shows_its_error(client, coop, supervisor):
    run = CloseRun.objects.create(
        cooperative=coop,
        kind=CloseRun.Kind.DAY,
        target=today(coop),
        status=CloseRun.Status.FAILED,
        error="Loan PP-000007: product PP has no interest income account.",
    )
    CloseStep.objects.create(
        cooperative=coop,
        run=run,
        business_date=today(coop),
        step="loan_accrual",
        status=CloseStep.Status.FAILED,
        error="Loan PP-000007: product PP has no interest income account.",
    )
    client.force_login(supervisor)
    html = client.get(url(coop, "run", run_id=run.pk)).content.decode()
    assert 'id="run-error"' in html and "The close stopped." in html
    assert html.count("Loan PP-000007: product PP has no interest income account.") == 2
    assert "Failed" in html and "Loan interest accrual" in html
    assert 'hx-trigger="every 2s"' not in html


# --- History ----------------------------------------------------------------------------------


def test_history_lists_runs_newest_first_and_pages(
    manager_client, coop, manager, other_coop, monkeypatch
):
    first = closing.execute(
        closing.start_day_close(cooperative=coop, actor=manager, to=last_month_end(coop)),
        actor=manager,
    )
    second = closing.start_day_close(cooperative=coop, actor=None, to=today(coop))
    theirs = closing.start_day_close(cooperative=other_coop, actor=None, to=today(other_coop))
    response = manager_client.get(url(coop, "history"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f"#{second.pk}<") < html.index(f"#{first.pk}<")
    assert f"#{theirs.pk}<" not in html
    assert manager.get_username() in html and "system" in html
    assert "Day-end" in html and "Done" in html and "Queued" in html

    monkeypatch.setattr(close_views, "HISTORY_PAGE_SIZE", 1)
    page1 = manager_client.get(url(coop, "history")).content.decode()
    assert f"#{second.pk}<" in page1 and f"#{first.pk}<" not in page1
    assert "?page=2" in page1
    page2 = manager_client.get(url(coop, "history") + "?page=2").content.decode()
    assert f"#{first.pk}<" in page2 and "?page=1" in page2 and "?page=3" not in page2


def test_history_does_not_count(manager_client, coop):
    # No COUNT(*) over the runs: one row more than a page tells whether a next page exists.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        manager_client.get(url(coop, "history"))
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


# --- Withholding list -------------------------------------------------------------------------


ROWS = [
    {
        "number": "A0001",
        "name": "Maria Goreti",
        "nik": "5310015403850001",
        "gross": D("240000.00"),
        "tax": D("0"),
    },
    {
        "number": "A0002",
        "name": "Yohanes Bosco",
        "nik": "5310011403850002",
        "gross": D("240000.01"),
        "tax": D("24000.00"),
    },
]


def test_withholding_list_and_xlsx(client, coop, supervisor, monkeypatch):
    seen = {}

    def fake_list(*, cooperative, year, month):
        seen.update(cooperative=cooperative, year=year, month=month)
        return [dict(row) for row in ROWS]

    monkeypatch.setattr(close_selectors, "withholding_list", fake_list)
    client.force_login(supervisor)
    response = client.get(url(coop, "withholding", year=2026, month=5))
    assert response.status_code == 200
    assert seen == {"cooperative": coop, "year": 2026, "month": 5}
    html = response.content.decode()
    assert "05/2026" in html and "Maria Goreti" in html and "5310011403850002" in html
    assert "240.000,01" in html and ">24.000<" in html and "216.000,01" in html  # net
    assert "480.000,01" in html and "456.000,01" in html  # totals: gross, net
    assert "not closed yet" in html

    export = client.get(url(coop, "withholding", year=2026, month=5) + "?format=xlsx")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "pph-jasa-simpanan-kopdit-2026-05.xlsx" in export["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[4]] == [
        "Member no.",
        "Name",
        "NIK",
        "Gross interest",
        "Tax",
        "Net",
    ]
    assert sheet["A5"].value == "A0001"
    assert sheet["C6"].value == "5310011403850002"  # text: all 16 digits kept
    assert D(str(sheet["D6"].value)) == D("240000.01")
    assert D(str(sheet["E6"].value)) == D("24000")
    assert D(str(sheet["F6"].value)) == D("216000.01")
    assert sheet["B7"].value == "Total" and D(str(sheet["E7"].value)) == D("24000")


def test_withholding_list_of_an_empty_month(client, coop, supervisor):
    client.force_login(supervisor)
    response = client.get(url(coop, "withholding", year=2026, month=1))
    assert response.status_code == 200
    assert "No interest was credited in this month." in response.content.decode()


def test_withholding_list_guards(client, coop, teller, supervisor, other_coop):
    client.force_login(supervisor)
    assert client.get(url(coop, "withholding", year=2026, month=13)).status_code == 404
    assert client.get(url(other_coop, "withholding", year=2026, month=1)).status_code == 404
    client.force_login(teller)  # no ledger view: no NIKs
    assert client.get(url(coop, "withholding", year=2026, month=1)).status_code == 403


def test_month_close_with_interest_fills_the_withholding_list(
    manager_client, coop, manager, teller, member, django_capture_on_commit_callbacks
):
    last = last_month_end(coop)
    account = sukarela_account(coop, member, teller)
    # In the books since the month before, so the whole of last month earns interest:
    # 200,000,000 × 3 % × days/365 is above 240,000, so 10 % of it is withheld.
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=D("200000000"),
        idempotency_key="big-deposit",
        business_date=add_months(last.replace(day=1), -1),
    )
    # The day-end covers the whole month (it records the balances the interest needs).
    start_closing_after(coop, last.replace(day=1) - dt.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url(coop, "close_day"), {"to": last.isoformat()})
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(url(coop, "close_month"), {"month": month_value(last)})
    run = CloseRun.objects.get(kind=CloseRun.Kind.MONTH)
    run_page = manager_client.get(url(coop, "run", run_id=run.pk)).content.decode()
    assert run.status == CloseRun.Status.DONE, run.error
    assert "The close stopped." not in run_page
    gross = (D("200000000") * D("0.03") * last.day / 365).quantize(D("0.01"))
    tax = (gross / 10).quantize(D("0.01"))
    html = manager_client.get(url(coop, "withholding", year=last.year, month=last.month))
    text = html.content.decode()
    assert member.number in text and member.nik in text
    export = manager_client.get(
        url(coop, "withholding", year=last.year, month=last.month) + "?format=xlsx"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert (D(str(sheet["D5"].value)), D(str(sheet["E5"].value))) == (gross, tax)
