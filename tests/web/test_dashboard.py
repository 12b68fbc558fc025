"""The staff dashboard, the navigation per role and the audit log page."""

import datetime as dt
import itertools
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.domain.nik import generate_nik
from koperasi.tenancy.models import Role
from tests.conftest import make_member, make_user

_serial = itertools.count(1)


def new_member(coop, actor, active=True):
    # Own NIK range: the conftest fixtures are loaded as a separate module with their own counter.
    nik = generate_nik("53", "10", "02", "L", dt.date(1985, 3, 14), next(_serial))
    return make_member(coop, actor, active=active, nik=nik)


def _chart_data(response, name="books"):
    match = re.search(
        rf'<script id="chart-{name}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the chart data is embedded with json_script"
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    "role",
    [Role.ADMIN, Role.MANAGER, Role.TELLER, Role.LOAN_OFFICER, Role.ACCOUNTANT, Role.SUPERVISOR],
)
def test_every_staff_role_sees_the_dashboard(client, coop, role):
    client.force_login(make_user(f"staf-{role}", coop, role))
    response = client.get(f"/k/{coop.code}/")
    assert response.status_code == 200
    assert b"vendor/chart.umd.min.js" in response.content


def test_dashboard_shows_members_savings_and_cash(client, coop, teller, funded_sukarela):
    new_member(coop, teller, active=False)
    client.force_login(teller)
    response = client.get(f"/k/{coop.code}/")
    body = response.content.decode()
    assert response.context["active_members"] == 1
    assert response.context["applicants"] == 1
    # Pokok 100.000 + sukarela 500.000, all paid in cash.
    assert "Rp 600.000" in body
    assert "Rp 500.000" in body
    data = _chart_data(response)
    assets, loans, savings = (s["values"] for s in data["series"])
    assert len(data["labels"]) == len(assets) == 24
    assert all(isinstance(v, str) for v in assets + savings)
    # Today: the cash paid in is the assets; pokok and sukarela are the savings.
    assert assets[-1] == savings[-1] == "600000.00"
    assert set(savings[:-1]) == {"0.00"} and set(loans) == {"0.00"}
    members = _chart_data(response, "members")["series"][0]["values"]
    assert members[-1] == 1
    morning = response.context["morning"]
    assert morning.cash == 600000 and morning.disbursed == 0 and morning.npl_ratio is None


def test_dashboard_of_another_cooperative_is_not_found(client, coop, other_coop):
    client.force_login(make_user("luar", other_coop, Role.ADMIN))
    assert client.get(f"/k/{coop.code}/").status_code == 404
    assert client.get("/k/tidak-ada/").status_code == 404


def test_navigation_follows_the_role(client, coop, teller, supervisor):
    client.force_login(teller)
    body = client.get(f"/k/{coop.code}/").content.decode()
    assert f'href="/k/{coop.code}/anggota/"' in body
    assert f'href="/k/{coop.code}/audit/"' not in body
    client.force_login(supervisor)
    body = client.get(f"/k/{coop.code}/").content.decode()
    assert f'href="/k/{coop.code}/audit/"' in body


def test_audit_log_lists_who_did_what(client, coop, supervisor, member):
    client.force_login(supervisor)
    response = client.get(f"/k/{coop.code}/audit/")
    body = response.content.decode()
    assert response.status_code == 200
    # Each action by its name (the code stays in the row's data-action).
    assert '<td data-action="members.register">Anggota didaftarkan</td>' in body
    assert '<td data-action="savings.deposit">Setoran</td>' in body
    assert "kasir" in body  # the teller who registered the member


def test_audit_log_filters_by_action_prefix(client, coop, supervisor, member):
    client.force_login(supervisor)
    body = client.get(f"/k/{coop.code}/audit/", {"action": "savings."}).content.decode()
    assert 'data-action="savings.deposit"' in body
    assert 'data-action="members.register"' not in body
    assert '<option value="savings." selected>' in body


def test_audit_log_is_refused_to_a_teller_and_hidden_from_strangers(
    client, coop, teller, other_coop
):
    client.force_login(teller)
    assert client.get(f"/k/{coop.code}/audit/").status_code == 403
    client.force_login(make_user("luar", other_coop, Role.SUPERVISOR))
    assert client.get(f"/k/{coop.code}/audit/").status_code == 404


def test_audit_log_pages_without_counting(client, coop, supervisor, teller):
    for _ in range(30):  # each registration writes one audit entry: more than a page of 50
        new_member(coop, teller, active=False)
    client.force_login(supervisor)
    client.get(f"/k/{coop.code}/audit/")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        first = client.get(f"/k/{coop.code}/audit/")
    assert not any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    assert len(first.context["page"].rows) == 50
    assert first.context["page"].has_next
    second = client.get(f"/k/{coop.code}/audit/", {"page": "2"})
    assert second.status_code == 200
    assert second.context["page"].rows
    assert client.get(f"/k/{coop.code}/audit/", {"page": "abc"}).status_code == 200
