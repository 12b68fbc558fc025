"""Settings services: the cooperative's settings, staff, savings products and accounts.

Every refusal is checked for its code and for leaving the data exactly as it was.
"""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.forms.models import model_to_dict

from koperasi.administration import services as administration
from koperasi.audit.models import AuditLog
from koperasi.errors import InvalidInput, NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsProduct
from koperasi.tenancy import selectors
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import ApiToken, Cooperative, Role, StaffMembership
from tests.conftest import PASSWORD, books_snapshot, make_user

D = Decimal
User = get_user_model()
STRONG = "kopi-flores-2026!"


def coop_state(coop):
    return model_to_dict(Cooperative.objects.get(pk=coop.pk))


def codes(excinfo):
    exc = excinfo.value
    return {e.code for e in exc.errors} if isinstance(exc, InvalidInput) else {exc.code}


def last_audit(coop, action):
    return AuditLog.objects.filter(cooperative=coop, action=action).order_by("-id").first()


# --- update_cooperative -----------------------------------------------------------------------


def test_update_cooperative_saves_and_audits_the_changes(coop, admin_user):
    administration.update_cooperative(
        cooperative=coop,
        actor=admin_user,
        name="KSP Kopdit Pintu Air",
        kind="KSU",
        level="sekunder",
        legal_entity_number="AHU-0001234.AH.01.26.2020",
        legal_entity_date="17/08/2020",
        nik_koperasi="5310010010001",
        address="Jl. Raya Maumere 1",
        time_zone="Asia/Makassar",
        fiscal_year_start_month=7,
        closed_loop=False,
        pokok_amount="150.000",
        wajib_amount=D("25000"),
        savings_rate_cap="7,5",
        loan_rate_cap=D("18"),
        related_party_cap_pct="5 %",
    )
    saved = Cooperative.objects.get(pk=coop.pk)
    assert saved.name == "KSP Kopdit Pintu Air"
    assert (saved.kind, saved.level, saved.time_zone) == ("KSU", "sekunder", "Asia/Makassar")
    assert saved.legal_entity_date == dt.date(2020, 8, 17)
    assert saved.fiscal_year_start_month == 7 and saved.closed_loop is False
    assert saved.pokok_amount == D("150000") and saved.wajib_amount == D("25000")
    assert saved.savings_rate_cap == D("7.5") and saved.loan_rate_cap == D("18")
    assert saved.related_party_cap_pct == D("5")
    assert coop.name == "KSP Kopdit Pintu Air"  # the caller's copy follows
    entry = last_audit(coop, "tenancy.settings")
    assert entry.actor == admin_user
    assert entry.data["changed"]["pokok_amount"] == ["100000", "150000"]
    assert entry.data["changed"]["savings_rate_cap"] == ["9", "7.5"]
    assert entry.data["changed"]["legal_entity_date"] == [None, "2020-08-17"]
    assert "code" not in entry.data["changed"]


def test_update_cooperative_without_changes_records_nothing(coop, admin_user):
    before = AuditLog.objects.count()
    administration.update_cooperative(
        cooperative=coop, actor=admin_user, name=coop.name, savings_rate_cap="9,0"
    )
    assert AuditLog.objects.count() == before


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"savings_rate_cap": "9,5"}, "above_regulation"),
        ({"loan_rate_cap": D("24.01")}, "above_regulation"),
        ({"related_party_cap_pct": "0"}, "cap_out_of_range"),
        ({"related_party_cap_pct": "101"}, "cap_out_of_range"),
        ({"loan_rate_cap": "-3"}, "cap_out_of_range"),
        ({"savings_rate_cap": "sembilan"}, "invalid_percent"),
        ({"savings_rate_cap": 8.5}, "invalid_percent"),  # floats are refused
        ({"savings_rate_cap": "7,12345"}, "too_precise"),
        ({"savings_rate_cap": ""}, "required"),
        ({"pokok_amount": "0"}, "not_positive"),
        ({"wajib_amount": "-5.000"}, "not_positive"),
        ({"wajib_amount": "1250.000"}, "invalid"),  # neither grouped nor sen
        ({"wajib_amount": D("0")}, "not_positive"),
        ({"name": "  "}, "required"),
        ({"name": "x" * 201}, "too_long"),
        ({"kind": "bank"}, "invalid_choice"),
        ({"time_zone": "Europe/Berlin"}, "invalid_choice"),
        ({"fiscal_year_start_month": 13}, "invalid_month"),
        ({"fiscal_year_start_month": "0"}, "invalid_month"),
        ({"closed_loop": "yes"}, "invalid_choice"),
        ({"legal_entity_date": "31/02/2020"}, "invalid_date"),
        ({"legal_entity_date": dt.date.today() + dt.timedelta(days=2)}, "future_date"),
        ({"savings_rate_cap": "2"}, "cap_below_product_rate"),  # sukarela pays 3 %
        ({"code": "baru"}, "unknown_field"),
        ({"books_closed_through": dt.date(2020, 1, 31)}, "unknown_field"),
    ],
)
def test_update_cooperative_refusals_change_nothing(coop, admin_user, fields, code):
    before, audits = coop_state(coop), AuditLog.objects.count()
    with pytest.raises(ServiceError) as excinfo:
        administration.update_cooperative(cooperative=coop, actor=admin_user, **fields)
    assert code in codes(excinfo)
    assert coop_state(coop) == before
    assert AuditLog.objects.count() == audits


