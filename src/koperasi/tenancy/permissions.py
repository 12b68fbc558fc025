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
VIEW_LOANS = "loans.view"
# Enter and analyse applications, propose restructuring or write-off.
HANDLE_LOANS = "loans.handle"
# Decide applications and restructurings (a manager up to the cooperative's limit, the board
# above it); write-offs are decided by the board alone, checked in the service.
APPROVE_LOANS = "loans.approve"
# Disburse, take repayments, payoffs, recoveries; reverse a wrong repayment.
TRANSACT_LOANS = "loans.transact"
IMPORT_PAYROLL = "loans.payroll"
MANAGE_LOAN_PRODUCTS = "loans.products"
VIEW_AUDIT = "audit.view"
MANAGE_SETTINGS = "settings.manage"
# Start a day-end or month-end close from the UI (the history is VIEW_LEDGER).
RUN_CLOSE = "closing.run"
# Approve or reject a teller's cash count (its difference is then posted): not the teller's own.
APPROVE_CASH_COUNT = "cashdesk.approve"
# The members' meeting (RAT): plan, announce, open and close it, its items and their voting.
RUN_MEETINGS = "governance.run"
# Check members in at the venue (the registration desk).
CHECK_IN_MEMBERS = "governance.checkin"
# Sign the minutes (berita acara) as the chair or the minute-taker.
SIGN_MINUTES = "governance.sign"

_READ = {VIEW_MEMBERS, VIEW_SAVINGS, VIEW_LEDGER, VIEW_LOANS}
_LENDING = {HANDLE_LOANS, APPROVE_LOANS, TRANSACT_LOANS, IMPORT_PAYROLL, MANAGE_LOAN_PRODUCTS}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        _READ
        | {MANAGE_MEMBERS, IMPORT_MEMBERS, TRANSACT_SAVINGS, MANAGE_LEDGER, CLOSE_PERIOD}
        | {VIEW_AUDIT, MANAGE_SETTINGS, RUN_CLOSE, APPROVE_CASH_COUNT}
        | {RUN_MEETINGS, CHECK_IN_MEMBERS, SIGN_MINUTES}
        | _LENDING
    ),
    Role.MANAGER: frozenset(
        _READ
        | {MANAGE_MEMBERS, IMPORT_MEMBERS, TRANSACT_SAVINGS, CLOSE_PERIOD, VIEW_AUDIT, RUN_CLOSE}
        | {APPROVE_CASH_COUNT, RUN_MEETINGS, CHECK_IN_MEMBERS, SIGN_MINUTES}
        | _LENDING
    ),
    Role.TELLER: frozenset(
        {VIEW_MEMBERS, VIEW_SAVINGS, MANAGE_MEMBERS, TRANSACT_SAVINGS, VIEW_LOANS, TRANSACT_LOANS}
        | {CHECK_IN_MEMBERS}
    ),
    Role.LOAN_OFFICER: frozenset({VIEW_MEMBERS, VIEW_SAVINGS, VIEW_LOANS, HANDLE_LOANS}),
    Role.ACCOUNTANT: frozenset(
        _READ | {MANAGE_LEDGER, CLOSE_PERIOD, IMPORT_MEMBERS, IMPORT_PAYROLL}
    ),
    Role.SUPERVISOR: frozenset(_READ | {VIEW_AUDIT, SIGN_MINUTES}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
