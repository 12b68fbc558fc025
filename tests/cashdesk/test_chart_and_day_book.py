"""The suspense account in every chart (new and existing cooperatives), and the day book."""

import datetime as dt
import importlib
from decimal import Decimal

from django.apps import apps

from koperasi.cashdesk import selectors
from koperasi.ledger.models import Account
from koperasi.savings import services as savings

migration = importlib.import_module("koperasi.ledger.migrations.0011_cash_suspense")


def test_a_new_cooperative_has_the_suspense_account(coop):
    account = Account.objects.get(cooperative=coop, system_role="cash_suspense")
    assert (account.code, account.type, account.parent.code) == ("1199", "asset", "11")
    assert not account.is_control and not account.is_header


def test_the_migration_adds_it_to_existing_cooperatives(coop, other_coop):
    Account.objects.filter(system_role="cash_suspense").delete()
    Account.objects.create(cooperative=other_coop, code="1199", name="Kas Kecil", type="asset")
    migration.add_cash_suspense(apps, None)
    migration.add_cash_suspense(apps, None)  # run twice: still one each
    mine = Account.objects.get(cooperative=coop, system_role="cash_suspense")
    theirs = Account.objects.get(cooperative=other_coop, system_role="cash_suspense")
    assert (mine.code, theirs.code) == ("1199", "11991")  # their own 1199 is kept
    assert theirs.parent.code == "11"
    assert Account.objects.filter(system_role="cash_suspense").count() == 2


def test_the_day_book_pages_and_totals(coop, teller, cash_day, manager, today):
    for n in range(3):
        savings.deposit(
            cooperative=coop,
            actor=manager,
            account_id=cash_day.pk,
            amount=Decimal("1000"),
            idempotency_key=f"m{n}",
        )
    first = selectors.day_book(cooperative=coop, day=today, page_size=2)
    assert first.page.has_next and len(first.page.rows) == 2
    assert all(len(e.lines) >= 2 for e in first.page.rows)
    third = selectors.day_book(cooperative=coop, day=today, page_size=2, raw_page="3")
    ids = [e.pk for e in first.page.rows + third.page.rows]
    assert ids == sorted(ids)
    savings_total = next(s for s in first.sources if s.source == "savings")
    # pokok 100.000 + 500.000 in, 120.000 out (the teller); 3 × 1.000 in (the manager).
    assert (savings_total.cash_in, savings_total.cash_out) == (Decimal("603000"), Decimal("120000"))
    mine = selectors.day_book(cooperative=coop, day=today, teller_id=teller.pk)
    assert {e.actor_id for e in mine.page.rows} == {teller.pk}
    assert mine.total.entries == 3
    assert selectors.day_book(cooperative=coop, day=today - dt.timedelta(1)).total.entries == 1
