"""Payroll deduction (potong gaji): an employer's file of deductions paid on members' loans.

The employer deducts instalments from salaries and transfers the total to the cooperative's
bank account with a file (CSV or XLSX) of who paid what: member number or NIK, and amount. The
whole file is validated first; a file with a single bad row posts nothing and lists every bad
row. A valid file is reconciled against what each member owes this month:

* matched: the amount equals what is due; partial: less; over: more (the excess is handled by
  the product's overpayment rule);
* unknown: no such member, or no active loan: not posted, listed to return to the employer.

Posting is one repayment per loan (channel "payroll": Dr bank), all in one transaction, each
keyed by the file's idempotency key and row. A file is posted once: confirming it again, even
at the same moment from another window, is refused as already posted (409) and posts nothing.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.domain.errors import DomainError
from koperasi.domain.money import ZERO, parse_amount, parse_rupiah_input
from koperasi.domain.periods import month_bounds
from koperasi.errors import Conflict, ServiceError
from koperasi.ledger import services as ledger
from koperasi.loans.models import Instalment, Loan, LoanTransaction
from koperasi.loans.services import repayments
from koperasi.loans.services.common import business_date
from koperasi.loans.services.quality import earned_penalty
from koperasi.loans.services.terms import penalty_rule
from koperasi.members.models import Member
from koperasi.tabular import (
    REPORTED_PROBLEMS,
    FileRefused,
    RowError,
    file_error,
    problems_stopped,
    read_rows,
    text,
)
from koperasi.tenancy.models import Cooperative

MAX_ROWS = 20_000  # the preview lists every line; read_rows has the general upload limits
# A member number or NIK (16 digits, perhaps spaced): anything longer matches no one.
MAX_IDENTIFIER = 32
IDENTIFIER_COLUMNS = ("no_anggota", "nomor_anggota", "member_number", "nik", "no_nik")
AMOUNT_COLUMNS = ("jumlah", "potongan", "amount", "nominal")
_HEADER_SEPARATORS_RE = re.compile(r"[\s\-/.]+")
_PLAIN_AMOUNT_RE = re.compile(r"^\d+(\.\d{1,2})?$")
# A 16-digit NIK typed into Excel as a number loses digits beyond this.
_EXACT_FLOAT_LIMIT = 2**53

STATUSES = ("matched", "partial", "over", "unknown")
# Advisory lock class of "a cooperative's payroll posting" (the object id is the cooperative),
# "pay" beside ledger.services.BOOKS_LOCK and the close's "kop".
PAYROLL_LOCK = 0x706179


@dataclass(frozen=True)
class DeductionLine:
    row: int
    identifier: str
    member_number: str
    member_name: str
    loan_id: int | None
    loan_number: str
    amount: Decimal
    due: Decimal
    status: str


@dataclass
class PayrollResult:
    errors: list[RowError] = field(default_factory=list)
    lines: list[DeductionLine] = field(default_factory=list)
    posted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> dict[str, tuple[int, Decimal]]:
        """status -> (number of lines, total amount)."""
        out = {status: (0, ZERO) for status in STATUSES}
        for line in self.lines:
            n, total = out[line.status]
            out[line.status] = (n + 1, total + line.amount)
        return out

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def import_deductions(
    *,
    cooperative: Cooperative,
    actor: Any,
    file_name: str,
    content: bytes,
    idempotency_key: str,
    dry_run: bool = False,
    business_date_: dt.date | None = None,
) -> PayrollResult:
    """Validate, reconcile and (unless `dry_run`) post a deduction file, all or nothing."""
    if not idempotency_key:
        raise ServiceError("idempotency_key_required", _("An idempotency key is required."))
    try:
        parsed = _parse(file_name, content)
    except FileRefused as refused:
        return PayrollResult(errors=refused.errors)
    if isinstance(parsed, PayrollResult):
        return parsed
    on = business_date(cooperative, business_date_)
    lines, parts, member_ids = _reconcile(cooperative, parsed, on)
    result = PayrollResult(lines=lines)
    if dry_run:
        return result
    try:
        # One transaction for the file; the balances of all its entries are applied together
        # at the end (in account order), so hot accounts stay locked only for the commit.
        with transaction.atomic(), ledger.balances_at_end():
            _refuse_if_posted(cooperative, idempotency_key, member_ids)
            for row, loan_id, value in parts:
                try:
                    repayments.repay(
                        cooperative=cooperative,
                        actor=actor,
                        loan_id=loan_id,
                        amount=value,
                        idempotency_key=f"{idempotency_key}:{row}:{loan_id}",
                        channel=LoanTransaction.Channel.PAYROLL,
                        business_date_=on,
                        note=f"Potong gaji {file_name}"[:255],
                    )
                except ServiceError as exc:
                    raise FileRefused([RowError(row, None, exc.code, str(exc.message))]) from exc
            audit.record(
                cooperative=cooperative,
                actor=actor,
                action="loans.payroll",
                summary=f"{file_name}: {len(parts)} repayments, {result.total}",
                data={
                    "file": file_name,
                    "repayments": len(parts),
                    "total": str(result.total),
                    "lines": {s: [n, str(t)] for s, (n, t) in result.counts.items()},
                },
            )
    except FileRefused as refused:
        return PayrollResult(errors=refused.errors, lines=lines)
    result.posted = len(parts)
    return result


def _refuse_if_posted(cooperative: Cooperative, idempotency_key: str, member_ids: set[int]) -> None:
    """Refuse a file whose key already posted a repayment, in the file's transaction.

    Confirms of one file wait for each other here, so the second sees the first's repayments
    once it has committed: on PostgreSQL an advisory lock per cooperative held to the commit;
    SQLite serialises write transactions anyway (BEGIN IMMEDIATE). Without it the second would
    replay the first's repayments row by row and answer "posted" too. The question is asked of
    any loan of the file's members (closed ones included: the file may have paid one off),
    never of the reconciliation, which changes once the file is in the books.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PAYROLL_LOCK, cooperative.pk])
    posted = LoanTransaction.objects.filter(
        cooperative=cooperative,
        loan__member_id__in=member_ids,
        idempotency_key__startswith=f"{idempotency_key}:",
    )
    if member_ids and posted.exists():
        raise Conflict(
            "already_posted", _("This file has already been posted; nothing was posted again.")
        )


