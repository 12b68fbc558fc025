"""The SHU of a closed year shared by the cooperative's rules: the proposal, a scenario, the
rules themselves, and a member's own SHU with its working."""

import datetime as dt
from decimal import Decimal

import pytest

from koperasi.audit.models import AuditLog
from koperasi.errors import ServiceError
from koperasi.members.models import Member
from koperasi.shu import figures, services
from koperasi.shu.models import ShuSettings

D = Decimal


def test_the_shares_and_the_remainder_make_the_members_pools(closed):
    coop, year, _admin = closed
    sim = figures.simulate(cooperative=coop, year=year)
    result = sim.result
    assert result.members, "the demo's members have savings that count"
    members_pools = result.pool("jasa_modal") + result.pool("jasa_usaha")
    assert sum(s.total for s in result.members) + result.remainder == members_pools
    assert sum(p.amount for p in result.pools) == max(sim.year.member_part, D(0))


def test_a_member_sees_the_share_the_proposal_gives_them(closed, client):
    coop, year, _admin = closed
    sim = figures.simulate(cooperative=coop, year=year)
    member = Member.objects.get(cooperative=coop, number="A0001")
    share = next(s for s in sim.result.members if s.id == str(member.pk))
    mine = figures.my_shu(cooperative=coop, member=member)[0]
    assert (mine.jasa_modal.share, mine.jasa_usaha.share) == (share.jasa_modal, share.jasa_usaha)
    client.force_login(member.user)
    page = client.get("/saya/shu/")
    assert page.status_code == 200
    assert f'data-year="{year}"'.encode() in page.content
    assert "Simpanan saya" in page.content.decode()
    slip = client.get(f"/saya/shu/{year}/slip.pdf")
    assert slip.status_code == 200 and slip.content.startswith(b"%PDF")
    assert client.get(f"/saya/shu/{year - 3}/slip.pdf").status_code == 404


def test_a_scenario_compares_without_saving(closed, client):
    coop, year, admin = closed
    client.force_login(admin)
    url = f"/k/{coop.code}/shu/{year}/usulan/"
    assert client.get(url).status_code == 200
    other = {f"fund_{f}": p for f, p in ShuSettings(cooperative=coop).allocation.items()}
    other.update(fund_cadangan="30", fund_jasa_modal="30", scenario="1")
    page = client.get(url, other)
    assert page.status_code == 200 and b"data-scenario" in page.content
    bad = client.get(url, {**other, "fund_cadangan": "35"})  # 105 %
    assert bad.status_code == 400 and "100" in bad.content.decode()
    assert not ShuSettings.objects.filter(cooperative=coop).exists()
    assert client.get(f"/k/{coop.code}/shu/{year - 5}/usulan/").status_code == 404


def test_the_rules_add_up_to_100_or_nothing_changes(closed):
    coop, _year, admin = closed
    good = dict(ShuSettings(cooperative=coop).allocation)
    with pytest.raises(ServiceError) as refused:
        services.update_settings(
            cooperative=coop,
            actor=admin,
            allocation={**good, "cadangan": "45"},
            savings_kinds=["pokok", "wajib"],
            transaction_weights={"loan_interest": "1"},
            rounding="1",
        )
    assert refused.value.code == "shu_allocation_sum"
    assert not ShuSettings.objects.filter(cooperative=coop).exists()
    services.update_settings(
        cooperative=coop,
        actor=admin,
        allocation={**good, "cadangan": "30", "jasa_modal": "30"},
        savings_kinds=["pokok", "wajib", "sukarela"],
        transaction_weights={"loan_interest": "1", "loan_principal": "0.1"},
        rounding="0.01",
    )
    saved = ShuSettings.objects.get(cooperative=coop)
    assert saved.allocation["jasa_modal"] == "30" and saved.rounding == "0.01"
    assert AuditLog.objects.filter(action="shu.settings").count() == 1


def test_distribution_posts_once_and_the_books_balance(closed, client):
    from django.core.management import call_command

    from koperasi.ledger.models import Account
    from koperasi.shu.models import ShuDistribution, ShuShare
    from tests.conftest import books_snapshot

    coop, year, admin = closed
    sim = figures.simulate(cooperative=coop, year=year)
    if sim.year.surplus <= 0:
        pytest.skip("the demo's year made no surplus")
    approved = dt.date(year + 1, 3, 15)
    with pytest.raises(ServiceError) as early:
        services.distribute(
            cooperative=coop,
            actor=admin,
            year=year,
            approved_on=dt.date(year, 12, 1),
            approval_reference="RAT",
            idempotency_key="k0",
        )
    assert early.value.code == "shu_approval_date"
    done = services.distribute(
        cooperative=coop,
        actor=admin,
        year=year,
        approved_on=approved,
        approval_reference="Keputusan RAT No. 3",
        idempotency_key="k1",
    )
    shares = ShuShare.objects.filter(distribution=done)
    assert sum(s.total for s in shares) == done.members_total
    payable = Account.objects.get(cooperative=coop, system_role="shu_payable")
    assert -payable.balance == done.members_total
    # Every rupiah of the year's SHU went somewhere: reserve, funds, members.
    lines = {p.account.code: p.credit for p in done.entry.postings.all() if p.credit}
    assert sum(lines.values()) == sim.year.surplus
    assert (
        services.distribute(
            cooperative=coop,
            actor=admin,
            year=year,
            approved_on=approved,
            approval_reference="Keputusan RAT No. 3",
            idempotency_key="k1",
        )
        == done
    )  # a retry answers with the first
    before = books_snapshot(coop)
    with pytest.raises(ServiceError) as twice:
        services.distribute(
            cooperative=coop,
            actor=admin,
            year=year,
            approved_on=approved,
            approval_reference="lagi",
            idempotency_key="k2",
        )
    assert (twice.value.code, twice.value.status) == ("shu_distributed", 409)
    assert books_snapshot(coop) == before and ShuDistribution.objects.count() == 1
    call_command("books_check", coop=coop.code)
    client.force_login(admin)
    page = client.get(f"/k/{coop.code}/shu/{year}/usulan/")
    assert b"data-distributed" in page.content


def test_the_rat_can_decide_the_allocation(closed):
    from koperasi.governance.services.decisions import DECISION_KINDS

    coop, _year, admin = closed
    kind = DECISION_KINDS["shu_allocation"]
    value = kind.parse(
        "cadangan=30, jasa_modal=25, jasa_usaha=25, dana_pengurus=5, dana_karyawan=5,"
        " dana_pendidikan=5, dana_sosial=5"
    )
    kind.apply(coop, admin, value)
    assert ShuSettings.objects.get(cooperative=coop).allocation["jasa_modal"] == "25"
    with pytest.raises(ServiceError) as refused:
        kind.parse("cadangan=40, jasa_modal=20, jasa_usaha=20, dana_sosial=25")
    assert refused.value.field == "decision_value"
