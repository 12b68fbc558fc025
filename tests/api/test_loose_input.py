"""Issue 12 point 7: the API takes numbers and dates in one plain spelling only, and refuses the
rest with a 4xx in the `{"detail": [...]}` shape, in the caller's language, changing nothing.

- Amounts and rates: ASCII digits only ("١٠", full-width "１０" are refused); every amount goes
  through the service's `parse_amount`.
- Whole numbers: in the address, ASCII digits (no "+1", " 1", "1_0", "1.0"); in a JSON body,
  JSON integers (no "12", 12.0 or true); flags are JSON true/false.
- Dates, in a query or a body: ISO strings YYYY-MM-DD from 1900-01-01 to 2999-12-31 (no 0,
  which was 1970-01-01); a settlement quote from the disbursement to a year after today.
- A number that fits its field but not the books' columns gets a message that says so.
"""

import datetime as dt

import pytest

from koperasi.ledger.services import business_today
from koperasi.loans.models import Loan
from tests.api.conftest import codes
from tests.api.loans.book import build_book, everything
from tests.api.loans.conftest import (  # noqa: F401  (fixtures)
    manager,
    officer,
    staff,
)

# A settlement quote may be asked for up to a year after the business date.
QUOTE_HORIZON = dt.timedelta(days=366)
OTHER_SCRIPTS = ["١٠٠٠٠", "１０００００", "10٠٠٠", "۱۲۳۴۵", "१२३४५"]


@pytest.fixture
def book(coop, officer, manager, teller, admin_user):  # noqa: F811
    return build_book(coop, officer, manager, teller, admin_user)


def _amount_requests(book, value):
    """(role, method, path, body) for every request body that carries an amount or a rate."""
    simulate = {
        "principal": "1000000",
        "rate": "1.5",
        "rate_period": "month",
        "months": 12,
        "method": "flat",
    }
    restructure = {
        "kind": "reconditioning",
        "new_term": 12,
        "new_rate": value,
        "new_rate_period": "month",
        "new_method": "flat",
        "reason": "x",
    }
    apply = {
        "member_id": book["member"],
        "product_id": book["product"],
        "principal": value,
        "term": 12,
        "purpose": "Modal",
    }
    loan, sukarela = book["loan"], book["sukarela"]
    return [
        ("teller", f"/savings/accounts/{sukarela}/deposits", {"amount": value}),
        ("teller", f"/savings/accounts/{sukarela}/withdrawals", {"amount": value}),
        (
            "teller",
            "/savings/transfers",
            {"from_account": sukarela, "to_account": sukarela, "amount": value},
        ),
        ("officer", "/loans/simulate", {**simulate, "principal": value}),
        ("officer", "/loans/simulate", {**simulate, "rate": value}),
        ("officer", "/loans/applications", apply),
        ("officer", f"/loans/applications/{book['submitted']}/analysis", {"monthly_income": value}),
        (
            "officer",
            f"/loans/applications/{book['submitted']}/analysis",
            {"monthly_income": "5000000", "monthly_expenses": value},
        ),
        (
            "officer",
            f"/loans/applications/{book['submitted']}/analysis",
            {"monthly_income": "5000000", "other_instalments": value},
        ),
        (
            "officer",
            f"/loans/applications/{book['submitted']}/analysis",
            {
                "monthly_income": "5000000",
                "collaterals": [{"kind": "bpkb", "description": "Motor", "value": value}],
            },
        ),
        ("teller", f"/loans/loans/{loan}/repayments", {"amount": value}),
        ("teller", f"/loans/loans/{loan}/payoff", {"amount": value}),
        ("teller", f"/loans/loans/{book['written_off']}/recoveries", {"amount": value}),
        ("officer", f"/loans/loans/{loan}/restructurings", restructure),
    ]


