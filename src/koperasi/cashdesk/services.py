"""The cash desk's writes: a teller submits the cash they counted, someone else approves it
(the difference is then posted to the cash suspense account) or rejects it.

A shortage (counted < closing) posts Dr suspense, Cr cash; an overage Dr cash, Cr suspense. The
entry's key is the count's own (`cashdesk:count:<id>`), so a count's difference is posted once
whatever the requests; the approval's own idempotency key answers a retry with the approval.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.cashdesk import selectors
from koperasi.cashdesk.models import SOURCE, CashCount, teller_ref
from koperasi.domain.cash import pieces_total
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, format_rupiah, parse_amount
from koperasi.errors import Conflict, KeyReused, NotFound, PermissionDenied, ServiceError
from koperasi.ledger import services as ledger
from koperasi.ledger.services.periods import check_open_period
from koperasi.tenancy.models import Cooperative

SUSPENSE_ROLE = "cash_suspense"


def count_entry_key(count: CashCount) -> str:
    return f"{SOURCE}:count:{count.pk}"


def _counted(counted: Any, pieces: Mapping[int, int] | None) -> tuple[Decimal, dict[str, int]]:
    """The counted total: from the pieces when any were entered (the total typed, if any, must
    agree), else the total typed."""
    try:
        kept = {value: n for value, n in (pieces or {}).items() if n}
        if kept:
            total = pieces_total(kept)
            if counted not in (None, "") and parse_amount(counted, allow_zero=True) != total:
                raise ServiceError(
                    "pieces_mismatch",
                    _("The total typed (%(typed)s) is not the sum of the pieces (%(sum)s).")
                    % {
                        "typed": format_rupiah(parse_amount(counted, allow_zero=True)),
                        "sum": format_rupiah(total),
                    },
                    "counted",
                )
            return total, {str(value): n for value, n in sorted(kept.items(), reverse=True)}
        if counted in (None, ""):
            raise ServiceError(
                "required",
                _("Enter the cash counted, as a total or by note and coin."),
                "counted",
            )
        return parse_amount(counted, field="counted", allow_zero=True), {}
    except DomainError as exc:
        raise ServiceError.from_domain(exc, field=exc.field or "counted") from exc


def submit_count(
    *,
    cooperative: Cooperative,
    actor: Any,
    teller_id: int,
    business_date: dt.date,
    idempotency_key: str,
    counted: Any = None,
    pieces: Mapping[int, int] | None = None,
    note: str = "",
) -> CashCount:
    """The teller's own count of their cash at the end of `business_date`."""
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    if getattr(actor, "pk", None) is None or teller_id != actor.pk:
        raise PermissionDenied(_("A teller counts only their own cash."))
    total, kept = _counted(counted, pieces)
    note = (note or "").strip()
    if len(note) > 255:
        raise ServiceError("too_long", _("At most %(n)s characters.") % {"n": 255}, "note")
    selectors.check_day(cooperative=cooperative, day=business_date, field_name="business_date")
    with transaction.atomic():
        previous = CashCount.objects.filter(
            cooperative=cooperative, idempotency_key=idempotency_key
        ).first()
        if previous is not None:
            same = (previous.teller_id, previous.business_date, previous.counted) == (
                teller_id,
                business_date,
                total,
            )
            if not same:
                raise KeyReused()
            return previous
        check_open_period(cooperative, business_date)
        if (
            CashCount.objects.filter(
                cooperative=cooperative, teller_id=teller_id, business_date=business_date
            )
            .exclude(status=CashCount.Status.REJECTED)
            .exists()
        ):
            raise _already_counted(business_date)
        day = selectors.teller_day(cooperative=cooperative, teller=actor, day=business_date)
        try:
            with transaction.atomic():
                count = CashCount.objects.create(
                    cooperative=cooperative,
                    teller_id=teller_id,
                    business_date=business_date,
                    counted=total,
                    pieces=kept,
                    closing=day.closing,
                    difference=total - day.closing,
                    note=note,
                    idempotency_key=idempotency_key,
                )
        except IntegrityError as exc:  # a count submitted at the same moment
            raise _already_counted(business_date) from exc
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="cashdesk.count_submit",
            obj=count,
            summary=f"{count.number} {business_date:%d/%m/%Y} {total} ({count.difference:+})",
            data={
                "date": business_date.isoformat(),
                "counted": str(total),
                "closing": str(day.closing),
                "difference": str(count.difference),
            },
        )
    return count


