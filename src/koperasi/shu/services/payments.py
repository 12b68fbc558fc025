"""Paying the members' shares of a distributed SHU: all at once into their sukarela savings
(set-based, one journal entry), or one member's share in cash at the teller (with a receipt).
Each share is paid once: its amounts never change, and a second payment is refused."""

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.savings import selectors as savings_selectors
from koperasi.savings import services as savings
from koperasi.savings.models import SavingsTransaction
from koperasi.shu.models import ShuDistribution, ShuShare
from koperasi.tenancy.models import Cooperative

SOURCE = "shu"


def savings_entry_key(key: str) -> str:
    return f"shu-savings:{key}"


def _distribution(cooperative: Cooperative, year: int) -> ShuDistribution:
    found = (
        ShuDistribution.objects.select_for_update()
        .filter(cooperative=cooperative, shu_year__year=year)
        .first()
    )
    if found is None:
        raise ServiceError(
            "shu_not_distributed",
            _("The SHU of %(year)s has not been distributed.") % {"year": year},
            "year",
            404,
        )
    return found


@transaction.atomic
def pay_into_savings(
    *,
    cooperative: Cooperative,
    actor: Any,
    year: int,
    idempotency_key: str,
) -> int:
    """Every unpaid share of the year whose member has an open sukarela account, paid into it:
    Dr SHU payable, Cr savings, a movement per account (kind `shu`). Returns how many shares
    this request paid; a retry with its key pays nothing more and returns the same number."""
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    distribution = _distribution(cooperative, year)
    entry_key = savings_entry_key(idempotency_key)
    earlier = (
        JournalEntry.objects.filter(cooperative=cooperative, idempotency_key=entry_key)
        .values_list("pk", flat=True)
        .first()
    )
    if earlier is not None:
        return ShuShare.objects.filter(distribution=distribution, payment_entry_id=earlier).count()
    accounts = savings_selectors.sukarela_accounts_by_member(cooperative=cooperative)
    unpaid = ShuShare.objects.filter(distribution=distribution, paid_on__isnull=True)
    credits = [
        (accounts[member_id], total)
        for member_id, total in unpaid.values_list("member_id", "total").iterator(20_000)
        if member_id in accounts
    ]
    if not credits:
        raise ServiceError(
            "shu_nothing_to_pay",
            _("No unpaid share belongs to a member with an open sukarela account."),
            "year",
            409,
        )
    entry = credit_into_savings(
        cooperative=cooperative, actor=actor, year=year, credits=credits, entry_key=entry_key
    )
    credited_members = SavingsTransaction.objects.filter(
        cooperative=cooperative, journal_entry=entry
    ).values("account__member_id")
    paid = unpaid.filter(member_id__in=credited_members).update(
        paid_on=entry.business_date,
        paid_via=ShuShare.PaidVia.SAVINGS,
        payment_entry=entry,
        paid_by=actor,
    )
    record_paid_into_savings(distribution, actor, paid, entry)
    return paid


def credit_into_savings(
    *,
    cooperative: Cooperative,
    actor: Any,
    year: int,
    credits: list[tuple[int, Decimal]],
    entry_key: str,
) -> JournalEntry:
    """(sukarela account, share) pairs paid out of the SHU payable: one entry, a movement
    (kind `shu`) per account."""
    return savings.credit_accounts(
        cooperative=cooperative,
        actor=actor,
        credits=credits,
        from_account=ledger.account_by_role(cooperative, "shu_payable"),
        kind=SavingsTransaction.Kind.SHU,
        memo=_("SHU %(year)s paid into savings") % {"year": year},
        note=_("SHU %(year)s") % {"year": year},
        source=SOURCE,
        source_ref=str(year),
        idempotency_key=entry_key,
    )


def record_paid_into_savings(
    distribution: ShuDistribution, actor: Any, paid: int, entry: JournalEntry
) -> None:
    year = distribution.shu_year.year
    audit.record(
        cooperative=distribution.cooperative,
        actor=actor,
        action="shu.pay_savings",
        obj=distribution,
        summary=f"{year}: {paid}",
        data={"year": year, "shares": paid, "entry": entry.pk},
    )


@transaction.atomic
def pay_in_cash(
    *, cooperative: Cooperative, actor: Any, year: int, member_id: int, idempotency_key: str
) -> ShuShare:
    """One member's unpaid share paid in cash at the teller: Dr SHU payable, Cr cash. A retry
    with the same key answers with the same payment; a key used by any other request, or a
    share paid already, is refused (409)."""
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    distribution = _distribution(cooperative, year)
    share = (
        ShuShare.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(distribution=distribution, member_id=member_id)
        .first()
    )
    if share is None:
        raise NotFound(_("This member has no SHU share for %(year)s.") % {"year": year})
    if share.paid_on is not None:
        if share.payment_key == idempotency_key:
            return share
        raise ServiceError(
            "shu_share_paid",
            _("This share was paid already on %(day)s.") % {"day": share.paid_on.isoformat()},
            "member",
            409,
        )
    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(ledger.account_by_role(cooperative, "shu_payable"), debit=share.total),
            ledger.Line(ledger.account_by_role(cooperative, "cash"), credit=share.total),
        ],
        memo=_("SHU %(year)s paid in cash to %(member)s")
        % {"year": year, "member": share.member.number},
        source=SOURCE,
        source_ref=str(year),
        idempotency_key=ledger.request_entry_key(idempotency_key),
        allow_control=True,
        replay=False,
    )
    share.paid_on = entry.business_date
    share.paid_via = ShuShare.PaidVia.CASH
    share.payment_entry = entry
    share.paid_by = actor
    share.payment_key = idempotency_key
    share.save(update_fields=["paid_on", "paid_via", "payment_entry", "paid_by", "payment_key"])
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="shu.pay_cash",
        obj=share,
        summary=f"{year} {share.member.number}: {share.total}",
        data={"year": year, "member": share.member_id, "amount": str(share.total)},
    )
    return share
