"""The audit log's action codes in the reader's language: one table, used by the audit log page
and the loan timeline (`{% load audit %}`, then `entry|audit_action` and `entry|audit_summary`).

A record's `summary` stays as its writer stored it (the log is append-only): numbers, names,
amounts and codes, in some records a few English words. Where a summary has words, its writer
also stores the parts in `data` (a number, a role, an amount, a reason), and the table's
`describe` puts them into a translatable sentence when the page is rendered. So the log reads in
the viewer's language, English included, whichever language the writer's request was in, and
the stored record never changes. A record without those parts (one written before they were
stored) shows its summary as stored; a code the table does not know shows as the code itself,
so nothing is hidden. The table lives here, at the top layer, because it names the choices of
every app (roles, channels, kinds, the settings' labels).
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from koperasi.administration import selectors as administration
from koperasi.audit.models import AuditLog
from koperasi.closing.models import CloseRun
from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import format_rupiah
from koperasi.loans.models import (
    CollectionNote,
    Loan,
    LoanProduct,
    LoanTransaction,
    Restructuring,
)
from koperasi.members.models import Member
from koperasi.reports import selectors as reports
from koperasi.tenancy.models import Role

Describe = Callable[[AuditLog], str]


@dataclass(frozen=True)
class AuditAction:
    label: str | Promise
    # The summary from the record's data in the viewer's language; None: the stored summary.
    describe: Describe | None = None


# --- the parts --------------------------------------------------------------------------------


def _choice(choices: type[models.TextChoices], value: Any) -> str:
    """The label of a stored code, or the code itself when the choices no longer have it."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _rupiah(value: Any) -> str:
    return format_rupiah(Decimal(str(value)))


def _percent(value: Any) -> str:
    return f"{Decimal(str(value)).normalize():f}".replace(".", ",")


def _noted(text: str, note: Any) -> str:
    return f"{text}: {note}" if note else text


def _fields(names: Iterable[str], labels: dict[str, Any]) -> str:
    return ", ".join(str(capfirst(labels.get(name, name))) for name in sorted(names))


def _loan_product_labels() -> dict[str, Any]:
    return {
        field.name: field.verbose_name
        for field in LoanProduct._meta.get_fields()
        if hasattr(field, "verbose_name")
    }


# --- the sentences ----------------------------------------------------------------------------


def _exit(entry: AuditLog) -> str:
    d = entry.data
    return _noted(f"{d['number']}: {_choice(Member.Status, d['status'])}", d["reason"])


def _savings_product_update(entry: AuditLog) -> str:
    return _("%(code)s: %(fields)s changed") % {
        "code": entry.data["code"],
        "fields": _fields(entry.data["changed"], administration.savings_product_labels()),
    }


def _ledger_reverse(entry: AuditLog) -> str:
    d = entry.data
    text = _("%(reversal)s reverses %(entry)s") % {"reversal": d["reversal"], "entry": d["entry"]}
    return _noted(text, d["reason"])


def _account_line(entry: AuditLog) -> str:
    d = entry.data
    return _("account %(account)s: %(before)s → %(after)s") % {
        "account": d["account"],
        "before": reports.line_label(d["before"]) if d["before"] else _("no line"),
        "after": reports.line_label(d["after"]) if d["after"] else _("no line"),
    }


def _health_weight(entry: AuditLog) -> str:
    d = entry.data
    return f"{reports.component_label(d['component'])}: {d['before']} → {d['after']}"


def _settings(entry: AuditLog) -> str:
    return _("%(fields)s changed") % {
        "fields": _fields(entry.data["changed"], administration.cooperative_setting_labels())
    }


def _staff(entry: AuditLog) -> str:
    return f"{entry.data['username']}: {_choice(Role, entry.data['role'])}"


def _staff_role(entry: AuditLog) -> str:
    old, new = entry.data["changed"]["role"]
    return f"{entry.data['username']}: {_choice(Role, old)} → {_choice(Role, new)}"


def _staff_active(entry: AuditLog) -> str:
    active = entry.data["changed"]["is_active"][1]
    text = _("%(username)s: active") if active else _("%(username)s: inactive")
    return text % {"username": entry.data["username"]}


TOKEN_REVOKE_REASONS = {
    "password_change": gettext_lazy("the password was changed"),
    "password_reset": gettext_lazy("an administrator reset the password"),
}


