"""Arrears and collection, flows by month, officer performance and maturity gaps."""

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from koperasi.domain.periods import add_months
from koperasi.errors import ServiceError
from koperasi.loans import services as loans
from koperasi.loans.models import Instalment, Loan
from koperasi.reports import portfolio_lists as lists
from tests.conftest import make_member
from tests.loans.conftest import disbursed_loan

D = Decimal


@pytest.fixture
def late_loan(book):
    """1.200.000 over 12 months, 1,5 %/month declining, disbursed 100 days ago, never paid."""
    member = make_member(book.coop, book.teller, name="Yohana Wae", phone="0812-3456-7890")
    member.joined_on = dt.date(2024, 1, 10)
    member.save(update_fields=["joined_on"])
    loan = disbursed_loan(
        book.coop,
        member,
        book.product,
        book.officer,
        book.manager,
        book.teller,
        on=book.today - dt.timedelta(days=100),
    )
    return loans.assess(cooperative=book.coop, actor=None, loan_id=loan.pk, on=book.today)


def test_arrears_row_amount_due_and_whatsapp_link(book, late_loan):
    where = lists.ArrearsFilter(min_days=31)
    found = list(lists.arrears_loans(cooperative=book.coop, where=where))
    assert [loan.days_past_due for loan in found] == [91, 90, late_loan.days_past_due, 60]
    rows = {
        r.loan_id: r
        for r in lists.arrears_rows(cooperative=book.coop, loans=found, as_of=book.today)
    }
    row = rows[late_loan.pk]
    # Three instalments fell due: 3 × 100.000 principal; interest 18.000 + 16.500 + 15.000.
    assert (row.overdue_principal, row.overdue_interest, row.penalty) == (
        D("300000"), D("49500"), D("0"),
    )  # fmt: skip
    assert row.amount_due == D("349500")
    assert row.days_past_due == (book.today - add_months(late_loan.disbursed_on, 1)).days
    url = urlparse(row.whatsapp_url)
    assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", "/6281234567890")
    text = parse_qs(url.query)["text"][0]
    assert "Yohana Wae" in text and late_loan.number in text and "Rp 349.500" in text
    assert text.startswith("Yth.")  # Indonesian, whatever the reader's language


def test_arrears_filters_and_order(book, late_loan):
    every = list(lists.arrears_loans(cooperative=book.coop, where=lists.ArrearsFilter()))
    assert [loan.days_past_due for loan in every] == sorted(
        (loan.days_past_due for loan in every), reverse=True
    )
    assert 0 not in [loan.days_past_due for loan in every]
    by_class = lists.arrears_loans(
        cooperative=book.coop, where=lists.ArrearsFilter(collectibility=3)
    )
    assert [loan.collectibility for loan in by_class] == [3]
    at_least_90 = lists.arrears_loans(cooperative=book.coop, where=lists.ArrearsFilter(min_days=90))
    assert sorted(loan.days_past_due for loan in at_least_90) == [90, 91]
    nobody = lists.arrears_loans(
        cooperative=book.coop, where=lists.ArrearsFilter(officer_id=book.manager.pk)
    )
    assert list(nobody) == []


def test_collection_note_shows_as_last_contact(book, late_loan):
    loans.add_collection_note(
        cooperative=book.coop, actor=book.officer, loan_id=late_loan.pk, kind="call",
        note="Tidak diangkat", contacted_on=book.today - dt.timedelta(days=2),
    )  # fmt: skip
    loans.add_collection_note(
        cooperative=book.coop, actor=book.officer, loan_id=late_loan.pk, kind="visit",
        note="Janji bayar Jumat", contacted_on=book.today,
        promise_date=book.today + dt.timedelta(days=3), promise_amount="200000",
    )  # fmt: skip
    found = list(lists.arrears_loans(cooperative=book.coop, where=lists.ArrearsFilter(min_days=31)))
    (row,) = [
        r
        for r in lists.arrears_rows(cooperative=book.coop, loans=found, as_of=book.today)
        if r.loan_id == late_loan.pk
    ]
    assert (row.last_contact, row.last_note) == (book.today, "Janji bayar Jumat")
    assert (row.promise_date, row.promise_amount) == (
        book.today + dt.timedelta(days=3),
        D("200000"),
    )


