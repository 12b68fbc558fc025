"""Member applies in the portal → officer analyses → manager approves → teller disburses →
teller takes a repayment → the member sees the updated schedule. Real Chromium, real server,
screenshots in test-artifacts/."""

import datetime as dt
import re
from decimal import Decimal

import pytest

from koperasi.ledger.selectors import ledger_violations
from koperasi.loans import services as loans
from koperasi.loans.models import Loan, LoanApplication
from koperasi.loans.selectors import loan_violations
from koperasi.members import services as members
from koperasi.savings import services as savings
from koperasi.savings.selectors import savings_violations
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_coop, make_member, make_user, sukarela_account
from tests.e2e.conftest import shot
from tests.e2e.test_teller_journey import choose, login

pytestmark = pytest.mark.django_db(transaction=True)


def switch_user(page, base, username, password=PASSWORD):
    page.context.clear_cookies()
    login(page, base, username, password)
    page.wait_for_load_state()


def test_member_applies_staff_decide_disburse_and_collect(live_server, page):
    coop = make_coop(code="flores", name="KSP Kopdit Flores")
    teller = make_user("kasir", coop, Role.TELLER)
    make_user("petugas", coop, Role.LOAN_OFFICER)
    make_user("manajer", coop, Role.MANAGER)
    admin = make_user("ketua", coop, Role.ADMIN)
    loans.create_product(
        cooperative=coop,
        actor=admin,
        code="UMKM",
        name="Pinjaman Usaha Anggota",
        method="menurun",
        rate=Decimal("1.5"),
        rate_period="month",
        min_term=3,
        max_term=24,
        min_principal=Decimal("500000"),
        max_principal=Decimal("20000000"),
        admin_fee=Decimal("10000"),
    )
    member = make_member(coop, teller, name="Maria Goreti Lewa")
    member.joined_on = dt.date(2024, 6, 1)
    member.save(update_fields=["joined_on"])
    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=sukarela_account(coop, member, teller).pk,
        amount=Decimal("1000000"),
        idempotency_key="e2e-fund",
    )
    members.create_portal_login(
        cooperative=coop,
        actor=None,
        member=member,
        password="tenun-ikat-sikka-88",
        username="maria",
    )
    base = live_server.url

    # The member applies from her phone.
    login(page, base, "maria", "tenun-ikat-sikka-88")
    page.wait_for_url(f"{base}/saya/")
    page.goto(f"{base}/saya/pinjaman/ajukan/")
    choose(page, "product", "Pinjaman Usaha Anggota")
    page.fill("input[name=principal]", "1.200.000")
    page.fill("input[name=term]", "12")
    page.fill("textarea[name=purpose]", "Modal tenun ikat")
    shot(page, "loan-01-member-applies")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/saya/pinjaman/pengajuan/\d+/$"))
    application = LoanApplication.objects.get(cooperative=coop)
    assert application.number in page.content()
    assert application.channel == "portal"

    # The loan officer finds it in the queue and analyses it.
    switch_user(page, base, "petugas")
    page.goto(f"{base}/k/flores/pinjaman/antrian/")
    page.click(f"a:has-text('{application.number}')")
    page.wait_for_url(re.compile(r".*/pinjaman/pengajuan/\d+/$"))
    page.fill("input[name=monthly_income]", "5.000.000")
    page.fill("input[name=monthly_expenses]", "2.000.000")
    page.fill("textarea[name=note]", "Usaha tenun berjalan tiga tahun.")
    page.click("form[action$='/analisis/'] button[type=submit]")
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == "analysed"
    shot(page, "loan-02-officer-analysed")

    # The manager approves (a different user: maker-checker).
    switch_user(page, base, "manajer")
    page.goto(f"{base}/k/flores/pinjaman/pengajuan/{application.pk}/")
    page.click("form[action$='/setujui/'] button[type=submit]")
    page.wait_for_load_state()
    application.refresh_from_db()
    assert application.status == "approved"
    shot(page, "loan-03-manager-approved")

    # The teller disburses in cash and takes the first instalment.
    switch_user(page, base, "kasir")
    page.goto(f"{base}/k/flores/pinjaman/pengajuan/{application.pk}/")
    page.click("form[action$='/cairkan/'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/k/flores/pinjaman/\d+/(\?kwitansi=\d+)?$"))
    loan = Loan.objects.get(cooperative=coop)
    first = loan.instalments.order_by("no").first()
    # 1.200.000 / 12 = 100.000 principal + 1,5 % of 1.200.000 = 18.000 interest.
    assert first.payment == Decimal("118000")
    assert "Rp 1.200.000" in page.content()
    shot(page, "loan-04-disbursed")
    page.fill("input[name=repay-amount]", "118.000")
    page.click("form[action$='/angsuran/'] button[type=submit]")
    page.wait_for_load_state()
    loan.refresh_from_db()
    assert loan.outstanding_principal == Decimal("1100000")
    shot(page, "loan-05-repayment")

    # The member sees the first instalment paid.
    switch_user(page, base, "maria", "tenun-ikat-sikka-88")
    page.goto(f"{base}/saya/pinjaman/")
    page.click(f"a[href$='/saya/pinjaman/{loan.pk}/']")
    page.wait_for_url(re.compile(rf".*/saya/pinjaman/{loan.pk}/$"))
    assert page.locator("tr.instalment-paid").count() == 1
    assert "Rp 1.100.000" in page.content()
    shot(page, "loan-06-member-schedule")

    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []
    assert loan_violations(cooperative=coop) == []
