"""Loans over the API: every money-moving call needs an Idempotency-Key and posts once per key."""

import pytest

from koperasi.loans import services as loans
from koperasi.loans.models import LoanApplication
from koperasi.tenancy.models import IdempotencyRecord
from tests.api.conftest import codes
from tests.api.loans.book import (
    apply_body,
    check_books,
    everything,
    fill,
)
from tests.conftest import books_snapshot

# ---------------------------------------------------------------- idempotency

# (caller, path, body, another body): every money-moving POST.
MONEY_MOVING = [
    (
        "teller",
        "/loans/applications/{application}/disburse",
        {"to": "cash"},
        {"to": "cash", "autodebit": False},
    ),
    (
        "teller",
        "/loans/loans/{loan}/repayments",
        {"amount": "100000"},
        {"amount": "100001"},
    ),
    (
        "teller",
        "/loans/loans/{loan}/payoff",
        {"amount": "{quote}"},
        {"amount": "{quote}", "note": "lunas"},
    ),
    (
        "teller",
        "/loans/loans/transactions/{repayment}/reverse",
        {"reason": "Salah input"},
        {"reason": "Salah anggota"},
    ),
    (
        "admin",
        "/loans/loans/write-offs/{write_off}/decision",
        {"approve": True},
        {"approve": True, "note": "RAT"},
    ),
    (
        "teller",
        "/loans/loans/{written_off}/recoveries",
        {"amount": "100000"},
        {"amount": "90000"},
    ),
]


def _ids(coop, book):
    quote = loans.settlement_quote(cooperative=coop, loan_id=book["loan"])
    return {**book, "quote": f"{quote.total:.2f}"}


@pytest.mark.parametrize(("who", "path", "body", "other"), MONEY_MOVING)
def test_money_moving_calls_need_a_key_and_post_once_per_key(
    coop, staff, book, who, path, body, other
):
    ids = _ids(coop, book)
    url, body, other = path.format(**ids), fill(body, ids), fill(other, ids)
    api = staff[who]

    before = everything()
    response = api.post(url, body)
    assert response.status_code == 400
    assert codes(response) == ["idempotency_key_required"]
    assert response.json()["detail"][0]["field"] == "Idempotency-Key"
    assert everything() == before
    assert not IdempotencyRecord.objects.exists()

    first = api.post(url, body, key="sekali")
    assert first.status_code in (200, 201), first.json()
    after = everything()
    # Posted once: one journal entry, one loan movement.
    assert after[0]["entries"] == before[0]["entries"] + 1
    assert after[1]["transactions"] == before[1]["transactions"] + 1

    again = api.post(url, body, key="sekali")
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert everything() == after

    clash = api.post(url, other, key="sekali")
    assert clash.status_code == 409
    assert codes(clash) == ["idempotency_key_reused"]
    assert everything() == after
    check_books(coop)


def test_an_application_retried_with_its_key_is_entered_once(staff, borrower, product):
    body = apply_body(borrower, product)
    first = staff["officer"].post("/loans/applications", body, key="aju-1")
    again = staff["officer"].post("/loans/applications", body, key="aju-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert LoanApplication.objects.count() == 1
    # Without a key each call is a new application.
    assert staff["officer"].post("/loans/applications", body).status_code == 201
    assert LoanApplication.objects.count() == 2


def test_a_refused_payment_does_not_use_up_its_key(staff, book):
    url = f"/loans/loans/{book['loan']}/repayments"
    assert codes(staff["teller"].post(url, {"amount": "0"}, key="k")) == ["not_positive"]
    assert staff["teller"].post(url, {"amount": "1000"}, key="k").status_code == 201


def test_a_retried_payment_gets_the_first_answer_and_another_under_its_key_409(staff, book):
    """The service itself tells a retry from another request under the same key (the API
    keeps no record for repayments)."""
    url = f"/loans/loans/{book['loan']}/repayments"
    first = staff["teller"].post(url, {"amount": "1000", "note": "loket 2"}, key="pay-k")
    before = books_snapshot()
    again = staff["teller"].post(url, {"amount": "1000", "note": "loket 2"}, key="pay-k")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    for changed in ({"amount": "2000", "note": "loket 2"}, {"amount": "1000", "note": "lain"}):
        refused = staff["teller"].post(url, changed, key="pay-k")
        assert refused.status_code == 409
        assert codes(refused) == ["idempotency_key_reused"]
    assert books_snapshot() == before
    assert IdempotencyRecord.objects.count() == 0
