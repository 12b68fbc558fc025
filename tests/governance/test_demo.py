"""The demo cooperative holds its RAT: announced, with the year's statements on the agenda, a
change of the wajib amount, an election and a few members checked in."""

from koperasi.governance import selectors
from koperasi.governance.models import AgendaDocument, Meeting


def test_the_demo_rat_is_announced_with_statements_and_check_ins(db):
    from koperasi.demo import seed_demo

    coop = seed_demo(members_count=16, progress=lambda _m: None)
    meeting = Meeting.objects.get(cooperative=coop)
    assert (meeting.kind, meeting.status, meeting.mode) == ("annual", "announced", "hybrid")
    items = selectors.agenda(meeting)
    assert [i.kind for i in items] == ["motion", "motion", "election"]
    generated = AgendaDocument.objects.filter(item=items[0]).values_list("generated", flat=True)
    assert sorted(generated) == ["activity", "position"]
    assert items[1].decision_kind == "wajib_amount"
    assert items[2].candidates.count() == 3
    assert selectors.banner(coop) == meeting
    assert selectors.presence(meeting).quorum.present in (0, 12)  # none when seeded at midnight
