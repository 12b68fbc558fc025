"""The administrator's settings pages under /k/<code>/pengaturan/."""

import html
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.savings.models import SavingsProduct
from koperasi.tenancy.models import Cooperative, Role, StaffMembership
from tests.conftest import PASSWORD, books_snapshot, make_user

D = Decimal
STRONG = "kopi-flores-2026!"


def url(coop, name, **kwargs):
    return reverse(f"settings:{name}", kwargs={"code": coop.code, **kwargs})


def shows(response, text):
    return html.escape(str(text)).encode() in response.content


@pytest.fixture
def en_client(english_client):
    """A user who chose English, so the tests can read the messages."""
    return english_client


@pytest.fixture
def admin_client(en_client, admin_user):
    en_client.force_login(admin_user)
    return en_client


def logs_in(browser, username, password):
    # Through the login page: the lockout backend wants a real request.
    response = browser.post("/login/", {"username": username, "password": password})
    return response.status_code == 302


def product(coop, code):
    return SavingsProduct.objects.get(cooperative=coop, code=code)


def all_pages(coop):
    return [
        url(coop, "settings"),
        url(coop, "staff"),
        url(coop, "products"),
        url(coop, "product_edit", product_id=product(coop, "SS").pk),
        url(coop, "account_edit", account_code="5202"),
    ]


def settings_data(coop, **overrides):
    data = {
        "name": coop.name,
        "kind": coop.kind,
        "level": coop.level,
        "legal_entity_number": "",
        "legal_entity_date": "",
        "nik_koperasi": "",
        "address": "",
        "time_zone": coop.time_zone,
        "fiscal_year_start_month": str(coop.fiscal_year_start_month),
        "closed_loop": "on",
        "pokok_amount": "100.000",
        "wajib_amount": "50.000",
        "savings_rate_cap": "9",
        "loan_rate_cap": "24",
        "related_party_cap_pct": "10",
        "loan_manager_approval_limit": "50.000.000",
        "collectibility_regime": "bank",
    }
    data.update(overrides)
    return data


# --- who may open the pages -------------------------------------------------------------------


def test_admin_opens_every_settings_page(admin_client, coop):
    for page in all_pages(coop):
        assert admin_client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", [Role.TELLER, Role.SUPERVISOR, Role.MANAGER, Role.LOAN_OFFICER])
def test_other_roles_are_forbidden(client, coop, role):
    client.force_login(make_user(f"u-{role}", coop, role))
    for page in all_pages(coop):
        assert client.get(page).status_code == 403, page
        assert client.post(page, {"name": "Diambil"}).status_code == 403, page
    assert Cooperative.objects.get(pk=coop.pk).name == coop.name


def test_accountant_may_edit_accounts_but_not_settings(client, coop, accountant):
    client.force_login(accountant)
    assert client.get(url(coop, "account_edit", account_code="5202")).status_code == 200
    for page in all_pages(coop)[:4]:
        assert client.get(page).status_code == 403, page


def test_another_cooperatives_admin_gets_not_found(client, coop, other_coop):
    client.force_login(make_user("lain.admin", other_coop, Role.ADMIN))
    before = model_to_dict(Cooperative.objects.get(pk=coop.pk))
    for page in all_pages(coop):
        assert client.get(page).status_code == 404, page
    response = client.post(url(coop, "settings"), settings_data(coop, name="Diambil alih"))
    assert response.status_code == 404
    assert model_to_dict(Cooperative.objects.get(pk=coop.pk)) == before


def test_anonymous_visitors_are_sent_to_login(client, coop):
    for page in all_pages(coop):
        response = client.get(page)
        assert response.status_code == 302 and "/login/" in response["Location"], page


def test_settings_link_in_the_menu_for_admins_only(client, coop, admin_user, teller):
    link = url(coop, "settings").encode()
    client.force_login(admin_user)
    assert link in client.get(reverse("dashboard", kwargs={"code": coop.code})).content
    client.force_login(teller)
    assert link not in client.get(reverse("dashboard", kwargs={"code": coop.code})).content


# --- the cooperative's settings ---------------------------------------------------------------


def test_settings_form_shows_current_values(admin_client, coop):
    response = admin_client.get(url(coop, "settings"))
    assert shows(response, coop.name)
    assert b'value="100.000"' in response.content and b'value="9"' in response.content