def test_arrears_page_queries_do_not_grow_with_rows(book, late_loan, django_assert_max_num_queries):
    found = list(lists.arrears_loans(cooperative=book.coop, where=lists.ArrearsFilter())[:50])
    with django_assert_max_num_queries(2):
        lists.arrears_rows(cooperative=book.coop, loans=found, as_of=book.today)


def test_flows_by_month_split_and_net_of_reversals(book, late_loan):
    first = book.today - dt.timedelta(days=100)
    paid = loans.repay(
        cooperative=book.coop, actor=book.teller, loan_id=late_loan.pk, amount="118000",
        idempotency_key="flows-pay-1",
    )  # fmt: skip
    loans.repay(
        cooperative=book.coop, actor=book.teller, loan_id=late_loan.pk, amount="50000",
        idempotency_key="flows-pay-2",
    )  # fmt: skip
    second = late_loan.transactions.filter(idempotency_key="flows-pay-2").get()
    loans.reverse_repayment(
        cooperative=book.coop, actor=book.manager, transaction_id=second.pk, reason="Salah input",
        idempotency_key="flows-rev",
    )  # fmt: skip
    months = lists.flows(cooperative=book.coop, date_from=first, date_to=book.today)
    assert months[0].month == first.replace(day=1)
    assert sum(m.disbursed_count for m in months) == 7
    assert sum((m.disbursed for m in months), D(0)) == D("22200000")
    this = months[-1]
    assert this.repayments == 1
    assert this.principal + this.interest + this.penalty == paid.amount == D("118000")
    # Interest first across the late instalments (penalty → interest → principal).
    assert (this.principal, this.interest) == (D("68500"), D("49500"))


def test_officer_performance(book, late_loan):
    lines = lists.officer_performance(
        cooperative=book.coop, date_from=book.today - dt.timedelta(days=200), date_to=book.today
    )
    (line,) = lines
    assert line.officer_id == book.officer.pk
    assert line.loans == 7 and line.disbursed_count == 7
    assert line.outstanding == D("22200000")
    # PAR30: 3, 4, 5, 6 million and the late loan (more than 30 days)
    assert line.at_risk_30 == D("19200000")
    assert line.collected == D("0")


def test_maturity_gaps_sum_to_the_outstanding(book, late_loan):
    buckets = lists.maturity_gaps(cooperative=book.coop, as_of=book.today)
    total = sum((b.principal for b in buckets), D(0))
    outstanding = sum(
        Loan.objects.filter(cooperative=book.coop).values_list("outstanding_principal", flat=True),
        D(0),
    )
    assert total == outstanding
    by_key = {b.key: b.principal for b in buckets}
    assert by_key["overdue"] == D("300000")
    unpaid_next_month = sum(
        (
            r.principal
            for r in Instalment.objects.filter(loan__cooperative=book.coop)
            if book.today <= r.due_date <= add_months(book.today, 1)
        ),
        D(0),
    )
    assert by_key["0-1"] == unpaid_next_month


def test_collection_note_refusals_change_nothing(book, late_loan, other_coop):
    def add(**kw):
        fields = {"cooperative": book.coop, "actor": book.officer, "loan_id": late_loan.pk,
                  "kind": "call", "note": "Ditelepon"}  # fmt: skip
        fields.update(kw)
        return loans.add_collection_note(**fields)

    cases = [
        ({"contacted_on": book.today + dt.timedelta(days=1)}, "date_in_future"),
        ({"contacted_on": dt.date(2020, 1, 1)}, "before_disbursement"),
        ({"promise_date": book.today - dt.timedelta(days=1)}, "promise_before_contact"),
        ({"promise_amount": "100000"}, "required"),
        ({"kind": "sms"}, "invalid_choice"),
        ({"note": "  "}, "required"),
        ({"cooperative": other_coop}, "not_found"),
    ]
    for kw, code in cases:
        with pytest.raises(ServiceError) as refused:
            add(**kw)
        assert refused.value.code == code, kw
    assert late_loan.collection_notes.count() == 0
