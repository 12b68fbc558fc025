"""The reports' only writes: which statement line an account feeds."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from koperasi.audit import services as audit
from koperasi.errors import ServiceError
from koperasi.ledger import selectors as ledger
from koperasi.reports import lines
from koperasi.reports.models import AccountLine
from koperasi.tenancy.models import Cooperative


@transaction.atomic
def set_account_line(
    *, cooperative: Cooperative, actor: Any, account_code: str, line: str
) -> AccountLine | None:
    """Move an account to a statement line; the default line (or "" for it) removes the choice."""
    account = ledger.account(cooperative=cooperative, code=account_code)
    if account.is_header:
        raise ServiceError(
            "header_account", _("A header account takes no postings and feeds no line."), "line"
        )
    default = lines.DEFAULT_ACCOUNTS.get(account.code, "")
    if line and line not in {candidate.code for candidate in lines.lines_for(account.type)}:
        raise ServiceError(
            "wrong_line", _("This line does not take accounts of this type."), field="line"
        )
    previous = AccountLine.objects.filter(account=account).first()
    before = previous.line if previous else default
    if not line or (line == default and default):
        AccountLine.objects.filter(account=account).delete()
        choice = None
        after = default
    else:
        choice, _created = AccountLine.objects.update_or_create(
            account=account,
            defaults={"cooperative": cooperative, "line": line, "changed_by": actor},
        )
        after = line
    if before != after:
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="reports.account_line",
            obj=account,
            summary=f"{account.code}: {before or '-'} → {after or '-'}",
            data={"account": account.code, "before": before, "after": after},
        )
    return choice
