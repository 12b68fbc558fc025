"""Loans over the API, who sees what: another cooperative's ids are 404 and change nothing, a
member's own login sees only their own, and roles without the permission get 403."""

import re

import pytest

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.loans.models import LoanApplication
from koperasi.tenancy.models import IdempotencyRecord, Role
from tests.api.conftest import codes
from tests.api.loans.book import (
    ANALYSIS,
    RESTRUCTURE,
    apply_body,
    build_book,
    everything,
    fill,
    make_borrower,
)
from tests.conftest import make_user
from tests.loans.conftest import approved_application, disbursed_loan

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
        response = api.post(url, fill(body, ids), key="asing")
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
