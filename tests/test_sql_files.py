"""The fast paths' SQL: one file per function family (`<app>/sql/*.sql`), installed by a
migration, the database holding exactly that text, and no rule of its own in it (see
koperasi/sqlfunctions.py and docs/architecture.md, "Fast SQL paths")."""

import fnmatch
import re
import tomllib
from collections import Counter
from importlib import import_module
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.models import Choices

from koperasi import sqlfunctions
from koperasi.domain import loan_quality, repayment
from koperasi.ledger.chart import KSP_CHART
from koperasi.loans.services import common as loan_texts
from koperasi.savings.services import movements as savings_texts
from koperasi.sqlrows import USE_ORDINARY_WAY, Fallback

ROOT = Path(__file__).resolve().parents[1]

# Every number literal a file may hold, with how often: a new one (a class number, a
# threshold, a rate) fails until its rule comes in from Python, or it is justified here.
#   0, 0.00  zero: the empty side of a line, a movement's unused parts, "nothing left"
#   1        an array's first position, a loop's start, the next count (n + 1)
#   2        round(x, 2): the sen; the second collateral share's position
#   12       months in a year (calendar arithmetic)
#   0.01     a percentage as a fraction
#   255, 300 the widths of memo / note and of the audit summary (the columns')
NUMBERS = {
    ("ledger", "guards.sql"): {},
    ("ledger", "writers.sql"): {"0": 1, "1": 1},
    ("savings", "cash_movement.sql"): {"0": 5, "1": 1},
    ("loans", "penalty.sql"): {"0": 10, "0.00": 1, "0.01": 3, "1": 1, "12": 1, "2": 1},
    ("loans", "repay.sql"): {"0": 29, "0.00": 19, "1": 13, "2": 10, "255": 4, "300": 1},
}
# Every string literal a file may hold, besides the protocol with Python (KD409 and the
# fallback reasons, both taken from koperasi.sqlrows).
STRINGS = {
    "YYYY-MM-DD": "ISO 8601, as date.isoformat() writes the penalty key's date",
    "id": "the allocation JSON's keys (LoanTransaction.allocation's format, as a column name)",
    "version": "the allocation JSON's keys",
    "no": "the allocation JSON's keys",
    "waived": "the allocation JSON's keys",
    "recognised": "the allocation JSON's keys",
    "0": "the allocation's waived amount: a repayment waives nothing",
    "": "the penalty movement's note: none",
    "[]": "an empty JSON list",
    "{}": "an empty SQL array",
    "restrict_violation": "PostgreSQL's condition name for the immutable rows' error",
    "check_violation": "PostgreSQL's condition name for the unbalanced entry's error",
    "% rows are immutable: % refused": "the guard's message (services refuse first)",
    "journal entry % does not balance: debit %, credit %": "the guard's message",
}


def literals(sql: str) -> list[tuple[str, str]]:
    """("str", text) and ("num", digits) of every literal outside comments."""
    found, code, i = [], [], 0
    while i < len(sql):
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = len(sql) if end < 0 else end
        elif sql[i] == "'":
            text, j = "", i + 1
            while True:
                k = sql.index("'", j)
                text += sql[j:k]
                if sql.startswith("''", k):
                    text, j = text + "'", k + 2
                    continue
                i = k + 1
                break
            found.append(("str", text))
            code.append(" ")
        else:
            code.append(sql[i])
            i += 1
    body = "".join(code).replace("$fn$", " ")
    # Not part of a name ($1, r_2), not a "1.." loop bound's dots.
    for number in re.finditer(r"(?<![\w$.])\d+(?:\.\d+)?(?!\w)(?!\.\d)", body):
        found.append(("num", number.group()))
    return found


def python_rule_values() -> set[str]:
    """The values Python defines for the rules: every choice of the apps' models, the
    domain's tables, the chart's roles, the texts and keys the services write."""
    values: set[str] = set()
    for app in ("ledger", "savings", "loans", "members", "tenancy", "audit"):
        module = import_module(f"koperasi.{app}.models")
        for thing in vars(module).values():
            inner = [thing, *vars(thing).values()] if isinstance(thing, type) else []
            for choice in inner:
                if isinstance(choice, type) and issubclass(choice, Choices):
                    values |= {str(value) for value in choice.values}
    values |= set(repayment.COMPONENTS) | set(repayment.PENALTY_KINDS)
    values |= set(loan_quality.REGIMES) | set(loan_quality.KSP_THRESHOLDS)
    values |= {role for *_rest, role, _control in KSP_CHART if role}
    values |= {v for k, v in vars(loan_texts).items() if k.isupper() and isinstance(v, str)}
    values |= {savings_texts.SOURCE, savings_texts.LOAN_CHANNEL, repayment.ORDER_SEPARATOR}
    return values - {""}  # a blank choice is no rule


