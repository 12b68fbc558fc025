"""The SHU app's writes: closing a year (the books' closing entry, then the year's SHU), the
cooperative's SHU rules, and distributing a year's SHU after the RAT approved it (one journal
entry and a payable share per member, once: a retry with the same key answers with the first
distribution; any other request for the year is refused)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.domain.money import ZERO
from koperasi.errors import ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import Account
from koperasi.reports import selectors as reports
from koperasi.savings.models import SavingsKind
from koperasi.shu import figures
from koperasi.shu.models import ShuDistribution, ShuSettings, ShuShare, ShuYear
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def close_year(*, cooperative: Cooperative, actor: Any, year: int) -> ShuYear:
    """Close the books of `year` (`ledger.close_year`: every month closed, earlier years first,
    once) and keep its SHU with the members' and non-members' parts as the statement of
    activities shows them."""
    activity = reports.year_activity(cooperative=cooperative, year=year)
    closed = ledger.close_year(cooperative=cooperative, actor=actor, year=year)
    return ShuYear.objects.create(
        cooperative=cooperative,
        year=year,
        year_close=closed,
        surplus=closed.surplus,
        member_part=activity.member_surplus,
        non_member_part=activity.non_member_surplus,
        member_income=activity.member_income,
        non_member_income=activity.non_member_income,
        closed_by=actor,
    )


ROUNDINGS = ("0.01", "1", "100", "1000")
WEIGHT_KEYS = ("loan_interest", "loan_principal")


@transaction.atomic
def update_settings(
    *,
    cooperative: Cooperative,
    actor: Any,
    allocation: dict[str, str],
    savings_kinds: list[str],
    transaction_weights: dict[str, str],
    rounding: str,
) -> ShuSettings:
    """The cooperative's SHU rules, checked whole (the allocation adds up to exactly 100 %)
    before anything is saved."""
    figures.allocation_of(allocation)
    if rounding not in ROUNDINGS:
        raise ServiceError("shu_rounding", _("Choose how shares are rounded."), "rounding")
    kinds = [k for k in savings_kinds if k in SavingsKind.values]
    if not kinds or len(kinds) != len(savings_kinds):
        raise ServiceError(
            "shu_savings_kinds",
            _("Choose at least one kind of savings that counts."),
            "savings_kinds",
        )
    weights: dict[str, str] = {}
    for key in WEIGHT_KEYS:
        raw = str(transaction_weights.get(key, "0")).strip()
        try:
            weight = Decimal(raw)
        except ArithmeticError as error:
            raise ServiceError(
                "shu_weight", _("A weight is a number from 0 to 100."), key
            ) from error
        if not weight.is_finite() or weight < 0 or weight > 100:
            raise ServiceError("shu_weight", _("A weight is a number from 0 to 100."), key)
        weights[key] = str(weight)
    if not any(Decimal(w) for w in weights.values()):
        raise ServiceError(
            "shu_weight", _("At least one kind of transaction must count."), "loan_interest"
        )
    found, _created = ShuSettings.objects.update_or_create(
        cooperative=cooperative,
        defaults={
            "allocation": {k: str(v) for k, v in allocation.items()},
            "savings_kinds": kinds,
            "transaction_weights": weights,
            "rounding": rounding,
            "changed_by": actor,
        },
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="shu.settings",
        obj=found,
        summary=", ".join(f"{k} {v}%" for k, v in allocation.items()),
        data={"allocation": found.allocation, "rounding": rounding},
    )
    return found


# --- Distribution after the RAT -------------------------------------------------------------

SOURCE = "shu"
BATCH = 5000
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


@transaction.atomic
def distribute(
    *,
    cooperative: Cooperative,
    actor: Any,
    year: int,
    approved_on: dt.date,
    approval_reference: str,
    idempotency_key: str,
) -> ShuDistribution:
    """Post the year's SHU out of the surplus of the year: each fund's pool to its account, the
    non-members' part and the rounding remainder to the reserve, the members' shares to the
    SHU payable (2305), with one share row per member."""
    shu_year = (
        ShuYear.objects.select_for_update().filter(cooperative=cooperative, year=year).first()
    )
    if shu_year is None:
        raise ServiceError("shu_not_closed", _("Close the year first."), "year", 404)
    done = ShuDistribution.objects.filter(shu_year=shu_year).first()
    if done is not None:
        if done.idempotency_key == idempotency_key:
            return done
        raise ServiceError(
            "shu_distributed",
            _("The SHU of %(year)s has been distributed already.") % {"year": year},
            "year",
            409,
        )
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if approved_on < dt.date(year + 1, 1, 1):
        raise ServiceError(
            "shu_approval_date", _("The RAT approves the SHU after the year ends."), "approved_on"
        )
    if not approval_reference.strip():
        raise ServiceError(
            "shu_approval_reference",
            _("Name the RAT decision that approved the distribution."),
            "approval_reference",
        )
    if shu_year.surplus <= 0:
        raise ServiceError("shu_nothing", _("There is no SHU to distribute."), "year")
    sim = figures.simulate(cooperative=cooperative, year=year)
    result = sim.result
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
    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=lines,
        memo=_("SHU %(year)s distributed (%(reference)s)")
        % {"year": year, "reference": approval_reference.strip()[:120]},
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
        approval_reference=approval_reference.strip()[:200],
        members_total=members_total,
        to_reserve=to_reserve,
        distributed_by=actor,
    )
    shares = [
        ShuShare(
            cooperative=cooperative,
            distribution=distribution,
            member_id=int(s.id),
            jasa_modal=s.jasa_modal,
            jasa_usaha=s.jasa_usaha,
            total=s.total,
        )
        for s in result.members
        if s.total
    ]
    for start in range(0, len(shares), BATCH):
        ShuShare.objects.bulk_create(shares[start : start + BATCH])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="shu.distribute",
        obj=distribution,
        summary=f"{year}: {shu_year.surplus}",
        data={"year": year, "members": str(members_total), "reserve": str(to_reserve)},
    )
    return distribution
