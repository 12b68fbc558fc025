"""`koperasi export beancount`: Beancount's own checker accepts the demo cooperative's books
and its balances, computed by beanquery, equal our trial balance to the sen."""

import datetime as dt
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import beanquery
import pytest
from beancount import loader
from beancount.core import account as bean_account
from django.core.management import CommandError, call_command
from django.db.models import Max

from koperasi.ledger.models import Account, JournalEntry
from koperasi.ledger.selectors import trial_balance
from koperasi.reports.beancount import ROOTS, beancount_lines, beancount_names
from koperasi.tenancy.models import Cooperative
from tests.conftest import make_coop

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


def export(tmp_path: Path, name: str = "books.beancount", **options) -> Path:
    target = tmp_path / name
    call_command("export", "beancount", output=str(target), **options)
    return target


def bean_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True, check=False)


def beancount_balances(path: Path, as_of: dt.date | None = None) -> dict[str, Decimal]:
    conn = beanquery.connect(f"beancount:{path}")
    assert conn.errors == []
    where = f"WHERE date <= {as_of.isoformat()} " if as_of else ""
    rows = conn.execute(f"SELECT account, sum(number) AS total {where}GROUP BY account").fetchall()
    return {name: total for name, total in rows if total}


def our_balances(coop: Cooperative, as_of: dt.date | None = None) -> dict[str, Decimal]:
    names = beancount_names(Account.objects.filter(cooperative=coop))
    rows, debit, credit = trial_balance(cooperative=coop, as_of=as_of)
    assert debit == credit
    return {names[row.account.pk]: row.debit - row.credit for row in rows}


def identity_holds(balances: dict[str, Decimal]) -> bool:
    """Assets = Liabilities + Equity + Income − Expenses, in Beancount's signs (credits < 0)."""
    by_root = {root: Decimal("0") for root in ROOTS.values()}
    for name, total in balances.items():
        by_root[name.split(":")[0]] += total
    assets, expenses = by_root["Assets"], by_root["Expenses"]
    liabilities, equity, income = (-by_root[r] for r in ("Liabilities", "Equity", "Income"))
    return assets != 0 and assets == liabilities + equity + income - expenses


@pytest.fixture
def demo(db):
    from koperasi.demo import seed_demo

    return seed_demo(members_count=12, progress=lambda _m: None)


