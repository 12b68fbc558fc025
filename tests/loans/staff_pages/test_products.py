"""The loan product pages: a product created and edited with every field, and one above the
rate cap refused."""

from koperasi.loans.models import LoanProduct
from tests.loans.staff_pages.conftest import (
    D,
    as_user,
    url,
)

# --- products ---------------------------------------------------------------------------------


def product_data(**overrides):
    data = {
        "code": "ms",
        "name": "Pinjaman Musiman",
        "method": "flat",
        "rate": "1,25",
        "rate_period": "month",
        "frequency": "monthly",
        "rounding": "100",
        "min_term": "3",
        "max_term": "12",
        "max_grace_periods": "2",
        "min_principal": "500.000",
        "max_principal": "20.000.000",
        "provisi_pct": "1",
        "admin_fee": "15.000",
        "fee_mode": "deducted",
        "penalty_kind": "pct_month",
        "penalty_rate": "2",
        "penalty_flat": "0",
        "penalty_grace_days": "5",
        "penalty_cap_pct": "10",
        "min_membership_months": "6",
        "max_savings_multiple": "5",
        "max_instalment_income_pct": "35",
        "requires_collateral": "on",
        "min_collateral_pct": "50",
        "min_guarantors": "1",
        "allocation_order": "interest,penalty,principal",
        "early_payoff": "full_interest",
        "early_payoff_fee_pct": "0,5",
        "overpayment": "savings",
        "accounting": "accrual",
        "is_active": "on",
    }
    data.update(overrides)
    return data


def test_products_are_created_and_edited_with_every_field(client, coop, admin_user):
    as_user(client, admin_user)
    page = client.get(url(coop, "product_new"))
    assert [str(label) for label, _fields in page.context["form"].groups()] == [
        "Terms",
        "Fees",
        "Penalty",
        "Eligibility",
        "Repayment, early payoff and overpayment",
        "Accounting",
    ]
    response = client.post(url(coop, "product_new"), product_data())
    assert response.status_code == 302
    product = LoanProduct.objects.get(cooperative=coop, code="MS")
    assert (product.rate, product.max_principal, product.admin_fee) == (
        D("1.25"),
        D("20000000"),
        D("15000"),
    )
    assert product.allocation_order == "interest,penalty,principal"
    assert product.early_payoff_fee_pct == D("0.5") and product.requires_collateral
    assert product.accounting == "accrual" and product.overpayment == "savings"
    edit = url(coop, "product_edit", product_id=product.pk)
    page = client.get(edit)
    assert page.context["form"].initial["rate"] == "1,25"
    assert page.context["form"].initial["max_principal"] == "20.000.000"
    data = product_data(rate="1,5", is_active="")
    del data["code"]
    assert client.post(edit, data).status_code == 302
    product.refresh_from_db()
    assert product.rate == D("1.5") and not product.is_active
    assert "MS" in client.get(url(coop, "products")).content.decode()


def test_a_product_above_the_rate_cap_is_refused(client, coop, admin_user):
    as_user(client, admin_user)
    response = client.post(url(coop, "product_new"), product_data(rate="2,5"))
    assert response.status_code == 400
    assert "loan rate cap of 24% a year" in " ".join(response.context["form"].errors["rate"])
    assert 'value="2,5"' in response.content.decode()
    assert not LoanProduct.objects.filter(cooperative=coop, code="MS").exists()
    response = client.post(url(coop, "product_new"), product_data(max_principal="1.2.3"))
    assert response.status_code == 400
    assert "max_principal" in response.context["form"].errors
