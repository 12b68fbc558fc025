"""Distributing a closed year's SHU after the RAT approved it: one journal entry (the year's
SHU out of equity into the reserve, each fund and the members' SHU payable) and a share per
member, once. A retry with the same key answers with the first distribution; any other request
for the year is refused. The shares may be paid into the members' savings in the same
transaction (`payments.credit_into_savings`), written paid."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.bulk import drop_temp_table, from_sen, load_temp_table
from koperasi.domain.money import ZERO
from koperasi.domain.shu import MemberShare
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account, JournalEntry
from koperasi.savings import selectors as savings_selectors
from koperasi.shu import figures
from koperasi.shu.models import ShuDistribution, ShuShare, ShuYear
from koperasi.shu.services import payments
from koperasi.tenancy.models import Cooperative

SOURCE = payments.SOURCE
# The chart account (by code, or by role for the reserve) each usual fund goes to.
FUND_ACCOUNTS = {
    "dana_pengurus": "2301",
    "dana_karyawan": "2302",
    "dana_pendidikan": "2303",
    "dana_sosial": "2304",
}
MEMBERS_FUNDS = ("jasa_modal", "jasa_usaha")


def _fund_account(cooperative: Cooperative, fund: str) -> Account:
    if fund == figures.RESERVE_FUND:
        return ledger.account_by_role(cooperative, "general_reserve")
    code = FUND_ACCOUNTS.get(fund)
    account = Account.objects.filter(cooperative=cooperative, code=code).first() if code else None
    if account is None:
        raise ServiceError(
            "shu_fund_account",
            _("The fund %(fund)s has no account in the chart: use the usual fund names.")
            % {"fund": fund},
            "allocation",
        )
    return account


def _checked_year(
    cooperative: Cooperative, year: int, approved_on: dt.date, reference: str, key: str
) -> tuple[ShuYear, ShuDistribution | None]:
    """The closed year, locked, and its distribution if this key made it already; refuses a
    second distribution and a request that cannot be one."""
    shu_year = (
        ShuYear.objects.select_for_update().filter(cooperative=cooperative, year=year).first()
    )
    if shu_year is None:
        raise ServiceError("shu_not_closed", _("Close the year first."), "year", 404)
    done = ShuDistribution.objects.filter(shu_year=shu_year).first()
    if done is not None:
        if done.idempotency_key == key:
            return shu_year, done
        raise ServiceError(
            "shu_distributed",
            _("The SHU of %(year)s has been distributed already.") % {"year": year},
            "year",
            409,
        )
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if approved_on < dt.date(year + 1, 1, 1):
        raise ServiceError(
            "shu_approval_date", _("The RAT approves the SHU after the year ends."), "approved_on"
        )
    if not reference.strip():
        raise ServiceError(
            "shu_approval_reference",
            _("Name the RAT decision that approved the distribution."),
            "approval_reference",
        )
    if shu_year.surplus <= 0:
        raise ServiceError("shu_nothing", _("There is no SHU to distribute."), "year")
    return shu_year, None


@transaction.atomic
def distribute(
    *,
    cooperative: Cooperative,
    actor: Any,
    year: int,
    approved_on: dt.date,
    approval_reference: str,
    idempotency_key: str,
    pay_into_savings: bool = False,
) -> ShuDistribution:
    """Post the year's SHU out of the surplus of the year: each fund's pool to its account, the
    non-members' part and the rounding remainder to the reserve, the members' shares to the
    SHU payable (2305), with one share row per member; then, if asked, every share of a member
    with an open sukarela account paid into it (the others stay payable)."""
    shu_year, done = _checked_year(
        cooperative, year, approved_on, approval_reference, idempotency_key
    )
    if done is not None:
        return done
    result = figures.simulate(cooperative=cooperative, year=year).result
    members_total = sum((s.total for s in result.members), ZERO)
    to_reserve = shu_year.non_member_part + result.remainder
    credits: dict[int, tuple[Account, Decimal]] = {}

    def credit(account: Account, amount: Decimal) -> None:
        held = credits.get(account.pk, (account, ZERO))[1]
        credits[account.pk] = (account, held + amount)

    for pool in result.pools:
        if pool.fund not in MEMBERS_FUNDS and pool.amount:
            credit(_fund_account(cooperative, pool.fund), pool.amount)
    if to_reserve:
        credit(_fund_account(cooperative, figures.RESERVE_FUND), to_reserve)
    if members_total:
        credit(ledger.account_by_role(cooperative, "shu_payable"), members_total)
    surplus = ledger.account_by_role(cooperative, "current_surplus")
    lines = [ledger.Line(surplus, debit=shu_year.surplus)]
    lines += [ledger.Line(account, credit=amount) for account, amount in credits.values() if amount]
    reference = approval_reference.strip()
    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=_("SHU %(year)s distributed (%(reference)s)")
        % {"year": year, "reference": reference[:120]},
        source=SOURCE,
        source_ref=str(year),
        idempotency_key=f"shu:{idempotency_key}",
        replay=False,
    )
    distribution = ShuDistribution.objects.create(
        cooperative=cooperative,
        shu_year=shu_year,
        entry=entry,
        idempotency_key=idempotency_key,
        approved_on=approved_on,
        approval_reference=reference[:200],
        members_total=members_total,
        to_reserve=to_reserve,
        into_savings=pay_into_savings,
        rules=figures.rules_as_data(figures.settings_of(cooperative)),
        distributed_by=actor,
    )
    paid, entry_paid = _paid_at_once(distribution, actor, result.members, pay_into_savings)
    _insert_shares(distribution, result.members, paid, entry_paid, actor)
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="shu.distribute",
        obj=distribution,
        summary=f"{year}: {shu_year.surplus}",
        data={"year": year, "members": str(members_total), "reserve": str(to_reserve)},
    )
    if entry_paid is not None:
        payments.record_paid_into_savings(distribution, actor, len(paid), entry_paid)
    return distribution


def _paid_at_once(
    distribution: ShuDistribution, actor: Any, shares: list[MemberShare], asked: bool
) -> tuple[set[int], JournalEntry | None]:
    """With `asked`, every share of a member with an open sukarela account paid into it now:
    (those members, the payment's entry). The shares are then written paid, never updated."""
    if not asked:
        return set(), None
    cooperative = distribution.cooperative
    accounts = savings_selectors.sukarela_accounts_by_member(cooperative=cooperative)
    credits = [(int(s.id), s.total) for s in shares if s.total and int(s.id) in accounts]
    if not credits:
        return set(), None
    entry = payments.credit_into_savings(
        cooperative=cooperative,
        actor=actor,
        year=distribution.shu_year.year,
        credits=[(accounts[member], total) for member, total in credits],
        entry_key=payments.savings_entry_key(f"{distribution.idempotency_key}:savings"),
    )
    return {member for member, _total in credits}, entry


_SHARES = "shu_new_shares"


def _insert_shares(
    distribution: ShuDistribution,
    shares: list[MemberShare],
    paid: set[int],
    entry: JournalEntry | None,
    actor: Any,
) -> None:
    """A row per member with a share, set-based: the amounts (in sen) into a temporary table by
    COPY, then one INSERT … SELECT (a million model instances would take longer than the
    whole computation). The members in `paid` were paid into savings by `entry`."""
    rows = (
        (int(s.id), int(s.jasa_modal.scaleb(2)), int(s.jasa_usaha.scaleb(2)), int(s.id) in paid)
        for s in shares
        if s.total
    )
    columns = [("member_id", "BIGINT"), ("jm", "BIGINT"), ("ju", "BIGINT"), ("paid", "BOOLEAN")]
    load_temp_table(_SHARES, columns, rows)
    table = ShuShare._meta.db_table
    # PostgreSQL types a NULL parameter by its context, which a CASE does not give.
    date, bigint = ("::date", "::bigint") if connection.vendor == "postgresql" else ("", "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (cooperative_id, distribution_id, member_id, jasa_modal,"
            " jasa_usaha, total, paid_on, paid_via, payment_entry_id, paid_by_id, payment_key)"
            f" SELECT %(coop)s, %(distribution)s, member_id, {from_sen('jm')}, {from_sen('ju')},"
            f" {from_sen('jm + ju')}, CASE WHEN paid THEN %(on)s{date} END,"
            f" CASE WHEN paid THEN %(via)s ELSE '' END, CASE WHEN paid THEN %(entry)s{bigint} END,"
            f" CASE WHEN paid THEN %(actor)s{bigint} END, '' FROM {_SHARES} ORDER BY member_id",
            {
                "coop": distribution.cooperative_id,
                "distribution": distribution.pk,
                "on": entry.business_date if entry else None,
                "via": ShuShare.PaidVia.SAVINGS,
                "entry": entry.pk if entry else None,
                "actor": getattr(actor, "pk", None),
            },
        )
    drop_temp_table(_SHARES)
