"""The RAT over the API: a member reads the meeting, checks in and votes with their own login;
staff check members in at the venue and read the results. Every refusal is a 4xx with a clear
Indonesian message, and nothing changes."""

from koperasi.governance import services
from koperasi.governance.models import Attendance
from koperasi.members import services as members
from koperasi.tenancy.models import Role
from tests.api.conftest import Api, codes, token_for
from tests.conftest import make_member, make_user
from tests.governance.conftest import motion, new_meeting, voting_snapshot

PASS = "sandi-anggota-yang-panjang-1"


def member_api(client, coop, member):
    user = members.create_portal_login(
        cooperative=coop, actor=None, member=member, password=PASS, username=f"m{member.pk}"
    )
    return Api(client, token_for(user, coop))


def test_a_member_checks_in_votes_once_and_reads_the_result(client, coop, manager, session, voters):
    item = motion(session)
    first = member_api(client, coop, voters[0])
    detail = first.get(f"/governance/meetings/{session.pk}")
    assert detail.status_code == 200, detail.content
    body = detail.json()
    assert body["me"] == {"checked_in": True, "channel": "online", "voted_items": []}
    assert body["quorum"]["present"] == 3 and body["quorum"]["met"] is True
    assert [i["status"] for i in body["items"]] == ["open"]
    voted = first.post(f"/governance/items/{item.pk}/votes", {"choice": "agree"})
    assert voted.status_code == 201, voted.content
    assert voted.json() == {"item_id": item.pk, "voted": True}
    before = voting_snapshot()
    again = first.post(f"/governance/items/{item.pk}/votes", {"choice": "disagree"})
    assert again.status_code == 409
    assert codes(again) == ["already_voted"]
    assert again.json()["detail"][0]["message"] == "Anda sudah memberi suara untuk mata acara ini."
    assert voting_snapshot() == before
    # While voting is open, only the turnout; the counts once it has closed.
    staff = Api(client, token_for(manager, coop))
    open_result = staff.get(f"/governance/items/{item.pk}/results").json()
    assert (open_result["final"], open_result["choices"], open_result["voters"]) == (False, [], 1)
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    closed = first.get(f"/governance/items/{item.pk}/results").json()
    assert closed["final"] is True and closed["outcome"] == "approved"
    assert closed["choices"] == [{"choice": "agree", "votes": 1}]
    assert closed["turnout_percent"] == "33.3"


def test_check_in_online_by_the_member_and_at_the_venue_by_staff(
    client, coop, manager, teller, meeting
):
    services.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    online, walk_in = make_member(coop, teller), make_member(coop, teller)
    own = member_api(client, coop, online).post(f"/governance/meetings/{meeting.pk}/check-in", {})
    assert own.status_code == 200, own.content
    assert own.json()["channel"] == "online"
    desk = Api(client, token_for(teller, coop))
    at_venue = desk.post(f"/governance/meetings/{meeting.pk}/check-in", {"member_id": walk_in.pk})
    assert at_venue.status_code == 200, at_venue.content
    assert at_venue.json()["channel"] == "venue" and at_venue.json()["quorum"]["present"] == 2
    # Staff must name the member; a member cannot check someone else in.
    assert codes(desk.post(f"/governance/meetings/{meeting.pk}/check-in", {})) == ["required"]
    other = member_api(client, coop, make_member(coop, teller))
    refused = other.post(f"/governance/meetings/{meeting.pk}/check-in", {"member_id": walk_in.pk})
    assert refused.status_code == 404
    # A loan officer has no check-in desk.
    officer = Api(client, token_for(make_user("petugas", coop, Role.LOAN_OFFICER), coop))
    denied = officer.post(f"/governance/meetings/{meeting.pk}/check-in", {"member_id": walk_in.pk})
    assert denied.status_code == 403
    assert Attendance.objects.filter(meeting=meeting).count() == 2


def test_refused_votes_over_the_api(client, coop, other_coop, manager, teller, session, voters):
    item = motion(session)
    before = voting_snapshot()
    # Not checked in.
    late = member_api(client, coop, make_member(coop, teller))
    response = late.post(f"/governance/items/{item.pk}/votes", {"choice": "agree"})
    assert (response.status_code, codes(response)) == (403, ["not_checked_in"])
    assert (
        response.json()["detail"][0]["message"] == "Isi daftar hadir rapat sebelum memberi suara."
    )
    # Staff cannot vote.
    staff = Api(client, token_for(manager, coop))
    response = staff.post(f"/governance/items/{item.pk}/votes", {"choice": "agree"})
    assert (response.status_code, codes(response)) == (403, ["members_only"])
    # Another cooperative's member: the item does not exist for them.
    stranger = member_api(client, other_coop, make_member(other_coop, None))
    response = stranger.post(f"/governance/items/{item.pk}/votes", {"choice": "agree"})
    assert response.status_code == 404
    assert stranger.get(f"/governance/meetings/{session.pk}").status_code == 404
    # A bad choice, an unknown field.
    voter = member_api(client, coop, voters[0])
    response = voter.post(f"/governance/items/{item.pk}/votes", {"choice": "ya"})
    assert response.status_code == 422
    response = voter.post(f"/governance/items/{item.pk}/votes", {"choice": "agree", "x": 1})
    assert response.status_code == 422
    assert voting_snapshot() == before
    # After the item closed.
    services.close_item(cooperative=coop, actor=manager, item_id=item.pk)
    response = voter.post(f"/governance/items/{item.pk}/votes", {"choice": "agree"})
    assert (response.status_code, codes(response)) == (409, ["item_closed"])
    assert voting_snapshot() == before


def test_members_see_no_draft(client, coop, manager, teller):
    draft = new_meeting(coop, manager, announce=False)
    member = member_api(client, coop, make_member(coop, teller))
    assert member.get(f"/governance/meetings/{draft.pk}").status_code == 404
    staff = Api(client, token_for(manager, coop))
    assert staff.get(f"/governance/meetings/{draft.pk}").json()["status"] == "draft"
