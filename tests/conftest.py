"""Shared fixtures: a cooperative with its chart and products, staff of every role, members."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from koperasi.administration import services as administration
from koperasi.domain.nik import generate_nik
from koperasi.ledger.models import Account, JournalEntry, Posting
from koperasi.members.services import MemberInput
from koperasi.membership import services as membership
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsAccount, SavingsTransaction
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import Role

User = get_user_model()
_serial = itertools.count(1)
PASSWORD = "rahasia-yang-panjang-1"


def _flush_lifting_the_books_guard():
    """SQLite refuses DELETE on the books (ledger migration 0009) unless a whole-database wipe
    is under way; Django's flush between transactional tests is one (TRUNCATE, on PostgreSQL,
    fires no row trigger)."""
    from django.db import connection

    from koperasi.sqlfunctions import wipe_statements

    if connection.vendor != "sqlite":
        return
    operations = type(connection.ops)
    flush = operations.sql_flush

    def sql_flush(self, style, tables, **kw):
        return wipe_statements(flush(self, style, tables, **kw))

    operations.sql_flush = sql_flush


_flush_lifting_the_books_guard()


@pytest.fixture(autouse=True)
def _english_free(settings):
    settings.LANGUAGE_CODE = "id"


def make_coop(code="kopdit", name="KSP Kopdit Uji", **kw):
    return administration.create_cooperative(actor=None, code=code, name=name, **kw)


def make_user(username, coop=None, role=None):
    user = User.objects.create_user(username=username, password=PASSWORD)
    if coop is not None and role is not None:
        tenancy.add_staff(cooperative=coop, actor=None, user=user, role=role)
    return user


def member_input(**overrides):
    n = next(_serial)
    data = MemberInput(
        name=f"Anggota Uji {n}",
        nik=generate_nik("53", "10", "01", "L", dt.date(1985, 3, 14), n),
        sex="L",
        birth_date=dt.date(1985, 3, 14),
        phone=f"0812{n:08d}",
        district="Maumere",
        regency="Sikka",
        province="Nusa Tenggara Timur",
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def make_member(coop, actor=None, active=True, **overrides):
    member = membership.register_member(
        cooperative=coop, actor=actor, data=member_input(**overrides)
    )
    if active:
        pokok = SavingsAccount.objects.get(member=member, product__kind="pokok")
        savings.deposit(
            cooperative=coop,
            actor=actor,
            account_id=pokok.pk,
            amount=coop.pokok_amount,
            idempotency_key=f"pokok-{member.pk}",
        )
        member.refresh_from_db()
    return member


def sukarela_account(coop, member, actor=None):
    product = coop.savingsproduct_set.get(kind="sukarela")
    existing = SavingsAccount.objects.filter(member=member, product=product).first()
    return existing or savings.open_account(
        cooperative=coop, actor=actor, member=member, product=product
    )


def gl_balances(coop=None):
    """(code, balance) of every general-ledger account, sorted: the books as a reader sees them."""
    accounts = Account.objects.all() if coop is None else Account.objects.filter(cooperative=coop)
    return sorted((a.code, a.balance) for a in accounts)


def books_snapshot(coop=None):
    """Everything that must not change when a request is refused."""
    return {
        "entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(),
        "savings_txns": SavingsTransaction.objects.count(),
        "accounts": gl_balances(coop),
        "savings": sorted(SavingsAccount.objects.values_list("number", "balance")),
    }


@pytest.fixture
def coop(db):
    return make_coop()


@pytest.fixture
def other_coop(db):
    return make_coop(code="lain", name="KSP Lain")


@pytest.fixture
def teller(coop):
    return make_user("kasir", coop, Role.TELLER)


@pytest.fixture
def admin_user(coop):
    return make_user("admin", coop, Role.ADMIN)


@pytest.fixture
def accountant(coop):
    return make_user("akuntan", coop, Role.ACCOUNTANT)


@pytest.fixture
def supervisor(coop):
    return make_user("pengawas", coop, Role.SUPERVISOR)


@pytest.fixture
def member(coop, teller):
    return make_member(coop, teller)


@pytest.fixture
def funded_sukarela(coop, teller, member):
    account = sukarela_account(coop, member, teller)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=account.pk,
        amount=Decimal("500000"),
        idempotency_key="fund-1",
    )
    account.refresh_from_db()
    return account


@pytest.fixture
def english_client():
    """A user who chose English (the language cookie), for tests that read message wording."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
