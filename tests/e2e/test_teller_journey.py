"""Teller logs in → registers a member → deposits → sees the balance and receipt → the member
logs in and sees the statement. Real Chromium, real server, screenshots in test-artifacts/."""

import re

import pytest

from koperasi.ledger.selectors import ledger_violations
from koperasi.savings.selectors import savings_violations
from koperasi.tenancy.models import Role
from tests.conftest import PASSWORD, make_coop, make_user
from tests.e2e.conftest import shot

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, base, username, password):
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit] >> nth=-1")


def choose(page, select_name, text):
    option = page.locator(f"select[name={select_name}] option", has_text=text).first
    page.select_option(f"select[name={select_name}]", value=option.get_attribute("value"))


def test_teller_registers_member_deposits_and_member_sees_statement(live_server, page):
    coop = make_coop(code="flores", name="KSP Kopdit Flores")
    make_user("kasir", coop, Role.TELLER)
    base = live_server.url

    login(page, base, "kasir", PASSWORD)
    page.wait_for_url(f"{base}/k/flores/")
    shot(page, "01-dashboard")

    page.goto(f"{base}/k/flores/anggota/baru/")
    page.fill("input[name=name]", "Maria Goreti Lewa")
    page.fill("input[name=nik]", "5310015507880003")
    page.fill("input[name=phone]", "0812 3456 7890")
    page.fill("input[name=district]", "Alok")
    page.fill("input[name=regency]", "Kabupaten Sikka")
    page.fill("input[name=province]", "Nusa Tenggara Timur")
    assert page.is_checked("input[name=pay_pokok]")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/k/flores/anggota/\d+/$"))
    assert "Maria Goreti Lewa" in page.content()
    assert "A0001" in page.content()
    member_url = page.url
    member_id = member_url.rstrip("/").split("/")[-1]
    shot(page, "02-member-registered")

    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", "tenun-ikat-sikka-88")
    page.click("form[action$='login-portal/'] button[type=submit]")
    page.wait_for_load_state()
    assert "maria" in page.content()

    page.goto(f"{base}/k/flores/simpanan/?member={member_id}")
    choose(page, "open-product", "Sukarela")
    page.click("form:has(input[name=action][value=open]) button[type=submit]")
    page.wait_for_load_state()
    choose(page, "deposit-account", "SS-A0001")
    page.fill("input[name=deposit-amount]", "1.250.000")
    page.click("form:has(input[name=action][value=deposit]) button[type=submit]")
    page.wait_for_url(re.compile(r".*/kwitansi/$"))
    receipt = page.content()
    assert "Rp 1.250.000" in receipt
    assert "Satu juta dua ratus lima puluh ribu rupiah" in receipt
    shot(page, "03-receipt")

    page.goto(f"{base}/k/flores/simpanan/?member={member_id}")
    assert "Rp 1.250.000" in page.content()
    shot(page, "04-teller-balances")

    page.context.clear_cookies()
    login(page, base, "maria", "tenun-ikat-sikka-88")
    page.wait_for_url(f"{base}/saya/")
    portal = page.content()
    assert "Rp 1.250.000" in portal
    assert "Rp 100.000" in portal  # simpanan pokok paid at registration
    shot(page, "05-portal")
    page.click("a:has-text('Sukarela')")
    page.wait_for_url(re.compile(r".*/saya/rekening/\d+/$"))
    assert "Rp 1.250.000" in page.content()
    shot(page, "06-portal-statement")

    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []
