"""Loans over the API: the lifecycle end to end with exact amounts, idempotency of every
money-moving call, tenancy (another cooperative's ids are 404), a member's own login, roles,
bad input that changes nothing, and the portfolio list's query count."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.ledger.models import Account
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Instalment,
    Loan,
    LoanApplication,
    LoanTransaction,
    Restructuring,
    WriteOffRequest,
)
from koperasi.loans.selectors import loan_violations
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.tenancy.models import IdempotencyRecord, Role
from tests.api.conftest import codes
from tests.conftest import PASSWORD, books_snapshot, make_member, make_user, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

# ---------------------------------------------------------------- building a loan book


def make_product(coop, actor, code="UJI"):
    """Declining balance 1,5 %/month, no rounding, cash basis, provisi 1 % + Rp 10.000."""
    return loans.create_product(
        cooperative=coop,
        actor=actor,
        code=code,
        name="Pinjaman Uji",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=1,
        max_term=24,
        min_principal=Decimal("100000"),
        max_principal=Decimal("20000000"),
        provisi_pct=Decimal("1"),
        admin_fee=Decimal("10000"),
        penalty_kind="pct_day",
        penalty_rate=Decimal("0.1"),
        penalty_grace_days=3,
    )


def make_borrower(coop, teller):
    """An active member since January 2025 with Rp 2.000.000 in sukarela."""
    member = make_member(coop, teller)
    member.joined_on = dt.date(2025, 1, 10)
    member.save(update_fields=["joined_on"])
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("2000000"),
        idempotency_key=f"fund-{member.pk}",
    )
    return member


def macet_loan(coop, member, product, officer, manager, teller):
    """A loan disbursed 400 days ago and never repaid: class 5 (Macet) today."""
    today = business_today(coop)
    loan = disbursed_loan(
        coop, member, product, officer, manager, teller, on=today - dt.timedelta(days=400)
    )
    return loans.assess(cooperative=coop, actor=officer, loan_id=loan.pk, on=today)


def build_book(coop, officer, manager, teller, admin):
    """One of everything an endpoint can take an id of, all in `coop`."""
    member = make_borrower(coop, teller)
    product = make_product(coop, admin)
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=member.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal warung",
    )
    approved = approved_application(coop, member, product, officer, manager)
    loan = disbursed_loan(coop, member, product, officer, manager, teller, on=business_today(coop))
    repayment = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="118000", idempotency_key="ang-1"
    )
    restructuring = loans.propose_restructuring(
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        kind="rescheduling",
        new_term=24,
        new_rate=Decimal("1.5"),
        new_rate_period="month",
        new_method="menurun",
        reason="Usaha sepi",
    )
    macet = macet_loan(coop, member, product, officer, manager, teller)
    write_off = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=macet.pk, reason="Tidak tertagih"
    )
    gone = macet_loan(coop, member, product, officer, manager, teller)
    request = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=gone.pk, reason="Meninggal"
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=admin,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key="hapus-1",
    )
    return {
        "member": member.pk,
        "sukarela": sukarela_account(coop, member).pk,
        "product": product.pk,
        "submitted": submitted.pk,
        "application": approved.pk,
        "loan": loan.pk,
        "repayment": repayment.pk,
        "restructuring": restructuring.pk,
        "macet": macet.pk,
        "write_off": write_off.pk,
        "written_off": gone.pk,
    }


def loan_state():
    """What the loan sub-ledger holds, beside the books: must not change on a refusal."""
    return {
        "applications": sorted(LoanApplication.objects.values_list("pk", "status")),
        "loans": sorted(
            Loan.objects.values_list("pk", "status", "outstanding_principal", "schedule_version")
        ),
        "transactions": LoanTransaction.objects.count(),
        "paid": sorted(Instalment.objects.values_list("pk", "principal_paid", "interest_paid")),
        "restructurings": sorted(Restructuring.objects.values_list("pk", "status")),
        "write_offs": sorted(WriteOffRequest.objects.values_list("pk", "status")),
    }


def everything():
    return books_snapshot(), loan_state()


def balance(coop, role):
    return Account.objects.get(cooperative=coop, system_role=role).balance


def check_books(coop):
    assert loan_violations(cooperative=coop) == []
    call_command("books_check")


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def officer(coop):
    return make_user("petugas", coop, Role.LOAN_OFFICER)


@pytest.fixture
def manager(coop):
    return make_user("manajer", coop, Role.MANAGER)


@pytest.fixture
def borrower(coop, teller):
    return make_borrower(coop, teller)


@pytest.fixture
def product(coop, admin_user):
    return make_product(coop, admin_user)


@pytest.fixture
def staff(api_as, coop, officer, manager, teller, admin_user, supervisor):
    """An API client per role of the first cooperative."""
    return {
        "officer": api_as(officer, coop),
        "manager": api_as(manager, coop),
        "teller": api_as(teller, coop),
        "admin": api_as(admin_user, coop),
        "supervisor": api_as(supervisor, coop),
    }


def portal_login(coop, teller, member):
    members.create_portal_login(cooperative=coop, actor=teller, member=member, password=PASSWORD)
    member.refresh_from_db()
    return member.user


@pytest.fixture
def borrower_api(api_as, coop, teller, borrower):
    """The borrower's own login."""
    return api_as(portal_login(coop, teller, borrower), coop)


def apply_body(member, product, **overrides):
    return {
        "member_id": member.pk,
        "product_id": product.pk,
        "principal": "1200000",
        "term": 12,
        "purpose": "Modal warung",
        **overrides,
    }


ANALYSIS = {"monthly_income": "5000000", "monthly_expenses": "2000000"}


