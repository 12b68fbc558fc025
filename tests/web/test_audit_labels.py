"""The audit log's one table of action codes (koperasi.web.audit_labels): every code the services
write has a name, a record reads in the viewer's language from its data, a record written
before its parts were stored shows its summary, and an unknown code shows as itself."""

import re
from pathlib import Path

from django.template import Context, Template
from django.utils import translation

from koperasi.audit.models import AuditLog
from koperasi.web import audit_labels
from tests.web.language_check import english_words, indonesian_words, visible_text

SOURCE = Path(audit_labels.__file__).resolve().parents[1]
# Codes built from a kind at run time: savings.services.movements.audit_action (cash deposits
# and withdrawals), loans.services.common.audit_action (repayments, payoffs), closing runs.
BUILT_CODES = {
    "savings.deposit",
    "savings.withdrawal",
    "loans.repayment",
    "loans.payoff",
    "closing.day",
    "closing.month",
}


def written_codes() -> set[str]:
    codes: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        codes |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text()))
    return codes


def rendered(entry: AuditLog, language: str) -> str:
    template = Template(
        "{% load audit %}<td>{{ e|audit_action }}</td><td>{{ e|audit_summary }}</td>"
    )
    with translation.override(language):
        return template.render(Context({"e": entry}))


def test_every_code_the_services_write_is_in_the_table():
    codes = written_codes()
    assert len(codes) > 40  # the scan found the services
    assert codes | BUILT_CODES <= audit_labels.ACTIONS.keys()


def test_the_filter_offers_every_action_under_its_group():
    offered = {value for _group, options in audit_labels.filter_choices() for value, _ in options}
    assert set(audit_labels.ACTIONS) <= offered
    assert set(audit_labels.GROUPS) <= offered


def test_a_record_reads_in_the_viewers_language():
    entry = AuditLog(
        action="loans.restructure_approve",
        summary="UJI-000001: schedule v1 → v2 (rescheduling)",
        data={"number": "UJI-000001", "kind": "rescheduling", "from_version": 1, "to_version": 2},
    )
    indonesian, english = rendered(entry, "id"), rendered(entry, "en")
    assert "Restrukturisasi disetujui" in indonesian and "jadwal v1 → v2" in indonesian
    assert english_words(indonesian) == []
    assert "Restructuring approved" in english and "schedule v1 → v2" in english
    assert indonesian_words(english) == []


def test_a_repayment_written_in_sql_names_its_channel_in_the_viewers_language():
    entry = AuditLog(
        action="loans.repayment",
        summary="UJI-000001 Rp 118.000 (savings)",
        data={"principal": "100000.00", "interest": "18000.00", "penalty": "0.00"},
    )
    assert "UJI-000001 Rp 118.000 (Dari simpanan)" in rendered(entry, "id")
    assert "UJI-000001 Rp 118.000 (From savings)" in rendered(entry, "en")


def test_a_record_without_its_parts_shows_its_summary_as_stored():
    # Written before the approval stored its parts in data.
    entry = AuditLog(action="loans.approve", summary="PM-2026-000001 approved (manager)", data={})
    assert "PM-2026-000001 approved (manager)" in rendered(entry, "id")
    assert "Disetujui" in rendered(entry, "id")


def test_an_unknown_code_shows_as_the_code():
    entry = AuditLog(action="marketplace.listing", summary="Beras 5 kg", data={"x": 1})
    html = rendered(entry, "id")
    assert '<code class="audit-unknown">marketplace.listing</code>' in html
    assert "Beras 5 kg" in html


def test_the_checker_reads_what_a_person_sees_and_hears():
    page = (
        "<title>Loan</title><script>var Save = 1;</script><style>.Cancel{}</style>"
        "<input placeholder='Search'><button title='Delete'>x</button><span aria-label='Next'>"
        "</span><input type='submit' value='Submit'><input type='hidden' value='Amount'>"
        "<p>Kolom <code translate='no'>member_number, amount</code> dan <b>the</b> tanggal</p>"
    )
    assert "member_number" not in visible_text(page)
    assert english_words(page) == ["Delete", "Loan", "Next", "Search", "Submit", "the"]
