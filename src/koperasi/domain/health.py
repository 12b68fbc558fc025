"""Health assessment (penilaian kesehatan) of a savings-and-loan cooperative, and the WOCCU
PEARLS ratios credit unions report to their federation: the rules as data, scored here.

DOMAIN.md gives the older seven-aspect scheme (Perdep 06/2016): the components it sources are
marked `verified`; the rest (management and identity questionnaires, efficiency, liquidity) are
the usual shape of the scheme with weights and bands NOT checked against the regulation, so
they stay editable and the page labels them. The score is Σ weight × score ÷ Σ weight, so a
cooperative that changes a weight still gets a score out of 100.
"""

from dataclasses import dataclass
from decimal import Decimal

from koperasi.domain.money import round_half_up

HUNDRED = Decimal(100)

# A band: (operator, threshold in percent, score). The first band whose test the ratio passes
# gives the score; "*" always passes.
Band = tuple[str, Decimal | None, Decimal]


def _bands(*rows: tuple[str, str | None, int]) -> tuple[Band, ...]:
    return tuple((op, None if t is None else Decimal(t), Decimal(s)) for op, t, s in rows)


@dataclass(frozen=True)
class Component:
    code: str
    aspect: str
    weight: Decimal
    # "bands": scored by `bands`; "per_percent": one point per percent, 0 to 100;
    # "questionnaire": the share of questions answered yes.
    rule: str
    bands: tuple[Band, ...] = ()
    source: str = ""

    @property
    def verified(self) -> bool:
        return bool(self.source)


PERDEP = "Perdep 06/2016 (DOMAIN.md)"

CAPITAL, ASSETS, MANAGEMENT, EFFICIENCY, LIQUIDITY, GROWTH, IDENTITY = (
    "capital",
    "asset_quality",
    "management",
    "efficiency",
    "liquidity",
    "self_reliance",
    "identity",
)
ASPECTS = (CAPITAL, ASSETS, MANAGEMENT, EFFICIENCY, LIQUIDITY, GROWTH, IDENTITY)

COMPONENTS: tuple[Component, ...] = (
    Component("capital_to_risky_loans", CAPITAL, Decimal(6), "per_percent", source=PERDEP),
    Component(
        "capital_adequacy",
        CAPITAL,
        Decimal(3),
        "bands",
        _bands(("<", "4", 0), ("<", "6", 50), ("<", "8", 75), ("*", None, 100)),
        PERDEP,
    ),
    Component(
        "risky_problem_loans",
        ASSETS,
        Decimal(5),
        "bands",
        _bands(
            ("<=", "0", 100),
            ("<=", "10", 80),
            ("<=", "20", 60),
            ("<=", "30", 40),
            ("<=", "40", 20),
            ("<=", "45", 10),
            ("*", None, 0),
        ),
        PERDEP,
    ),
    Component("reserves_to_risky_loans", ASSETS, Decimal(5), "per_percent", source=PERDEP),
    Component("management", MANAGEMENT, Decimal(15), "questionnaire"),
    Component(
        "operating_cost",
        EFFICIENCY,
        Decimal(4),
        "bands",
        _bands(("<", "60", 100), ("<", "80", 75), ("<", "100", 50), ("*", None, 25)),
    ),
    Component(
        "cash_ratio",
        LIQUIDITY,
        Decimal(10),
        "bands",
        _bands(
            ("<", "10", 25), ("<", "15", 50), ("<=", "20", 100), ("<=", "25", 50), ("*", None, 25)
        ),
    ),
    Component(
        "loans_to_funds",
        LIQUIDITY,
        Decimal(5),
        "bands",
        _bands(("<", "50", 25), ("<", "75", 50), ("<", "100", 75), ("*", None, 100)),
    ),
    Component(
        "return_on_capital",
        GROWTH,
        Decimal(3),
        "bands",
        _bands(("<", "3", 25), ("<", "4", 50), ("<", "5", 75), ("*", None, 100)),
        PERDEP,
    ),
    Component(
        "operational_self_reliance",
        GROWTH,
        Decimal(4),
        "bands",
        _bands(("<=", "100", 0), ("*", None, 100)),
        PERDEP,
    ),
    Component(
        "gross_participation",
        IDENTITY,
        Decimal(7),
        "bands",
        _bands(("<", "25", 25), ("<", "50", 50), ("<", "75", 75), ("*", None, 100)),
        PERDEP,
    ),
    Component("identity", IDENTITY, Decimal(3), "questionnaire"),
)
BY_CODE = {c.code: c for c in COMPONENTS}

