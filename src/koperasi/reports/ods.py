"""The yearly data set for the ministry's Online Data System (ODS): identity, members,
managers, staff, own and outside capital, SHU, business volume and the RAT date.

Capital comes from the books (`ledger.selectors.trial_balance` at the year end); the SHU of the
year is income − expenses between the previous year end and this one (the difference of the
two trial balances: there is no year-end closing entry yet that would empty the income and
expense accounts). The managers and staff are as they are today: their history is not kept.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from koperasi.domain.money import ZERO
from koperasi.ledger.models import Account
from koperasi.ledger.selectors import grouped_sums, trial_balance
from koperasi.loans.models import Loan
from koperasi.members.models import Member
from koperasi.savings.models import SavingsTransaction
from koperasi.tenancy.models import Cooperative, Role, StaffMembership


@dataclass(frozen=True)
class Capital:
    assets: Decimal
    liabilities: Decimal  # outside capital (modal luar)
    equity: Decimal  # the equity accounts
    surplus: Decimal  # income − expenses not yet closed into equity (all years so far)

    @property
    def own(self) -> Decimal:
        """Own capital (modal sendiri): the equity accounts and the surplus they will take."""
        return self.equity + self.surplus


@dataclass(frozen=True)
class OdsData:
    cooperative: Cooperative
    year: int
    as_of: dt.date  # the year end, or today for the current year
    members_male: int
    members_female: int
    joined: int
    left: int
    board: list[str]
    supervisors: list[str]
    staff: list[tuple[str, int]]  # (role label, active staff with the role)
    capital: Capital
    shu: Decimal
    loans_count: int
    loans_amount: Decimal
    deposits_count: int
    deposits_amount: Decimal
    rat_date: dt.date | None = None  # the RAT is not recorded yet

    @property
    def members_total(self) -> int:
        return self.members_male + self.members_female

    @property
    def staff_total(self) -> int:
        return sum(count for _label, count in self.staff)


def capital(*, cooperative: Cooperative, as_of: dt.date) -> Capital:
    """Assets, liabilities, equity and the unclosed surplus, each on its normal side."""
    rows, _debit, _credit = trial_balance(cooperative=cooperative, as_of=as_of)
    by_type = {kind: ZERO for kind in Account.Type.values}
    for row in rows:
        by_type[row.account.type] += row.debit - row.credit
    return Capital(
        assets=by_type[Account.Type.ASSET],
        liabilities=-by_type[Account.Type.LIABILITY],
        equity=-by_type[Account.Type.EQUITY],
        surplus=-(by_type[Account.Type.INCOME] + by_type[Account.Type.EXPENSE]),
    )


def ods_data(*, cooperative: Cooperative, year: int, today: dt.date) -> OdsData:
    """The data set for `year` (already checked by `reports.years.report_year`)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    as_of = min(end, today)
    members = Member.objects.filter(cooperative=cooperative).exclude(status=Member.Status.APPLICANT)
    active = Q(joined_on__lte=as_of) & (Q(exited_on__isnull=True) | Q(exited_on__gt=as_of))
    counts = members.aggregate(
        male=Count("id", filter=active & Q(sex=Member.Sex.MALE)),
        female=Count("id", filter=active & Q(sex=Member.Sex.FEMALE)),
        joined=Count("id", filter=Q(joined_on__range=(start, as_of))),
        left=Count("id", filter=Q(exited_on__range=(start, as_of))),
    )
    officers = members.filter(status=Member.Status.ACTIVE).exclude(office="")
    board = list(
        officers.filter(office=Member.Office.BOARD).order_by("name").values_list("name", flat=True)
    )
    supervisors = list(
        officers.filter(office=Member.Office.SUPERVISOR)
        .order_by("name")
        .values_list("name", flat=True)
    )
    staff_counts = dict(
        StaffMembership.objects.filter(cooperative=cooperative, is_active=True)
        .values("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    staff = [(str(label), staff_counts.get(role, 0)) for role, label in Role.choices]
    now = capital(cooperative=cooperative, as_of=as_of)
    before = capital(cooperative=cooperative, as_of=start - dt.timedelta(days=1))
    loans = Loan.objects.filter(cooperative=cooperative, disbursed_on__range=(start, as_of))
    loan_count = loans.count()
    (loan_amount,) = grouped_sums(loans, None, ["principal"]).get(None, (ZERO,))
    deposits_count, deposits_amount = _deposits(cooperative, start, as_of)
    return OdsData(
        cooperative=cooperative,
        year=year,
        as_of=as_of,
        members_male=counts["male"],
        members_female=counts["female"],
        joined=counts["joined"],
        left=counts["left"],
        board=board,
        supervisors=supervisors,
        staff=staff,
        capital=now,
        shu=now.surplus - before.surplus,
        loans_count=loan_count,
        loans_amount=loan_amount,
        deposits_count=deposits_count,
        deposits_amount=deposits_amount,
    )


def _deposits(cooperative: Cooperative, start: dt.date, end: dt.date) -> tuple[int, Decimal]:
    """Savings paid in during the period: deposits, less the reversals of deposits; the count
    is of deposits that stand (not reversed)."""
    in_period = SavingsTransaction.objects.filter(
        cooperative=cooperative, business_date__range=(start, end)
    )
    deposit = SavingsTransaction.Kind.DEPOSIT
    deposits = in_period.filter(kind=deposit)
    reversals = in_period.filter(kind=SavingsTransaction.Kind.REVERSAL, reverses__kind=deposit)
    (paid,) = grouped_sums(deposits, None, ["amount"]).get(None, (ZERO,))
    (taken_back,) = grouped_sums(reversals, None, ["amount"]).get(None, (ZERO,))
    count = deposits.count() - reversals.count()
    return count, paid + taken_back


@dataclass(frozen=True)
class OdsRow:
    section: str
    label: str
    value: str | int | Decimal | dt.date | None

    @property
    def kind(self) -> str:
        """How the page shows the value: money, date, number or text."""
        if isinstance(self.value, Decimal):
            return "money"
        if isinstance(self.value, dt.date):
            return "date"
        return "number" if isinstance(self.value, int) else "text"


def ods_rows(data: OdsData) -> list[OdsRow]:
    """The data set as (section, label, value) rows: the page, the XLSX and the CSV show these."""
    coop = data.cooperative
    identity, members, managers, staff = _("Identity"), _("Members"), _("Managers"), _("Staff")
    capital_, volume, meeting = _("Capital"), _("Business volume"), _("Members' meeting (RAT)")
    rows = [
        OdsRow(identity, _("Name"), coop.name),
        OdsRow(identity, _("Legal entity number"), coop.legal_entity_number),
        OdsRow(identity, _("Legal entity date"), coop.legal_entity_date),
        OdsRow(identity, _("NIK koperasi"), coop.nik_koperasi),
        OdsRow(identity, _("Address"), " ".join(coop.address.split())),
        OdsRow(identity, _("Kind"), coop.get_kind_display()),
        OdsRow(identity, _("Level"), coop.get_level_display()),
        OdsRow(members, _("Active members at the year end: men"), data.members_male),
        OdsRow(members, _("Active members at the year end: women"), data.members_female),
        OdsRow(members, _("Active members at the year end: total"), data.members_total),
        OdsRow(members, _("Joined during the year"), data.joined),
        OdsRow(members, _("Left during the year"), data.left),
        OdsRow(managers, _("Board (pengurus)"), ", ".join(data.board)),
        OdsRow(managers, _("Supervisors (pengawas)"), ", ".join(data.supervisors)),
    ]
    rows += [OdsRow(staff, label, count) for label, count in data.staff]
    rows += [
        OdsRow(staff, _("Staff in total"), data.staff_total),
        OdsRow(capital_, _("Own capital (modal sendiri)"), data.capital.own),
        OdsRow(capital_, _("Outside capital (modal luar)"), data.capital.liabilities),
        OdsRow(capital_, _("Total assets"), data.capital.assets),
        OdsRow(capital_, _("SHU of the year"), data.shu),
        OdsRow(volume, _("Loans disbursed: number"), data.loans_count),
        OdsRow(volume, _("Loans disbursed: amount"), data.loans_amount),
        OdsRow(volume, _("Savings deposits: number"), data.deposits_count),
        OdsRow(volume, _("Savings deposits: amount"), data.deposits_amount),
        OdsRow(meeting, _("RAT date"), data.rat_date or _("not recorded yet")),
    ]
    return rows