def test_save_settings(admin_client, coop):
    data = settings_data(
        coop,
        name="KSP Pintu Air",
        time_zone="Asia/Makassar",
        savings_rate_cap="7,5",
        wajib_amount="Rp 25.000",
        legal_entity_date="2020-08-17",
        closed_loop="",
    )
    response = admin_client.post(url(coop, "settings"), data)
    assert response.status_code == 302
    saved = Cooperative.objects.get(pk=coop.pk)
    assert saved.name == "KSP Pintu Air" and saved.time_zone == "Asia/Makassar"
    assert saved.savings_rate_cap == D("7.5") and saved.wajib_amount == D("25000")
    assert saved.closed_loop is False
    assert shows(admin_client.get(response["Location"]), "The cooperative's settings were saved.")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"savings_rate_cap": "12"}, "Permenkop 8/2023 allows at most 9 % a year."),
        ({"loan_rate_cap": "30"}, "Permenkop 8/2023 allows at most 24 % a year."),
        ({"related_party_cap_pct": "150"}, "A cap is more than 0 and at most 100 %."),
        ({"loan_rate_cap": "12"}, "Product PP charges 18 % a year; lower its rate first."),
        ({"collectibility_regime": "bpr"}, "Select a valid choice."),
        ({"wajib_amount": "lima puluh"}, "Enter the amount like 50000"),
        ({"name": ""}, "This field is required."),
        ({"savings_rate_cap": "2"}, "Product SB12 pays 6 %; lower its rate first."),
    ],
)
def test_bad_settings_are_refused_with_the_reason(admin_client, coop, overrides, message):
    before = model_to_dict(Cooperative.objects.get(pk=coop.pk))
    response = admin_client.post(
        url(coop, "settings"), settings_data(coop, **{"name": "Tidak tersimpan", **overrides})
    )
    assert response.status_code == 400
    assert shows(response, message)
    assert model_to_dict(Cooperative.objects.get(pk=coop.pk)) == before


def test_pokok_is_read_only_once_paid(admin_client, coop, member):
    response = admin_client.get(url(coop, "settings"))
    assert b'name="pokok_amount"' in response.content and b"disabled" in response.content
    snapshot = books_snapshot(coop)
    # A crafted value for the disabled field is ignored; the rest of the form still saves.
    response = admin_client.post(
        url(coop, "settings"), settings_data(coop, pokok_amount="500.000", wajib_amount="60.000")
    )
    assert response.status_code == 302
    saved = Cooperative.objects.get(pk=coop.pk)
    assert saved.pokok_amount == D("100000") and saved.wajib_amount == D("60000")
    assert books_snapshot(coop) == snapshot


# --- staff ------------------------------------------------------------------------------------


def test_staff_list(admin_client, coop, teller, supervisor, other_coop):
    make_user("lain.kasir", other_coop, Role.TELLER)
    response = admin_client.get(url(coop, "staff"))
    assert response.status_code == 200
    for name in (b"admin", b"kasir", b"pengawas"):
        assert name in response.content
    assert b"lain.kasir" not in response.content


def test_staff_list_query_count_does_not_grow(admin_client, coop):
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url(coop, "staff"))
    for i in range(8):
        make_user(f"staf{i}", coop, Role.TELLER)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url(coop, "staff"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_add_staff_member_who_can_then_log_in(admin_client, coop):
    data = {
        "username": "maria.kasir",
        "full_name": "Maria Lewa",
        "role": "teller",
        "password": STRONG,
    }
    response = admin_client.post(url(coop, "staff"), data)
    assert response.status_code == 302
    membership = StaffMembership.objects.get(cooperative=coop, user__username="maria.kasir")
    assert membership.role == Role.TELLER and membership.user.first_name == "Maria Lewa"
    browser = Client()
    assert logs_in(browser, "maria.kasir", STRONG)
    assert browser.get(reverse("members:list", kwargs={"code": coop.code})).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"username": "lain.admin"}, "This user name is taken."),
        ({"password": "password123"}, "This password is too common."),
        ({"password": "pendek"}, "This password is too short."),
        ({"full_name": ""}, "This field is required."),
        ({"role": "owner"}, "Select a valid choice."),
    ],
)
def test_add_staff_refusals(admin_client, coop, other_coop, overrides, message):
    make_user("lain.admin", other_coop, Role.ADMIN)
    data = {
        "username": "maria.kasir",
        "full_name": "Maria Lewa",
        "role": "teller",
        "password": STRONG,
        **overrides,
    }
    before = StaffMembership.objects.count()
    response = admin_client.post(url(coop, "staff"), data)
    assert response.status_code == 400
    assert shows(response, message)
    assert StaffMembership.objects.count() == before
    assert not StaffMembership.objects.filter(cooperative=coop, user__username="lain.admin")


def membership(coop, user):
    return StaffMembership.objects.get(cooperative=coop, user=user)


