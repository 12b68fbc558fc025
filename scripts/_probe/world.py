"""The throw-away world: its database, and two cooperatives built through the services.

Cooperative A ("alfa") is the one whose callers speak; cooperative B ("bravo") is the target of
the cross-tenant checks. Every text of B that a page or answer could show carries B's marker
("Zqxbravo"), so a leak is found by looking for it; B's NIKs and phone numbers are markers too.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _probe.server import require_loopback

PROBE_DB = "koperasi_probe"
PASSWORD = "probe-kata-sandi-2026"
MEMBERS_PER_COOP = 6
WORDS = ("Satu", "Dua", "Tiga", "Empat", "Lima", "Enam", "Tujuh", "Delapan", "Sembilan")


@dataclass
class Environment:
    home: Path
    database: str  # "sqlite" or the PostgreSQL URL of the probe's own database
    pg_server: str | None
    keep: bool

    def cleanup(self) -> None:
        if self.keep:
            print(
                f"kept: KOPERASI_HOME={self.home} DATABASE_URL={os.environ.get('DATABASE_URL', '')}"
            )
            return
        if self.pg_server:
            from django.db import connections

            connections.close_all()
            _drop_database(self.pg_server, self.database.rsplit("/", 1)[1])
        shutil.rmtree(self.home, ignore_errors=True)


def _drop_database(server: str, name: str) -> None:
    import psycopg

    assert name.startswith(PROBE_DB), name  # only ever the probe's own database
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(*, sqlite: bool, pg_server: str, db_name: str, keep: bool) -> Environment:
    """Environment variables for this process and the server; a fresh database. Call before
    Django is imported. Refuses anything but loopback and the probe's own database name."""
    server = pg_server.rstrip("/")
    if not sqlite:
        if not db_name.startswith(PROBE_DB):
            raise SystemExit(f"the probe's database name must start with {PROBE_DB!r}")
        require_loopback(urlsplit(server).hostname or "")
    home = Path(tempfile.mkdtemp(prefix="koperasi-probe-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="koperasi.settings",
        KOPERASI_HOME=str(home),
        SECRET_KEY="probe-only-secret-key-" + "x" * 40,
        DEBUG="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="ERROR",  # tracebacks of 500s reach the server log, access lines too
    )
    for name in ("KOPERASI_DEMO", "AXES_DISABLED", "KOPERASI_TESTING"):
        os.environ.pop(name, None)
    if sqlite:
        os.environ.pop("DATABASE_URL", None)
        return Environment(home, "sqlite", None, keep)
    _drop_database(server, db_name)
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db_name}"')
    os.environ["DATABASE_URL"] = f"{server}/{db_name}"
    return Environment(home, os.environ["DATABASE_URL"], server, keep)


def setup_django() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Tenant:
    """One cooperative as the probe knows it: its logins and the ids of its records."""

    code: str
    marker: str
    coop: Any
    staff: dict[str, Any]  # role → user
    member_user: Any  # the portal login of the first member
    ids: dict[str, list[int]] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)  # texts only this cooperative has

    def add(self, kind: str, *values: int) -> None:
        self.ids.setdefault(kind, []).extend(v for v in values if v is not None)

    def first(self, kind: str) -> int | None:
        values = self.ids.get(kind) or []
        return values[0] if values else None


def _member_input(marker: str, serial: int, i: int) -> Any:
    from koperasi.domain.nik import generate_nik
    from koperasi.members.services import MemberInput

    sex = "P" if i % 2 else "L"
    birth = dt.date(1980 + i, 1 + i % 12, 10 + i)
    return MemberInput(
        name=f"{marker} Anggota {WORDS[i % len(WORDS)]}",
        nik=generate_nik("53", "10", "01", sex, birth, serial),
        sex=sex,
        birth_date=birth,
        birth_place="Maumere",
        phone=f"0813{serial:08d}",
        address=f"Jl. {marker} No. {i + 1}",
        district="Alok",
        regency="Kabupaten Sikka",
        province="Nusa Tenggara Timur",
        occupation="Petani",
    )