def test_demo_export_passes_bean_check_and_matches_the_trial_balance(demo, tmp_path):
    path = export(tmp_path)
    checked = bean_check(path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    entries, errors, options = loader.load_file(str(path))
    assert errors == []
    assert options["operating_currency"] == ["IDR"]
    text = path.read_text(encoding="utf-8")
    assert text.count(" * ") == JournalEntry.objects.filter(cooperative=demo).count()

    today = beancount_balances(path)
    assert today == our_balances(demo)
    assert identity_holds(today)

    last = JournalEntry.objects.filter(cooperative=demo).aggregate(d=Max("business_date"))["d"]
    past = last.replace(day=1) - dt.timedelta(days=120)
    past = past.replace(day=28) + dt.timedelta(days=4)
    past = past - dt.timedelta(days=past.day)  # a month end about four months back
    then = beancount_balances(path, past)
    assert then and then != today
    assert then == our_balances(demo, past)
    assert identity_holds(then)
    # That month end is asserted in the file itself, dated the next morning.
    cash = f"{(past + dt.timedelta(days=1)).isoformat()} balance Assets:1101-Kas"
    assert f"{cash}  {then['Assets:1101-Kas']:.2f} ~ 0.00 IDR" in text


def roots(balances: dict[str, Decimal]) -> dict[str, Decimal]:
    by_root = {root: Decimal("0") for root in ROOTS.values()}
    for name, total in balances.items():
        by_root[name.split(":")[0]] += total
    return by_root


def test_the_balance_sheet_agrees_with_beancount(demo, tmp_path):
    """Our statement of financial position, line by line and in total, against Beancount's
    balances of the accounts behind each line, today and at a past month end."""
    from koperasi.ledger import services as ledger
    from koperasi.reports.statements import mapping, position

    path = export(tmp_path)
    names = beancount_names(Account.objects.filter(cooperative=demo))
    mapped = mapping(cooperative=demo)
    last = JournalEntry.objects.filter(cooperative=demo).aggregate(d=Max("business_date"))["d"]
    past = last.replace(day=1) - dt.timedelta(days=1)
    for day in (ledger.business_today(demo), past):
        bean = beancount_balances(path, day)
        statement = position(cooperative=demo, as_of=day)
        assert statement.figures["balanced"]
        by_root = roots(bean)
        assert statement.figures["total_assets"][0] == by_root["Assets"]
        claims = next(r for r in statement.rows if r.style == "total" and r is statement.rows[-1])
        income_less_expenses = -by_root["Income"] - by_root["Expenses"]
        assert claims.amounts[0] == -by_root["Liabilities"] - by_root["Equity"] + (
            income_less_expenses
        )
        for row in statement.rows:
            if not row.code or row.code in ("current_surplus", "retained_surplus"):
                continue
            accounts = [a for a in mapped.of_line(row.code)]
            total = sum((bean.get(names[a.pk], Decimal("0")) for a in accounts), Decimal("0"))
            credit_side = accounts and accounts[0].type in ("liability", "equity")
            assert row.amounts[0] == (-total if credit_side else total), (day, row.code)


def test_export_to_a_past_date_stops_there_and_checks(demo, tmp_path):
    past = dt.date.today() - dt.timedelta(days=75)
    path = export(tmp_path, to=past.isoformat())
    assert bean_check(path).returncode == 0
    dates = re.findall(r"^(\d{4}-\d\d-\d\d) \* ", path.read_text(), flags=re.M)
    assert dates and max(dates) <= past.isoformat()
    assert beancount_balances(path) == our_balances(demo, past)
    closing = f"{(past + dt.timedelta(days=1)).isoformat()} balance Assets:1101-Kas"
    assert closing in path.read_text()


def tamper(path: Path, pattern: str, replacement: str, count: int = 1) -> Path:
    text = path.read_text()
    changed, n = re.subn(pattern, replacement, text, count=count, flags=re.M)
    assert n == count
    bad = path.with_name("bad-" + path.name)
    bad.write_text(changed)
    return bad


def test_a_wrong_export_fails_bean_check(demo, tmp_path):
    path = export(tmp_path)
    assert bean_check(path).returncode == 0
    # One posting off by one sen: the transaction no longer balances.
    one = tamper(path, r"^(  Assets:1101-Kas  \d+)\.00 IDR$", r"\1.01 IDR")
    result = bean_check(one)
    assert result.returncode != 0 and "does not balance" in result.stdout + result.stderr
    # Both sides of an entry off by one sen: it balances, the month-end assertion catches it.
    both = tamper(
        path,
        r"^(  Assets:1101-Kas  \d+)\.00 IDR\n(  Equity:3101-Simpanan-Pokok  -\d+)\.00 IDR$",
        r"\1.01 IDR\n\2.01 IDR",
    )
    result = bean_check(both)
    assert result.returncode != 0 and "Balance failed" in result.stdout + result.stderr


def test_every_chart_account_gets_a_unique_valid_name(coop):
    accounts = list(Account.objects.filter(cooperative=coop))
    names = beancount_names(accounts)
    assert set(names) == {a.pk for a in accounts}
    assert len(set(names.values())) == len(accounts)
    assert all(bean_account.is_valid(name) for name in names.values())
    assert names[next(a.pk for a in accounts if a.code == "1101")] == "Assets:1101-Kas"
    assert (
        names[next(a.pk for a in accounts if a.code == "1209")]
        == "Assets:1209-Penyisihan-Kerugian-Pinjaman-CKPN"
    )


def test_odd_codes_and_names_still_map_to_unique_valid_names():
    odd = [
        Account(pk=1, code="1.1", name="Kas Kécil", type="asset"),
        Account(pk=2, code="1-1", name="Kas  Kecil!", type="asset"),
        Account(pk=3, code="x9", name='Utang "lain"', type="liability"),
        Account(pk=4, code="!", name="", type="expense"),
        Account(pk=5, code="5", name="Beban: (RAT) / Pendidikan", type="expense"),
    ]
    names = beancount_names(odd)
    assert len(set(names.values())) == 5
    assert all(bean_account.is_valid(name) for name in names.values()), names
    assert names[2] == "Assets:1-1-Kas-Kecil" and names[1] == "Assets:1-1-Kas-Kecil-1"
    assert names[3] == "Liabilities:X9-Utang-lain"


def test_the_export_streams_in_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        lines = sum(1 for _line in beancount_lines(cooperative=demo))
    assert lines > 100


def test_memos_are_quoted_safely(coop, funded_sukarela, tmp_path):
    from koperasi.ledger import services as ledger
    from koperasi.ledger.services.lines import Line

    cash = Account.objects.get(cooperative=coop, code="1101")
    other = Account.objects.get(cooperative=coop, code="4301")
    ledger.post_entry(
        cooperative=coop,
        actor=None,
        business_date=ledger.business_today(coop),
        source="manual",
        memo='Biaya "admin" \\ kantor\nbaris dua',
        lines=[Line(cash, debit=Decimal("1.50")), Line(other, credit=Decimal("1.50"))],
        idempotency_key="memo-aneh",
    )
    path = export(tmp_path)
    assert bean_check(path).returncode == 0
    assert '* "Biaya \\"admin\\" \\\\ kantor baris dua"' in path.read_text()


def test_before_the_first_entry_the_export_is_empty_but_valid(coop, funded_sukarela, tmp_path):
    path = export(tmp_path, to="2001-01-31")
    assert bean_check(path).returncode == 0
    text = path.read_text()
    assert " * " not in text
    assert "2001-02-01 balance Assets:1101-Kas  0.00 ~ 0.00 IDR" in text


def test_stdout_is_the_default_output(coop, funded_sukarela, capsys):
    call_command("export", "beancount")
    out = capsys.readouterr().out
    assert out.startswith('option "title"') and "Liabilities:2101-Simpanan-Sukarela" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"coop": "tidak-ada"}, "Tidak ada koperasi"),
        ({"to": "2026-13-01"}, "Tanggal tidak valid"),
        ({"to": "kemarin"}, "Tanggal tidak valid"),
        ({"to": "2999-01-01"}, "di masa depan"),
        ({"output": "/tidak/ada/folder/buku.beancount"}, "Folder tidak ditemukan"),
    ],
)
def test_bad_input_is_a_clear_error_with_exit_code_2(coop, options, message):
    with pytest.raises(CommandError, match=message) as err:
        call_command("export", "beancount", **options)
    assert err.value.returncode == 2


def test_several_cooperatives_need_coop_and_the_error_names_them(coop, tmp_path):
    make_coop(code="kopsel", name="KSP Selatan")
    with pytest.raises(CommandError, match="kopdit, kopsel") as err:
        call_command("export", "beancount")
    assert err.value.returncode == 2
    path = export(tmp_path, coop="kopsel")
    assert 'option "title" "KSP Selatan (kopsel)"' in path.read_text()