def test_change_role(admin_client, coop, teller):
    mid = membership(coop, teller).pk
    response = admin_client.post(url(coop, "staff_role", membership_id=mid), {"role": "manager"})
    assert response.status_code == 302
    assert membership(coop, teller).role == Role.MANAGER


def test_last_admin_cannot_step_down(admin_client, coop, admin_user):
    mid = membership(coop, admin_user).pk
    response = admin_client.post(url(coop, "staff_role", membership_id=mid), {"role": "teller"})
    assert response.status_code == 400
    assert shows(response, "This is the cooperative's last active administrator")
    assert membership(coop, admin_user).role == Role.ADMIN


def test_deactivate_and_reactivate(admin_client, coop, teller):
    mid = membership(coop, teller).pk
    page = url(coop, "staff_active", membership_id=mid)
    assert admin_client.post(page, {"is_active": "0"}).status_code == 302
    assert membership(coop, teller).is_active is False
    browser = Client()
    browser.force_login(teller)
    assert browser.get(reverse("members:list", kwargs={"code": coop.code})).status_code == 404
    assert admin_client.post(page, {"is_active": "1"}).status_code == 302
    assert browser.get(reverse("members:list", kwargs={"code": coop.code})).status_code == 200


def test_admin_cannot_deactivate_themself(admin_client, coop, admin_user):
    make_user("admin2", coop, Role.ADMIN)
    mid = membership(coop, admin_user).pk
    response = admin_client.post(url(coop, "staff_active", membership_id=mid), {"is_active": "0"})
    assert response.status_code == 400
    assert shows(response, "You cannot deactivate yourself.")
    assert membership(coop, admin_user).is_active


def test_staff_of_another_cooperative_cannot_be_touched(admin_client, coop, other_coop):
    stranger = make_user("lain.kasir", other_coop, Role.TELLER)
    mid = membership(other_coop, stranger).pk
    for name, data in (
        ("staff_role", {"role": "admin"}),
        ("staff_active", {"is_active": "0"}),
        ("staff_password", {"password": STRONG}),
    ):
        assert admin_client.post(url(coop, name, membership_id=mid), data).status_code == 404
    stranger.refresh_from_db()
    assert stranger.check_password(PASSWORD)
    assert (
        membership(other_coop, stranger).is_active
        and membership(other_coop, stranger).role == Role.TELLER
    )


def test_row_actions_need_post(admin_client, coop, teller):
    mid = membership(coop, teller).pk
    assert admin_client.get(url(coop, "staff_active", membership_id=mid)).status_code == 405


def test_reset_password(admin_client, coop, teller):
    mid = membership(coop, teller).pk
    response = admin_client.post(
        url(coop, "staff_password", membership_id=mid), {"password": STRONG}
    )
    assert response.status_code == 302
    assert logs_in(Client(), "kasir", STRONG)
    assert not logs_in(Client(), "kasir", PASSWORD)


def test_reset_own_password_keeps_the_session(admin_client, coop, admin_user):
    mid = membership(coop, admin_user).pk
    response = admin_client.post(
        url(coop, "staff_password", membership_id=mid), {"password": STRONG}
    )
    assert response.status_code == 302
    assert admin_client.get(url(coop, "staff")).status_code == 200


def test_weak_reset_password_is_refused(admin_client, coop, teller):
    mid = membership(coop, teller).pk
    response = admin_client.post(
        url(coop, "staff_password", membership_id=mid), {"password": "12345678"}
    )
    assert response.status_code == 400
    assert shows(response, "This password is too common.")
    teller.refresh_from_db()
    assert teller.check_password(PASSWORD)


# --- savings products -------------------------------------------------------------------------


def test_products_page_lists_products(admin_client, coop):
    response = admin_client.get(url(coop, "products"))
    for code in (b"SP", b"SW", b"SS", b"SB12"):
        assert code in response.content
    assert b"3101" in response.content  # the GL account of simpanan pokok