def test_every_file_is_installed_by_its_newest_migration():
    """A change to a .sql file needs a new migration that re-installs it."""
    assert sqlfunctions.migration_drift(MigrationLoader(None, ignore_no_migrations=True)) == []


def test_a_file_changed_without_a_migration_is_caught(monkeypatch):
    digest = sqlfunctions.sha256
    monkeypatch.setattr(
        sqlfunctions,
        "sha256",
        lambda app, name: "0" * 64 if name == "repay.sql" else digest(app, name),
    )
    problems = sqlfunctions.migration_drift(MigrationLoader(None, ignore_no_migrations=True))
    assert len(problems) == 1 and "loans/sql/repay.sql changed since loans.0009" in problems[0]


@pytest.mark.parametrize(("app", "name"), list(sqlfunctions.files()))
def test_the_sql_holds_no_rule_constant(app, name):
    found = literals(sqlfunctions.text(app, name))
    numbers = Counter(value for kind, value in found if kind == "num")
    assert dict(numbers) == NUMBERS[(app, name)], (
        "a number in the SQL that is not justified in tests/test_sql_files.py: pass the rule"
        " in from Python, or say here why it is not a rule"
    )
    strings = {value for kind, value in found if kind == "str"}
    protocol = {USE_ORDINARY_WAY} | {reason.value for reason in Fallback}
    assert strings - protocol - set(STRINGS) == set()
    assert strings & python_rule_values() == set()


def test_the_literal_scan_sees_a_rule_written_into_the_sql():
    """The mutation a reviewer made (a Macet branch classed 4) and a status spelt out."""
    sql = sqlfunctions.text("loans", "repay.sql")
    mutated = sql.replace("v_class := p_macet;", "v_class := 4;", 1)
    assert ("num", "4") in literals(mutated) and ("num", "4") not in literals(sql)
    spelt = sql.replace("l.status <> p_loan_active", "l.status <> 'active'")
    assert {v for k, v in literals(spelt) if k == "str"} & python_rule_values() == {"active"}


def test_the_sql_files_are_package_data():
    """An installed wheel has them (pyproject's package-data)."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["*"]
    for app, name in sqlfunctions.files():
        assert any(fnmatch.fnmatch(f"sql/{name}", pattern) for pattern in patterns), (app, name)


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the SQL functions exist on PostgreSQL only"
)


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(("app", "name"), list(sqlfunctions.files()))
def test_the_database_holds_what_the_file_says(app, name):
    assert sqlfunctions.installed_drift(connection, app, name) == []


@postgres_only
@pytest.mark.django_db
def test_a_hand_edited_function_or_a_stale_version_is_caught():
    sql = sqlfunctions.text("loans", "repay.sql")
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("v_class := p_macet;", "v_class := p_diragukan;", 1))
        # An older ledger_open_day beside the current one (another parameter list).
        cursor.execute(
            "CREATE FUNCTION ledger_open_day(bigint, date, date, integer) RETURNS date"
            " LANGUAGE sql AS 'SELECT $2'"
        )
    assert sqlfunctions.installed_drift(connection, "loans", "repay.sql") == [
        "loans/sql/repay.sql: loans_repay in the database differs from the file"
    ]
    assert sqlfunctions.installed_drift(connection, "ledger", "writers.sql") == [
        "ledger/sql/writers.sql: ledger_open_day in the database differs from the file"
    ]


@postgres_only
@pytest.mark.django_db
def test_a_reason_python_does_not_know_is_a_warning(caplog):
    """The protocol: KD409's message is the reason; one this Python does not know (an SQL file
    ahead of its Python) still falls back, counted and logged as a warning with its text."""
    import logging

    from koperasi import sqlrows

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION pg_temp.surprise() RETURNS integer LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'surprise' USING ERRCODE = 'KD409'; END $$"
        )
    answer = sqlrows.call_alone("SELECT pg_temp.surprise()", [])
    assert answer == sqlrows.FellBack(Fallback.UNKNOWN, "surprise")
    before = sqlrows.fast_path_counts().get(("test", "unknown"), 0)
    with caplog.at_level(logging.INFO, logger="koperasi.test"):
        sqlrows.fell_back(logging.getLogger("koperasi.test"), "test", answer.reason, answer.detail)
    assert sqlrows.fast_path_counts()[("test", "unknown")] == before + 1
    assert [(r.levelno, r.fallback, r.detail) for r in caplog.records] == [
        (logging.WARNING, "unknown", "surprise")
    ]
