"""The money forms of a loan's page: bad amounts and double submits change nothing; payoff,
reversal, assessment, restructuring, write-off and recovery."""

import datetime as dt
import uuid

import pytest

from koperasi.domain.money import format_rupiah
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Loan,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from tests.conftest import books_snapshot, make_member
from tests.loans.conftest import approved_application, disbursed_loan
from tests.loans.staff_pages.conftest import (
    D,
    as_user,
    books_ok,
    key_in,
    loan_state,
    repay_data,
    today,
    url,
)

# --- bad amounts and double submits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Enter the amount like 50000, 1.250.000 or 1.250.000,50"),
        ("0", "greater than zero"),
        ("", "This field is required."),
    ],
)
def test_a_bad_repayment_amount_changes_nothing(client, coop, loan, teller, amount, message):
    before, state = books_snapshot(coop), loan_state(loan)
    response = as_user(client, teller).post(url(coop, "repay", loan_id=loan.pk), repay_data(amount))
    assert response.status_code == 400
    form = response.context["repay_form"]
    assert message in " ".join(form.errors["amount"])
    assert f'value="{amount}"' in response.content.decode() or not amount
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_a_repayment_above_the_debt_is_refused(client, coop, product, officer, manager, teller):
    """A member without a sukarela account: more than the whole debt has nowhere to go."""
    member = make_member(coop, teller)
    member.joined_on = dt.date(2024, 1, 1)
    member.save(update_fields=["joined_on"])
    loan = disbursed_loan(coop, member, product, officer, manager, teller, on=today(coop))
    before, state = books_snapshot(coop), loan_state(loan)
    response = as_user(client, teller).post(
        url(coop, "repay", loan_id=loan.pk), repay_data("99.000.000")
    )
    assert response.status_code == 400
    errors = " ".join(response.context["repay_form"].errors["amount"])
    assert "can be paid on this loan now" in errors
    assert 'value="99.000.000"' in response.content.decode()
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_a_payoff_for_the_wrong_amount_changes_nothing(client, coop, loan, teller):
    before, state = books_snapshot(coop), loan_state(loan)
    data = {
        "payoff-amount": "1.000",
        "payoff-channel": "teller",
        "payoff-idempotency_key": str(uuid.uuid4()),
    }
    response = as_user(client, teller).post(url(coop, "payoff", loan_id=loan.pk), data)
    assert response.status_code == 400
    assert "The settlement amount today is" in response.content.decode()
    assert books_snapshot(coop) == before and loan_state(loan) == state