def add_member(tenant: Tenant, serial: int, i: int, savings_amount: Decimal) -> Any:
    """An active member (pokok paid, joined three years ago) with a funded sukarela account."""
    from koperasi.membership import services as membership
    from koperasi.savings import services as savings
    from koperasi.savings.models import SavingsAccount

    coop, teller = tenant.coop, tenant.staff["teller"]
    data = _member_input(tenant.marker, serial, i)
    today = dt.date.today()
    member = membership.register_member(
        cooperative=coop, actor=teller, data=data, joined_on=today - dt.timedelta(days=3 * 365)
    )
    pokok = SavingsAccount.objects.get(member=member, product__kind="pokok")
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=pokok.pk,
        amount=coop.pokok_amount,
        idempotency_key=f"seed-pokok-{member.pk}",
        note=f"{tenant.marker} pokok",
    )
    product = coop.savingsproduct_set.get(kind="sukarela")
    sukarela = savings.open_account(cooperative=coop, actor=teller, member=member, product=product)
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=sukarela.pk,
        amount=savings_amount,
        idempotency_key=f"seed-sukarela-{member.pk}",
        note=f"{tenant.marker} setoran",
    )
    member.refresh_from_db()
    tenant.add("member", member.pk)
    owned = SavingsAccount.objects.filter(member=member)
    tenant.add("account", *owned.values_list("pk", flat=True))
    tenant.add("sukarela", sukarela.pk)
    tenant.add("wajib", owned.get(product__kind="wajib").pk)
    tenant.secrets += [data.nik, data.phone]
    return member


def make_loan(
    tenant: Tenant,
    member: Any,
    *,
    stage: str,
    principal: str = "5000000",
    term: int = 12,
    months_ago: int = 0,
    product_code: str = "PU",
) -> Any:
    """An application taken to `stage` (applied, analysed, approved, disbursed)."""
    from koperasi.loans import services as loans
    from koperasi.loans.models import LoanProduct
    from koperasi.tenancy.models import Role

    coop, staff = tenant.coop, tenant.staff
    product = LoanProduct.objects.get(cooperative=coop, code=product_code)
    app = loans.apply(
        cooperative=coop,
        actor=staff["loan_officer"],
        member_id=member.pk,
        product_id=product.pk,
        principal=Decimal(principal),
        term=term,
        purpose=f"Modal usaha {tenant.marker}",
    )
    tenant.add("application", app.pk)
    if stage == "applied":
        return app
    loans.analyse(
        cooperative=coop,
        actor=staff["loan_officer"],
        application_id=app.pk,
        monthly_income=Decimal("15000000"),
        monthly_expenses=Decimal("2000000"),
        note=f"Analisis {tenant.marker}",
        collaterals=[],
        guarantor_ids=[],
    )
    if stage == "analysed":
        return app
    loans.approve(
        cooperative=coop, actor=staff["manager"], role=Role.MANAGER, application_id=app.pk
    )
    if stage == "approved":
        return app
    on = dt.date.today() - dt.timedelta(days=30 * months_ago) if months_ago else None
    loan = loans.disburse(
        cooperative=coop,
        actor=staff["teller"],
        application_id=app.pk,
        idempotency_key=f"seed-disburse-{app.pk}",
        business_date_=on,
    )
    tenant.add("loan", loan.pk)
    return loan