# ---------------------------------------------------------------- the whole lifecycle


def test_apply_analyse_approve_disburse_repay_quote_payoff(coop, staff, borrower, product, officer):
    api = staff
    today = business_today(coop)
    before = {role: balance(coop, role) for role in ("cash", "fee_income", "loan_interest_income")}
    receivable = product.gl_account.balance

    response = api["officer"].post("/loans/applications", apply_body(borrower, product))
    assert response.status_code == 201, response.json()
    application = response.json()
    app_id = application["id"]
    assert application == application | {
        "member": borrower.pk,
        "member_number": borrower.number,
        "product": product.pk,
        "product_code": "UJI",
        "principal": "1200000.00",
        "term": 12,
        "status": "submitted",
        "channel": "office",
        "submitted_on": str(today),
        "monthly_income": None,
        "repayment_capacity": None,
        "entered_by": officer.pk,
    }
    assert application["assessment"]["problems"]  # not analysed yet

    response = api["officer"].post(
        f"/loans/applications/{app_id}/analysis",
        {
            **ANALYSIS,
            "note": "Warung ramai",
            "collaterals": [{"kind": "bpkb", "description": "Honda Beat 2019", "value": 8000000}],
        },
    )
    assert response.status_code == 200, response.json()
    analysed = response.json()
    assert analysed["status"] == "analysed"
    assert analysed["repayment_capacity"] == "3000000.00"
    assert analysed["collaterals"] == [
        {"kind": "bpkb", "description": "Honda Beat 2019", "value": "8000000.00"}
    ]
    assert analysed["assessment"] == analysed["assessment"] | {
        "monthly_instalment": "118000.00",  # the first (largest) menurun instalment
        "capacity": "3000000.00",
        "capacity_limit": "1200000.00",  # 40 % of the capacity
        "collateral_value": "8000000.00",
        "problems": [],
    }

    # Deciding is for a manager or the board, not the loan officer.
    assert api["officer"].post(f"/loans/applications/{app_id}/approve", {}).status_code == 403
    response = api["manager"].post(f"/loans/applications/{app_id}/approve", {"note": "Layak"})
    assert response.status_code == 200, response.json()
    assert response.json() == response.json() | {"status": "approved", "approval_level": "manager"}

    response = api["teller"].post(
        f"/loans/applications/{app_id}/disburse", {"to": "cash"}, key="cair-1"
    )
    assert response.status_code == 201, response.json()
    loan = response.json()
    loan_id = loan["id"]
    assert loan == loan | {
        "number": "UJI-000001",
        "member": borrower.pk,
        "application": app_id,
        "principal": "1200000.00",
        "outstanding_principal": "1200000.00",
        "rate": "1.5",
        "rate_period": "month",
        "method": "menurun",
        "term": 12,
        "disbursed_on": str(today),
        "status": "active",
        "disbursed_to": "cash",
        "collectibility": 1,
        "days_past_due": 0,
    }
    arrears = loan["arrears"]
    assert arrears == arrears | {"overdue_principal": "0.00", "next_due_amount": "118000.00"}
    disbursed = api["officer"].get(f"/loans/applications/{app_id}").json()
    assert (disbursed["status"], disbursed["assessment"]) == ("disbursed", None)

    schedule = api["officer"].get(f"/loans/loans/{loan_id}/schedule").json()
    assert schedule["version"] == schedule["current_version"] == 1
    rows = schedule["instalments"]
    assert [r["principal"] for r in rows] == ["100000.00"] * 12
    assert [r["interest"] for r in rows[:3]] == ["18000.00", "16500.00", "15000.00"]
    assert rows[-1] == rows[-1] | {"interest": "1500.00", "payment": "101500.00", "balance": "0.00"}
    assert sum(Decimal(r["interest"]) for r in rows) == Decimal("117000")  # 1,5 % × Σ balances

    response = api["teller"].post(
        f"/loans/loans/{loan_id}/repayments", {"amount": "118000"}, key="a-1"
    )
    assert response.status_code == 201, response.json()
    repayment = response.json()
    assert repayment == repayment | {
        "loan": loan_id,
        "kind": "repayment",
        "channel": "api",
        "amount": "118000.00",
        "principal": "-100000.00",
        "interest": "18000.00",
        "penalty": "0.00",
        "outstanding_after": "1100000.00",
    }
    first = api["officer"].get(f"/loans/loans/{loan_id}/schedule").json()["instalments"][0]
    assert first == first | {"principal_paid": "100000.00", "interest_paid": "18000.00"}
    assert first["amount_due"] == "0.00" and first["paid_on"] == str(today)

    # Paying off today: the principal left, this period's interest; the rest is forgiven.
    quote = api["officer"].get(f"/loans/loans/{loan_id}/settlement-quote").json()
    assert quote == {
        "loan_number": "UJI-000001",
        "as_of": str(today),
        "valid_until": quote["valid_until"],
        "principal": "1100000.00",
        "interest": "16500.00",
        "penalty": "0.00",
        "fee": "0.00",
        "interest_waived": "82500.00",
        "total": "1116500.00",
    }
    response = api["teller"].post(
        f"/loans/loans/{loan_id}/payoff", {"amount": quote["total"]}, key="lunas-1"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {
        "kind": "payoff",
        "principal": "-1100000.00",
        "interest": "16500.00",
        "outstanding_after": "0.00",
    }

    closed = api["officer"].get(f"/loans/loans/{loan_id}").json()
    assert closed == closed | {"status": "closed", "outstanding_principal": "0.00"}
    assert closed["closed_on"] == str(today)
    history = api["officer"].get(f"/loans/loans/{loan_id}/transactions").json()
    assert [(t["kind"], t["amount"]) for t in history["items"]] == [
        ("disbursement", "1178000.00"),  # Rp 1.200.000 less provisi 12.000 and admin 10.000
        ("repayment", "118000.00"),
        ("payoff", "1116500.00"),
    ]
    assert history["items"][0]["fee"] == "22000.00"

    # The books: cash out 1.178.000, in 118.000 + 1.116.500; fees 22.000; interest 34.500.
    assert balance(coop, "cash") - before["cash"] == Decimal("56500")
    assert balance(coop, "fee_income") - before["fee_income"] == Decimal("-22000")
    assert balance(coop, "loan_interest_income") - before["loan_interest_income"] == Decimal(
        "-34500"
    )
    product.gl_account.refresh_from_db()
    assert product.gl_account.balance == receivable
    check_books(coop)


def test_disbursing_to_savings_with_autodebit(coop, staff, borrower, product, officer, manager):
    application = approved_application(coop, borrower, product, officer, manager)
    account = sukarela_account(coop, borrower)
    response = staff["teller"].post(
        f"/loans/applications/{application.pk}/disburse",
        {"to": "savings", "savings_account_id": account.pk, "autodebit": True},
        key="cair-tab",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {
        "disbursed_to": "savings",
        "savings_account": account.pk,
        "autodebit": True,
    }
    account.refresh_from_db()
    assert account.balance == Decimal("2000000") + Decimal("1178000")
    # An instalment taken from those savings.
    response = staff["teller"].post(
        f"/loans/loans/{body['id']}/repayments",
        {"amount": "118000.00", "channel": "savings"},
        key="dari-tab",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["channel"] == "savings"
    account.refresh_from_db()
    assert account.balance == Decimal("3060000")
    check_books(coop)


def test_rejecting_an_application(coop, staff, borrower, product, officer):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    url = f"/loans/applications/{application.pk}/reject"
    assert codes(staff["manager"].post(url, {"reason": ""})) == ["required"]
    response = staff["manager"].post(url, {"reason": "Penghasilan tidak cukup"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body == body | {
        "status": "rejected",
        "decision_note": "Penghasilan tidak cukup",
    }
    assert codes(staff["manager"].post(url, {"reason": "lagi"})) == ["not_open"]


# ---------------------------------------------------------------- workout over the API


def test_reverse_restructure_write_off_and_recover(
    coop, staff, borrower, product, officer, manager
):
    teller_user = make_user("kasir2", coop, Role.TELLER)
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller_user, business_today(coop)
    )
    api = staff

    paid = api["teller"].post(f"/loans/loans/{loan.pk}/repayments", {"amount": "50000"}, key="r1")
    assert paid.status_code == 201
    response = api["teller"].post(
        f"/loans/loans/transactions/{paid.json()['id']}/reverse",
        {"reason": "Salah loan"},
        key="batal-1",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {
        "kind": "reversal",
        "amount": "-50000.00",
        "reverses": paid.json()["id"],
        "outstanding_after": "1200000.00",
    }
    again = api["teller"].post(
        f"/loans/loans/transactions/{paid.json()['id']}/reverse",
        {"reason": "Salah loan"},
        key="batal-2",
    )
    assert codes(again) == ["already_reversed"]

    response = api["officer"].post(
        f"/loans/loans/{loan.pk}/restructurings",
        {
            "kind": "rescheduling",
            "new_term": 24,
            "new_rate": "1.5",
            "new_rate_period": "month",
            "new_method": "menurun",
            "reason": "Panen gagal",
        },
    )
    assert response.status_code == 201, response.json()
    proposal = response.json()
    assert proposal == proposal | {"status": "proposed", "new_rate": "1.5", "from_version": 1}
    decision = f"/loans/loans/restructurings/{proposal['id']}/decision"
    assert api["teller"].post(decision, {"approve": True}).status_code == 403
    response = api["manager"].post(decision, {"approve": True, "note": "Setuju"})
    assert response.status_code == 200, response.json()
    assert response.json() == response.json() | {"status": "approved", "to_version": 2}
    current = api["officer"].get(f"/loans/loans/{loan.pk}/schedule").json()
    old = api["officer"].get(f"/loans/loans/{loan.pk}/schedule?version=1").json()
    assert (current["version"], len(current["instalments"])) == (2, 24)
    assert (old["version"], old["current_version"], len(old["instalments"])) == (1, 2, 12)

    macet = macet_loan(coop, borrower, product, officer, manager, teller_user)
    response = api["officer"].post(
        f"/loans/loans/{macet.pk}/assess", {"on": str(business_today(coop))}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["collectibility"] == 5
    assert response.json()["days_past_due"] > 270
    response = api["officer"].post(f"/loans/loans/{macet.pk}/write-off", {"reason": "Kabur"})
    assert response.status_code == 201, response.json()
    request = response.json()
    assert request == request | {"loan": macet.pk, "status": "proposed"}
    decision = f"/loans/loans/write-offs/{request['id']}/decision"
    # The board decides write-offs: a manager is refused by the service, an officer by role.
    assert codes(api["manager"].post(decision, {"approve": True}, key="wo-m")) == ["forbidden"]
    assert api["officer"].post(decision, {"approve": True}, key="wo-o").status_code == 403
    response = api["admin"].post(decision, {"approve": True, "note": "RAT setuju"}, key="wo-1")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    written_off = api["officer"].get(f"/loans/loans/{macet.pk}").json()
    assert written_off == written_off | {
        "status": "written_off",
        "outstanding_principal": "0.00",
        "written_off_amount": "1200000.00",
    }

    url = f"/loans/loans/{macet.pk}/recoveries"
    response = api["teller"].post(url, {"amount": "200000", "note": "Dicicil"}, key="pulih-1")
    assert response.status_code == 201, response.json()
    assert response.json() == response.json() | {"kind": "recovery", "amount": "200000.00"}
    assert codes(api["teller"].post(url, {"amount": "1000000.01"}, key="pulih-2")) == [
        "recovery_too_large"
    ]
    assert codes(
        api["teller"].post(f"/loans/loans/{macet.pk}/repayments", {"amount": "1"}, key="x")
    ) == ["loan_written_off"]
    check_books(coop)


# ---------------------------------------------------------------- idempotency


@pytest.fixture
def book(coop, officer, manager, teller, admin_user):
    return build_book(coop, officer, manager, teller, admin_user)


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
    url, body, other = path.format(**ids), _fill(body, ids), _fill(other, ids)
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


# ---------------------------------------------------------------- tenancy


@pytest.fixture
def foreign(other_coop):
    """The other cooperative's book, built by its own staff."""
    return build_book(
        other_coop,
        make_user("o-petugas", other_coop, Role.LOAN_OFFICER),
        make_user("o-manajer", other_coop, Role.MANAGER),
        make_user("o-kasir", other_coop, Role.TELLER),
        make_user("o-admin", other_coop, Role.ADMIN),
    )


@pytest.fixture
def own(coop, officer, manager, teller, admin_user, borrower, product):
    """Own objects to point foreign ids at from inside a request body."""
    submitted = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    approved = approved_application(coop, borrower, product, officer, manager)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, business_today(coop))
    return {
        "own_member": borrower.pk,
        "own_product": product.pk,
        "own_submitted": submitted.pk,
        "own_application": approved.pk,
        "own_loan": loan.pk,
    }


RESTRUCTURE = {
    "kind": "rescheduling",
    "new_term": 24,
    "new_rate": "1.5",
    "new_rate_period": "month",
    "new_method": "menurun",
    "reason": "Usaha sepi",
}
NEW_APPLICATION = {"principal": "1200000", "term": 12, "purpose": "Modal"}

# Every endpoint that takes an id, pointed at the other cooperative's objects.
CROSS_TENANT = [
    ("get", "/loans/products/{product}", None),
    ("get", "/loans/applications/{application}", None),
    ("post", "/loans/applications/{submitted}/analysis", ANALYSIS),
    ("post", "/loans/applications/{submitted}/approve", {}),
    ("post", "/loans/applications/{submitted}/reject", {"reason": "Tidak layak"}),
    ("post", "/loans/applications/{application}/disburse", {"to": "cash"}),
    ("get", "/loans/loans/{loan}", None),
    ("get", "/loans/loans/{loan}/schedule", None),
    ("get", "/loans/loans/{loan}/schedule?version=1", None),
    ("get", "/loans/loans/{loan}/transactions", None),
    ("get", "/loans/loans/{loan}/settlement-quote", None),
    ("get", "/loans/loans/{loan}/settlement-quote?date=2030-01-01", None),
    ("post", "/loans/loans/{loan}/repayments", {"amount": "1000"}),
    ("post", "/loans/loans/{loan}/payoff", {"amount": "1000"}),
    ("post", "/loans/loans/transactions/{repayment}/reverse", {"reason": "Salah"}),
    ("post", "/loans/loans/{loan}/assess", {}),
    ("post", "/loans/loans/{loan}/restructurings", RESTRUCTURE),
    ("post", "/loans/loans/restructurings/{restructuring}/decision", {"approve": True}),
    (
        "post",
        "/loans/loans/restructurings/{restructuring}/decision",
        {"approve": False, "note": "x"},
    ),
    ("post", "/loans/loans/{macet}/write-off", {"reason": "Macet"}),
    ("post", "/loans/loans/write-offs/{write_off}/decision", {"approve": True}),
    ("post", "/loans/loans/{written_off}/recoveries", {"amount": "1000"}),
    # Foreign ids inside the body of a request on one's own objects.
    ("post", "/loans/applications", {"member_id": "{member}", "product_id": "{own_product}"}),
    ("post", "/loans/applications", {"member_id": "{own_member}", "product_id": "{product}"}),
    (
        "post",
        "/loans/applications/{own_submitted}/analysis",
        {**ANALYSIS, "guarantor_ids": ["{member}"]},
    ),
    (
        "post",
        "/loans/applications/{own_application}/disburse",
        {"to": "savings", "savings_account_id": "{sukarela}"},
    ),
    (
        "post",
        "/loans/loans/{own_loan}/repayments",
        {"amount": "1000", "channel": "savings", "savings_account_id": "{sukarela}"},
    ),
]


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize("who", ["admin", "member"])
@pytest.mark.parametrize(("method", "path", "body"), CROSS_TENANT)
def test_another_cooperatives_ids_are_404_and_change_nothing(
    staff, borrower_api, foreign, own, who, method, path, body
):
    ids = {**foreign, **own}
    api = borrower_api if who == "member" else staff["admin"]
    url = path.format(**ids)
    before = everything()
    if method == "get":
        response = api.get(url)
    else:
        if url == "/loans/applications":
            body = {**NEW_APPLICATION, **body}
        response = api.post(url, _fill(body, ids), key="asing")
    assert response.status_code == 404, response.json()
    assert codes(response) == ["not_found"]
    assert everything() == before
    assert not IdempotencyRecord.objects.exists()


def test_every_loan_endpoint_with_an_id_is_in_the_cross_tenant_list(client, db):
    """A new endpoint that takes an id must be added to CROSS_TENANT above."""

    def shape(path):
        return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])

    paths = client.get("/api/v1/openapi.json").json()["paths"]
    with_ids = {
        (method, shape(path))
        for path, operations in paths.items()
        if path.startswith("/api/v1/loans/") and "{" in path
        for method in operations
    }
    covered = {(method, shape("/api/v1" + path)) for method, path, _body in CROSS_TENANT}
    assert len(with_ids) == 19
    assert with_ids <= covered


def test_lists_never_show_another_cooperatives_rows(staff, foreign, own):
    api = staff["admin"]
    assert api.get(f"/loans/loans?member={foreign['member']}&status=all").json()["count"] == 0
    assert api.get(f"/loans/loans?product={foreign['product']}").json()["count"] == 0
    loan_ids = {i["id"] for i in api.get("/loans/loans?status=all&limit=200").json()["items"]}
    assert loan_ids == {own["own_loan"]}
    app_ids = {i["id"] for i in api.get("/loans/applications?limit=200").json()["items"]}
    assert foreign["application"] not in app_ids and own["own_application"] in app_ids
    products = {i["id"] for i in api.get("/loans/products?limit=200").json()["items"]}
    assert foreign["product"] not in products and own["own_product"] in products


# ---------------------------------------------------------------- a member's own login


@pytest.fixture
def neighbour_loan(coop, teller, officer, manager, product):
    """Another member's loan in the same cooperative."""
    neighbour = make_borrower(coop, teller)
    return disbursed_loan(coop, neighbour, product, officer, manager, teller, business_today(coop))


def test_a_member_reads_only_their_own_loans(
    coop, borrower_api, borrower, product, officer, manager, teller, neighbour_loan
):
    mine = disbursed_loan(coop, borrower, product, officer, manager, teller, business_today(coop))
    api = borrower_api

    listed = api.get("/loans/loans").json()
    assert [i["id"] for i in listed["items"]] == [mine.pk]
    # Asking for someone else's loans by filter still shows only one's own (none of theirs).
    other = api.get(f"/loans/loans?member={neighbour_loan.member_id}").json()
    assert other["count"] == 0
    for suffix in ("", "/schedule", "/transactions", "/settlement-quote"):
        assert api.get(f"/loans/loans/{mine.pk}{suffix}").status_code == 200, suffix
        response = api.get(f"/loans/loans/{neighbour_loan.pk}{suffix}")
        assert response.status_code == 404, suffix
        assert codes(response) == ["not_found"]

    apps = api.get("/loans/applications").json()
    assert [i["id"] for i in apps["items"]] == [mine.application_id]
    own_app = api.get(f"/loans/applications/{mine.application_id}").json()
    assert own_app["assessment"] is None  # staff only
    assert codes(api.get(f"/loans/applications/{neighbour_loan.application_id}")) == ["not_found"]


def test_a_member_applies_for_themselves_only(borrower_api, borrower, product, neighbour_loan):
    response = borrower_api.post("/loans/applications", apply_body(borrower, product))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {"member": borrower.pk, "channel": "api", "status": "submitted"}
    assert body["assessment"] is None
    # Without naming a member: themselves.
    body = {k: v for k, v in apply_body(borrower, product).items() if k != "member_id"}
    assert borrower_api.post("/loans/applications", body).json()["member"] == borrower.pk
    # Not for someone else.
    response = borrower_api.post("/loans/applications", apply_body(neighbour_loan.member, product))
    assert response.status_code == 404
    assert codes(response) == ["not_found"]
    assert LoanApplication.objects.filter(member=neighbour_loan.member).count() == 1


def test_a_member_cannot_decide_or_move_money(
    coop, borrower_api, borrower, product, officer, manager, teller
):
    application = approved_application(coop, borrower, product, officer, manager)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, business_today(coop))
    analysed = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    before = everything()
    for url, body in (
        (f"/loans/applications/{analysed.pk}/analysis", ANALYSIS),
        (f"/loans/applications/{analysed.pk}/approve", {}),
        (f"/loans/applications/{analysed.pk}/reject", {"reason": "x"}),
        (f"/loans/applications/{application.pk}/disburse", {"to": "cash"}),
        (f"/loans/loans/{loan.pk}/repayments", {"amount": "1000"}),
        (f"/loans/loans/{loan.pk}/payoff", {"amount": "1000"}),
        (f"/loans/loans/{loan.pk}/assess", {}),
        (f"/loans/loans/{loan.pk}/restructurings", RESTRUCTURE),
        (f"/loans/loans/{loan.pk}/write-off", {"reason": "x"}),
    ):
        response = borrower_api.post(url, body, key="saya")
        assert response.status_code == 404, url
        assert codes(response) == ["not_found"]
    assert everything() == before
    assert not IdempotencyRecord.objects.exists()


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize(
    ("who", "action"),
    [
        ("teller", "approve"),
        ("teller", "reject"),
        ("officer", "approve"),
        ("officer", "disburse"),
        ("supervisor", "apply"),
        ("supervisor", "repay"),
        ("teller", "apply"),
        ("officer", "repay"),
    ],
)
def test_roles_without_the_permission_get_403(
    coop, staff, borrower, product, officer, manager, teller, who, action
):
    submitted = loans.analyse(
        cooperative=coop,
        actor=officer,
        application_id=loans.apply(
            cooperative=coop,
            actor=officer,
            member_id=borrower.pk,
            product_id=product.pk,
            principal="1200000",
            term=12,
            purpose="Modal",
        ).pk,
        **ANALYSIS,
    )
    approved = approved_application(coop, borrower, product, officer, manager)
    loan = disbursed_loan(coop, borrower, product, officer, manager, teller, business_today(coop))
    url, body = {
        "approve": (f"/loans/applications/{submitted.pk}/approve", {}),
        "reject": (f"/loans/applications/{submitted.pk}/reject", {"reason": "x"}),
        "disburse": (f"/loans/applications/{approved.pk}/disburse", {"to": "cash"}),
        "apply": ("/loans/applications", apply_body(borrower, product)),
        "repay": (f"/loans/loans/{loan.pk}/repayments", {"amount": "1000"}),
    }[action]
    before = everything()
    response = staff[who].post(url, body, key="peran")
    assert response.status_code == 403
    assert codes(response) == ["forbidden"]
    assert everything() == before
    assert not IdempotencyRecord.objects.exists()


def test_a_supervisor_reads_the_portfolio(staff, book):
    assert staff["supervisor"].get("/loans/loans").status_code == 200
    assert staff["supervisor"].get(f"/loans/loans/{book['loan']}").status_code == 200


# ---------------------------------------------------------------- bad input


def test_bad_applications_are_refused_with_their_field(staff, borrower, product):
    api = staff["officer"]
    cases = [
        ({"term": 25}, 400, "term_out_of_range", "term"),
        ({"term": 0}, 400, "term_out_of_range", "term"),
        ({"principal": "20000000.01"}, 400, "principal_out_of_range", "principal"),
        ({"principal": 1200000.0}, 400, "invalid", "principal"),
        ({"principal": "1200000.001"}, 400, "too_precise", "principal"),
        ({"grace_periods": 1}, 400, "grace_out_of_range", "grace_periods"),
        ({"purpose": " "}, 400, "required", "purpose"),
        ({"member_id": None}, 400, "required", "member_id"),
        ({"member_id": 999999}, 404, "not_found", "member_id"),
        ({"product_id": 999999}, 404, "not_found", "product_id"),
        ({"term": "dua belas"}, 422, "invalid", "term"),
        ({"purpose": "a\x00b"}, 422, "invalid", "purpose"),
        ({"bunga": "0"}, 422, "unknown_field", "bunga"),
    ]
    before = everything()
    for overrides, status, code, field in cases:
        response = api.post("/loans/applications", apply_body(borrower, product, **overrides))
        assert response.status_code == status, (overrides, response.json())
        assert codes(response) == [code], overrides
        assert response.json()["detail"][0]["field"] == field, overrides
    assert everything() == before


def test_bad_analysis_is_refused(coop, staff, borrower, product, officer):
    application = loans.apply(
        cooperative=coop,
        actor=officer,
        member_id=borrower.pk,
        product_id=product.pk,
        principal="1200000",
        term=12,
        purpose="Modal",
    )
    url = f"/loans/applications/{application.pk}/analysis"
    cases = [
        ({"monthly_income": 5000000.5}, "invalid", "monthly_income"),
        ({"monthly_income": "0"}, "not_positive", "monthly_income"),
        ({**ANALYSIS, "guarantor_ids": [borrower.pk]}, "self_guarantee", "guarantor_ids"),
        (
            {**ANALYSIS, "collaterals": [{"kind": "emas", "description": "x", "value": "1"}]},
            "invalid_choice",
            "collaterals.0.kind",
        ),
        (
            {**ANALYSIS, "collaterals": [{"kind": "shm", "description": "x", "value": 1.5}]},
            "invalid",
            "collaterals",
        ),
    ]
    for body, code, field in cases:
        response = staff["officer"].post(url, body)
        assert codes(response) == [code], body
        assert response.json()["detail"][0]["field"] == field, body
    assert LoanApplication.objects.get(pk=application.pk).status == "submitted"


def test_self_approval_is_refused(coop, staff, borrower, product, manager):
    api = staff["manager"]
    created = api.post("/loans/applications", apply_body(borrower, product)).json()
    api.post(f"/loans/applications/{created['id']}/analysis", ANALYSIS)
    response = api.post(f"/loans/applications/{created['id']}/approve", {})
    assert response.status_code == 400
    assert codes(response) == ["self_approval"]
    assert LoanApplication.objects.get(pk=created["id"]).status == "analysed"


def test_approving_before_analysis_is_refused(staff, borrower, product):
    created = staff["officer"].post("/loans/applications", apply_body(borrower, product)).json()
    response = staff["manager"].post(f"/loans/applications/{created['id']}/approve", {})
    assert codes(response) == ["not_analysed"]


def test_disbursing_twice_is_refused(coop, staff, borrower, product, officer, manager):
    application = approved_application(coop, borrower, product, officer, manager)
    url = f"/loans/applications/{application.pk}/disburse"
    assert staff["teller"].post(url, {"to": "cash"}, key="d-1").status_code == 201
    before = everything()
    response = staff["teller"].post(url, {"to": "cash"}, key="d-2")
    assert response.status_code == 409
    assert codes(response) == ["already_disbursed"]
    assert everything() == before
    assert Loan.objects.count() == 1


def test_disbursing_an_unapproved_application_is_refused(staff, borrower, product):
    created = staff["officer"].post("/loans/applications", apply_body(borrower, product)).json()
    before = everything()
    response = staff["teller"].post(
        f"/loans/applications/{created['id']}/disburse", {"to": "cash"}, key="d"
    )
    assert codes(response) == ["not_approved"]
    response = staff["teller"].post(
        f"/loans/applications/{created['id']}/disburse", {"to": "emas"}, key="d"
    )
    assert response.status_code == 422
    assert codes(response) == ["invalid_choice"]
    assert everything() == before


def test_bad_payments_are_refused_and_change_nothing(coop, staff, book):
    loan = f"/loans/loans/{book['loan']}"
    cases = [
        ("repayments", {"amount": 118000.0}, "invalid", "amount"),
        ("repayments", {"amount": 0.5}, "invalid", "amount"),
        ("repayments", {"amount": "0"}, "not_positive", "amount"),
        ("repayments", {"amount": "-1"}, "not_positive", "amount"),
        ("repayments", {"amount": "1.001"}, "too_precise", "amount"),
        # More than the whole debt cannot come out of savings (the excess would go back in).
        ("repayments", {"amount": "1500000", "channel": "savings"}, "overpayment", "amount"),
        ("repayments", {"amount": "1000", "channel": "payroll"}, "invalid_choice", "channel"),
        ("repayments", {"amount": "9000000", "channel": "savings"}, "insufficient_balance", None),
        ("payoff", {"amount": "1000"}, "payoff_amount", "amount"),
        ("payoff", {"amount": 1000.0}, "invalid", "amount"),
    ]
    before = everything()
    for n, (path, body, code, field) in enumerate(cases):
        response = staff["teller"].post(f"{loan}/{path}", body, key=f"bad-{n}")
        assert codes(response) == [code], body
        if field is not None:
            assert response.json()["detail"][0]["field"] == field, body
    assert everything() == before
    assert not IdempotencyRecord.objects.exists()


def test_repaying_a_closed_loan_is_refused(coop, staff, book):
    url = f"/loans/loans/{book['loan']}"
    total = staff["teller"].get(f"{url}/settlement-quote").json()["total"]
    assert staff["teller"].post(f"{url}/payoff", {"amount": total}, key="lunas").status_code == 201
    before = everything()
    for path in ("repayments", "payoff"):
        response = staff["teller"].post(f"{url}/{path}", {"amount": "1000"}, key=f"lagi-{path}")
        assert response.status_code == 400
        assert codes(response) == ["loan_closed"]
    assert codes(staff["teller"].get(f"{url}/settlement-quote")) == ["loan_closed"]
    assert everything() == before


def test_bad_restructurings_are_refused(staff, book):
    url = f"/loans/loans/{book['macet']}/restructurings"
    cases = [
        ({"kind": "reconditioning", "new_rate": "3"}, "rate_above_cap", "new_rate"),  # 36 %/yr
        ({"kind": "reconditioning", "new_rate": 1.5}, "invalid", "new_rate"),
        ({"kind": "reconditioning", "new_rate": "satu"}, "invalid", "new_rate"),
        ({"new_rate": "1.2"}, "rescheduling_terms", "kind"),
        ({"new_term": 0}, "too_small", "new_term"),
        ({"kind": "hapus"}, "invalid_choice", "kind"),
        ({"reason": ""}, "required", "reason"),
    ]
    before = everything()
    for overrides, code, field in cases:
        response = staff["officer"].post(url, {**RESTRUCTURE, **overrides})
        assert codes(response) == [code], overrides
        assert response.json()["detail"][0]["field"] == field, overrides
    assert everything() == before


def test_bad_assessments_and_reads_are_refused(coop, staff, book):
    loan = f"/loans/loans/{book['loan']}"
    tomorrow = business_today(coop) + dt.timedelta(days=1)
    before = everything()
    response = staff["officer"].post(f"{loan}/assess", {"on": str(tomorrow)})
    assert codes(response) == ["date_in_future"]
    assert response.json()["detail"][0]["field"] == "on"
    assert codes(staff["officer"].post(f"{loan}/assess", {"on": "kemarin"})) == ["invalid_date"]
    # Nor a date that would put back an older, better class.
    yesterday = str(business_today(coop) - dt.timedelta(days=1))
    response = staff["officer"].post(f"{loan}/assess", {"on": yesterday})
    assert codes(response) == ["before_disbursement"]
    assert response.json()["detail"][0]["field"] == "on"
    macet = f"/loans/loans/{book['macet']}"
    response = staff["officer"].post(f"{macet}/assess", {"on": yesterday})
    assert codes(response) == ["before_last_assessment"]
    assert Loan.objects.get(pk=book["macet"]).collectibility == 5
    assert everything() == before
    assert codes(staff["officer"].get(f"{loan}/schedule?version=9")) == ["not_found"]
    assert codes(staff["officer"].get(f"{loan}/schedule?version=0")) == ["too_small"]
    assert codes(staff["officer"].get(f"{loan}/settlement-quote?date=31-12-2026")) == [
        "invalid_date"
    ]
    assert codes(staff["officer"].get("/loans/loans?collectibility=6")) == ["too_large"]
    assert codes(staff["officer"].get("/loans/loans?status=lunas")) == ["invalid_choice"]
    assert codes(staff["officer"].get("/loans/applications?status=baru")) == ["invalid_choice"]
    assert codes(staff["officer"].get("/loans/loans/99999999999999999999")) == ["too_large"]
    assert codes(staff["officer"].get("/loans/loans/0")) == ["too_small"]
    # A write-off only for a loan classed Macet.
    before = everything()
    assert codes(staff["officer"].post(f"{loan}/write-off", {"reason": "x"})) == ["not_macet"]
    assert everything() == before


def test_an_assessment_on_a_past_date_classes_the_loan(
    coop, staff, borrower, product, officer, manager
):
    teller_user = make_user("kasir3", coop, Role.TELLER)
    today = business_today(coop)
    loan = disbursed_loan(
        coop, borrower, product, officer, manager, teller_user, on=today - dt.timedelta(days=100)
    )
    response = staff["officer"].post(f"/loans/loans/{loan.pk}/assess", {})
    assert response.status_code == 200, response.json()
    body = response.json()
    # Due 30-ish days after disbursement and unpaid since: 2 (Dalam Perhatian Khusus).
    assert body["collectibility"] == 2
    assert body["days_past_due"] == body["arrears"]["days_past_due"] > 0
    assert body["arrears"]["overdue_instalments"] == 3
    assert body["assessed_on"] == str(today)
    # Penalties accrued; the settlement quote includes them.
    quote = staff["officer"].get(f"/loans/loans/{loan.pk}/settlement-quote").json()
    assert Decimal(quote["penalty"]) > 0
    assert quote["valid_until"] == str(today)  # a daily penalty: valid today only


# ---------------------------------------------------------------- lists


def test_portfolio_filters(coop, staff, borrower, product, officer, manager, teller, admin_user):
    today = business_today(coop)
    current = disbursed_loan(coop, borrower, product, officer, manager, teller, today)
    late = disbursed_loan(
        coop, borrower, product, officer, manager, teller, today - dt.timedelta(days=100)
    )
    loans.assess(cooperative=coop, actor=officer, loan_id=late.pk, on=today)
    other_officer = make_user("petugas2", coop, Role.LOAN_OFFICER)
    other_product = make_product(coop, admin_user, code="LAIN")
    elsewhere = disbursed_loan(
        coop, make_borrower(coop, teller), other_product, other_officer, manager, teller, today
    )
    api = staff["officer"]

    def ids(query=""):
        return [i["id"] for i in api.get(f"/loans/loans{query}").json()["items"]]

    assert ids() == [elsewhere.pk, late.pk, current.pk]  # newest first
    assert ids(f"?product={product.pk}") == [late.pk, current.pk]
    assert ids(f"?officer={other_officer.pk}") == [elsewhere.pk]
    assert ids("?collectibility=2") == [late.pk]
    assert ids("?min_days_past_due=1") == [late.pk]
    assert ids(f"?member={borrower.pk}") == [late.pk, current.pk]
    assert ids("?status=closed") == []
    page = api.get("/loans/loans?limit=2&offset=2").json()
    assert (page["count"], [i["id"] for i in page["items"]]) == (3, [current.pk])
    item = api.get(f"/loans/loans?officer={other_officer.pk}").json()["items"][0]
    assert item == item | {
        "product_code": "LAIN",
        "officer": other_officer.pk,
        "outstanding_principal": "1200000.00",
        "collectibility": 1,
    }


def test_products_are_listed_with_their_terms(staff, borrower_api, product):
    body = staff["officer"].get("/loans/products").json()
    codes_ = [p["code"] for p in body["items"]]
    assert "UJI" in codes_ and {"PU", "PP", "PD"} <= set(codes_)
    uji = staff["officer"].get(f"/loans/products/{product.pk}").json()
    assert uji == uji | {
        "method": "menurun",
        "rate": "1.5",
        "rate_period": "month",
        "min_principal": "100000.00",
        "max_principal": "20000000.00",
        "provisi_pct": "1",
        "admin_fee": "10000.00",
        "penalty_rate": "0.1",
    }
    # A member sees the products open for applications.
    loans.update_product(
        cooperative=product.cooperative, actor=None, product_id=product.pk, is_active=False
    )
    assert product.pk not in [p["id"] for p in borrower_api.get("/loans/products").json()["items"]]
    assert codes(borrower_api.get(f"/loans/products/{product.pk}")) == ["not_found"]
    assert staff["officer"].get(f"/loans/products/{product.pk}").json()["is_active"] is False


def _queries(api, url):
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()


def test_lists_use_a_constant_number_of_queries(coop, staff, borrower, product, officer, manager):
    teller_user = make_user("kasir4", coop, Role.TELLER)
    today = business_today(coop)

    def add(n):
        for _ in range(n):
            disbursed_loan(coop, borrower, product, officer, manager, teller_user, today)

    add(3)
    staff["officer"].get("/loans/products")  # the token's first use is recorded once
    few, body = _queries(staff["officer"], "/loans/loans")
    assert body["count"] == 3
    few_apps, _body = _queries(staff["officer"], "/loans/applications")
    add(27)
    many, body = _queries(staff["officer"], "/loans/loans")
    assert body["count"] == 30 and len(body["items"]) == 30
    assert many == few <= 6
    many_apps, body = _queries(staff["officer"], "/loans/applications")
    assert body["count"] == 30
    assert many_apps == few_apps
    filtered, body = _queries(
        staff["officer"],
        f"/loans/loans?product={product.pk}&member={borrower.pk}&min_days_past_due=0",
    )
    assert body["count"] == 30 and filtered == many


def test_openapi_lists_the_loan_endpoints(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/loans/products",
        "/api/v1/loans/applications/{application_id}/disburse",
        "/api/v1/loans/loans",
        "/api/v1/loans/loans/{loan_id}/repayments",
        "/api/v1/loans/loans/{loan_id}/settlement-quote",
        "/api/v1/loans/loans/transactions/{transaction_id}/reverse",
        "/api/v1/loans/loans/write-offs/{request_id}/decision",
    ):
        assert path in paths, path
    for path in (
        "/api/v1/loans/applications/{application_id}/disburse",
        "/api/v1/loans/loans/{loan_id}/repayments",
        "/api/v1/loans/loans/{loan_id}/payoff",
        "/api/v1/loans/loans/transactions/{transaction_id}/reverse",
        "/api/v1/loans/loans/write-offs/{request_id}/decision",
        "/api/v1/loans/loans/{loan_id}/recoveries",
    ):
        parameters = paths[path]["post"]["parameters"]
        assert any(p["name"] == "Idempotency-Key" for p in parameters), path
