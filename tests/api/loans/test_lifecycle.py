"""Loans over the API: the lifecycle end to end with exact amounts, and the workout
(reversal, restructuring, write-off, recovery)."""

from decimal import Decimal

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.tenancy.models import Role
from tests.api.conftest import codes
from tests.api.loans.book import (
    ANALYSIS,
    apply_body,
    balance,
    check_books,
    macet_loan,
)
from tests.conftest import make_user, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

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