def seed_tenant(code: str, marker: str, serial_base: int) -> Tenant:
    """A cooperative with staff of every role, members, savings, loans in every stage, a
    repayment, a restructuring and a write-off waiting for decision, an application document
    and a pending day-end run: an id of every kind a URL or a body can name."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from koperasi.administration import services as administration
    from koperasi.closing import services as closing
    from koperasi.ledger.models import Account, JournalEntry
    from koperasi.loans import services as loans
    from koperasi.loans.models import LoanProduct, LoanTransaction
    from koperasi.members import services as members
    from koperasi.savings.models import SavingsProduct, SavingsTransaction
    from koperasi.tenancy import services as tenancy
    from koperasi.tenancy.models import Role, StaffMembership

    user_model = get_user_model()
    coop = administration.create_cooperative(actor=None, code=code, name=f"KSP {marker} Sejahtera")
    staff = {}
    for role in Role.values:
        user = user_model.objects.create_user(
            username=f"{code}-{role}", password=PASSWORD, first_name=marker, last_name=role
        )
        tenancy.add_staff(cooperative=coop, actor=None, user=user, role=role)
        staff[role] = user
    tenant = Tenant(code, marker, coop, staff, None)
    people = [
        add_member(tenant, serial_base + i, i, Decimal("30000000")) for i in range(MEMBERS_PER_COOP)
    ]
    tenant.member_user = members.create_portal_login(
        cooperative=coop,
        actor=None,
        member=people[0],
        password=PASSWORD,
        username=f"{code}-anggota",
    )
    active = make_loan(tenant, people[0], stage="disbursed", months_ago=2)
    loans.repay(
        cooperative=coop,
        actor=staff["teller"],
        loan_id=active.pk,
        amount=Decimal("300000"),
        idempotency_key=f"seed-repay-{active.pk}",
        note=f"{marker} angsuran",
    )
    overdue = make_loan(tenant, people[1], stage="disbursed", months_ago=12)
    loans.assess_portfolio(cooperative=coop, actor=None)
    overdue.refresh_from_db()
    request = loans.propose_write_off(
        cooperative=coop,
        actor=staff["loan_officer"],
        loan_id=overdue.pk,
        reason=f"Macet {marker}",
    )
    tenant.add("write_off", request.pk)
    restructured = make_loan(tenant, people[2], stage="disbursed", months_ago=3)
    proposal = loans.propose_restructuring(
        cooperative=coop,
        actor=staff["loan_officer"],
        loan_id=restructured.pk,
        kind="rescheduling",
        new_term=18,
        new_rate=Decimal("1.5"),
        new_rate_period="month",
        new_method="menurun",
        reason=f"Panen gagal {marker}",
    )
    tenant.add("restructuring", proposal.pk)
    make_loan(tenant, people[3], stage="approved")
    make_loan(tenant, people[4], stage="analysed")
    applied = make_loan(tenant, people[5], stage="applied")
    document = loans.add_document(
        cooperative=coop,
        actor=staff["loan_officer"],
        application_id=applied.pk,
        title=f"KTP {marker}",
        upload=SimpleUploadedFile("ktp.pdf", b"%PDF-1.4\n% " + marker.encode() + b"\n%%EOF\n"),
    )
    tenant.add("document", document.pk)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    try:
        run = closing.start_day_close(cooperative=coop, actor=staff["admin"], to=yesterday)
        tenant.add("run", run.pk)
    except Exception as exc:  # noqa: BLE001 - a close that cannot start leaves no run id
        print(f"  ({code}: no day-end run to probe: {exc})")
    tenant.add(
        "savings_txn",
        *SavingsTransaction.objects.filter(cooperative=coop).values_list("pk", flat=True),
    )
    tenant.add("entry", *JournalEntry.objects.filter(cooperative=coop).values_list("pk", flat=True))
    tenant.add(
        "loan_txn", *LoanTransaction.objects.filter(cooperative=coop).values_list("pk", flat=True)
    )
    tenant.add(
        "savings_product",
        *SavingsProduct.objects.filter(cooperative=coop).values_list("pk", flat=True),
    )
    tenant.add(
        "loan_product", *LoanProduct.objects.filter(cooperative=coop).values_list("pk", flat=True)
    )
    tenant.add(
        "membership", *StaffMembership.objects.filter(cooperative=coop).values_list("pk", flat=True)
    )
    tenant.add("gl_account", *Account.objects.filter(cooperative=coop).values_list("pk", flat=True))
    # Live API tokens of B's manager and member, for the token pages' ids.
    for holder in (staff["manager"], tenant.member_user):
        _raw, token = tenancy.new_token(cooperative=coop, user=holder)
        tenant.add("token", token.pk)
    tenant.add("user", *(u.pk for u in staff.values()), tenant.member_user.pk)
    tenant.secrets.append(marker)
    return tenant


@dataclass
class World:
    env: Environment | None
    a: Tenant
    b: Tenant
    tokens: dict[str, str]  # caller name → A's bearer token ("alfa/teller", "alfa/member")
    password: str = PASSWORD  # every login's

    def markers_of_b(self) -> list[bytes]:
        return [s.encode() for s in self.b.secrets]

    def fresh_token(self, caller: str) -> str:
        """A new token of one of A's callers (for requests that revoke their own token)."""
        from koperasi.tenancy import services as tenancy

        user = (
            self.a.member_user if caller.endswith("/member") else self.a.staff[caller.split("/")[1]]
        )
        return tenancy.issue_token(cooperative=self.a.coop, user=user)


def build(env: Environment | None) -> World:
    a = seed_tenant("alfa", "Zqxalfa", 1000)
    b = seed_tenant("bravo", "Zqxbravo", 2000)
    world = World(env, a, b, {})
    for role in a.staff:
        world.tokens[f"alfa/{role}"] = world.fresh_token(f"alfa/{role}")
    world.tokens["alfa/member"] = world.fresh_token("alfa/member")
    return world
