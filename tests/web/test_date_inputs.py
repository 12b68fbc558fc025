"""Date pickers (issue 12 point 18): an `<input type="date">` wants its value in ISO
(2026-10-01); a localized value (01-10-2026) leaves it empty, so the portal statement's filter
showed no dates. Every date input of every form renders ISO, and the filter returns its rows."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger
from koperasi.members import services as members
from koperasi.savings import services as savings
from tests.conftest import PASSWORD, sukarela_account
from tests.web.form_catalogue import form_classes, form_fields

D = Decimal


@pytest.fixture
def member_client(client, coop, teller, member):
    user = members.create_portal_login(
        cooperative=coop, actor=teller, member=member, password=PASSWORD
    )
    client.force_login(user)
    return client


def date_value(body, name):
    match = re.search(rf'<input type="date" name="{name}"[^>]*>', body)
    assert match, f"no date input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def test_the_statement_prefills_its_date_in_iso(member_client, coop, funded_sukarela):
    response = member_client.get(f"/saya/rekening/{funded_sukarela.pk}/")
    assert response.status_code == 200
    expected = add_months(ledger.business_today(coop).replace(day=1), -2)
    assert date_value(response.content.decode(), "date_from") == expected.isoformat()


def test_the_statement_filters_by_the_dates_chosen(member_client, coop, teller, member):
    account = sukarela_account(coop, member, teller)
    today = ledger.business_today(coop)
    days = [today - dt.timedelta(days=n) for n in (20, 10, 5, 1)]
    for n, day in enumerate(days):
        savings.deposit(
            cooperative=coop,
            actor=teller,
            account_id=account.pk,
            amount=str(1000 * (n + 1)),
            idempotency_key=f"d-{n}",
            business_date=day,
        )
    query = {"date_from": days[1].isoformat(), "date_to": days[2].isoformat()}
    response = member_client.get(f"/saya/rekening/{account.pk}/", query)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.business_date, r.amount) for r in rows] == [
        (days[1], D("2000.00")),
        (days[2], D("3000.00")),
    ]
    assert response.context["opening"] == D("1000.00")  # the deposit before the period
    body = response.content.decode()
    # The chosen dates come back in the pickers, as the browser needs them.
    assert date_value(body, "date_from") == days[1].isoformat()
    assert date_value(body, "date_to") == days[2].isoformat()


@pytest.mark.parametrize("language", ["id", "en"])
def test_every_date_input_of_every_form_renders_iso(db, language):
    day = dt.date(2026, 10, 1)
    checked = []
    with translation.override(language):
        for form_class in form_classes():
            for name, field in form_fields(form_class).items():
                if not isinstance(field.widget, forms.DateInput):
                    continue
                where = f"{form_class.__module__}.{form_class.__name__}.{name}"
                html = field.widget.render(name, day)
                assert 'type="date"' in html, where
                assert 'value="2026-10-01"' in html, (where, html)
                checked.append(where)
    assert len(checked) >= 8, checked