def test_double_submitting_a_repayment_posts_once(client, coop, loan, teller):
    as_user(client, teller)
    body = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    data = repay_data("100.000", key=key_in(body, "repay"))
    first = client.post(url(coop, "repay", loan_id=loan.pk), data)
    after_first, state = books_snapshot(coop), loan_state(loan)
    second = client.post(url(coop, "repay", loan_id=loan.pk), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert books_snapshot(coop) == after_first and loan_state(loan) == state
    assert LoanTransaction.objects.filter(loan=loan, kind="repayment").count() == 1
    # Each rendering carries a fresh key, so the next repayment is a new one.
    assert (
        key_in(client.get(url(coop, "loan", loan_id=loan.pk)).content.decode(), "repay")
        != (data["repay-idempotency_key"])
    )


def test_double_submitting_a_disbursement_pays_out_once(
    client, coop, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    as_user(client, teller)
    data = {"disburse-to": "cash", "disburse-idempotency_key": str(uuid.uuid4())}
    first = client.post(url(coop, "disburse", application_id=application.pk), data)
    after_first = books_snapshot(coop)
    second = client.post(url(coop, "disburse", application_id=application.pk), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert books_snapshot(coop) == after_first
    assert Loan.objects.filter(application=application).count() == 1
    # A second disbursement with a new key is refused with the reason.
    data["disburse-idempotency_key"] = str(uuid.uuid4())
    third = client.post(url(coop, "disburse", application_id=application.pk), data)
    assert third.status_code in (400, 409)
    assert books_snapshot(coop) == after_first


# --- payoff, reversal, assessment, restructuring, write-off and recovery -------------------------


def test_teller_pays_a_loan_off_at_the_quoted_amount(client, coop, loan, teller):
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk))
    quote = page.context["quote"]
    body = page.content.decode()
    typed = format_rupiah(quote.total, with_symbol=False)
    assert f'name="payoff-amount" value="{typed}"' in body
    data = {
        "payoff-amount": typed,
        "payoff-channel": "teller",
        "payoff-idempotency_key": key_in(body, "payoff"),
    }
    response = client.post(url(coop, "payoff", loan_id=loan.pk), data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.outstanding_principal == 0
    assert LoanTransaction.objects.get(loan=loan, kind="payoff").amount == quote.total
    assert "OK" in books_ok()


def test_teller_reverses_a_wrong_repayment(client, coop, loan, teller):
    txn = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="100000", idempotency_key="r-1"
    )
    state = loan_state(loan)
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    assert url(coop, "reverse", txn_id=txn.pk) in page
    address = url(coop, "reverse", txn_id=txn.pk)
    response = client.post(address, {"reason": "", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 400
    assert response.context["reverse_form"].errors["reason"]
    assert f'<tr id="txn-{txn.pk}">' in response.content.decode()
    assert loan_state(loan) == state
    response = client.post(address, {"reason": "Salah loan", "idempotency_key": str(uuid.uuid4())})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.outstanding_principal == loan.principal
    history = client.get(url(coop, "loan", loan_id=loan.pk)).context["history"]
    assert [(r["txn"].kind, r["reversed"], r["reversible"]) for r in history][-2:] == [
        ("repayment", True, False),
        ("reversal", False, False),
    ]
    assert "OK" in books_ok()


def test_assess_restructure_and_view_the_old_schedule(client, coop, loan, officer, manager, teller):
    as_user(client, officer)
    later = today(coop) + dt.timedelta(days=130)
    response = client.post(url(coop, "assess", loan_id=loan.pk), {"assess-on": later.isoformat()})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.days_past_due > 0 and loan.collectibility == 3
    # The officer proposes a longer term; the proposer cannot approve, the manager does.
    data = {
        "restructure-kind": "rescheduling",
        "restructure-new_term": "18",
        "restructure-new_rate": "1,5",
        "restructure-new_rate_period": "month",
        "restructure-new_method": "menurun",
        "restructure-grace_periods": "0",
        "restructure-reason": "",
    }
    response = client.post(url(coop, "restructure", loan_id=loan.pk), data)
    assert response.status_code == 400
    assert "Give the reason." in response.content.decode()
    data["restructure-reason"] = "Panen gagal"
    assert client.post(url(coop, "restructure", loan_id=loan.pk), data).status_code == 302
    proposal = Restructuring.objects.get(loan=loan)
    as_user(client, manager)
    decide = url(coop, "restructure_decide", loan_id=loan.pk, restructuring_id=proposal.pk)
    response = client.post(decide, {"decision": "reject", "note": ""})
    assert response.status_code == 400
    assert "Give the reason for the rejection." in response.content.decode()
    response = client.post(decide, {"decision": "approve", "note": "Setuju"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    page = client.get(url(coop, "loan", loan_id=loan.pk))
    assert len(page.context["schedule"]) == 18 and page.context["version"] == 2
    old = client.get(url(coop, "loan", loan_id=loan.pk), {"versi": "1"})
    assert old.context["version"] == 1 and len(old.context["schedule"]) == 12
    assert "superseded" in old.content.decode()
    # A proposal of another loan cannot be decided through this loan's address.
    other = client.post(
        url(coop, "restructure_decide", loan_id=loan.pk, restructuring_id=proposal.pk + 999),
        {"decision": "approve"},
    )
    assert other.status_code == 404
    assert "OK" in books_ok()


def test_write_off_by_the_board_and_a_recovery(
    client, coop, loan, officer, manager, admin_user, teller
):
    as_user(client, officer)
    far = today(coop) + dt.timedelta(days=400)
    client.post(url(coop, "assess", loan_id=loan.pk), {"assess-on": far.isoformat()})
    loan.refresh_from_db()
    assert loan.collectibility == 5
    response = client.post(url(coop, "write_off", loan_id=loan.pk), {"writeoff-reason": "Pindah"})
    assert response.status_code == 302
    request = WriteOffRequest.objects.get(loan=loan)
    decide = url(coop, "write_off_decide", loan_id=loan.pk, request_id=request.pk)
    data = {"decision": "approve", "note": "", "idempotency_key": str(uuid.uuid4())}
    before = books_snapshot(coop)
    # A manager may approve loans but not write-offs: the board decides them.
    response = as_user(client, manager).post(decide, data)
    assert response.status_code == 403
    assert books_snapshot(coop) == before
    response = as_user(client, admin_user).post(decide, data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.WRITTEN_OFF
    # A double click on the decision only says it is decided.
    after = books_snapshot(coop)
    assert as_user(client, admin_user).post(decide, data).status_code == 302
    assert books_snapshot(coop) == after
    as_user(client, teller)
    page = client.get(url(coop, "loan", loan_id=loan.pk)).content.decode()
    assert "Record a recovery" in page and "Take a repayment" not in page
    too_much = {"recover-amount": "99.000.000", "recover-idempotency_key": str(uuid.uuid4())}
    response = client.post(url(coop, "recover", loan_id=loan.pk), too_much)
    assert response.status_code == 400 and books_snapshot(coop) == after
    data = {
        "recover-amount": "200.000",
        "recover-note": "",
        "recover-idempotency_key": key_in(page, "recover"),
    }
    assert client.post(url(coop, "recover", loan_id=loan.pk), data).status_code == 302
    assert client.post(url(coop, "recover", loan_id=loan.pk), data).status_code == 302
    loan.refresh_from_db()
    assert loan.recovered_amount == D("200000")
    assert "OK" in books_ok()
