"""scripts/probe.py cannot rot: its building blocks run here on a very small, fixed amount of
work (no time budget decides what runs), through Django's test client instead of gunicorn.

The whole script end to end (gunicorn, its own SQLite database, about a minute) runs only when
KOPERASI_PROBE_E2E=1 is set.
"""

import json
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))

from _probe import books, fuzz, race, tenant, world  # noqa: E402
from _probe.context import Context  # noqa: E402
from _probe.findings import (  # noqa: E402
    Findings,
    Reply,
    Sent,
    revealed_marker,
    server_error_kind,
)
from _probe.server import exception_lines, require_loopback  # noqa: E402

FAR = 600.0  # seconds: the work below is bounded by its size, never by the clock


class InProcess:
    """The probe's HTTP client interface, answered by Django's test client."""

    def request(self, method, path, headers=None, body=None) -> Reply:
        extra = {}
        content_type = ""
        for name, value in (headers or {}).items():
            text = value.decode("latin-1") if isinstance(value, bytes) else value
            if name.lower() == "content-type":
                content_type = text
            else:
                extra["HTTP_" + name.upper().replace("-", "_")] = text
        response = Client(raise_request_exception=False).generic(
            method, path, data=body or b"", content_type=content_type, **extra
        )
        content = b"".join(response.streaming_content) if response.streaming else response.content
        headers = {k.lower(): v for k, v in response.headers.items()}
        cookies = {k: m.value for k, m in response.cookies.items()}
        return Reply(response.status_code, headers, content, cookies)


# ---------------------------------------------------------------- the rules, without a database


def test_what_counts_as_a_server_error():
    html = {"content-type": "text/html; charset=utf-8"}
    as_json = {"content-type": "application/json"}
    assert server_error_kind("/api/v1/members", Reply(500, html, b"boom")) == "500"
    assert server_error_kind("/k/a/", Reply(502, html, b"")) == "502"
    assert server_error_kind("/api/v1/members", Reply(0, error="reset")) == "no answer"
    assert "not JSON" in server_error_kind("/api/v1/x", Reply(405, html, b"Method not allowed"))
    assert "not JSON" in server_error_kind("/api/v1/x", Reply(200, as_json, b"{broken"))
    assert server_error_kind("/api/v1/x", Reply(404, as_json, b'{"detail": []}')) is None
    assert server_error_kind("/api/v1/auth/revoke", Reply(204, {}, b"")) is None
    assert server_error_kind("/k/a/anggota/", Reply(403, html, b"<html>")) is None


def test_a_leak_is_the_other_cooperatives_text_not_an_echo_of_the_request():
    assert revealed_marker(b"<td>ZQXBRAVO Anggota Satu</td>", [b"Zqxbravo"]) == b"Zqxbravo"
    assert revealed_marker(b"<td>Zqxalfa Anggota Satu</td>", [b"Zqxbravo"]) is None
    findings = Findings()
    ctx = Context(InProcess(), None, None, findings, [b"5310011001802000", b"Zqxbravo"])
    page = Reply(200, {"content-type": "text/html"}, b"unknown: 5310011001802000")
    upload = Sent("POST", "/k/alfa/x/", "/k/alfa/x/", {}, b"no_nik\n5310011001802000\n", "alfa/x")
    ctx.judge("t", upload, page)
    assert findings.leaks == []
    shown = Reply(200, {"content-type": "text/html"}, b"Zqxbravo Anggota Dua")
    ctx.judge("t", upload, shown)
    assert len(findings.leaks) == 1


def test_the_exception_behind_a_500_is_read_from_the_server_log():
    log = (
        '127.0.0.1 - - [05/Dec/2026:12:00:00 +0800] "GET / HTTP/1.1" 200 5\n'
        "Internal Server Error: /api/v1/savings/transfers\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "    next(t for t in pair)\n"
        "StopIteration\n"
        '127.0.0.1 - - [05/Dec/2026:12:00:01 +0800] "POST /api/v1/savings/transfers" 500 1\n'
    )
    assert exception_lines(log) == ["StopIteration"]


def test_only_loopback_is_probed():
    require_loopback("127.0.0.1")
    with pytest.raises(SystemExit):
        require_loopback("10.0.0.5")
    with pytest.raises(SystemExit):
        world.prepare(
            sqlite=False,
            pg_server="postgresql://postgres@db.example.org:5432",
            db_name="koperasi_probe",
            keep=False,
        )
    with pytest.raises(SystemExit):
        world.prepare(
            sqlite=False,
            pg_server="postgresql://postgres@127.0.0.1:5432",
            db_name="koperasi",
            keep=False,
        )


# ---------------------------------------------------------------- the judges of the books


@pytest.mark.django_db
def test_double_posts_are_movements_that_do_not_match_the_answers(coop, teller, funded_sukarela):
    from koperasi.savings import services as savings

    savings.deposit(
        cooperative=coop,
        actor=teller,
        account_id=funded_sukarela.pk,
        amount=Decimal("1000"),
        idempotency_key="api:k1",
    )
    once = ("deposit", True, "deposit 1000")
    assert books.double_posts(coop, {"k1": [once]}) == []
    problems = books.double_posts(
        coop,
        {
            "k1": [("deposit", False, "refused")],  # posted though every answer refused it
            "k2": [once],  # accepted but never posted
            "k3": [once, ("repay", True, "repay 1000")],  # one key, two requests accepted
        },
    )
    assert [p.split("'")[1] for p in problems] == ["k1", "k2", "k3"]


