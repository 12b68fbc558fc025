"""Joining and leaving: the member record, the savings accounts and the loans, kept in step."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.errors import ServiceError
from koperasi.loans import selectors as loan_selectors
from koperasi.members import services as members
from koperasi.members.models import Member
from koperasi.members.services import CleanMember, MemberInput
from koperasi.savings import services as savings
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def register_member(
    *,
    cooperative: Cooperative,
    actor: Any,
    data: MemberInput,
    joined_on: dt.date | None = None,
) -> Member:
    """Register an applicant and open the pokok and wajib accounts every member has.

    The applicant becomes an active member when the simpanan pokok is paid in full
    (see `savings.services`), so membership and capital can never disagree.
    """
    member = members.create_member(
        cooperative=cooperative, actor=actor, data=data, joined_on=joined_on
    )
    savings.open_membership_accounts(cooperative=cooperative, actor=actor, member=member)
    return member


@transaction.atomic
def register_members_bulk(
    *,
    cooperative: Cooperative,
    actor: Any,
    members_in: list[tuple[CleanMember, dt.date | None]],
) -> list[Member]:
    """Register many already-validated applicants at once (bulk import): set-based inserts.

    The same outcome as `register_member` per row (numbers, pokok and wajib accounts), in a
    handful of statements whatever the count. The caller records one audit entry for the batch.
    """
    created = members.create_members_bulk(cooperative=cooperative, actor=actor, members=members_in)
    savings.open_membership_accounts_bulk(cooperative=cooperative, members=created)
    return created


def outstanding_obligations(*, cooperative: Cooperative, member: Member) -> list[str]:
    """What the member still owes the cooperative or has asked of it (DOMAIN.md: no exit with
    open loans)."""
    return loan_selectors.member_obligations(cooperative=cooperative, member=member)


@transaction.atomic
def exit_member(
    *,
    cooperative: Cooperative,
    actor: Any,
    member: Member,
    status: str,
    reason: str,
    idempotency_key: str,
    exited_on: dt.date | None = None,
) -> Member:
    """End a membership: refused while anything is owed; else every savings balance is refunded."""
    members.check_can_leave(cooperative=cooperative, member=member, status=status, reason=reason)
    member = members.locked_member(cooperative=cooperative, member_id=member.pk)
    members.check_can_leave(cooperative=cooperative, member=member, status=status, reason=reason)
    obligations = outstanding_obligations(cooperative=cooperative, member=member)
    if obligations:
        raise ServiceError(
            "obligations_outstanding",
            _("The member still has obligations: %(items)s.") % {"items": ", ".join(obligations)},
        )
    refund_entry = savings.refund_on_exit(
        cooperative=cooperative,
        actor=actor,
        member=member,
        idempotency_key=idempotency_key,
        business_date=exited_on,
    )
    on = refund_entry.business_date if refund_entry else (exited_on or dt.date.today())
    return members.end_membership(
        cooperative=cooperative, actor=actor, member=member, status=status, reason=reason, on=on
    )