@pytest.mark.parametrize("value", OTHER_SCRIPTS)
def test_amounts_and_rates_in_other_scripts_are_refused(staff, book, value):  # noqa: F811
    before = everything()
    for n, (role, path, body) in enumerate(_amount_requests(book, value)):
        response = staff[role].post(path, body, key=f"digits-{n}")
        assert codes(response), (path, body)
        english = staff[role].post(path, body, key=f"digits-{n}", HTTP_ACCEPT_LANGUAGE="en")
        assert english.json()["detail"][0]["message"] != response.json()["detail"][0]["message"]
    assert everything() == before


@pytest.mark.parametrize(
    "path",
    [
        "/members?limit=١٠",
        "/members?limit=１０",
        "/members?limit=+10",
        "/members?limit=%2010",
        "/members?limit=1_0",
        "/members?limit=10.0",
        "/members?offset=١",
        "/members/%D9%A1",
        "/savings/accounts?member=1.0",
        "/savings/accounts/%EF%BC%91",
        "/loans/loans?collectibility=٣",
        "/loans/loans?min_days_past_due=1e3",
        "/loans/loans/1/schedule?version=+1",
    ],
)
def test_numbers_in_the_address_are_plain_ascii_digits(staff, book, path):  # noqa: F811
    codes(staff["manager"].get(path))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/loans/simulate", {"months": "12"}),
        ("/loans/simulate", {"months": 12.0}),
        ("/loans/simulate", {"months": True}),
        ("/loans/simulate", {"grace_periods": "0"}),
        ("/loans/simulate", {"skip_holidays": "yes"}),
        ("/loans/simulate", {"skip_holidays": 1}),
    ],
)
def test_numbers_and_flags_in_a_body_are_json_integers_and_booleans(anon, db, path, body):
    base = {"principal": "1000000", "rate": "1.5", "rate_period": "month", "months": 12}
    response = anon.post(path, {**base, "method": "flat", **body})
    assert response.status_code == 422, response.json()
    assert codes(response) == ["invalid"]
    assert response.json()["detail"][0]["field"] == next(iter(body))


def test_ids_terms_and_decisions_in_a_body_are_json_values(staff, book):  # noqa: F811
    before = everything()
    sukarela = book["sukarela"]
    transfer = {"from_account": sukarela, "to_account": sukarela, "amount": "1000"}
    apply = {
        "member_id": book["member"],
        "product_id": book["product"],
        "principal": "1200000",
        "purpose": "Modal",
    }
    decision = f"/loans/loans/restructurings/{book['restructuring']}/decision"
    disburse = f"/loans/applications/{book['application']}/disburse"
    refused = [
        ("teller", "/savings/transfers", {**transfer, "from_account": str(sukarela)}),
        ("teller", "/savings/transfers", {**transfer, "to_account": float(sukarela)}),
        ("officer", "/loans/applications", {**apply, "term": "12"}),
        ("officer", "/loans/applications", {**apply, "term": 12.0}),
        ("officer", "/loans/applications", {**apply, "term": True}),
        ("manager", decision, {"approve": "true"}),
        ("manager", decision, {"approve": 1}),
        ("teller", disburse, {"to": "savings", "autodebit": "on"}),
    ]
    for n, (role, path, body) in enumerate(refused):
        response = staff[role].post(path, body, key=f"body-{n}")
        assert response.status_code == 422, (path, body, response.json())
        assert codes(response) == ["invalid"], (path, body, response.json())
    assert everything() == before


DATE_REFUSALS = [
    ("0", "invalid_date"),
    ("1700000000", "invalid_date"),
    ("2026-1-5", "invalid_date"),
    ("2026-02-30", "invalid_date"),
    ("05-01-2026", "invalid_date"),
    ("0001-01-01", "date_out_of_range"),
    ("1899-12-31", "date_out_of_range"),
    ("3000-01-01", "date_out_of_range"),
    ("9999-12-31", "date_out_of_range"),
]