def test_create_product(admin_client, coop):
    data = {
        "code": "sb6",
        "name": "Simpanan Berjangka 6 Bulan",
        "kind": "berjangka",
        "annual_rate": "5,5",
        "interest_method": "harian",
        "term_months": "6",
        "minimum_balance": "1.000.000",
        "accounting_class": "",
    }
    response = admin_client.post(url(coop, "products"), data)
    assert response.status_code == 302
    created = product(coop, "SB6")
    assert created.annual_rate == D("5.5") and created.term_months == 6
    assert created.minimum_balance == D("1000000") and created.accounting_class == "liability"
    assert created.gl_account.code == "2102"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"annual_rate": "12"}, "The rate may not exceed"),
        ({"code": "SS"}, "This product code is already used."),
        ({"kind": "berjangka", "term_months": ""}, "A time deposit needs a term."),
        ({"kind": "pokok"}, "Select a valid choice."),
        ({"annual_rate": "tiga"}, "Enter a percentage such as 9 or 7,5."),
        ({"minimum_balance": "1,5,0"}, "Enter the amount like 50000"),
    ],
)
def test_create_product_refusals(admin_client, coop, overrides, message):
    data = {
        "code": "SS2",
        "name": "Sukarela Kedua",
        "kind": "sukarela",
        "annual_rate": "2",
        "interest_method": "harian",
        "term_months": "",
        "minimum_balance": "",
        "accounting_class": "",
        **overrides,
    }
    before = SavingsProduct.objects.filter(cooperative=coop).count()
    response = admin_client.post(url(coop, "products"), data)
    assert response.status_code == 400
    assert shows(response, message)
    assert SavingsProduct.objects.filter(cooperative=coop).count() == before


def test_edit_product(admin_client, coop):
    ss = product(coop, "SS")
    response = admin_client.post(
        url(coop, "product_edit", product_id=ss.pk),
        {"name": "Sukarela Harian", "annual_rate": "3,75", "minimum_balance": "10.000"},
    )
    assert response.status_code == 302
    ss.refresh_from_db()
    assert (ss.name, ss.annual_rate, ss.minimum_balance, ss.is_active) == (
        "Sukarela Harian",
        D("3.75"),
        D("10000"),
        False,
    )


def test_pokok_product_cannot_be_deactivated(admin_client, coop):
    sp = product(coop, "SP")
    response = admin_client.post(
        url(coop, "product_edit", product_id=sp.pk),
        {"name": "Dimatikan", "annual_rate": "0", "minimum_balance": "0"},
    )
    assert response.status_code == 400
    assert shows(response, "Simpanan pokok and wajib products cannot be deactivated.")
    sp.refresh_from_db()
    assert sp.is_active and sp.name == "Simpanan Pokok"


def test_edit_product_rate_above_cap(admin_client, coop):
    ss = product(coop, "SS")
    response = admin_client.post(
        url(coop, "product_edit", product_id=ss.pk),
        {"name": ss.name, "annual_rate": "10", "minimum_balance": "0", "is_active": "on"},
    )
    assert response.status_code == 400
    assert shows(response, "The rate may not exceed 9")
    ss.refresh_from_db()
    assert ss.annual_rate == D("3")


def test_another_cooperatives_product_is_not_found(admin_client, coop, other_coop):
    theirs = product(other_coop, "SS")
    page = url(coop, "product_edit", product_id=theirs.pk)
    assert admin_client.get(page).status_code == 404
    response = admin_client.post(page, {"name": "x", "annual_rate": "1", "minimum_balance": "0"})
    assert response.status_code == 404
    assert product(other_coop, "SS").name == "Simpanan Sukarela"


# --- chart of accounts ------------------------------------------------------------------------


def test_rename_and_deactivate_account(admin_client, coop):
    response = admin_client.post(
        url(coop, "account_edit", account_code="5202"), {"name": "Beban Kantor"}
    )
    assert response.status_code == 302
    account = Account.objects.get(cooperative=coop, code="5202")
    assert account.name == "Beban Kantor" and not account.is_active


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("11", "A header account groups others and cannot be deactivated."),
        ("2101", "A control account is kept by its sub-ledger and cannot be deactivated."),
        ("1101", "The system posts to this account automatically; it cannot be deactivated."),
        ("5202", "This account has a balance; move the balance to another account first."),
    ],
)
def test_account_deactivation_refusals(client, coop, accountant, code, message):
    ledger.post_manual_entry(
        cooperative=coop,
        actor=accountant,
        memo="ATK",
        lines=[("5202", D("1000"), D("0")), ("1101", D("0"), D("1000"))],
        idempotency_key="atk-1",
    )
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english.force_login(accountant)
    before, snapshot = Account.objects.get(cooperative=coop, code=code), books_snapshot(coop)
    response = english.post(url(coop, "account_edit", account_code=code), {"name": "Baru"})
    assert response.status_code == 400
    assert shows(response, message)
    after = Account.objects.get(cooperative=coop, code=code)
    assert (after.name, after.is_active) == (before.name, True)
    assert books_snapshot(coop) == snapshot


def test_unknown_account_is_not_found(admin_client, coop):
    assert admin_client.get(url(coop, "account_edit", account_code="9999")).status_code == 404
