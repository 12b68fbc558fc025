"""The statements over the API: the same figures as the pages, refusals in the API's shape."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.ledger import services as ledger
from koperasi.tenancy import services as tenancy
from tests.conftest import make_coop
from tests.reports.test_statements import books, entry  # noqa: F401  (fixture)


@pytest.fixture
def api(books, admin_user, client):  # noqa: F811
    token = tenancy.issue_token(cooperative=books, user=admin_user)

    def get(path):
        return client.get(f"/api/v1{path}", HTTP_AUTHORIZATION=f"Bearer {token}")

    return get


def test_balance_sheet_as_of_a_date_with_a_comparison(api):
    response = api("/reports/balance-sheet?as_of=2026-06-30&compare_to=2025-12-31")
    assert response.status_code == 200, response.content
    body = response.json()
    cash = next(r for r in body["rows"] if r["line"] == "cash")
    assert cash["amounts"] == ["14800000.00", "13600000.00"]
    assert [a["code"] for a in cash["accounts"]] == ["1101", "1102"]
    assert body["warnings"] == []


def test_income_statement_keeps_non_members_apart(api):
    body = api("/reports/income-statement?from=2026-01-01&as_of=2026-06-30").json()
    labels = {r["label"]: r["amounts"] for r in body["rows"]}
    assert labels["bagian dari non-anggota (tidak dibagikan)"] == ["175000.00"]


def test_cash_flow_and_equity_and_trial_balance(api):
    assert api("/reports/cash-flow?from=2026-01-01&as_of=2026-06-30").status_code == 200
    assert api("/reports/equity-changes?from=2026-01-01&as_of=2026-06-30").status_code == 200
    tb = api("/reports/trial-balance?as_of=2025-12-31").json()
    assert tb["balanced"] and Decimal(tb["total_debit"]) == Decimal(
        "25900000.00"
    )  # assets + the salary expense


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("as_of=2099-01-01", "date_in_future"),
        ("as_of=2001-01-01", "before_cooperative"),
        ("as_of=0", "invalid"),
        ("as_of=2026-02-30", "invalid"),
    ],
)
def test_dates_the_books_cannot_speak_for_are_a_400(api, query, code):
    for path in ("balance-sheet", "income-statement", "cash-flow", "trial-balance"):
        response = api(f"/reports/{path}?{query}")
        assert response.status_code in (400, 422), (path, response.content)
        detail = response.json()["detail"]
        assert detail and detail[0]["message"]
        if code != "invalid":
            assert detail[0]["code"] == code


def test_another_cooperatives_token_sees_only_its_own_books(api, books, client):  # noqa: F811
    other = make_coop(code="lain", name="KSP Lain")
    from koperasi.tenancy.models import Role
    from tests.conftest import make_user

    user = make_user("lain-admin", other, Role.ADMIN)
    token = tenancy.issue_token(cooperative=other, user=user)
    body = client.get("/api/v1/reports/trial-balance", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["rows"] == [] and body["total_debit"] == "0.00"
    assert ledger.business_today(other) >= dt.date(2026, 1, 1)