def _tokens_revoked(entry: AuditLog) -> str:
    d = entry.data
    count = int(d["count"])
    text = ngettext(
        "%(username)s: %(count)s token, %(reason)s",
        "%(username)s: %(count)s tokens, %(reason)s",
        count,
    )
    reason = TOKEN_REVOKE_REASONS.get(d["reason"], d["reason"])
    return text % {"username": d["username"], "count": count, "reason": reason}


def _loan_product_update(entry: AuditLog) -> str:
    # The summary of this action is the product's code.
    return _("%(code)s: %(fields)s changed") % {
        "code": entry.summary,
        "fields": _fields(entry.data["after"], _loan_product_labels()),
    }


def _analyse(entry: AuditLog) -> str:
    d = entry.data
    if d["recommendation"] == "approve":
        text = _("%(number)s: approval recommended, repayment capacity %(capacity)s")
    else:
        text = _("%(number)s: rejection recommended, repayment capacity %(capacity)s")
    return text % {"number": d["number"], "capacity": _rupiah(d["capacity"])}


def _approve(entry: AuditLog) -> str:
    d = entry.data
    text = _("%(number)s approved (%(role)s)") % {
        "number": d["number"],
        "role": _choice(Role, d["role"]),
    }
    return _noted(text, d["note"])


def _reject(entry: AuditLog) -> str:
    return _noted(_("%(number)s rejected") % {"number": entry.data["number"]}, entry.data["reason"])


def _disburse(entry: AuditLog) -> str:
    d = entry.data
    parts = {
        "number": d["number"],
        "principal": _rupiah(d["principal"]),
        "paid_out": _rupiah(d["paid_out"]),
    }
    if d["to"] == Loan.Disbursement.SAVINGS:
        return _("%(number)s %(principal)s: %(paid_out)s to sukarela savings") % parts
    return _("%(number)s %(principal)s: %(paid_out)s paid out in cash") % parts


# loans.services.common.PAYMENT_SUMMARY filled in ("%s %s (%s)": loan number, amount,
# channel). The one-statement repayment writes this record in SQL with a fixed set of data
# keys, so the channel is read back from the summary rather than from data.
_PAYMENT = re.compile(r"^(?P<number>\S+) (?P<amount>.+) \((?P<channel>[a-z_]+)\)$")


def _payment(entry: AuditLog) -> str:
    found = _PAYMENT.match(entry.summary)
    if found is None:
        raise ValueError(entry.summary)
    channel = _choice(LoanTransaction.Channel, found["channel"])
    return f"{found['number']} {found['amount']} ({channel})"


def _loan_reverse(entry: AuditLog) -> str:
    d = entry.data
    text = _("%(number)s: %(receipt)s reversed") % {"number": d["number"], "receipt": d["receipt"]}
    return _noted(text, d["reason"])


def _payroll(entry: AuditLog) -> str:
    d = entry.data
    count = int(d["repayments"])
    text = ngettext(
        "%(file)s: %(count)s repayment, %(total)s",
        "%(file)s: %(count)s repayments, %(total)s",
        count,
    )
    return text % {"file": d["file"], "count": count, "total": _rupiah(d["total"])}


def _restructure_propose(entry: AuditLog) -> str:
    d = entry.data
    text = _("%(number)s: %(kind)s, %(term)s instalments at %(rate)s%% %(period)s") % {
        "number": d["number"],
        "kind": _choice(Restructuring.Kind, d["kind"]),
        "term": d["term"],
        "rate": _percent(d["rate"]),
        "period": _choice(LoanProduct.RatePeriod, d["rate_period"]),
    }
    return _noted(text, d["reason"])


def _restructure_approve(entry: AuditLog) -> str:
    d = entry.data
    return _("%(number)s: schedule v%(old)s → v%(new)s, %(kind)s") % {
        "number": d["number"],
        "old": d["from_version"],
        "new": d["to_version"],
        "kind": _choice(Restructuring.Kind, d["kind"]),
    }


def _write_off(entry: AuditLog) -> str:
    d = entry.data
    return _("%(number)s: %(amount)s written off") % {
        "number": d["number"],
        "amount": _rupiah(d["principal"]),
    }