# The questionnaires: question codes per component (their texts are the page's).
QUESTIONS: dict[str, tuple[str, ...]] = {
    "management": (
        "board_meets",
        "plan_approved",
        "supervisors_report",
        "sop_written",
        "loan_policy",
        "staff_trained",
        "capital_plan",
        "collection_policy",
        "liquidity_plan",
        "books_audited",
    ),
    "identity": ("rat_on_time", "member_education", "member_services"),
}

# Categories by score (DOMAIN.md): 80–100, 66–< 80, 51–< 66, < 51.
CATEGORIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal(80), "sehat"),
    (Decimal(66), "cukup_sehat"),
    (Decimal(51), "dalam_pengawasan"),
    (Decimal(0), "dalam_pengawasan_khusus"),
)


def percent(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """numerator / denominator in percent, to two places; None when there is no denominator."""
    if denominator <= 0:
        return None
    return round_half_up(numerator * HUNDRED / denominator)


def _passes(op: str, ratio: Decimal, threshold: Decimal | None) -> bool:
    if op == "*" or threshold is None:
        return True
    return {
        "<": ratio < threshold,
        "<=": ratio <= threshold,
        ">": ratio > threshold,
        ">=": ratio >= threshold,
    }[op]


def score(component: Component, ratio: Decimal | None) -> Decimal:
    """The component's score, 0 to 100 to two places; no ratio (nothing to divide by)
    scores 0."""
    if ratio is None:
        return round_half_up(Decimal(0))
    if component.rule in ("per_percent", "questionnaire"):
        return round_half_up(min(max(ratio, Decimal(0)), HUNDRED))
    for op, threshold, points in component.bands:
        if _passes(op, ratio, threshold):
            return round_half_up(points)
    return round_half_up(Decimal(0))


def category(total: Decimal) -> str:
    for floor, name in CATEGORIES:
        if total >= floor:
            return name
    return CATEGORIES[-1][1]


def weighted_total(scores: dict[str, Decimal], weights: dict[str, Decimal]) -> Decimal:
    """Σ weight × score ÷ Σ weight, to two places (0 when every weight is 0)."""
    total_weight = sum((weights[code] for code in scores), Decimal(0))
    if total_weight <= 0:
        return Decimal(0)
    return round_half_up(
        sum((weights[code] * s for code, s in scores.items()), Decimal(0)) / total_weight
    )


def risky_problem_loans(kurang_lancar: Decimal, diragukan: Decimal, macet: Decimal) -> Decimal:
    """50 % × KL + 75 % × D + 100 % × M (DOMAIN.md)."""
    return round_half_up(kurang_lancar / 2 + diragukan * 3 / 4 + macet)


# --- WOCCU PEARLS ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Goal:
    code: str
    # "min" (at least), "max" (at most), "range" (between low and high), in percent
    kind: str
    low: Decimal | None
    high: Decimal | None


PEARLS: tuple[Goal, ...] = (
    Goal("P1", "min", Decimal(100), None),
    Goal("P2", "min", Decimal(35), None),
    Goal("E1", "range", Decimal(70), Decimal(80)),
    Goal("E5", "range", Decimal(70), Decimal(80)),
    Goal("E6", "max", None, Decimal(5)),
    Goal("E7", "max", None, Decimal(20)),
    Goal("E8", "min", Decimal(10), None),
    Goal("A1", "max", None, Decimal(5)),
    Goal("A2", "max", None, Decimal(5)),
    Goal("R9", "max", None, Decimal(5)),
    Goal("L1", "range", Decimal(15), Decimal(20)),
    Goal("L3", "max", None, Decimal(1)),
    Goal("S10", "min", Decimal(15), None),
    Goal("S11", "min", Decimal(10), None),
)


def meets(goal: Goal, ratio: Decimal | None) -> bool | None:
    """Whether the ratio meets the goal; None when there is no ratio."""
    if ratio is None:
        return None
    if goal.kind == "min":
        return goal.low is not None and ratio >= goal.low
    if goal.kind == "max":
        return goal.high is not None and ratio <= goal.high
    return goal.low is not None and goal.high is not None and goal.low <= ratio <= goal.high
