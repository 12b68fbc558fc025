"""The lines of the financial statements (SAK EP for a savings-and-loan cooperative) and the
chart accounts each takes by default.

Which line an account feeds is per cooperative: an accountant may move any account to another
line (`reports.models.AccountLine`); an account without a choice takes the line its code has in
`DEFAULT_ACCOUNTS` (the KSP chart of `ledger.chart`), and any other account is unmapped, which
the statements name instead of hiding.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Statements
POSITION = "position"  # laporan posisi keuangan
ACTIVITY = "activity"  # laporan hasil usaha

# Sections of the position statement, and of the activity statement.
ASSETS, LIABILITIES, EQUITY = "assets", "liabilities", "equity"
PARTICIPATION, DIRECT_COST, NON_MEMBER = "participation", "direct_cost", "non_member"
OPERATING, COOPERATIVE, OTHER, TAX = "operating", "cooperative", "other", "tax"

# Where a position line's change goes in the cash flow statement (indirect method).
CASH, ADJUSTMENT, OPERATIONS, INVESTING, FINANCING = (
    "cash",
    "adjustment",
    "operations",
    "investing",
    "financing",
)

# Whose business an income line is: the members' share of the surplus is distributable, the
# non-members' is not (UU 25/1992 Pasal 45). Other income counts as non-members'.
MEMBER, NON_MEMBER_PARTY = "member", "non_member"


@dataclass(frozen=True)
class Line:
    code: str
    statement: str
    section: str
    label: str | Promise
    cash_flow: str = ""
    party: str = ""
    # The surplus lines of equity: their balance also takes the income and expenses not yet
    # closed into them (this year's, and earlier years' for retained surplus).
    surplus: str = ""


CURRENT_SURPLUS, RETAINED_SURPLUS = "current", "retained"

LINES: tuple[Line, ...] = (
    Line("cash", POSITION, ASSETS, _("Cash and cash equivalents"), CASH),
    Line("placements", POSITION, ASSETS, _("Deposits at other institutions"), INVESTING),
    Line("member_loans", POSITION, ASSETS, _("Loans to members"), OPERATIONS),
    Line("non_member_loans", POSITION, ASSETS, _("Loans to non-members"), OPERATIONS),
    Line("allowance", POSITION, ASSETS, _("Allowance for loan losses"), ADJUSTMENT),
    Line("receivables", POSITION, ASSETS, _("Interest and penalties receivable"), OPERATIONS),
    Line("fixed_assets", POSITION, ASSETS, _("Fixed assets"), INVESTING),
    Line("depreciation", POSITION, ASSETS, _("Accumulated depreciation"), ADJUSTMENT),
    Line("other_assets", POSITION, ASSETS, _("Other assets"), OPERATIONS),
    Line("voluntary_savings", POSITION, LIABILITIES, _("Voluntary savings (sukarela)"), OPERATIONS),
    Line("time_deposits", POSITION, LIABILITIES, _("Time deposits (berjangka)"), OPERATIONS),
    Line("accrued", POSITION, LIABILITIES, _("Accrued expenses"), OPERATIONS),
    Line("tax_payable", POSITION, LIABILITIES, _("Taxes payable"), OPERATIONS),
    Line("borrowings", POSITION, LIABILITIES, _("Borrowings"), FINANCING),
    Line("surplus_funds", POSITION, LIABILITIES, _("Funds from the surplus (SHU)"), FINANCING),
    Line("other_liabilities", POSITION, LIABILITIES, _("Other liabilities"), OPERATIONS),
    Line("share_pokok", POSITION, EQUITY, _("Principal savings (pokok)"), FINANCING),
    Line("share_wajib", POSITION, EQUITY, _("Mandatory savings (wajib)"), FINANCING),
    Line("participation_capital", POSITION, EQUITY, _("Participation capital"), FINANCING),
    Line("reserves", POSITION, EQUITY, _("Reserves"), FINANCING),
    Line("grants", POSITION, EQUITY, _("Grants"), FINANCING),
    Line(
        "retained_surplus",
        POSITION,
        EQUITY,
        _("Surplus of earlier years not yet distributed"),
        FINANCING,
        surplus=RETAINED_SURPLUS,
    ),
    Line(
        "current_surplus",
        POSITION,
        EQUITY,
        _("Surplus of the current year"),
        FINANCING,
        surplus=CURRENT_SURPLUS,
    ),
    Line("loan_interest", ACTIVITY, PARTICIPATION, _("Loan interest from members"), party=MEMBER),
    Line("loan_fees", ACTIVITY, PARTICIPATION, _("Loan fees and administration"), party=MEMBER),
    Line("loan_penalties", ACTIVITY, PARTICIPATION, _("Late-payment penalties"), party=MEMBER),
    Line("savings_interest", ACTIVITY, DIRECT_COST, _("Interest on members' savings")),
    Line(
        "non_member_interest",
        ACTIVITY,
        NON_MEMBER,
        _("Loan interest from non-members"),
        party=NON_MEMBER_PARTY,
    ),
    Line("salaries", ACTIVITY, OPERATING, _("Salaries and benefits")),
    Line("office", ACTIVITY, OPERATING, _("Office and operating expenses")),
    Line("loan_losses", ACTIVITY, OPERATING, _("Loan loss allowance expense")),
    Line("depreciation_expense", ACTIVITY, OPERATING, _("Depreciation expense")),
    Line("cooperative_expenses", ACTIVITY, COOPERATIVE, _("Cooperative expenses (RAT, education)")),
    Line("other_income", ACTIVITY, OTHER, _("Other income"), party=NON_MEMBER_PARTY),
    Line("other_expenses", ACTIVITY, OTHER, _("Other expenses")),
    Line("income_tax", ACTIVITY, TAX, _("Income tax")),
)

BY_CODE: dict[str, Line] = {line.code: line for line in LINES}

DEFAULT_ACCOUNTS: dict[str, str] = {
    "1101": "cash",
    "1102": "cash",
    "1103": "placements",
    "1199": "other_assets",  # cash count differences awaiting settlement (cash desk)
    "1201": "member_loans",
    "1202": "non_member_loans",
    "1209": "allowance",
    "1301": "receivables",
    "1302": "receivables",
    "1401": "fixed_assets",
    "1402": "fixed_assets",
    "1409": "depreciation",
    "2101": "voluntary_savings",
    "2102": "time_deposits",
    "2103": "accrued",
    "2104": "tax_payable",
    "2201": "borrowings",
    "2301": "surplus_funds",
    "2302": "surplus_funds",
    "2303": "surplus_funds",
    "2304": "surplus_funds",
    "2305": "surplus_funds",
    "2401": "other_liabilities",
    "3101": "share_pokok",
    "3102": "share_wajib",
    "3103": "participation_capital",
    "3201": "reserves",
    "3202": "reserves",
    "3301": "grants",
    "3401": "current_surplus",
    "3402": "retained_surplus",
    "4101": "loan_interest",
    "4102": "non_member_interest",
    "4201": "loan_fees",
    "4202": "loan_penalties",
    "4301": "other_income",
    "4302": "other_income",
    "5101": "savings_interest",
    "5201": "salaries",
    "5202": "office",
    "5203": "loan_losses",
    "5204": "depreciation_expense",
    "5301": "cooperative_expenses",
}

# The account types each statement section takes (an asset cannot feed a liability line).
SECTION_TYPES: dict[str, frozenset[str]] = {
    ASSETS: frozenset({"asset"}),
    LIABILITIES: frozenset({"liability"}),
    EQUITY: frozenset({"equity"}),
    PARTICIPATION: frozenset({"income"}),
    NON_MEMBER: frozenset({"income"}),
    DIRECT_COST: frozenset({"expense"}),
    OPERATING: frozenset({"expense"}),
    COOPERATIVE: frozenset({"expense"}),
    OTHER: frozenset({"income", "expense"}),
    TAX: frozenset({"expense"}),
}


def lines_for(account_type: str) -> list[Line]:
    """The lines an account of this type may feed."""
    return [line for line in LINES if account_type in SECTION_TYPES[line.section]]
