"""Loans over the API: bad input is refused with its field and changes nothing."""

import datetime as dt
from decimal import Decimal

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import (
    Loan,
    LoanApplication,
)
from koperasi.tenancy.models import IdempotencyRecord, Role
from tests.api.conftest import codes
from tests.api.loans.book import (
    ANALYSIS,
    RESTRUCTURE,
    apply_body,
    everything,
)
from tests.conftest import make_user
from tests.loans.conftest import approved_application, disbursed_loan

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
