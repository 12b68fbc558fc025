"""The health assessment from books whose figures are known; its questionnaire and weights."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.audit.models import AuditLog
from koperasi.errors import ServiceError
from koperasi.reports import health, services
from koperasi.tenancy.models import Role
from tests.conftest import make_user
from tests.reports.test_statements import books, entry  # noqa: F401

D = Decimal
AS_OF = dt.date(2026, 6, 30)


def by_code(report):
    return {c.code: c for c in report.components}


def test_ratios_with_their_working(books):  # noqa: F811
    report = health.assessment(cooperative=books, as_of=AS_OF)
    c = by_code(report)
    # Participation 600,000 of 800,000 income: 75 % scores 100.
    assert (c["gross_participation"].numerator, c["gross_participation"].denominator) == (
        D("600000.00"),
        D("800000.00"),
    )
    assert c["gross_participation"].ratio == D("75.00") and c["gross_participation"].score == 100
    # Net participation 600,000 against 100,000 of costs.
    assert c["operational_self_reliance"].ratio == D("600.00")
    # Cash 14.8M against sukarela 20M.
    assert c["cash_ratio"].ratio == D("74.00")
    # No loan is classed: no risky loans, nothing to divide by.
    assert c["capital_to_risky_loans"].ratio is None
    assert c["management"].score == 0
    assert any("2026" in note for note in report.notes)  # the questionnaire is unanswered
    pearls = {p.code: p for p in report.pearls}
    assert pearls["E5"].numerator == D("20000000.00")
    assert pearls["E5"].denominator == D("26300000.00")
    assert pearls["E5"].ratio == D("76.05") and pearls["E5"].meets
    # Assets a year earlier (30/06/2025): pokok 5M and sukarela 20M in, interest 900,000 on
    # that day; the loan only moved cash into a receivable.
    assert pearls["S11"].denominator == D("25900000.00")


def test_questionnaire_and_weights_change_the_score(books, admin_user):  # noqa: F811
    before = health.assessment(cooperative=books, as_of=AS_OF)
    services.save_health_answers(
        cooperative=books,
        actor=admin_user,
        year=2026,
        answers={"board_meets": True, "plan_approved": True, "rat_on_time": True},
    )
    after = health.assessment(cooperative=books, as_of=AS_OF)
    assert by_code(after)["management"].score == D(20)
    assert by_code(after)["identity"].ratio == D("33.33")
    assert after.total > before.total
    services.set_health_weight(
        cooperative=books, actor=admin_user, component="management", weight=D(0)
    )
    assert by_code(health.assessment(cooperative=books, as_of=AS_OF))["management"].weight == 0
    assert AuditLog.objects.filter(action="reports.health_weight").count() == 1


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda c, u: services.set_health_weight(
                cooperative=c, actor=u, component="x", weight=D(1)
            ),
            "unknown_component",
        ),
        (
            lambda c, u: services.set_health_weight(
                cooperative=c, actor=u, component="management", weight=D(101)
            ),
            "invalid_weight",
        ),
        (
            lambda c, u: services.set_health_weight(
                cooperative=c, actor=u, component="management", weight=D("1.001")
            ),
            "invalid_weight",
        ),
        (
            lambda c, u: services.save_health_answers(
                cooperative=c, actor=u, year=2026, answers={"nope": True}
            ),
            "invalid_answers",
        ),
        (
            lambda c, u: services.save_health_answers(
                cooperative=c, actor=u, year=2026, answers={"board_meets": "ya"}
            ),
            "invalid_answers",
        ),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(books, admin_user, call, code):  # noqa: F811
    with pytest.raises(ServiceError) as refused:
        call(books, admin_user)
    assert refused.value.code == code
    assert health.weights(cooperative=books)["management"] == D(15)
    assert health.answers(cooperative=books, year=2026) is None


def test_pages_and_forms(books, client, admin_user):  # noqa: F811
    client.force_login(admin_user)
    base = f"/k/{books.code}/laporan/kesehatan/"
    page = client.get(base + "?as_of=2026-06-30")
    assert page.status_code == 200 and b"PEARLS" in page.content
    assert client.get(base + "?as_of=2099-01-01").status_code == 400
    assert client.get(base + "?as_of=bukan-tanggal").status_code == 400
    saved = client.post(base + "kuesioner/", {"year": "2026", "board_meets": "yes"})
    assert saved.status_code == 302
    assert health.answers(cooperative=books, year=2026)["board_meets"] is True
    bad = client.post(base + "bobot/", {"management": "abc"})
    assert bad.status_code == 400
    assert health.weights(cooperative=books)["management"] == D(15)
    pdf = client.get(f"/k/{books.code}/laporan/kesehatan.pdf?as_of=2026-06-30")
    assert pdf.content.startswith(b"%PDF")


def test_a_supervisor_reads_but_cannot_answer(books, client):  # noqa: F811
    supervisor = make_user("pengawas-h", books, Role.SUPERVISOR)
    client.force_login(supervisor)
    base = f"/k/{books.code}/laporan/kesehatan/"
    assert client.get(base + "kuesioner/").status_code == 200
    assert client.post(base + "kuesioner/", {"year": "2026"}).status_code == 403
    assert client.post(base + "bobot/", {"management": "1"}).status_code == 403
    assert health.answers(cooperative=books, year=2026) is None
