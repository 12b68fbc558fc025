"""The menus: one table of entries, each naming the permission its page requires.

A staff role sees an entry only when it holds that permission, so every link it is shown opens
and no page it may not open is offered (tests/web/test_menu.py holds the table to the views).
Section menus (the row of links at the top of the savings, loans, books, closing and settings
pages) come from the same table.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from koperasi.tenancy.permissions import (
    CLOSE_PERIOD,
    HANDLE_LOANS,
    IMPORT_PAYROLL,
    MANAGE_LEDGER,
    MANAGE_LOAN_PRODUCTS,
    MANAGE_SETTINGS,
    RUN_MEETINGS,
    TRANSACT_SAVINGS,
    VIEW_AUDIT,
    VIEW_LEDGER,
    VIEW_LOANS,
    VIEW_MEMBERS,
    VIEW_SAVINGS,
)


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    # The permission the page's view requires; None for the member portal (any member).
    permission: str | None = None
    # URL namespaces whose pages count as "inside" this entry (it is marked current there).
    namespaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenuLink:
    label: str | Promise
    url: str
    current: bool


STAFF_MENU: tuple[MenuEntry, ...] = (
    MenuEntry(_("Dashboard"), "dashboard", VIEW_MEMBERS),
    MenuEntry(_("Members"), "members:list", VIEW_MEMBERS, ("members",)),
    MenuEntry(_("Teller"), "savings:teller", TRANSACT_SAVINGS),
    MenuEntry(_("Savings"), "savings:accounts", VIEW_SAVINGS, ("savings",)),
    MenuEntry(_("Loans"), "lending:portfolio", VIEW_LOANS, ("lending", "loandocs")),
    MenuEntry(_("Ledger"), "ledger:trial_balance", VIEW_LEDGER, ("ledger",)),
    MenuEntry(_("Closing"), "closing:close", VIEW_LEDGER, ("closing", "shu")),
    MenuEntry(_("Reports"), "reports:index", VIEW_LOANS, ("reports", "cashdesk")),
    MenuEntry(_("RAT"), "rat:list", VIEW_MEMBERS, ("rat",)),
    MenuEntry(_("Audit"), "audit_log", VIEW_AUDIT),
    MenuEntry(_("Settings"), "settings:settings", MANAGE_SETTINGS, ("settings",)),
)

SECTION_MENUS: dict[str, tuple[MenuEntry, ...]] = {
    "savings": (
        MenuEntry(_("Teller"), "savings:teller", TRANSACT_SAVINGS),
        MenuEntry(_("Savings accounts"), "savings:accounts", VIEW_SAVINGS),
        MenuEntry(_("My cash today"), "cashdesk:mine", TRANSACT_SAVINGS),
    ),
    "loans": (
        MenuEntry(_("Portfolio"), "lending:portfolio", VIEW_LOANS),
        MenuEntry(_("Application queue"), "lending:queue", VIEW_LOANS),
        MenuEntry(_("New application"), "lending:apply", HANDLE_LOANS),
        MenuEntry(_("Payroll deductions"), "loandocs:payroll", IMPORT_PAYROLL),
        MenuEntry(_("Loan products"), "lending:products", MANAGE_LOAN_PRODUCTS),
    ),
    "ledger": (
        MenuEntry(_("Chart of accounts"), "ledger:accounts", VIEW_LEDGER),
        MenuEntry(_("Journal"), "ledger:journal", VIEW_LEDGER),
        MenuEntry(_("Trial balance"), "ledger:trial_balance", VIEW_LEDGER),
        MenuEntry(_("New entry"), "ledger:new_entry", MANAGE_LEDGER),
        MenuEntry(_("Close month"), "ledger:close", CLOSE_PERIOD),
    ),
    # Each report adds its entry here; the reports index lists the same links.
    "reports": (
        MenuEntry(_("All reports"), "reports:index", VIEW_LOANS),
        MenuEntry(_("Financial position"), "reports:position", VIEW_LEDGER),
        MenuEntry(_("Activities (surplus)"), "reports:activity", VIEW_LEDGER),
        MenuEntry(_("Changes in equity"), "reports:equity", VIEW_LEDGER),
        MenuEntry(_("Cash flows"), "reports:cash_flow", VIEW_LEDGER),
        MenuEntry(_("Notes"), "reports:notes", VIEW_LEDGER),
        MenuEntry(_("Health assessment"), "reports:health", VIEW_LEDGER),
        MenuEntry(_("Statement lines"), "reports:account_lines", VIEW_LEDGER),
        MenuEntry(_("Ministry data set (ODS)"), "reports:ods", VIEW_LEDGER),
        MenuEntry(_("Loan quality and allowance"), "reports:portfolio_quality", VIEW_LOANS),
        MenuEntry(_("Arrears and collection"), "reports:portfolio_arrears", VIEW_LOANS),
        MenuEntry(_("Disbursements and repayments"), "reports:portfolio_flows", VIEW_LOANS),
        MenuEntry(_("Loan officer performance"), "reports:portfolio_officers", VIEW_LOANS),
        MenuEntry(_("Maturity and repricing gaps"), "reports:portfolio_maturity", VIEW_LOANS),
        MenuEntry(_("My cash today"), "cashdesk:mine", TRANSACT_SAVINGS),
        MenuEntry(_("Daily cash report"), "cashdesk:office", VIEW_LEDGER),
        MenuEntry(_("Day book"), "cashdesk:day_book", VIEW_LEDGER),
        MenuEntry(_("Savings by product"), "reports:savings_products", VIEW_SAVINGS),
        MenuEntry(_("Savings by member"), "reports:savings_members", VIEW_SAVINGS),
        MenuEntry(_("Savings movements"), "reports:savings_movements", VIEW_SAVINGS),
        MenuEntry(_("Wajib arrears"), "reports:wajib_arrears", VIEW_SAVINGS),
        MenuEntry(_("Savings interest and tax"), "reports:savings_interest", VIEW_SAVINGS),
    ),
    "closing": (
        MenuEntry(_("Day and month close"), "closing:close", VIEW_LEDGER),
        MenuEntry(_("Year-end close and SHU"), "shu:year_close", VIEW_LEDGER),
        MenuEntry(_("SHU rules"), "shu:settings", VIEW_LEDGER),
        MenuEntry(_("Close history"), "closing:history", VIEW_LEDGER),
    ),
    "rat": (
        MenuEntry(_("Meetings (RAT)"), "rat:list", VIEW_MEMBERS),
        MenuEntry(_("New meeting"), "rat:new", RUN_MEETINGS),
        MenuEntry(_("Meeting rules"), "rat:settings", MANAGE_SETTINGS),
    ),
    "settings": (
        MenuEntry(_("Cooperative"), "settings:settings", MANAGE_SETTINGS),
        MenuEntry(_("Staff"), "settings:staff", MANAGE_SETTINGS),
        MenuEntry(_("API tokens"), "settings:tokens", MANAGE_SETTINGS),
        MenuEntry(_("Savings products"), "settings:products", MANAGE_SETTINGS),
        MenuEntry(_("Chart of accounts"), "ledger:accounts", VIEW_LEDGER),
    ),
}

PORTAL_MENU: tuple[MenuEntry, ...] = (
    MenuEntry(_("My savings"), "portal_home"),
    MenuEntry(_("Profile"), "portal_profile"),
    MenuEntry(_("My loans"), "myloans:list", namespaces=("myloans",)),
    MenuEntry(_("Annual statement"), "portal_annual"),
    MenuEntry(_("Loan simulation"), "portal_loan_simulator"),
    MenuEntry(_("Savings interest simulation"), "portal_interest_simulation"),
    MenuEntry(_("My SHU"), "portal_shu"),
    MenuEntry(_("Members' meeting (RAT)"), "myrat:index", namespaces=("myrat",)),
)


def links(entries: tuple[MenuEntry, ...], request: HttpRequest) -> list[MenuLink]:
    """The entries the request's user may open, as links; the page's own entry is current.

    Staff entries need `request.cooperative` and `request.permissions` (set by `staff_view`);
    portal entries need `request.member` (set by `member_view`). Without them: no links.
    """
    coop = getattr(request, "cooperative", None)
    permissions = getattr(request, "permissions", frozenset())
    member = getattr(request, "member", None)
    visible: list[tuple[MenuEntry, str]] = []
    for entry in entries:
        if entry.permission is None:
            if member is None:
                continue
            kwargs = {}
        else:
            if coop is None or entry.permission not in permissions:
                continue
            kwargs = {"code": coop.code}
        try:
            visible.append((entry, reverse(entry.url_name, kwargs=kwargs)))
        except NoReverseMatch:
            continue  # a page whose app is not installed in this deployment
    current = _current(visible, request)
    return [MenuLink(entry.label, url, entry is current) for entry, url in visible]


def _current(visible: list[tuple[MenuEntry, str]], request: HttpRequest) -> MenuEntry | None:
    """The page itself if it is in the menu, else the entry whose namespace holds it."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    for entry, url in visible:
        if url == request.path:
            return entry
    for entry, _url in visible:
        if match.namespace and match.namespace in entry.namespaces:
            return entry
    return None