def test_update_cooperative_reports_every_problem_at_once(coop, admin_user):
    before = coop_state(coop)
    with pytest.raises(InvalidInput) as excinfo:
        administration.update_cooperative(
            cooperative=coop,
            actor=admin_user,
            name="Baru",
            savings_rate_cap="10",
            loan_rate_cap="30",
            wajib_amount="abc",
        )
    fields = {e.field for e in excinfo.value.errors}
    assert fields == {"savings_rate_cap", "loan_rate_cap", "wajib_amount"}
    assert coop_state(coop) == before  # the valid name was not saved either


def test_pokok_amount_is_locked_once_anyone_paid(coop, admin_user, member):
    before, snapshot = coop_state(coop), books_snapshot(coop)
    with pytest.raises(ServiceError) as excinfo:
        administration.update_cooperative(
            cooperative=coop, actor=admin_user, pokok_amount="200.000"
        )
    assert codes(excinfo) == {"pokok_locked"}
    assert coop_state(coop) == before
    assert books_snapshot(coop) == snapshot
    # The same amount typed again is no change, and other settings still save.
    administration.update_cooperative(
        cooperative=coop, actor=admin_user, pokok_amount="100.000", wajib_amount="60.000"
    )
    assert Cooperative.objects.get(pk=coop.pk).wajib_amount == D("60000")


def test_pokok_amount_may_change_before_anyone_paid(coop, admin_user, teller):
    from tests.conftest import make_member

    make_member(coop, teller, active=False)  # registered, pokok not yet paid
    administration.update_cooperative(cooperative=coop, actor=admin_user, pokok_amount="250.000")
    assert Cooperative.objects.get(pk=coop.pk).pokok_amount == D("250000")


# --- staff ------------------------------------------------------------------------------------


def staff_state(coop):
    return sorted(
        StaffMembership.objects.filter(cooperative=coop).values_list(
            "user__username", "role", "is_active"
        )
    )


def test_create_staff_user(coop, admin_user):
    membership = tenancy.create_staff_user(
        cooperative=coop,
        actor=admin_user,
        username="maria.kasir",
        full_name="Maria Lewa",
        role=Role.TELLER,
        password=STRONG,
    )
    user = membership.user
    assert (user.username, user.first_name, membership.role) == (
        "maria.kasir",
        "Maria Lewa",
        Role.TELLER,
    )
    assert user.check_password(STRONG) and membership.is_active
    assert selectors.staff_role(user, coop) == Role.TELLER
    entry = last_audit(coop, "tenancy.staff_create")
    assert entry.actor == admin_user and STRONG not in str(entry.data) + entry.summary


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"username": "admin"}, "username_taken"),
        ({"username": "ADMIN"}, "username_taken"),
        ({"username": "lain.admin"}, "username_taken"),  # another cooperative's staff
        ({"username": "maria kasir"}, "invalid_username"),
        ({"username": ""}, "required"),
        ({"full_name": " "}, "required"),
        ({"role": "owner"}, "invalid_role"),
        ({"password": "pendek"}, "weak_password"),
        ({"password": "password123"}, "weak_password"),
        ({"password": ""}, "required"),
    ],
)
def test_create_staff_user_refusals(coop, other_coop, admin_user, overrides, code):
    make_user("lain.admin", other_coop, Role.ADMIN)
    args = {
        "username": "maria.kasir",
        "full_name": "Maria Lewa",
        "role": Role.TELLER,
        "password": STRONG,
        **overrides,
    }
    users, before, other = User.objects.count(), staff_state(coop), staff_state(other_coop)
    with pytest.raises(ServiceError) as excinfo:
        tenancy.create_staff_user(cooperative=coop, actor=admin_user, **args)
    assert code in codes(excinfo)
    assert User.objects.count() == users
    assert staff_state(coop) == before and staff_state(other_coop) == other