@pytest.mark.parametrize(("value", "code"), DATE_REFUSALS)
def test_dates_in_queries_are_iso_strings_within_range(staff, book, value, code):  # noqa: F811
    paths = [
        f"/savings/accounts/{book['sukarela']}/statement?from={value}",
        f"/savings/accounts/{book['sukarela']}/statement?to={value}",
        f"/ledger/entries?from={value}",
        f"/ledger/trial-balance?as_of={value}",
        f"/loans/loans/{book['loan']}/settlement-quote?date={value}",
    ]
    for path in paths:
        role = "manager" if "ledger" not in path else "admin"
        response = staff[role].get(path)
        assert codes(response) == [code], (path, response.json())
        english = staff[role].get(path, HTTP_ACCEPT_LANGUAGE="en").json()["detail"][0]
        assert english["message"] in (
            "Enter the date as YYYY-MM-DD.",
            "Enter a date between 1900-01-01 and 2999-12-31.",
        )
        assert response.json()["detail"][0]["message"] != english["message"]


@pytest.mark.parametrize(("value", "code"), DATE_REFUSALS)
def test_dates_in_bodies_are_iso_strings_within_range(staff, book, value, code):  # noqa: F811
    before = everything()
    simulate = {
        "principal": "1000000",
        "rate": "1.5",
        "rate_period": "month",
        "months": 12,
        "method": "flat",
    }
    for role, path, body in [
        ("officer", f"/loans/loans/{book['loan']}/assess", {"on": value}),
        ("officer", "/loans/simulate", {**simulate, "start": value}),
        ("admin", "/members", {"name": "Uji", "birth_date": value}),
        ("admin", f"/members/{book['member']}", {"birth_date": value}),
    ]:
        send = staff[role].patch if path.startswith("/members/") else staff[role].post
        response = send(path, body)
        assert code in codes(response), (path, response.json())
    # A JSON number is not a date either (0 was 1970-01-01).
    response = staff["officer"].post(f"/loans/loans/{book['loan']}/assess", {"on": 0})
    assert codes(response) == ["invalid_date"]
    assert everything() == before


def test_a_settlement_quote_runs_from_the_disbursement_to_a_year_ahead(coop, staff, book):  # noqa: F811
    loan = Loan.objects.get(pk=book["loan"])
    url = f"/loans/loans/{loan.pk}/settlement-quote"
    today = business_today(coop)
    assert staff["officer"].get(url).json()["as_of"] == str(today)
    last = today + QUOTE_HORIZON
    assert staff["officer"].get(f"{url}?date={last}").status_code == 200
    assert staff["officer"].get(f"{url}?date={loan.disbursed_on}").status_code == 200
    for day in (loan.disbursed_on - dt.timedelta(days=1), last + dt.timedelta(days=1)):
        response = staff["officer"].get(f"{url}?date={day}")
        assert codes(response) == ["quote_date_out_of_range"], day
        assert response.json()["detail"][0]["field"] == "date"
        english = staff["officer"].get(f"{url}?date={day}", HTTP_ACCEPT_LANGUAGE="en").json()
        assert english["detail"][0]["message"] == (
            f"A settlement quote is for a day from {loan.disbursed_on} (the disbursement) "
            f"to {last}."
        )


def test_an_amount_too_large_for_the_books_says_so(api_as, coop, teller, funded_sukarela):
    api = api_as(teller, coop)
    before = everything()
    # It fits an amount (below Rp 10^18), but not the balance it would make.
    body = {"amount": "999999999999999999.99"}
    url = f"/savings/accounts/{funded_sukarela.pk}/deposits"
    response = api.post(url, body, key="besar-1")
    english = api.post(url, body, key="besar-1", HTTP_ACCEPT_LANGUAGE="en")
    assert codes(response) == codes(english)
    assert codes(response)[0] in ("too_large", "too_large_for_sqlite")
    message = english.json()["detail"][0]["message"]
    assert message != "Enter a valid value."
    assert "too large" in message or "PostgreSQL" in message
    assert everything() == before