def _already_counted(day: dt.date) -> Conflict:
    return Conflict(
        "already_counted",
        _(
            "Your cash for %(date)s has already been counted; a new count is possible only "
            "after that one is rejected."
        )
        % {"date": day.strftime("%d/%m/%Y")},
        "business_date",
    )


def _decidable(
    cooperative: Cooperative, actor: Any, count_id: int, key: str, status: str
) -> tuple[CashCount, bool]:
    """The count locked for a decision, and whether this request was already answered."""
    if not key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    count = (
        CashCount.objects.select_for_update().filter(cooperative=cooperative, pk=count_id).first()
    )
    if count is None:
        raise NotFound(_("Cash count not found."))
    if count.status != CashCount.Status.SUBMITTED:
        if count.decision_key == key:
            if count.status != status:
                raise KeyReused()
            return count, True
        message = (
            _("This cash count has already been approved.")
            if count.status == CashCount.Status.APPROVED
            else _("This cash count has already been rejected.")
        )
        raise Conflict("already_decided", message)
    if count.teller_id == getattr(actor, "pk", None):
        raise PermissionDenied(_("Someone else must approve or reject your own cash count."))
    if CashCount.objects.filter(cooperative=cooperative, decision_key=key).exists():
        raise KeyReused()
    return count, False


@transaction.atomic
def approve_count(
    *, cooperative: Cooperative, actor: Any, count_id: int, idempotency_key: str
) -> CashCount:
    """Approve a count and post its difference to the cash suspense account (none when the
    cash agrees). Refused when the teller's cash moved after the count (count again), for the
    teller's own count, and in a closed day or month."""
    count, answered = _decidable(
        cooperative, actor, count_id, idempotency_key, CashCount.Status.APPROVED
    )
    if answered:
        return count
    check_open_period(cooperative, count.business_date)
    day = selectors.teller_day(
        cooperative=cooperative, teller=count.teller, day=count.business_date
    )
    if day.closing != count.closing:
        raise Conflict(
            "cash_moved",
            _(
                "The teller's cash moved after the count (closing cash now %(now)s, counted "
                "against %(then)s): reject this count and count again."
            )
            % {"now": format_rupiah(day.closing), "then": format_rupiah(count.closing)},
        )
    if count.difference:
        cash = ledger.account_by_role(cooperative, "cash")
        suspense = ledger.account_by_role(cooperative, SUSPENSE_ROLE)
        amount = abs(count.difference)
        debit, credit = (suspense, cash) if count.difference < ZERO else (cash, suspense)
        kind = "kurang" if count.difference < ZERO else "lebih"
        count.journal_entry = ledger.post_entry(
            cooperative=cooperative,
            actor=actor,
            lines=[ledger.Line(debit, debit=amount), ledger.Line(credit, credit=amount)],
            memo=(
                f"Selisih kas ({kind}) {selectors.display_name(count.teller)}"
                f" {count.business_date:%d/%m/%Y} {count.number}"
            ),
            source=SOURCE,
            source_ref=teller_ref(count.teller_id),
            idempotency_key=count_entry_key(count),
            business_date=count.business_date,
        )
    _decide(count, actor, CashCount.Status.APPROVED, idempotency_key)
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="cashdesk.count_approve",
        obj=count,
        summary=f"{count.number} {count.difference:+}",
        data={
            "number": count.number,
            "difference": str(count.difference),
            "entry": count.journal_entry.number if count.journal_entry else "",
        },
    )
    return count


@transaction.atomic
def reject_count(
    *, cooperative: Cooperative, actor: Any, count_id: int, reason: str, idempotency_key: str
) -> CashCount:
    """Reject a count (nothing is posted); the teller may then count again."""
    reason = (reason or "").strip()
    count, answered = _decidable(
        cooperative, actor, count_id, idempotency_key, CashCount.Status.REJECTED
    )
    if answered:
        return count
    if not reason:
        raise ServiceError("required", _("Say why the count is rejected."), "reason")
    if len(reason) > 255:
        raise ServiceError("too_long", _("At most %(n)s characters.") % {"n": 255}, "reason")
    count.reason = reason
    _decide(count, actor, CashCount.Status.REJECTED, idempotency_key)
    audit.record(
        cooperative=cooperative,
        actor=actor,
        action="cashdesk.count_reject",
        obj=count,
        summary=f"{count.number}: {reason}",
        data={"number": count.number, "reason": reason},
    )
    return count


def _decide(count: CashCount, actor: Any, status: str, key: str) -> None:
    count.status = status
    count.decided_by = actor
    count.decided_at = timezone.now()
    count.decision_key = key
    count.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_key",
            "reason",
            "journal_entry",
        ]
    )
