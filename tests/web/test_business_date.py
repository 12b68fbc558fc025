"""The business date (issue 12 point 15): always in the staff header, the same on the dashboard
and the close page, and a posting taken after the day-end close is dated the next business day
with a notice on the screen and on the receipt ("Dibukukan pada tanggal …")."""

import datetime as dt
import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from koperasi.closing import services as closing
from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Cooperative
from tests.conftest import PASSWORD

D = Decimal
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NOTICE = "Dibukukan pada tanggal {date}: diterima {taken} setelah tutup hari"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE


def text_of(response):
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return " ".join(html.unescape(body).split())


def header_date(response):
    match = re.search(
        r'id="business-date-header">.*?<strong>([^<]+)</strong>', response.content.decode()
    )
    return match.group(1) if match else None


def dashboard_date(response):
    """The date under the dashboard's title (not the header's)."""
    hgroup = re.search(r"<hgroup>.*?</hgroup>", response.content.decode(), re.S).group(0)
    return re.search(r"(\d\d/\d\d/\d{4})", hgroup).group(1)


def close_page_date(response):
    return re.search(r'id="business-date">([^<]+)<', response.content.decode()).group(1)


def close_today(coop):
    """The day-end close runs for today (the first close closes only today)."""
    run = closing.start_day_close(cooperative=coop, actor=None)
    closing.execute(run, actor=None)
    coop.refresh_from_db()
    assert coop.days_closed_through == ledger.local_today(coop)


def pages(client, coop):
    dashboard = client.get(reverse("dashboard", kwargs={"code": coop.code}))
    close_page = client.get(reverse("closing:close", kwargs={"code": coop.code}))
    assert dashboard.status_code == close_page.status_code == 200
    return dashboard, close_page


def test_staff_pages_show_the_business_date_in_the_header(client, coop, admin_user, member):
    client.force_login(admin_user)
    today = f"{ledger.business_today(coop):%d/%m/%Y}"
    for url in (
        reverse("dashboard", kwargs={"code": coop.code}),
        reverse("members:list", kwargs={"code": coop.code}),
        reverse("savings:teller", kwargs={"code": coop.code}),
        reverse("lending:portfolio", kwargs={"code": coop.code}),
        reverse("settings:settings", kwargs={"code": coop.code}),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert header_date(response) == today, url


def test_the_member_portal_has_no_business_date(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    assert header_date(client.get("/saya/")) is None


def test_dashboard_close_page_and_header_agree(client, coop, admin_user):
    client.force_login(admin_user)
    today = ledger.local_today(coop)
    expected = f"{today:%d/%m/%Y}"
    dashboard, close_page = pages(client, coop)
    assert dashboard_date(dashboard) == close_page_date(close_page) == expected
    assert header_date(dashboard) == header_date(close_page) == expected

    # Days closed through three days ago (a close that was skipped): work is still dated today.
    Cooperative.objects.filter(pk=coop.pk).update(days_closed_through=today - dt.timedelta(days=3))
    dashboard, close_page = pages(client, coop)
    assert dashboard_date(dashboard) == close_page_date(close_page) == expected
    assert header_date(close_page) == expected


def test_after_todays_close_every_page_shows_tomorrow(client, coop, admin_user):
    client.force_login(admin_user)
    close_today(coop)
    tomorrow = f"{ledger.local_today(coop) + dt.timedelta(days=1):%d/%m/%Y}"
    dashboard, close_page = pages(client, coop)
    assert dashboard_date(dashboard) == close_page_date(close_page) == tomorrow
    assert header_date(dashboard) == header_date(close_page) == tomorrow


def _deposit(client, coop, member, account, amount="50.000"):
    return client.post(
        reverse("savings:teller", kwargs={"code": coop.code}) + f"?member={member.pk}",
        {
            "action": "deposit",
            "member": member.pk,
            "deposit-account": account.pk,
            "deposit-amount": amount,
            "deposit-note": "",
            "deposit-idempotency_key": str(uuid.uuid4()),
        },
        follow=True,
    )


def test_a_deposit_before_the_close_has_no_notice(client, coop, teller, member, funded_sukarela):
    client.force_login(teller)
    response = _deposit(client, coop, member, funded_sukarela)
    assert response.status_code == 200
    assert "Dibukukan pada tanggal" not in text_of(response)


def test_a_deposit_after_the_close_is_booked_tomorrow_and_says_so(
    client, coop, teller, member, funded_sukarela
):
    close_today(coop)
    today = ledger.local_today(coop)
    tomorrow = today + dt.timedelta(days=1)
    client.force_login(teller)
    response = _deposit(client, coop, member, funded_sukarela)
    txn = SavingsTransaction.objects.filter(account=funded_sukarela).latest("pk")
    assert txn.business_date == tomorrow
    notice = NOTICE.format(date=f"{tomorrow:%d/%m/%Y}", taken=f"{today:%d/%m/%Y}")
    text = text_of(response)
    assert text.count(notice) == 2  # the message on the screen and the receipt itself
    assert 'id="booked-later"' in response.content.decode()
    # The receipt keeps saying it when reprinted (no message then).
    again = client.get(reverse("savings:receipt", kwargs={"code": coop.code, "txn_id": txn.pk}))
    assert text_of(again).count(notice) == 1