def _collection_note(entry: AuditLog) -> str:
    d = entry.data
    text = _("%(number)s: %(kind)s on %(date)s") % {
        "number": d["number"],
        "kind": _choice(CollectionNote.Kind, d["kind"]),
        "date": format_date_id(dt.date.fromisoformat(d["contacted_on"])),
    }
    if d.get("promise_date"):
        text += ", " + _("promised to pay on %(date)s") % {
            "date": format_date_id(dt.date.fromisoformat(d["promise_date"]))
        }
        if d.get("promise_amount"):
            text += f" ({_rupiah(d['promise_amount'])})"
    return text


def _close(entry: AuditLog) -> str:
    return _("%(kind)s through %(date)s") % {
        "kind": _choice(CloseRun.Kind, entry.data["kind"]),
        "date": format_date_id(dt.date.fromisoformat(entry.data["target"])),
    }


def _minutes_sign(entry: AuditLog) -> str:
    role = entry.data["role"]
    return _("as the chair") if role == "chair" else _("as the minute-taker")


# --- the table --------------------------------------------------------------------------------

A = AuditAction

ACTIONS: dict[str, AuditAction] = {
    "members.register": A(gettext_lazy("Member registered")),
    "members.update": A(gettext_lazy("Member details changed")),
    "members.contact": A(gettext_lazy("Member's contact details changed")),
    "members.activate": A(gettext_lazy("Member activated")),
    "members.exit": A(gettext_lazy("Membership ended"), _exit),
    "members.portal_login": A(gettext_lazy("Portal login created")),
    "members.import": A(gettext_lazy("Members imported")),
    "savings.open": A(gettext_lazy("Savings account opened")),
    "savings.deposit": A(gettext_lazy("Deposit")),
    "savings.withdrawal": A(gettext_lazy("Withdrawal")),
    "savings.transfer": A(gettext_lazy("Transfer between accounts")),
    "savings.reverse": A(gettext_lazy("Savings movement reversed")),
    "savings.pokok_bulk": A(gettext_lazy("Simpanan pokok paid in cash")),
    "savings.product_create": A(gettext_lazy("Savings product created")),
    "savings.product_update": A(gettext_lazy("Savings product changed"), _savings_product_update),
    "ledger.post": A(gettext_lazy("Journal entry posted")),
    "ledger.reverse": A(gettext_lazy("Journal entry reversed"), _ledger_reverse),
    "ledger.close_month": A(gettext_lazy("Books closed for the month")),
    "ledger.close_year": A(gettext_lazy("Financial year closed")),
    "shu.settings": A(gettext_lazy("SHU rules changed")),
    "shu.distribute": A(gettext_lazy("SHU distributed")),
    "shu.pay_savings": A(gettext_lazy("SHU shares paid into savings")),
    "shu.pay_cash": A(gettext_lazy("SHU share paid in cash")),
    "reports.account_line": A(gettext_lazy("Statement line of an account changed"), _account_line),
    "reports.health_weight": A(gettext_lazy("Health assessment weight changed"), _health_weight),
    "reports.health_answers": A(gettext_lazy("Health assessment questionnaire saved")),
    "ledger.account_create": A(gettext_lazy("Chart account added")),
    "ledger.account_update": A(gettext_lazy("Chart account changed")),
    "tenancy.create": A(gettext_lazy("Cooperative created")),
    "tenancy.settings": A(gettext_lazy("Settings changed"), _settings),
    "tenancy.staff": A(gettext_lazy("Staff added"), _staff),
    "tenancy.staff_create": A(gettext_lazy("Staff login created"), _staff),
    "tenancy.staff_role": A(gettext_lazy("Staff role changed"), _staff_role),
    "tenancy.staff_active": A(gettext_lazy("Staff access changed"), _staff_active),
    "tenancy.staff_password_reset": A(gettext_lazy("Staff password reset")),
    "auth.password_change": A(gettext_lazy("Own password changed")),
    "auth.token_issue": A(gettext_lazy("API token issued")),
    "auth.token_revoke": A(gettext_lazy("API token revoked")),
    "auth.tokens_revoke_all": A(gettext_lazy("All API tokens revoked"), _tokens_revoked),
    "loans.product_create": A(gettext_lazy("Loan product created")),
    "loans.product_update": A(gettext_lazy("Loan product changed"), _loan_product_update),
    "loans.apply": A(gettext_lazy("Application entered")),
    "loans.analyse": A(gettext_lazy("Analysed"), _analyse),
    "loans.document": A(gettext_lazy("Document added")),
    "loans.approve": A(gettext_lazy("Approved"), _approve),
    "loans.reject": A(gettext_lazy("Rejected"), _reject),
    "loans.cancel": A(gettext_lazy("Withdrawn by the member")),
    "loans.disburse": A(gettext_lazy("Disbursed"), _disburse),
    "loans.repayment": A(gettext_lazy("Repayment"), _payment),
    "loans.payoff": A(gettext_lazy("Early payoff"), _payment),
    "loans.reverse": A(gettext_lazy("Repayment reversed"), _loan_reverse),
    "loans.payroll": A(gettext_lazy("Payroll deduction"), _payroll),
    "loans.restructure_propose": A(gettext_lazy("Restructuring proposed"), _restructure_propose),
    "loans.restructure_approve": A(gettext_lazy("Restructuring approved"), _restructure_approve),
    "loans.restructure_reject": A(gettext_lazy("Restructuring rejected")),
    "loans.write_off_propose": A(gettext_lazy("Write-off proposed")),
    "loans.write_off": A(gettext_lazy("Written off"), _write_off),
    "loans.recovery": A(gettext_lazy("Recovery")),
    "loans.collection_note": A(gettext_lazy("Collection contact noted"), _collection_note),
    "closing.day": A(gettext_lazy("Day-end close started"), _close),
    "closing.month": A(gettext_lazy("Month-end close started"), _close),
    "cashdesk.count_submit": A(gettext_lazy("Cash count submitted")),
    "cashdesk.count_approve": A(gettext_lazy("Cash count approved")),
    "cashdesk.count_reject": A(gettext_lazy("Cash count rejected")),
    "governance.settings": A(gettext_lazy("Meeting rules changed")),
    "governance.vote_weight": A(gettext_lazy("Vote weight set")),
    "governance.meeting_create": A(gettext_lazy("Members' meeting planned")),
    "governance.meeting_update": A(gettext_lazy("Members' meeting changed")),
    "governance.meeting_announce": A(gettext_lazy("Members' meeting announced")),
    "governance.meeting_open": A(gettext_lazy("Members' meeting opened")),
    "governance.meeting_close": A(gettext_lazy("Members' meeting closed")),
    "governance.minutes_sign": A(gettext_lazy("Minutes signed"), _minutes_sign),
    "governance.item_add": A(gettext_lazy("Agenda item added")),
    "governance.document_add": A(gettext_lazy("Agenda document attached")),
    "governance.candidate_add": A(gettext_lazy("Candidate added")),
    "governance.item_open": A(gettext_lazy("Voting opened")),
    "governance.item_close": A(gettext_lazy("Voting closed")),
    "governance.decision_apply": A(gettext_lazy("Meeting decision applied")),
}

