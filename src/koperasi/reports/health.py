"""The health assessment and the PEARLS ratios as of a date, with the working of each ratio:
what was divided by what, from which statement line, and which band gave the score."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from koperasi.domain import health
from koperasi.domain.formatting import format_date_id
from koperasi.domain.money import ZERO, round_sen
from koperasi.domain.periods import add_months
from koperasi.ledger import services as ledger_services
from koperasi.loans import selectors as loans
from koperasi.loans.models import QualitySnapshot
from koperasi.members.models import Member
from koperasi.reports import flows, lines
from koperasi.reports.models import HealthAnswers, HealthWeight
from koperasi.reports.statements import Statement, check_date, first_date, position
from koperasi.tenancy.models import Cooperative

L = gettext_lazy
# Component → (name, numerator, denominator).
COMPONENT_TEXT: dict[str, tuple[Promise, Promise, Promise]] = {
    "capital_to_risky_loans": (
        L("Own capital to risky loans"),
        L("Own capital"),
        L("Risky problem loans"),
    ),
    "capital_adequacy": (
        L("Capital adequacy"),
        L("Weighted own capital"),
        L("Risk-weighted assets"),
    ),
    "risky_problem_loans": (
        L("Risky problem loans to loans"),
        L("Risky problem loans"),
        L("Loans outstanding"),
    ),
    "reserves_to_risky_loans": (
        L("Allowance and reserves to risky loans"),
        L("Allowance held and reserves"),
        L("Risky problem loans"),
    ),
    "management": (L("Management (questionnaire)"), L("Answers yes"), L("Questions")),
    "operating_cost": (
        L("Operating cost to participation income"),
        L("Operating and cooperative expenses"),
        L("Gross participation income"),
    ),
    "cash_ratio": (L("Cash ratio"), L("Cash"), L("Current liabilities")),
    "loans_to_funds": (
        L("Loans to funds received"),
        L("Loans outstanding"),
        L("Savings, shares and borrowings"),
    ),
    "return_on_capital": (
        L("Return on own capital (annualised)"),
        L("Members' surplus, annualised"),
        L("Own capital"),
    ),
    "operational_self_reliance": (
        L("Operational self-reliance"),
        L("Net participation income"),
        L("Operating and cooperative expenses"),
    ),
    "gross_participation": (
        L("Gross participation ratio"),
        L("Gross participation income"),
        L("Participation and non-member income"),
    ),
    "identity": (L("Cooperative identity (questionnaire)"), L("Answers yes"), L("Questions")),
}
ASPECT_TEXT = {
    health.CAPITAL: L("Capital"),
    health.ASSETS: L("Quality of productive assets"),
    health.MANAGEMENT: L("Management"),
    health.EFFICIENCY: L("Efficiency"),
    health.LIQUIDITY: L("Liquidity"),
    health.GROWTH: L("Self-reliance and growth"),
    health.IDENTITY: L("Cooperative identity"),
}
CATEGORY_TEXT = {
    "sehat": L("Healthy (Sehat)"),
    "cukup_sehat": L("Fairly healthy (Cukup Sehat)"),
    "dalam_pengawasan": L("Under supervision (Dalam Pengawasan)"),
    "dalam_pengawasan_khusus": L("Under special supervision (Dalam Pengawasan Khusus)"),
}
PEARLS_TEXT: dict[str, Promise] = {
    "P1": L("Allowance to loans delinquent > 12 months (Macet)"),
    "P2": L("Remaining allowance to loans delinquent 1–12 months"),
    "E1": L("Net loans to total assets"),
    "E5": L("Savings deposits to total assets"),
    "E6": L("External credit to total assets"),
    "E7": L("Member shares to total assets"),
    "E8": L("Institutional capital to total assets"),
    "A1": L("Delinquent loans to gross loans"),
    "A2": L("Non-earning assets to total assets"),
    "R9": L("Operating expenses to average assets (annualised)"),
    "L1": L("Liquid assets less short-term payables to savings deposits"),
    "L3": L("Non-earning liquid assets to total assets"),
    "S10": L("Growth in membership, 12 months"),
    "S11": L("Growth in total assets, 12 months"),
}

# Weights of the capital adequacy ratio (unverified: the usual shape, editable only in code).
CAPITAL_WEIGHTS = {
    "share_pokok": Decimal(1),
    "share_wajib": Decimal(1),
    "reserves": Decimal(1),
    "participation_capital": Decimal("0.5"),
    "grants": Decimal("0.5"),
    "retained_surplus": Decimal("0.5"),
    "current_surplus": Decimal("0.5"),
}
RISK_WEIGHTS = {
    "placements": Decimal("0.2"),
    "member_loans": Decimal(1),
    "non_member_loans": Decimal(1),
    "allowance": Decimal(1),
    "receivables": Decimal("0.5"),
    "fixed_assets": Decimal("0.7"),
    "depreciation": Decimal("0.7"),
    "other_assets": Decimal("0.7"),
}


@dataclass(frozen=True)
class ComponentResult:
    code: str
    aspect: Promise
    name: Promise
    numerator_label: Promise
    numerator: Decimal
    denominator_label: Promise
    denominator: Decimal
    ratio: Decimal | None
    score: Decimal
    weight: Decimal
    weighted: Decimal
    verified: bool
    source: str


@dataclass(frozen=True)
class PearlsResult:
    code: str
    name: Promise
    numerator: Decimal
    denominator: Decimal
    ratio: Decimal | None
    goal: str
    meets: bool | None


@dataclass(frozen=True)
class HealthReport:
    as_of: dt.date
    components: tuple[ComponentResult, ...]
    total: Decimal
    category: str
    category_label: Promise
    pearls: tuple[PearlsResult, ...]
    notes: tuple[str, ...]


def weights(*, cooperative: Cooperative) -> dict[str, Decimal]:
    own = dict(
        HealthWeight.objects.filter(cooperative=cooperative).values_list("component", "weight")
    )
    return {c.code: own.get(c.code, c.weight) for c in health.COMPONENTS}


def answers(*, cooperative: Cooperative, year: int) -> dict[str, bool] | None:
    found = HealthAnswers.objects.filter(cooperative=cooperative, year=year).first()
    return None if found is None else dict(found.answers)


def _line_amounts(statement: Statement, column: int = 0) -> dict[str, Decimal]:
    return {r.code: r.amounts[column] or ZERO for r in statement.rows if r.code}


def _section(amounts: dict[str, Decimal], section: str) -> Decimal:
    return sum((v for code, v in amounts.items() if lines.BY_CODE[code].section == section), ZERO)


def _classes(cooperative: Cooperative, as_of: dt.date) -> tuple[dict[int, Decimal], str]:
    """Outstanding principal per kolektibilitas class as of the date: the last day-end's
    snapshot on or before it, or the live portfolio for today."""
    latest = (
        QualitySnapshot.objects.filter(cooperative=cooperative, business_date__lte=as_of)
        .order_by("-business_date")
        .values_list("business_date", flat=True)
        .first()
    )
    today = ledger_services.business_today(cooperative)
    if latest is None or (as_of >= today and latest < as_of):
        live = {
            klass: total for klass, _n, total in loans.portfolio_summary(cooperative=cooperative)
        }
        return live, _("Loan quality: the portfolio as it stands now.")
    rows = QualitySnapshot.objects.filter(cooperative=cooperative, business_date=latest)
    return (
        {r.collectibility: r.outstanding for r in rows},
        _("Loan quality: the day-end of %(date)s.") % {"date": format_date_id(latest)},
    )


def _members(cooperative: Cooperative, day: dt.date) -> int:
    return Member.objects.filter(
        Q(exited_on__isnull=True) | Q(exited_on__gt=day),
        cooperative=cooperative,
        joined_on__lte=day,
    ).count()


def assessment(*, cooperative: Cooperative, as_of: dt.date) -> HealthReport:
    """Every ratio from the books and the portfolio as of the date, scored and weighted."""
    check_date(cooperative, as_of)
    year_ago = add_months(as_of, -12)
    has_year_ago = year_ago >= first_date(cooperative)
    pos = position(
        cooperative=cooperative, as_of=as_of, compare_to=year_ago if has_year_ago else None
    )
    now = _line_amounts(pos)
    start = as_of.replace(month=1, day=1)
    act = flows.activity(cooperative=cooperative, period=(start, as_of))
    income = _line_amounts(act)
    # Annualised: the year's figures so far, scaled to a whole year.
    elapsed = Decimal((as_of - start).days + 1)
    year_factor = Decimal(365) / elapsed
    classes, quality_note = _classes(cooperative, as_of)
    kl, d, m = (classes.get(k, ZERO) for k in (3, 4, 5))
    loans_out = now.get("member_loans", ZERO) + now.get("non_member_loans", ZERO)
    risky = health.risky_problem_loans(kl, d, m)
    allowance = -now.get("allowance", ZERO)
    own_capital = _section(now, lines.EQUITY)
    gross_participation = _section(income, lines.PARTICIPATION)
    direct_cost = _section(income, lines.DIRECT_COST)
    non_member = _section(income, lines.NON_MEMBER)
    costs = _section(income, lines.OPERATING) + _section(income, lines.COOPERATIVE)
    savings = now.get("voluntary_savings", ZERO) + now.get("time_deposits", ZERO)
    shares = now.get("share_pokok", ZERO) + now.get("share_wajib", ZERO)
    current = savings + sum(
        (
            now.get(c, ZERO)
            for c in ("accrued", "tax_payable", "surplus_funds", "other_liabilities")
        ),
        ZERO,
    )
    year = answers(cooperative=cooperative, year=as_of.year) or {}
    figures: dict[str, tuple[Decimal, Decimal]] = {
        "capital_to_risky_loans": (own_capital, risky),
        "capital_adequacy": (
            sum((now.get(c, ZERO) * w for c, w in CAPITAL_WEIGHTS.items()), ZERO),
            sum((now.get(c, ZERO) * w for c, w in RISK_WEIGHTS.items()), ZERO),
        ),
        "risky_problem_loans": (risky, loans_out),
        "reserves_to_risky_loans": (allowance + now.get("reserves", ZERO), risky),
        "operating_cost": (costs, gross_participation),
        "cash_ratio": (now.get("cash", ZERO), current),
        "loans_to_funds": (loans_out, savings + shares + now.get("borrowings", ZERO)),
        "return_on_capital": (act.figures["member_surplus"][0] * year_factor, own_capital),
        "operational_self_reliance": (gross_participation - direct_cost, costs),
        "gross_participation": (gross_participation, gross_participation + non_member),
    }
    for code in ("management", "identity"):
        questions = health.QUESTIONS[code]
        figures[code] = (
            Decimal(sum(1 for q in questions if year.get(q))),
            Decimal(len(questions)),
        )
    own_weights = weights(cooperative=cooperative)
    results = []
    for component in health.COMPONENTS:
        numerator, denominator = figures[component.code]
        ratio = health.percent(numerator, denominator)
        points = health.score(component, ratio)
        weight = own_weights[component.code]
        name, num_label, den_label = COMPONENT_TEXT[component.code]
        results.append(
            ComponentResult(
                component.code,
                ASPECT_TEXT[component.aspect],
                name,
                num_label,
                round_sen(numerator),
                den_label,
                round_sen(denominator),
                ratio,
                points,
                weight,
                round_sen(points * weight / 100),
                component.verified,
                component.source,
            )
        )
    total = health.weighted_total(
        {r.code: r.score for r in results}, {r.code: r.weight for r in results}
    )
    kind = health.category(total)
    then = _line_amounts(pos, 1) if has_year_ago else {}
    pearls = _pearls(
        now,
        then,
        classes,
        allowance,
        costs * year_factor,
        savings,
        shares,
        (_members(cooperative, as_of), _members(cooperative, year_ago) if has_year_ago else 0),
    )
    notes = [quality_note]
    if not year:
        notes.append(
            _("The questionnaire for %(year)s has not been answered: its components score 0.")
            % {"year": as_of.year}
        )
    notes += [str(w) for w in pos.warnings]
    return HealthReport(
        as_of, tuple(results), total, kind, CATEGORY_TEXT[kind], pearls, tuple(notes)
    )


def _pearls(
    now: dict[str, Decimal],
    then: dict[str, Decimal],
    classes: dict[int, Decimal],
    allowance: Decimal,
    yearly_costs: Decimal,
    savings: Decimal,
    shares: Decimal,
    members: tuple[int, int],
) -> tuple[PearlsResult, ...]:
    assets = _section(now, lines.ASSETS)
    assets_then = _section(then, lines.ASSETS) if then else ZERO
    gross_loans = now.get("member_loans", ZERO) + now.get("non_member_loans", ZERO)
    macet = classes.get(5, ZERO)
    delinquent_short = sum((classes.get(k, ZERO) for k in (2, 3, 4)), ZERO)
    institutional = sum(
        (now.get(c, ZERO) for c in ("reserves", "grants", "retained_surplus", "current_surplus")),
        ZERO,
    )
    non_earning = (
        now.get("cash", ZERO)
        + now.get("fixed_assets", ZERO)
        + now.get("depreciation", ZERO)
        + now.get("other_assets", ZERO)
    )
    liquid = now.get("cash", ZERO) + now.get("placements", ZERO)
    payables = now.get("accrued", ZERO) + now.get("tax_payable", ZERO)
    average_assets = (assets + assets_then) / 2 if then else assets
    figures = {
        "P1": (allowance, macet),
        "P2": (max(allowance - macet, ZERO), delinquent_short),
        "E1": (gross_loans - allowance, assets),
        "E5": (savings, assets),
        "E6": (now.get("borrowings", ZERO), assets),
        "E7": (shares, assets),
        "E8": (institutional, assets),
        "A1": (macet + delinquent_short, gross_loans),
        "A2": (non_earning, assets),
        "R9": (yearly_costs, average_assets),
        "L1": (liquid - payables, savings),
        "L3": (now.get("cash", ZERO), assets),
        "S10": (Decimal(members[0] - members[1]), Decimal(members[1])),
        "S11": (assets - assets_then, assets_then),
    }
    out = []
    for goal in health.PEARLS:
        numerator, denominator = figures[goal.code]
        ratio = health.percent(numerator, denominator)
        out.append(
            PearlsResult(
                goal.code,
                PEARLS_TEXT[goal.code],
                round_sen(numerator),
                round_sen(denominator),
                ratio,
                _goal_text(goal),
                health.meets(goal, ratio),
            )
        )
    return tuple(out)


def _goal_text(goal: health.Goal) -> str:
    if goal.kind == "min":
        return f"≥ {goal.low} %"
    if goal.kind == "max":
        return f"≤ {goal.high} %"
    return f"{goal.low}–{goal.high} %"
