"""One amount parser for every form (issue 12 point 13): the formats its hint names are read on
real pages, anything else is refused with a message saying what is accepted, in Indonesian, and
the books stay as they were; service refusals show amounts as "Rp 1.250.000"."""

import ast
import html
import pathlib
import uuid
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse

import koperasi
from koperasi.common.forms import RupiahField
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.members import services as members
from koperasi.savings.models import SavingsProduct
from koperasi.tenancy.models import Cooperative
from tests.conftest import PASSWORD, books_snapshot
from tests.web.form_catalogue import form_classes, form_fields

D = Decimal

# What a person may type, and what it means (the four forms issue 12 names).
FORMATS = [
    ("50000", D("50000")),
    ("50000.00", D("50000")),
    ("1.250.000", D("1250000")),
    ("1.250.000,50", D("1250000.50")),
]
# The hint every amount field shows, and the message for what is none of its forms.
HINT_ID = "Contoh: 50000, 1.250.000 atau 1.250.000,50 (juga 1250000.50)."
INVALID_ID = "Tulis jumlah seperti 50000, 1.250.000 atau 1.250.000,50 (juga 1250000.50)"
TOO_LARGE_ID = "Jumlah paling banyak Rp 999.999.999.999.999.999,99."


def shows(response, text):
    return html.escape(text) in response.content.decode()


def teller_url(coop, member):
    return reverse("savings:teller", kwargs={"code": coop.code}) + f"?member={member.pk}"


def deposit(client, coop, member, account, amount):
    return client.post(
        teller_url(coop, member),
        {
            "action": "deposit",
            "member": member.pk,
            "deposit-account": account.pk,
            "deposit-amount": amount,
            "deposit-note": "",
            "deposit-idempotency_key": str(uuid.uuid4()),
        },
    )


@pytest.mark.parametrize(("typed", "value"), FORMATS)
def test_every_format_of_the_hint_deposits_that_amount(
    client, coop, teller, member, funded_sukarela, typed, value
):
    client.force_login(teller)
    response = deposit(client, coop, member, funded_sukarela, typed)
    assert response.status_code == 302
    funded_sukarela.refresh_from_db()
    assert funded_sukarela.balance == D("500000") + value


def test_the_teller_form_shows_the_hint(client, coop, teller, member, funded_sukarela):
    client.force_login(teller)
    page = client.get(teller_url(coop, member))
    assert shows(page, HINT_ID)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1,250,000.50", INVALID_ID),  # English grouping: not guessed
        ("12.50.000", INVALID_ID),  # dots that do not group thousands
        ("lima puluh ribu", INVALID_ID),
        ("1.250.000,505", "Paling banyak dua angka sen, misalnya 1.250.000,50 atau 1250000.50."),
        ("1.000.000.000.000.000.000", TOO_LARGE_ID),
    ],
)
def test_a_wrong_amount_says_what_is_accepted_and_changes_nothing(
    client, coop, teller, member, funded_sukarela, typed, message
):
    client.force_login(teller)
    before = books_snapshot(coop)
    response = deposit(client, coop, member, funded_sukarela, typed)
    assert response.status_code == 400
    assert shows(response, message)
    assert shows(response, HINT_ID)  # the hint stays beside the field
    assert books_snapshot(coop) == before


@pytest.mark.parametrize(("typed", "value"), FORMATS)
def test_settings_amounts_read_every_format(client, coop, admin_user, typed, value):
    client.force_login(admin_user)
    data = {
        "name": coop.name,
        "kind": coop.kind,
        "level": coop.level,
        "time_zone": coop.time_zone,
        "fiscal_year_start_month": str(coop.fiscal_year_start_month),
        "pokok_amount": "100.000",
        "wajib_amount": typed,
        "savings_rate_cap": "9",
        "loan_rate_cap": "24",
        "related_party_cap_pct": "10",
        "loan_manager_approval_limit": "50.000.000",
        "collectibility_regime": coop.collectibility_regime,
    }
    response = client.post(reverse("settings:settings", kwargs={"code": coop.code}), data)
    assert response.status_code == 302
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == value


def test_a_wrong_settings_amount_says_what_is_accepted(client, coop, admin_user):
    client.force_login(admin_user)
    ss = SavingsProduct.objects.get(cooperative=coop, code="SS")
    page = reverse("settings:product_edit", kwargs={"code": coop.code, "product_id": ss.pk})
    assert shows(client.get(page), HINT_ID)
    data = {"name": ss.name, "annual_rate": "3", "minimum_balance": "10.000.00", "is_active": "on"}
    response = client.post(page, data)
    assert response.status_code == 400
    assert shows(response, INVALID_ID)
    ss.refresh_from_db()
    assert ss.minimum_balance == D("0")