def test_set_staff_role_and_audit(coop, admin_user, teller):
    membership = StaffMembership.objects.get(user=teller, cooperative=coop)
    tenancy.set_staff_role(
        cooperative=coop, actor=admin_user, membership_id=membership.pk, role=Role.MANAGER
    )
    assert selectors.staff_role(teller, coop) == Role.MANAGER
    entry = last_audit(coop, "tenancy.staff_role")
    assert entry.data == {"username": teller.username, "changed": {"role": ["teller", "manager"]}}


def test_the_last_admin_cannot_be_demoted(coop, admin_user, teller):
    mine = StaffMembership.objects.get(user=admin_user, cooperative=coop)
    before = staff_state(coop)
    with pytest.raises(ServiceError) as excinfo:
        tenancy.set_staff_role(
            cooperative=coop, actor=admin_user, membership_id=mine.pk, role=Role.MANAGER
        )
    assert codes(excinfo) == {"last_admin"}
    assert staff_state(coop) == before
    # With a second admin, stepping down is allowed.
    make_user("admin2", coop, Role.ADMIN)
    tenancy.set_staff_role(
        cooperative=coop, actor=admin_user, membership_id=mine.pk, role=Role.MANAGER
    )
    assert selectors.staff_role(admin_user, coop) == Role.MANAGER


def test_an_inactive_admin_does_not_count(coop, admin_user):
    second = make_user("admin2", coop, Role.ADMIN)
    theirs = StaffMembership.objects.get(user=second, cooperative=coop)
    tenancy.set_staff_active(
        cooperative=coop, actor=admin_user, membership_id=theirs.pk, is_active=False
    )
    mine = StaffMembership.objects.get(user=admin_user, cooperative=coop)
    with pytest.raises(ServiceError) as excinfo:
        tenancy.set_staff_role(
            cooperative=coop, actor=second, membership_id=mine.pk, role=Role.TELLER
        )
    assert codes(excinfo) == {"last_admin"}


def test_set_staff_role_refusals(coop, other_coop, admin_user, teller):
    stranger = make_user("lain.kasir", other_coop, Role.TELLER)
    foreign = StaffMembership.objects.get(user=stranger)
    ours = StaffMembership.objects.get(user=teller)
    before, other = staff_state(coop), staff_state(other_coop)
    with pytest.raises(NotFound):
        tenancy.set_staff_role(
            cooperative=coop, actor=admin_user, membership_id=foreign.pk, role=Role.ADMIN
        )
    with pytest.raises(ServiceError) as excinfo:
        tenancy.set_staff_role(
            cooperative=coop, actor=admin_user, membership_id=ours.pk, role="owner"
        )
    assert codes(excinfo) == {"invalid_role"}
    assert staff_state(coop) == before and staff_state(other_coop) == other


def test_deactivate_and_reactivate_staff(coop, admin_user, teller):
    membership = StaffMembership.objects.get(user=teller, cooperative=coop)
    raw = tenancy.issue_token(cooperative=coop, user=teller)
    tenancy.set_staff_active(
        cooperative=coop, actor=admin_user, membership_id=membership.pk, is_active=False
    )
    assert selectors.staff_role(teller, coop) is None
    assert selectors.token_owner(raw) is None  # their API token is revoked as well
    tenancy.set_staff_active(
        cooperative=coop, actor=admin_user, membership_id=membership.pk, is_active=True
    )
    assert selectors.staff_role(teller, coop) == Role.TELLER
    assert selectors.token_owner(raw) is None  # and stays revoked
    actions = AuditLog.objects.filter(cooperative=coop, action="tenancy.staff_active")
    assert actions.count() == 2


def test_deactivation_refusals(coop, admin_user):
    mine = StaffMembership.objects.get(user=admin_user, cooperative=coop)
    before, tokens = staff_state(coop), ApiToken.objects.count()
    with pytest.raises(ServiceError) as excinfo:
        tenancy.set_staff_active(
            cooperative=coop, actor=admin_user, membership_id=mine.pk, is_active=False
        )
    assert codes(excinfo) == {"self_deactivate"}
    # Someone else (here the command line, no actor) may not remove the last admin either.
    with pytest.raises(ServiceError) as excinfo:
        tenancy.set_staff_active(
            cooperative=coop, actor=None, membership_id=mine.pk, is_active=False
        )
    assert codes(excinfo) == {"last_admin"}
    assert staff_state(coop) == before and ApiToken.objects.count() == tokens


