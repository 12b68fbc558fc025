"""Loans over the API: the portfolio and product lists, their query count, and the OpenAPI
listing of the loan endpoints."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.tenancy.models import Role
from tests.api.conftest import codes
from tests.api.loans.book import (
    make_borrower,
    make_product,
)
from tests.conftest import make_user
from tests.loans.conftest import disbursed_loan

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