@pytest.mark.django_db
def test_a_balance_that_is_not_the_sum_of_its_movements_is_an_overdraft(funded_sukarela):
    from koperasi.savings.models import SavingsAccount

    assert books.overdrafts() == []
    SavingsAccount.objects.filter(pk=funded_sukarela.pk).update(balance=Decimal("500001"))
    (problem,) = books.overdrafts()
    assert funded_sukarela.number in problem and "500001" in problem


@pytest.mark.django_db
def test_a_snapshot_sees_every_change_to_one_cooperative_and_none_of_another(coop, other_coop):
    from koperasi.members.models import Member
    from tests.conftest import make_member

    member = make_member(other_coop)
    before = books.snapshot(coop, [])
    Member.objects.filter(pk=member.pk).update(name="Lain Sekali")
    assert books.differences(before, books.snapshot(coop, [])) == []
    mine = make_member(coop)
    after = books.snapshot(coop, [])
    Member.objects.filter(pk=mine.pk).update(name="Nama Baru")
    changed = books.differences(after, books.snapshot(coop, []))
    assert len(changed) == 1 and changed[0].startswith("members.Member: +1 -1")


# ---------------------------------------------------------------- the phases, on a fixed budget


@pytest.fixture
def probed(transactional_db, settings, tmp_path):
    """Both cooperatives, built as the script builds them, and a context speaking in-process."""
    settings.MEDIA_ROOT = tmp_path
    the_world = world.build(None)
    findings = Findings()
    ctx = Context(InProcess(), None, the_world, findings, the_world.markers_of_b())
    from koperasi.api import api

    spec = api.get_openapi_schema(path_prefix="/api/v1")
    return ctx, json.loads(json.dumps(spec, default=str))


def _small(spec, templates):
    paths = {p: ops for p, ops in spec["paths"].items() if p in templates}
    assert len(paths) == len(templates), "an operation the probe relies on has gone"
    return {**spec, "paths": paths}


def test_the_phases_run_and_find_nothing_wrong_in_the_core(probed):
    ctx, spec = probed
    a, b = ctx.world.a, ctx.world.b
    for kind in (
        "member",
        "account",
        "application",
        "loan",
        "loan_txn",
        "restructuring",
        "write_off",
        "document",
        "savings_txn",
        "entry",
        "membership",
    ):
        assert a.ids.get(kind) and b.ids.get(kind), kind
    small = _small(
        spec,
        [
            "/api/v1/members/{member_id}",
            "/api/v1/loans/loans/{loan_id}/repayments",
            "/api/v1/auth/revoke",
        ],
    )
    routes = [
        "k/<slug:code>/simpanan/rekening/<int:account_id>/",
        "saya/rekening/<int:account_id>/",
    ]
    watch = tenant.run(ctx, small, time.monotonic() + FAR, routes=routes)
    fuzz.run(ctx, small, time.monotonic() + FAR, max_examples=2, seed=1)
    watch.after(fuzz.PHASE, None, None)
    race.run(ctx, time.monotonic() + FAR, threads=1, seed=1, rounds_limit=1)
    findings = ctx.findings
    assert findings.requests["cross-tenant"] > 40
    assert findings.requests["fuzz"] > 100
    assert findings.requests["concurrency"] >= 6
    assert "complete" in findings.coverage["cross-tenant"]
    assert findings.leaks == []
    assert findings.double_posts == []
    assert books.overdrafts() == []
    call_command("books_check")  # exits non-zero on any violation
    summary = findings.summary_line()
    assert re.fullmatch(
        r"server_errors=\d+ leaks=0 double_posts=0 overdrafts=0 check=NOT-RUN", summary
    )


# ---------------------------------------------------------------- the script itself, end to end


@pytest.mark.skipif(
    os.environ.get("KOPERASI_PROBE_E2E") != "1",
    reason="about a minute (gunicorn, migrations): set KOPERASI_PROBE_E2E=1 to run it",
)
def test_the_script_end_to_end_on_sqlite(tmp_path):
    report = tmp_path / "probe.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KOPERASI_HOME")}
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "probe.py"),
            "--sqlite",
            "--budget-seconds",
            "45",
            "--max-examples",
            "3",
            "--threads",
            "2",
            "--workers",
            "1",
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    last = done.stdout.strip().splitlines()[-1]
    match = re.fullmatch(
        r"server_errors=(\d+) leaks=(\d+) double_posts=(\d+) overdrafts=(\d+) check=(OK|FAILED)",
        last,
    )
    assert match, done.stdout[-3000:] + done.stderr[-3000:]
    counts = [int(n) for n in match.groups()[:4]]
    failed = any(counts) or match.group(5) != "OK"
    assert done.returncode == (1 if failed else 0)
    data = json.loads(report.read_text())
    assert data["summary"] == last
    assert all(data["requests"].get(p, 0) > 0 for p in ("cross-tenant", "fuzz", "concurrency"))