def test_reset_staff_password(coop, admin_user, teller):
    membership = StaffMembership.objects.get(user=teller, cooperative=coop)
    tenancy.reset_staff_password(
        cooperative=coop, actor=admin_user, membership_id=membership.pk, password=STRONG
    )
    teller.refresh_from_db()
    assert teller.check_password(STRONG) and not teller.check_password(PASSWORD)
    entry = last_audit(coop, "tenancy.staff_password_reset")
    assert entry.summary == "kasir" and STRONG not in str(entry.data)


def test_reset_staff_password_refusals(coop, other_coop, admin_user, teller):
    ours = StaffMembership.objects.get(user=teller, cooperative=coop)
    stranger = make_user("lain.kasir", other_coop, Role.TELLER)
    foreign = StaffMembership.objects.get(user=stranger)
    shared = make_user("berdua", coop, Role.ACCOUNTANT)
    tenancy.add_staff(cooperative=other_coop, actor=None, user=shared, role=Role.ADMIN)
    shared_ours = StaffMembership.objects.get(user=shared, cooperative=coop)
    hashes = dict(User.objects.values_list("username", "password"))

    with pytest.raises(ServiceError) as excinfo:
        tenancy.reset_staff_password(
            cooperative=coop, actor=admin_user, membership_id=ours.pk, password="12345678"
        )
    assert codes(excinfo) == {"weak_password"}
    with pytest.raises(NotFound):
        tenancy.reset_staff_password(
            cooperative=coop, actor=admin_user, membership_id=foreign.pk, password=STRONG
        )
    with pytest.raises(ServiceError) as excinfo:
        tenancy.reset_staff_password(
            cooperative=coop, actor=admin_user, membership_id=shared_ours.pk, password=STRONG
        )
    assert codes(excinfo) == {"shared_user"}
    assert dict(User.objects.values_list("username", "password")) == hashes


# --- savings products -------------------------------------------------------------------------


def product_state(coop):
    return sorted(
        SavingsProduct.objects.filter(cooperative=coop).values_list(
            "code", "name", "annual_rate", "minimum_balance", "is_active"
        )
    )


def product(coop, code):
    return SavingsProduct.objects.get(cooperative=coop, code=code)


def test_update_product(coop, admin_user):
    ss = product(coop, "SS")
    savings.update_product(
        cooperative=coop,
        actor=admin_user,
        product_id=ss.pk,
        name="Sukarela Harian",
        annual_rate="4,25",
        minimum_balance="25.000",
        is_active=False,
    )
    ss.refresh_from_db()
    assert (ss.name, ss.annual_rate, ss.minimum_balance, ss.is_active) == (
        "Sukarela Harian",
        D("4.25"),
        D("25000"),
        False,
    )
    entry = last_audit(coop, "savings.product_update")
    assert set(entry.data["changed"]) == {"name", "annual_rate", "minimum_balance", "is_active"}
    savings.update_product(
        cooperative=coop,
        actor=admin_user,
        product_id=ss.pk,
        name="Sukarela Harian",
        annual_rate=D("9"),
        minimum_balance=D("0"),
        is_active=True,
    )
    ss.refresh_from_db()
    assert ss.annual_rate == D("9") and ss.is_active


def test_pokok_and_wajib_may_be_renamed(coop, admin_user):
    sp = product(coop, "SP")
    savings.update_product(
        cooperative=coop,
        actor=admin_user,
        product_id=sp.pk,
        name="Simpanan Pokok Anggota",
        annual_rate="0",
        minimum_balance="0",
        is_active=True,
    )
    assert product(coop, "SP").name == "Simpanan Pokok Anggota"


@pytest.mark.parametrize(
    ("code", "overrides", "error"),
    [
        ("SS", {"annual_rate": "9,5"}, "rate_above_cap"),
        ("SS", {"annual_rate": "-1"}, "rate_above_cap"),
        ("SS", {"annual_rate": "tiga"}, "invalid_percent"),
        ("SS", {"annual_rate": 3.0}, "invalid_percent"),
        ("SS", {"minimum_balance": "-10.000"}, "not_positive"),
        ("SS", {"minimum_balance": "10,001"}, "too_precise"),
        ("SS", {"name": ""}, "required"),
        ("SP", {"is_active": False}, "product_required"),
        ("SW", {"is_active": False}, "product_required"),
        ("SW", {"annual_rate": "2"}, "capital_no_interest"),
    ],
)
def test_update_product_refusals(coop, admin_user, code, overrides, error):
    target = product(coop, code)
    args = {
        "name": target.name,
        "annual_rate": target.annual_rate,
        "minimum_balance": target.minimum_balance,
        "is_active": True,
        **overrides,
    }
    before = product_state(coop)
    with pytest.raises(ServiceError) as excinfo:
        savings.update_product(cooperative=coop, actor=admin_user, product_id=target.pk, **args)
    assert error in codes(excinfo)
    assert product_state(coop) == before