@pytest.mark.parametrize(("typed", "value"), FORMATS)
def test_manual_entries_read_every_format(client, coop, accountant, typed, value):
    client.force_login(accountant)
    data = {
        "business_date": ledger.business_today(coop).isoformat(),
        "memo": "Beli alat tulis",
        "idempotency_key": str(uuid.uuid4()),
        "account_1": "5202",
        "debit_1": typed,
        "credit_1": "",
        "account_2": "1101",
        "debit_2": "",
        "credit_2": typed,
    }
    response = client.post(reverse("ledger:new_entry", kwargs={"code": coop.code}), data)
    assert response.status_code == 302
    assert Account.objects.get(cooperative=coop, code="5202").balance == value


def test_an_unbalanced_entry_names_its_totals_in_rupiah(client, coop, accountant):
    client.force_login(accountant)
    data = {
        "business_date": ledger.business_today(coop).isoformat(),
        "memo": "Beli alat tulis",
        "idempotency_key": str(uuid.uuid4()),
        "account_1": "5202",
        "debit_1": "1.250.000",
        "account_2": "1101",
        "credit_2": "1.200.000,50",
    }
    before = books_snapshot(coop)
    response = client.post(reverse("ledger:new_entry", kwargs={"code": coop.code}), data)
    assert response.status_code == 400
    assert shows(response, "Total debit (Rp 1.250.000) dan kredit (Rp 1.200.000,50) harus sama.")
    assert books_snapshot(coop) == before


def test_a_refused_withdrawal_names_the_limit_in_rupiah(
    client, coop, teller, member, funded_sukarela
):
    client.force_login(teller)
    before = books_snapshot(coop)
    response = client.post(
        teller_url(coop, member),
        {
            "action": "withdraw",
            "member": member.pk,
            "withdraw-account": funded_sukarela.pk,
            "withdraw-amount": "1.250.000",
            "withdraw-note": "",
            "withdraw-idempotency_key": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 400
    assert shows(response, "Rp 500.000")
    assert "500000.00" not in response.content.decode()
    assert books_snapshot(coop) == before


def test_the_member_interest_simulation_reads_every_format(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    product = SavingsProduct.objects.get(cooperative=coop, kind="sukarela")
    for typed, _value in FORMATS:
        response = client.get(
            "/saya/simulasi-jasa-simpanan/",
            {
                "product": product.pk,
                "balance": typed,
                "change_day_1": "10",
                "change_balance_1": typed,
            },
        )
        assert response.status_code == 200, typed
        assert response.context["result"] is not None
    response = client.get(
        "/saya/simulasi-jasa-simpanan/", {"product": product.pk, "balance": "1,000,000"}
    )
    assert response.status_code == 400
    assert shows(response, INVALID_ID)  # Indonesian, not the domain's English


# --- every amount field of every form is a RupiahField -----------------------------------------


def test_every_amount_field_is_a_rupiah_field_with_the_hint(db):
    checked = []
    for form_class in form_classes():
        for name, field in form_fields(form_class).items():
            label = str(field.label or "")
            money = "(Rp)" in label or "Rp)" in label or name.endswith(("amount", "balance"))
            money = money or name in ("principal", "debit_1", "credit_1", "monthly_income")
            if not money or isinstance(field, forms.ChoiceField | forms.BooleanField):
                continue
            where = f"{form_class.__module__}.{form_class.__name__}.{name}"
            assert isinstance(field, RupiahField), where
            assert "1.250.000,50" in str(field.help_text), where
            checked.append(where)
    assert len(checked) >= 25, checked  # savings, loans, settings, ledger, portal forms


def test_no_form_or_view_parses_an_amount_another_way():
    """Only `clean_rupiah` (through RupiahField) reads a typed amount in the web layer."""
    root = pathlib.Path(koperasi.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if not path.name.endswith(("forms.py", "views.py")) or path == root / "common" / "forms.py":
            continue  # common/forms.py holds clean_rupiah itself
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in ("parse_rupiah_input", "parse_amount", "float"):
                    offenders.append(f"{path.relative_to(root)}:{node.lineno} {name}")
                # Decimal() of what was typed (a form's or a request's data)
                if name == "Decimal" and node.args:
                    source = ast.unparse(node.args[0])
                    if "cleaned_data" in source or "request" in source or "data[" in source:
                        offenders.append(f"{path.relative_to(root)}:{node.lineno} {name}")
    assert offenders == []
