"""Opening savings accounts, and paying every new member's pokok at once (the bulk import)."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.models import JournalEntry
from koperasi.members.models import Member
from koperasi.savings.models import (
    SavingsAccount,
    SavingsKind,
    SavingsProduct,
    SavingsTransaction,
)
from koperasi.savings.services.products import product_of_kind
from koperasi.tenancy.models import Cooperative

Kind = SavingsTransaction.Kind


def open_account(
    *,
    cooperative: Cooperative,
    actor: Any,
    member: Member,
    product: SavingsProduct,
    opened_on: dt.date | None = None,
) -> SavingsAccount:
    if member.cooperative_id != cooperative.pk or product.cooperative_id != cooperative.pk:
        raise NotFound()
    if member.status not in (Member.Status.APPLICANT, Member.Status.ACTIVE):
        raise ServiceError("member_inactive", _("This person is no longer a member."))
    existing = SavingsAccount.objects.filter(member=member, product=product).count()
    if existing and product.kind != SavingsKind.BERJANGKA:
        raise ServiceError(
            "account_exists", _("The member already has an account of this product.")
        )
    number = f"{product.code}-{member.number}" + (f"-{existing + 1}" if existing else "")
    account = SavingsAccount.objects.create(
        cooperative=cooperative,
        member=member,
        product=product,
        number=number,
        opened_on=opened_on or ledger.business_today(cooperative),
    )
    audit.record(
        cooperative=cooperative, actor=actor, action="savings.open", obj=account, summary=number
    )
    return account


def open_membership_accounts(*, cooperative: Cooperative, actor: Any, member: Member) -> None:
    for kind in (SavingsKind.POKOK, SavingsKind.WAJIB):
        open_account(
            cooperative=cooperative,
            actor=actor,
            member=member,
            product=product_of_kind(cooperative, kind),
            opened_on=member.joined_on,
        )


def open_membership_accounts_bulk(*, cooperative: Cooperative, members: list[Member]) -> None:
    """The pokok and wajib accounts of many new members in one insert (bulk import)."""
    products = [
        product_of_kind(cooperative, kind) for kind in (SavingsKind.POKOK, SavingsKind.WAJIB)
    ]
    today = ledger.business_today(cooperative)
    SavingsAccount.objects.bulk_create(
        SavingsAccount(
            cooperative=cooperative,
            member=member,
            product=product,
            number=f"{product.code}-{member.number}",
            opened_on=member.joined_on or today,
        )
        for member in members
        for product in products
    )


@transaction.atomic
def pay_pokok_bulk(
    *,
    cooperative: Cooperative,
    actor: Any,
    member_ids: list[int],
    idempotency_key: str,
    note: str = "",
) -> JournalEntry | None:
    """Cash payment of the full simpanan pokok by many new applicants (bulk import).

    One journal entry for the batch (Dr cash, Cr simpanan pokok: the total), one movement per
    member account referring to it, and the members activated: set-based, whatever the count.
    """
    amount = cooperative.pokok_amount
    accounts = list(
        SavingsAccount.objects.select_for_update(of=("self",))
        .filter(
            cooperative=cooperative,
            member_id__in=member_ids,
            product__kind=SavingsKind.POKOK,
            status=SavingsAccount.Status.OPEN,
            balance=0,
            member__status=Member.Status.APPLICANT,
        )
        .order_by("pk")
    )
    if not accounts:
        return None
    on = ledger.business_today(cooperative)
    total = amount * len(accounts)
    pokok_gl = product_of_kind(cooperative, SavingsKind.POKOK).gl_account
    who = actor if getattr(actor, "pk", None) else None

    def record_movements(entry: JournalEntry) -> None:
        SavingsAccount.objects.filter(pk__in=[a.pk for a in accounts]).update(balance=amount)
        SavingsTransaction.objects.bulk_create(
            SavingsTransaction(
                cooperative=cooperative,
                account=account,
                kind=Kind.DEPOSIT,
                amount=amount,
                balance_after=amount,
                business_date=on,
                journal_entry=entry,
                note=note[:255],
                idempotency_key=idempotency_key,
                channel="import",
                actor=who,
            )
            for account in accounts
        )
        from koperasi.members import services as members

        members.activate_members_bulk(
            cooperative=cooperative, member_ids=[a.member_id for a in accounts], on=on
        )

    entry = ledger.post_entry(
        cooperative=cooperative,
        actor=actor,
        lines=[
            ledger.Line(ledger.account_by_role(cooperative, "cash"), debit=total),
            ledger.Line(pokok_gl, credit=total),
        ],
        memo=f"Setoran simpanan pokok {len(accounts)} anggota baru",
        source="savings",
        source_ref="import",
        idempotency_key=ledger.request_entry_key(idempotency_key),
        business_date=on,
        allow_control=True,
        before_balances=record_movements,
    )
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="savings.pokok_bulk",
        obj=entry,
        summary=f"{len(accounts)} x {amount}",
    )
    return entry
