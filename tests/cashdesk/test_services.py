"""Cash counts: submit, approve (the difference posted to suspense), reject, and refusals that
change nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command

from koperasi.cashdesk import selectors, services
from koperasi.cashdesk.models import CashCount
from koperasi.errors import Conflict, KeyReused, NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.tenancy.models import Role
from tests.conftest import books_snapshot, make_user

D = Decimal


def _submit(coop, teller, day, key="hitung-1", **kw):
    kw.setdefault("counted", D("780000"))
    return services.submit_count(
        cooperative=coop,
        actor=teller,
        teller_id=teller.pk,
        business_date=day,
        idempotency_key=key,
        **kw,
    )


def balance(coop, role):
    account = Account.objects.get(cooperative=coop, system_role=role)
    return account.balance


def test_the_teller_day_opening_receipts_payments_closing(coop, teller, cash_day, today):
    report = selectors.teller_day(cooperative=coop, teller=teller, day=today)
    assert report.opening == D("300000")
    assert (report.cash_in, report.cash_out) == (D("600000"), D("120000"))
    assert report.closing == D("780000")
    assert (report.receipts, report.payments) == (2, 1)
    assert [line.entry.source for line in report.lines] == ["savings"] * 3
    yesterday = selectors.teller_day(cooperative=coop, teller=teller, day=today - dt.timedelta(1))
    assert (yesterday.opening, yesterday.closing) == (D("0"), D("300000"))


def test_a_shortage_is_approved_into_suspense(coop, teller, manager, cash_day, today):
    count = _submit(coop, teller, today, pieces={100_000: 7, 50_000: 1, 20_000: 1}, counted=None)
    assert (count.counted, count.closing, count.difference) == (
        D("770000"),
        D("780000"),
        D("-10000"),
    )
    assert count.pieces == {"100000": 7, "50000": 1, "20000": 1}
    cash_before = balance(coop, "cash")
    approved = services.approve_count(
        cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="setuju-1"
    )
    assert approved.status == CashCount.Status.APPROVED
    assert approved.decided_by == manager
    entry = approved.journal_entry
    lines = {(p.account.system_role, p.debit, p.credit) for p in entry.postings.all()}
    assert lines == {("cash_suspense", D("10000"), D("0")), ("cash", D("0"), D("10000"))}
    assert (entry.source, entry.actor, entry.business_date) == ("cashdesk", manager, today)
    assert balance(coop, "cash") == cash_before - D("10000")
    assert balance(coop, "cash_suspense") == D("10000")
    # The teller's cash now agrees with the count: today's closing, and tomorrow's opening.
    report = selectors.teller_day(cooperative=coop, teller=teller, day=today)
    assert report.closing == D("770000")
    assert selectors.cash_position(
        cooperative=coop, teller_id=teller.pk, before=today + dt.timedelta(1)
    ) == D("770000")
    # …and the approver's own cash is untouched by the difference.
    assert selectors.teller_day(cooperative=coop, teller=manager, day=today).closing == 0
    call_command("books_check")


def test_an_overage_is_approved_and_a_retry_posts_once(coop, teller, manager, cash_day, today):
    count = _submit(coop, teller, today, counted=D("785000,50".replace(",", ".")))
    assert count.difference == D("5000.50")
    first = services.approve_count(
        cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k"
    )
    entries = JournalEntry.objects.count()
    again = services.approve_count(
        cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k"
    )
    assert again.journal_entry_id == first.journal_entry_id
    assert JournalEntry.objects.count() == entries
    lines = {(p.account.system_role, p.debit, p.credit) for p in first.journal_entry.postings.all()}
    assert lines == {("cash", D("5000.50"), D("0")), ("cash_suspense", D("0"), D("5000.50"))}
    call_command("books_check")


def test_no_difference_posts_nothing(coop, teller, manager, cash_day, today):
    count = _submit(coop, teller, today)
    entries = JournalEntry.objects.count()
    approved = services.approve_count(
        cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k"
    )
    assert approved.status == "approved" and approved.journal_entry is None
    assert JournalEntry.objects.count() == entries


def test_a_rejected_count_may_be_followed_by_another(coop, teller, manager, cash_day, today):
    first = _submit(coop, teller, today, counted=D("1"))
    services.reject_count(
        cooperative=coop,
        actor=manager,
        count_id=first.pk,
        reason="hitung ulang",
        idempotency_key="tolak",
    )
    second = _submit(coop, teller, today, key="hitung-2")
    assert second.pk != first.pk and second.status == "submitted"
    report = selectors.teller_day(cooperative=coop, teller=teller, day=today)
    assert report.count == second and report.rejected == [first]


def test_a_submit_retry_answers_with_the_first_count(coop, teller, cash_day, today):
    first = _submit(coop, teller, today)
    assert _submit(coop, teller, today) == first
    with pytest.raises(KeyReused):
        _submit(coop, teller, today, counted=D("1"))


@pytest.mark.parametrize(
    "kwargs,error,code",
    [
        ({"counted": D("-1")}, ServiceError, "not_positive"),
        ({"counted": "12,5x"}, ServiceError, "invalid"),
        ({"counted": None}, ServiceError, "required"),
        ({"counted": None, "pieces": {75_000: 1}}, ServiceError, "denomination"),
        ({"counted": None, "pieces": {1_000: -2}}, ServiceError, "pieces_invalid"),
        ({"counted": D("5000"), "pieces": {1_000: 2}}, ServiceError, "pieces_mismatch"),
    ],
)
def test_malformed_counts_are_refused(coop, teller, cash_day, today, kwargs, error, code):
    before = books_snapshot(coop)
    with pytest.raises(error) as exc:
        _submit(coop, teller, today, **kwargs)
    assert exc.value.code == code and exc.value.status == 400
    assert books_snapshot(coop) == before
    assert not CashCount.objects.exists()


def test_refused_submissions(coop, teller, manager, cash_day, today):
    before = books_snapshot(coop)
    with pytest.raises(PermissionDenied):  # another teller's cash
        services.submit_count(
            cooperative=coop,
            actor=manager,
            teller_id=teller.pk,
            business_date=today,
            counted=D("1"),
            idempotency_key="x",
        )
    with pytest.raises(ServiceError) as exc:
        _submit(coop, teller, today + dt.timedelta(days=1))
    assert exc.value.code == "future_date"
    with pytest.raises(ServiceError) as exc:
        _submit(coop, teller, dt.date(2001, 1, 1))
    assert exc.value.code == "before_cooperative"
    _submit(coop, teller, today)
    with pytest.raises(Conflict) as exc:
        _submit(coop, teller, today, key="lagi")
    assert exc.value.code == "already_counted"
    assert books_snapshot(coop) == before


def test_a_closed_day_cannot_be_counted_or_approved(coop, teller, manager, cash_day, today):
    yesterday = today - dt.timedelta(days=1)
    count = _submit(coop, teller, yesterday, counted=D("290000"))
    coop.days_closed_through = yesterday
    coop.save(update_fields=["days_closed_through"])
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as exc:
        services.approve_count(
            cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k"
        )
    assert exc.value.code == "day_closed"
    with pytest.raises(ServiceError) as exc:
        _submit(coop, manager, yesterday, key="m")
    assert exc.value.code == "day_closed"
    count.refresh_from_db()
    assert count.status == "submitted"
    assert books_snapshot(coop) == before


def test_refused_approvals_change_nothing(coop, other_coop, teller, manager, cash_day, today):
    count = _submit(coop, teller, today, counted=D("700000"))
    own = _submit(coop, manager, today, key="milik-manajer", counted=D("5"))
    before = books_snapshot(coop)
    with pytest.raises(PermissionDenied):  # one's own count
        services.approve_count(
            cooperative=coop, actor=manager, count_id=own.pk, idempotency_key="a"
        )
    with pytest.raises(NotFound):  # another cooperative's count
        services.approve_count(
            cooperative=other_coop, actor=manager, count_id=count.pk, idempotency_key="b"
        )
    with pytest.raises(ServiceError) as exc:
        services.approve_count(
            cooperative=coop, actor=manager, count_id=count.pk, idempotency_key=""
        )
    assert exc.value.code == "idempotency_key_required"
    with pytest.raises(ServiceError) as exc:
        services.reject_count(
            cooperative=coop, actor=manager, count_id=count.pk, reason=" ", idempotency_key="c"
        )
    assert exc.value.code == "required"
    assert books_snapshot(coop) == before
    services.approve_count(cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="d")
    after = books_snapshot(coop)
    with pytest.raises(Conflict) as exc:  # approving twice (another request)
        services.approve_count(
            cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="e"
        )
    assert exc.value.code == "already_decided"
    with pytest.raises(Conflict):
        services.reject_count(
            cooperative=coop, actor=manager, count_id=count.pk, reason="x", idempotency_key="f"
        )
    with pytest.raises(KeyReused):  # the approval's key for a rejection
        services.reject_count(
            cooperative=coop, actor=manager, count_id=count.pk, reason="x", idempotency_key="d"
        )
    assert books_snapshot(coop) == after


def test_cash_moved_after_the_count_must_be_counted_again(
    coop, teller, manager, cash_day, member, today
):
    from koperasi.savings import services as savings

    count = _submit(coop, teller, today)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=cash_day.pk,
        amount=D("1000"),
        idempotency_key="setelah-hitung",
    )
    before = books_snapshot(coop)
    with pytest.raises(Conflict) as exc:
        services.approve_count(
            cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k"
        )
    assert exc.value.code == "cash_moved"
    assert books_snapshot(coop) == before


def test_the_office_total_is_the_cash_account(coop, teller, manager, cash_day, today):
    second = make_user("kasir2", coop, Role.TELLER)
    ledger.post_manual_entry  # noqa: B018  (the manual way exists; cash moved by a person)
    count = _submit(coop, teller, today, counted=D("779000"))
    services.approve_count(cooperative=coop, actor=manager, count_id=count.pk, idempotency_key="k")
    report = selectors.office_day(cooperative=coop, day=today + dt.timedelta(days=0))
    names = [row.name for row in report.rows]
    assert "kasir" in names and "kasir2" in names and "manajer" in names
    by_name = {row.name: row for row in report.rows}
    assert by_name["kasir"].closing == D("779000")
    assert by_name["kasir2"].closing == 0
    assert report.total.closing == balance(coop, "cash")
    assert second  # listed though idle: every staff member who may take cash