def test_update_product_follows_a_lowered_cap(coop, admin_user):
    administration.update_cooperative(cooperative=coop, actor=admin_user, savings_rate_cap="6")
    sb = product(coop, "SB12")
    with pytest.raises(ServiceError) as excinfo:
        savings.update_product(
            cooperative=coop,
            actor=admin_user,
            product_id=sb.pk,
            name=sb.name,
            annual_rate="6,5",
            minimum_balance="0",
            is_active=True,
        )
    assert codes(excinfo) == {"rate_above_cap"}


def test_another_cooperatives_product_is_not_found(coop, other_coop, admin_user):
    theirs = product(other_coop, "SS")
    before = product_state(other_coop)
    with pytest.raises(NotFound):
        savings.update_product(
            cooperative=coop,
            actor=admin_user,
            product_id=theirs.pk,
            name="Diambil",
            annual_rate="1",
            minimum_balance="0",
            is_active=False,
        )
    assert product_state(other_coop) == before


# --- chart of accounts ------------------------------------------------------------------------


def account_state(coop):
    return sorted(Account.objects.filter(cooperative=coop).values_list("code", "name", "is_active"))


def test_update_account_renames_and_deactivates(coop, accountant):
    account = ledger.update_account(
        cooperative=coop, actor=accountant, code="5202", name="Beban Kantor", is_active=False
    )
    assert (account.name, account.is_active) == ("Beban Kantor", False)
    entry = last_audit(coop, "ledger.account_update")
    assert entry.data == {
        "changed": {
            "name": ["Beban Operasional Kantor", "Beban Kantor"],
            "is_active": [True, False],
        }
    }
    # An inactive account takes no postings.
    with pytest.raises(ServiceError) as excinfo:
        ledger.post_manual_entry(
            cooperative=coop,
            actor=accountant,
            memo="ATK",
            lines=[("5202", D("1000"), D("0")), ("1101", D("0"), D("1000"))],
            idempotency_key=str(uuid.uuid4()),
        )
    assert excinfo.value.code == "account_not_postable"
    ledger.update_account(
        cooperative=coop, actor=accountant, code="5202", name="Beban Kantor", is_active=True
    )
    assert Account.objects.get(cooperative=coop, code="5202").is_active


def test_headers_control_and_system_accounts_may_be_renamed(coop, accountant):
    for code in ("11", "2101", "1101"):
        ledger.update_account(
            cooperative=coop, actor=accountant, code=code, name=f"Akun {code}", is_active=True
        )
        assert Account.objects.get(cooperative=coop, code=code).name == f"Akun {code}"


@pytest.mark.parametrize(
    ("code", "name", "error"),
    [
        ("11", "Aset Lancar", "header_account"),
        ("2101", "Simpanan Sukarela", "control_account"),
        ("1101", "Kas", "system_account"),
        ("5202", "Beban Operasional Kantor", "nonzero_balance"),
        ("5202", "", "required"),
    ],
)
def test_update_account_refusals(coop, accountant, code, name, error):
    ledger.post_manual_entry(
        cooperative=coop,
        actor=accountant,
        memo="ATK",
        lines=[("5202", D("1000"), D("0")), ("1101", D("0"), D("1000"))],
        idempotency_key="atk-1",
    )
    before, snapshot = account_state(coop), books_snapshot(coop)
    with pytest.raises(ServiceError) as excinfo:
        ledger.update_account(
            cooperative=coop, actor=accountant, code=code, name=name, is_active=False
        )
    assert excinfo.value.code == error
    assert account_state(coop) == before and books_snapshot(coop) == snapshot


def test_update_account_of_unknown_code_is_not_found(coop, other_coop, accountant):
    ledger.create_account(
        cooperative=other_coop, actor=None, code="5999", name="Milik lain", parent_code="5"
    )
    with pytest.raises(NotFound):
        ledger.update_account(
            cooperative=coop, actor=accountant, code="5999", name="x", is_active=False
        )
    assert Account.objects.get(cooperative=other_coop, code="5999").is_active