def _parse(file_name: str, content: bytes) -> list[tuple[int, str, Decimal]] | PayrollResult:
    """(row, identifier, amount) for every row, or every problem found."""
    rows = read_rows(file_name, content)
    header_row, header = next(rows, (0, []))
    keys = [
        _HEADER_SEPARATORS_RE.sub("_", text(cell).lower().rstrip("*").strip()) for cell in header
    ]
    id_col = next((i for i, k in enumerate(keys) if k in IDENTIFIER_COLUMNS), None)
    amount_col = next((i for i, k in enumerate(keys) if k in AMOUNT_COLUMNS), None)
    errors: list[RowError] = []
    if id_col is None:
        errors.append(
            RowError(
                header_row, None, "missing_column", str(_('Add a column "no_anggota" or "nik".'))
            )
        )
    if amount_col is None:
        errors.append(
            RowError(header_row, None, "missing_column", str(_('Add a column "jumlah".')))
        )
    if errors or id_col is None or amount_col is None:
        return PayrollResult(errors=errors)
    id_label, amount_label = text(header[id_col]), text(header[amount_col])
    found: list[tuple[int, str, Decimal]] = []
    seen: dict[str, int] = {}
    for count, (number, cells) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise file_error(
                "too_many_rows",
                _("A file may hold at most %(max)s rows; split it.") % {"max": MAX_ROWS},
            )
        raw_id = cells[id_col] if id_col < len(cells) else None
        raw_amount = cells[amount_col] if amount_col < len(cells) else None
        identifier = _identifier(raw_id)
        if len(errors) >= REPORTED_PROBLEMS:
            errors.append(problems_stopped(number))
            break
        if identifier is not None and len(identifier) > MAX_IDENTIFIER:
            errors.append(
                RowError(
                    number,
                    id_label,
                    "too_long",
                    str(_("At most %(max)s characters.") % {"max": MAX_IDENTIFIER}),
                )
            )
            identifier = ""
        elif identifier is None:
            errors.append(
                RowError(
                    number,
                    id_label,
                    "invalid",
                    str(_("Store the NIK as text: Excel changed its digits.")),
                )
            )
        elif not identifier:
            errors.append(RowError(number, id_label, "required", str(_("This field is required."))))
        elif identifier in seen:
            errors.append(
                RowError(
                    number,
                    id_label,
                    "duplicate",
                    str(
                        _("Also on row %(row)s; put one amount per member.")
                        % {"row": seen[identifier]}
                    ),
                )
            )
        else:
            seen[identifier] = number
        try:
            value = _amount(raw_amount)
        except DomainError as exc:
            errors.append(
                RowError(number, amount_label, exc.code, str(ServiceError.from_domain(exc).message))
            )
            continue
        if identifier:
            found.append((number, identifier, value))
    if errors:
        return PayrollResult(errors=errors)
    if not found:
        raise file_error("empty_file", _("The file has no deduction rows."))
    return found


