"""Indonesian throughout (issue 12, point 12): every page, partial, error page and printable
document reads in Indonesian, with no English interface word left; the English switch gives
English, with none of the Indonesian interface words.

The pages are tests/web/site_pages.py's, on its World plus a history that puts every kind of
audit record on the audit log and the loan timeline (repayment, reversal, rescheduling, payroll,
write-off and recovery, a rejection, a member leaving, settings, staff and token changes).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from koperasi.administration import services as administration
from koperasi.audit.models import AuditLog
from koperasi.ledger import services as ledger
from koperasi.loans import services as loans
from koperasi.loans.payroll import import_deductions
from koperasi.membership import services as membership
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsProduct
from koperasi.tenancy import services as tenancy
from koperasi.tenancy.models import ApiToken, Role
from koperasi.web import audit_labels
from tests.conftest import make_member
from tests.loans.conftest import analysed_application, disbursed_loan
from tests.web.language_check import english_words, indonesian_words
from tests.web.site_pages import PORTAL_PASSWORD, World, build_world, every_page

D = Decimal
# People, places and products of the test data: names, not interface words.
DATA_NAMES = (
    "KSP Kopdit Flores",
    "KSP Lain",
    "Maria Goreti Lewa",
    "Yohanes Bala",
    "Kasir Baru",
    "kasir-baru",
    "Pinjaman Uji",
    "Koperasi Simpan Pinjam",  # the legal kind of cooperative
    "maria",
)


@dataclass(frozen=True)
class Visit:
    url: str
    user: str  # a key of World.users, "" for a visitor
    status: int = 200
    htmx: bool = False


def add_history(world: World) -> dict[str, object]:
    """Every kind of record the audit log and the loan timeline show, in Indonesian data."""
    coop, users = world.coop, world.users
    admin, manager = users[Role.ADMIN], users[Role.MANAGER]
    teller, officer = users[Role.TELLER], users[Role.LOAN_OFFICER]
    loan, product = world.loan, world.loan.product
    today = ledger.business_today(coop)

    first = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="118000", idempotency_key="h-1"
    )
    loans.reverse_repayment(
        cooperative=coop,
        actor=manager,
        transaction_id=first.pk,
        reason="Salah ketik",
        idempotency_key="h-batal",
    )
    loans.repay(
        cooperative=coop, actor=teller, loan_id=loan.pk, amount="118000", idempotency_key="h-2"
    )
    import_deductions(
        cooperative=coop,
        actor=users[Role.ACCOUNTANT],
        file_name="gaji-desember.csv",
        content=f"nik,jumlah\n{world.member.nik},50000\n".encode(),
        idempotency_key="h-gaji",
    )
    proposal = loans.propose_restructuring(
        cooperative=coop,
        actor=officer,
        loan_id=loan.pk,
        kind="rescheduling",
        new_term=18,
        new_rate=D("1.5"),
        new_rate_period="month",
        new_method="menurun",
        reason="Usaha sepi setelah banjir",
    )
    loans.decide_restructuring(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        restructuring_id=proposal.pk,
        approve=True,
    )

    debtor = make_member(coop, teller, name="Yohanes Bala")
    debtor.joined_on = dt.date(2024, 6, 1)
    debtor.save(update_fields=["joined_on"])
    bad = disbursed_loan(coop, debtor, product, officer, manager, teller, dt.date(2025, 1, 15))
    loans.assess(cooperative=coop, actor=None, loan_id=bad.pk, on=today)
    request = loans.propose_write_off(
        cooperative=coop, actor=officer, loan_id=bad.pk, reason="Pindah ke luar daerah"
    )
    loans.decide_write_off(
        cooperative=coop,
        actor=admin,
        role=Role.ADMIN,
        request_id=request.pk,
        approve=True,
        idempotency_key="h-hapus",
    )
    loans.recover(
        cooperative=coop, actor=teller, loan_id=bad.pk, amount="100000", idempotency_key="h-pulih"
    )

    applicant = make_member(coop, teller)
    refused = analysed_application(coop, applicant, product, officer, recommendation="reject")
    loans.reject(
        cooperative=coop,
        actor=manager,
        role=Role.MANAGER,
        application_id=refused.pk,
        reason="Penghasilan belum tetap",
    )
    leaver = make_member(coop, teller)
    membership.exit_member(
        cooperative=coop,
        actor=admin,
        member=leaver,
        status="resigned",
        reason="Pindah kota",
        idempotency_key="h-keluar",
    )

    administration.update_cooperative(
        cooperative=coop, actor=admin, loan_rate_cap=D("20"), wajib_amount=D("60000")
    )
    loans.update_product(cooperative=coop, actor=admin, product_id=product.pk, rate=D("1.4"))
    sukarela = SavingsProduct.objects.get(cooperative=coop, kind="sukarela")
    savings.update_product(
        cooperative=coop,
        actor=admin,
        product_id=sukarela.pk,
        name=sukarela.name,
        annual_rate="3",
        minimum_balance=sukarela.minimum_balance,
        is_active=True,
    )
    entry = ledger.post_manual_entry(
        cooperative=coop,
        actor=admin,
        lines=[("5202", D("50000"), D("0")), ("1101", D("0"), D("50000"))],
        memo="Beli alat tulis",
        idempotency_key="h-jurnal",
    )
    ledger.reverse_entry(
        cooperative=coop, actor=admin, entry=entry, reason="Salah akun", idempotency_key="h-balik"
    )

    cashier = tenancy.create_staff_user(
        cooperative=coop,
        actor=admin,
        username="kasir-baru",
        full_name="Kasir Baru",
        role=Role.TELLER,
        password=PORTAL_PASSWORD,
    )
    tenancy.set_staff_role(
        cooperative=coop, actor=admin, membership_id=cashier.pk, role=Role.ACCOUNTANT
    )
    tenancy.issue_token(cooperative=coop, user=cashier.user)
    tenancy.reset_staff_password(
        cooperative=coop, actor=admin, membership_id=cashier.pk, password=PORTAL_PASSWORD + "-2"
    )
    tenancy.set_staff_active(
        cooperative=coop, actor=admin, membership_id=cashier.pk, is_active=False
    )
    tenancy.issue_token(cooperative=coop, user=admin)
    token = ApiToken.objects.filter(user=admin, revoked_at__isnull=True).get()
    tenancy.revoke_cooperative_token(cooperative=coop, actor=admin, token_id=token.pk)
    return {"bad": bad, "refused": refused}


def visits(world: World, history: dict[str, object]) -> list[Visit]:
    """The HTML pages of every_page, and the partials, error pages and pages of the history."""
    code = world.coop.code

    def staff(name: str, user: str = Role.ADMIN, **kwargs: object) -> str:
        return reverse(name, kwargs={"code": code, **kwargs})

    bad, refused = history["bad"], history["refused"]
    audit = staff("audit_log")
    return [
        *(Visit(page.url, page.user) for page in every_page(world) if page.html),
        Visit(f"{audit}?page=2", Role.ADMIN),
        Visit(f"{audit}?action=loans.", Role.ADMIN),
        Visit(staff("lending:application", application_id=bad.application_id), Role.ADMIN),
        Visit(staff("lending:application", application_id=refused.pk), Role.ADMIN),
        Visit(staff("lending:loan", loan_id=bad.pk), Role.ADMIN),
        # The htmx partials.
        Visit(staff("members:list") + "?q=Maria", Role.ADMIN, htmx=True),
        Visit(staff("members:list") + "?q=tidak-ada-yang-cocok", Role.ADMIN, htmx=True),
        Visit(staff("savings:teller") + "?q=Maria", Role.TELLER, htmx=True),
        Visit(staff("savings:teller") + "?q=tidak-ada-yang-cocok", Role.TELLER, htmx=True),
        Visit(staff("lending:apply") + "?q=Yohanes", Role.LOAN_OFFICER, htmx=True),
        Visit(staff("lending:portfolio") + "?status=written_off", Role.ADMIN, htmx=True),
        Visit(staff("lending:portfolio_summary"), Role.ADMIN, htmx=True),
        # The error pages, for staff, a member and a visitor.
        Visit(staff("savings:teller"), Role.ACCOUNTANT, status=403),
        Visit(f"/k/{code}/tidak-ada/", Role.ADMIN, status=404),
        Visit("/saya/tidak-ada/", "member", status=404),
        Visit("/tidak-ada/", "", status=404),
    ]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world(tmp_path)
    world.history = add_history(world)  # type: ignore[attr-defined]
    return world


@pytest.fixture
def printed(monkeypatch):
    """The HTML of each PDF the site prints (receipts, agreement, kartu angsuran)."""
    pages: list[str] = []

    def capture(html: str) -> bytes:
        pages.append(html)
        return b"%PDF-1.4\n%%EOF\n"

    for module in ("koperasi.loans.documents", "koperasi.savings.receipts", "koperasi.common.pdf"):
        monkeypatch.setattr(f"{module}.html_to_pdf", capture)
    return pages


def names(world: World) -> tuple[str, ...]:
    return (*DATA_NAMES, *(user.get_username() for user in world.users.values()))


def read_every_page(world: World, language: str, printed: list[str]) -> dict[str, str]:
    """{url: html} of every visit and of every printed document, in `language`."""
    clients: dict[str, Client] = {}
    read, problems = {}, []
    for visit in visits(world, world.history):  # type: ignore[attr-defined]
        client = clients.get(visit.user)
        if client is None:
            client = clients[visit.user] = Client()
            client.cookies["django_language"] = language
            if visit.user:
                client.force_login(world.users[visit.user])
        headers = {"HX-Request": "true"} if visit.htmx else {}
        response = client.get(visit.url, headers=headers)
        if response.status_code != visit.status:
            problems.append(f"{visit.url}: {response.status_code}")
            continue
        read[visit.url + (" (htmx)" if visit.htmx else "")] = response.content.decode()
    for page in every_page(world):
        if not page.html and page.url not in read:
            before = len(printed)
            response = clients[page.user].get(page.url)
            assert response.status_code == 200, page.url
            read.update({f"{page.url} (printed)": html for html in printed[before:]})
    assert problems == []
    assert len(printed) >= 3  # the savings receipt, the agreement, the kartu angsuran
    return read


def report(found: dict[str, list[str]]) -> str:
    return "words in the wrong language:\n" + "\n".join(
        f"{url}: {' '.join(words)}" for url, words in sorted(found.items())
    )


def test_every_page_reads_in_indonesian(world, printed):
    written = set(AuditLog.objects.values_list("action", flat=True))
    assert written - audit_labels.ACTIONS.keys() == set()  # every record has a name
    found = {
        url: words
        for url, html in read_every_page(world, "id", printed).items()
        if (words := english_words(html, names(world)))
    }
    assert not found, report(found)


def test_the_english_switch_shows_english(world, printed):
    pages = read_every_page(world, "en", printed)
    found = {
        url: words for url, html in pages.items() if (words := indonesian_words(html, names(world)))
    }
    assert not found, report(found)
    timeline = pages[
        reverse(
            "lending:application",
            kwargs={"code": world.coop.code, "application_id": world.loan.application_id},
        )
    ]
    assert "approved (Manager)" in timeline and "paid out in cash" in timeline
