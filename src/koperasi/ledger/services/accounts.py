"""The chart of accounts: a new cooperative's chart, accounts by their system role, and the
accounts an accountant adds, renames or switches off."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from koperasi.audit import services as audit
from koperasi.errors import NotFound, ServiceError
from koperasi.ledger.chart import KSP_CHART
from koperasi.ledger.models import Account
from koperasi.tenancy.models import Cooperative


def install_chart(*, cooperative: Cooperative) -> None:
    """Copy the KSP chart template into a new cooperative."""
    by_code: dict[str, Account] = {}
    for code, name, type_, parent, role, control in KSP_CHART:
        by_code[code] = Account.objects.create(
            cooperative=cooperative,
            code=code,
            name=name,
            type=type_,
            parent=by_code.get(parent),
            is_header=len(code) <= 2,
            is_control=control,
            system_role=role,
        )


def remember_account(cooperative: Cooperative, role: str, account: Account) -> None:
    """Keep an account with a system role that a caller read along with other rows."""
    cooperative.__dict__.setdefault("_accounts_by_role", {})[role] = account


def account_by_role(cooperative: Cooperative, role: str) -> Account:
    """The account with this system role, remembered on the cooperative object (one request):
    the first miss reads every account with a role at once (a repayment asks for several)."""
    remembered: dict[str, Account] = cooperative.__dict__.setdefault("_accounts_by_role", {})
    if role not in remembered:
        for account in Account.objects.filter(cooperative=cooperative).exclude(system_role=""):
            remembered.setdefault(account.system_role, account)
    if role in remembered:
        return remembered[role]
    raise ServiceError(
        "account_missing",
        _("The chart of accounts has no account for '%(role)s'.") % {"role": role},
    )


def create_account(
    *,
    cooperative: Cooperative,
    actor: Any,
    code: str,
    name: str,
    parent_code: str,
) -> Account:
    """Add an account under a header of the cooperative's chart."""
    code = code.strip()
    if not code.isdigit():
        raise ServiceError("invalid_code", _("An account code contains digits only."), "code")
    if not name.strip():
        raise ServiceError("required", _("This field is required."), "name")
    parent = Account.objects.filter(cooperative=cooperative, code=parent_code).first()
    if parent is None:
        raise NotFound(_("Parent account not found."), field="parent")
    if Account.objects.filter(cooperative=cooperative, code=code).exists():
        raise ServiceError("duplicate_code", _("This account code is already used."), "code")
    with transaction.atomic():
        account = Account.objects.create(
            cooperative=cooperative, code=code, name=name.strip(), type=parent.type, parent=parent
        )
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="ledger.account_create",
            obj=account,
            summary=f"{code} {name}",
        )
    return account


def update_account(
    *, cooperative: Cooperative, actor: Any, code: str, name: str, is_active: bool
) -> Account:
    """Rename an account, or (de)activate it. An inactive account takes no postings, so only an
    empty, ordinary account may be switched off: headers, control accounts, accounts the
    services post to by role, and accounts holding a balance stay active."""
    with transaction.atomic():
        account = (
            Account.objects.select_for_update().filter(cooperative=cooperative, code=code).first()
        )
        if account is None:
            raise NotFound(_("Account not found."))
        name = (name or "").strip()
        if not name:
            raise ServiceError("required", _("This field is required."), "name")
        if len(name) > 150:
            raise ServiceError("too_long", _("At most %(n)s characters.") % {"n": 150}, "name")
        if not isinstance(is_active, bool):
            raise ServiceError("invalid_choice", _("Choose yes or no."), "is_active")
        if account.is_active and not is_active:
            _check_can_deactivate(account)
        changed = {
            field: [getattr(account, field), value]
            for field, value in (("name", name), ("is_active", is_active))
            if getattr(account, field) != value
        }
        if not changed:
            return account
        account.name, account.is_active = name, is_active
        account.save(update_fields=list(changed))
        audit.record(
            cooperative=cooperative,
            actor=actor,
            action="ledger.account_update",
            obj=account,
            summary=f"{account.code} {account.name}",
            data={"changed": changed},
        )
    return account


def _check_can_deactivate(account: Account) -> None:
    if account.is_header:
        raise ServiceError(
            "header_account",
            _("A header account groups others and cannot be deactivated."),
            "is_active",
        )
    if account.is_control:
        raise ServiceError(
            "control_account",
            _("A control account is kept by its sub-ledger and cannot be deactivated."),
            "is_active",
        )
    if account.system_role:
        raise ServiceError(
            "system_account",
            _("The system posts to this account automatically; it cannot be deactivated."),
            "is_active",
        )
    if account.balance != 0:
        raise ServiceError(
            "nonzero_balance",
            _("This account has a balance; move the balance to another account first."),
            "is_active",
        )