def _identifier(value: Any) -> str | None:
    if isinstance(value, float):
        if not value.is_integer() or value >= _EXACT_FLOAT_LIMIT:
            return None
        return str(int(value))
    return text(value).strip()


def _amount(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise DomainError("invalid", "Enter the amount as a number.", "amount")
    if isinstance(value, int):
        return parse_amount(value)
    if isinstance(value, float):
        # An Excel number cell: its shortest repr is the figure the user typed (1250.5, not
        # 1250.4999…); parse_amount then refuses anything finer than the sen.
        return parse_amount(Decimal(str(value)))
    raw = text(value)
    if _PLAIN_AMOUNT_RE.match(raw):
        return parse_amount(raw)
    return parse_rupiah_input(raw)


def _reconcile(
    cooperative: Cooperative, rows: list[tuple[int, str, Decimal]], on: dt.date
) -> tuple[list[DeductionLine], list[tuple[int, int, Decimal]], set[int]]:
    """Each row's member, loans and status; the (row, loan, amount) repayments to post; and
    the ids of the members the file names."""
    identifiers = {identifier for _row, identifier, _v in rows}
    members: dict[str, Member] = {}
    for member in Member.objects.filter(cooperative=cooperative).filter(
        number__in=identifiers
    ) | Member.objects.filter(cooperative=cooperative, nik__in=identifiers):
        members[member.number] = member
        members[member.nik] = member
    loans: dict[int, list[Loan]] = {}
    for loan in (
        Loan.objects.filter(
            cooperative=cooperative,
            status=Loan.Status.ACTIVE,
            member_id__in={m.pk for m in members.values()},
        )
        .select_related("product")
        .order_by("disbursed_on", "pk")
    ):
        loans.setdefault(loan.member_id, []).append(loan)
    _first, last_day = month_bounds(on.year, on.month)
    due = _due_by_loan([loan for group in loans.values() for loan in group], on, last_day)
    lines: list[DeductionLine] = []
    parts: list[tuple[int, int, Decimal]] = []
    for row, identifier, value in rows:
        member = members.get(identifier)
        own = loans.get(member.pk, []) if member else []
        if member is None or not own:
            lines.append(
                DeductionLine(
                    row,
                    identifier,
                    member.number if member else "",
                    member.name if member else "",
                    None,
                    "",
                    value,
                    ZERO,
                    "unknown",
                )
            )
            continue
        owed = sum((due.get(loan.pk, ZERO) for loan in own), ZERO)
        status = "matched" if value == owed else ("partial" if value < owed else "over")
        # Fill each loan's due amount oldest loan first; an excess goes to the oldest loan,
        # whose product decides (next instalments in advance, or savings).
        left = value
        shares: dict[int, Decimal] = {}
        for loan in own:
            take = min(left, due.get(loan.pk, ZERO))
            if take:
                shares[loan.pk] = take
                left -= take
        if left:
            shares[own[0].pk] = shares.get(own[0].pk, ZERO) + left
        parts.extend((row, loan_id, share) for loan_id, share in shares.items())
        lines.append(
            DeductionLine(
                row,
                identifier,
                member.number,
                member.name,
                own[0].pk,
                ", ".join(loan.number for loan in own),
                value,
                owed,
                status,
            )
        )
    return lines, parts, {member.pk for member in members.values()}


def _due_by_loan(loans: list[Loan], on: dt.date, through: dt.date) -> dict[int, Decimal]:
    """What each loan owes on instalments due up to `through` (arrears included), with the
    penalty its overdue instalments will have earned by `on`."""
    by_id = {loan.pk: loan for loan in loans}
    rules = {loan.pk: penalty_rule(loan.product) for loan in loans}
    out: dict[int, Decimal] = {}
    rows = Instalment.objects.filter(loan_id__in=by_id, due_date__lte=through, paid_on__isnull=True)
    for row in rows.iterator():
        if row.version != by_id[row.loan_id].schedule_version:
            continue
        owed = row.amount_due + earned_penalty(rules[row.loan_id], row, on)
        out[row.loan_id] = out.get(row.loan_id, ZERO) + owed
    return out
