"""What each staff role may do. Checked on the server for every view and endpoint."""

from koperasi.tenancy.models import Role

VIEW_MEMBERS = "members.view"
MANAGE_MEMBERS = "members.manage"
IMPORT_MEMBERS = "members.import"
VIEW_SAVINGS = "savings.view"
TRANSACT_SAVINGS = "savings.transact"
VIEW_LEDGER = "ledger.view"
MANAGE_LEDGER = "ledger.manage"
CLOSE_PERIOD = "ledger.close"
VIEW_AUDIT = "audit.view"
MANAGE_SETTINGS = "settings.manage"

_READ = {VIEW_MEMBERS, VIEW_SAVINGS, VIEW_LEDGER}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _READ
        | {MANAGE_MEMBERS, IMPORT_MEMBERS, TRANSACT_SAVINGS, MANAGE_LEDGER, CLOSE_PERIOD}
        | {VIEW_AUDIT, MANAGE_SETTINGS}
    ),
    Role.MANAGER: frozenset(
        _READ | {MANAGE_MEMBERS, IMPORT_MEMBERS, TRANSACT_SAVINGS, CLOSE_PERIOD, VIEW_AUDIT}
    ),
    Role.TELLER: frozenset({VIEW_MEMBERS, VIEW_SAVINGS, MANAGE_MEMBERS, TRANSACT_SAVINGS}),
    Role.LOAN_OFFICER: frozenset({VIEW_MEMBERS, VIEW_SAVINGS}),
    Role.ACCOUNTANT: frozenset(_READ | {MANAGE_LEDGER, CLOSE_PERIOD, IMPORT_MEMBERS}),
    Role.SUPERVISOR: frozenset(_READ | {VIEW_AUDIT}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