# The audit log's filter: each group of codes under the name its part of the menu has.
GROUPS: dict[str, str | Promise] = {
    "members.": gettext_lazy("Members"),
    "savings.": gettext_lazy("Savings"),
    "loans.": gettext_lazy("Loans"),
    "ledger.": gettext_lazy("Books"),
    "closing.": gettext_lazy("Closing"),
    "reports.": gettext_lazy("Reports"),
    "shu.": gettext_lazy("SHU"),
    "cashdesk.": gettext_lazy("Cash desk"),
    "governance.": gettext_lazy("Members' meeting (RAT)"),
    "tenancy.": gettext_lazy("Cooperative and staff"),
    "auth.": gettext_lazy("API tokens"),
}


def action_label(code: str) -> str | None:
    """The action's name in the active language, or None for a code the table does not know."""
    known = ACTIONS.get(code)
    return None if known is None else str(known.label)


def summary(entry: AuditLog) -> str:
    """The record's summary in the active language, or as stored when it cannot be."""
    known = ACTIONS.get(entry.action)
    if known is None or known.describe is None or not isinstance(entry.data, dict):
        return entry.summary
    try:
        return known.describe(entry)
    except (KeyError, IndexError, TypeError, ValueError, ArithmeticError):
        return entry.summary  # a record written before its parts were stored


def filter_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group name, [(prefix, "All"), (code, action name), ...]) for each group."""
    return [
        (
            str(group),
            [
                (prefix, _("All")),
                *((code, str(a.label)) for code, a in ACTIONS.items() if code.startswith(prefix)),
            ],
        )
        for prefix, group in GROUPS.items()
    ]
