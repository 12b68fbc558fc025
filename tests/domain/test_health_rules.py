from decimal import Decimal

import pytest

from koperasi.domain import health

D = Decimal


@pytest.mark.parametrize(
    ("code", "ratio", "score"),
    [
        ("capital_adequacy", "3.99", 0),
        ("capital_adequacy", "4", 50),
        ("capital_adequacy", "7.99", 75),
        ("capital_adequacy", "8", 100),
        ("risky_problem_loans", "0", 100),
        ("risky_problem_loans", "10", 80),
        ("risky_problem_loans", "10.01", 60),
        ("risky_problem_loans", "45", 10),
        ("risky_problem_loans", "45.01", 0),
        ("return_on_capital", "2.99", 25),
        ("return_on_capital", "5", 100),
        ("operational_self_reliance", "100", 0),
        ("operational_self_reliance", "100.01", 100),
        ("gross_participation", "24.99", 25),
        ("gross_participation", "75", 100),
        ("capital_to_risky_loans", "57.5", "57.5"),
        ("capital_to_risky_loans", "250", 100),
        ("reserves_to_risky_loans", "-3", 0),
    ],
)
def test_bands_and_points_per_percent_follow_domain_md(code, ratio, score):
    assert health.score(health.BY_CODE[code], D(ratio)) == D(score)


def test_nothing_to_divide_by_scores_zero():
    assert health.percent(D(5), D(0)) is None
    assert health.score(health.BY_CODE["capital_adequacy"], None) == 0


@pytest.mark.parametrize(
    ("total", "name"),
    [
        ("80", "sehat"),
        ("79.99", "cukup_sehat"),
        ("66", "cukup_sehat"),
        ("65.99", "dalam_pengawasan"),
        ("51", "dalam_pengawasan"),
        ("50.99", "dalam_pengawasan_khusus"),
    ],
)
def test_categories(total, name):
    assert health.category(D(total)) == name


def test_weighted_total_and_risky_loans():
    assert health.weighted_total({"a": D(100), "b": D(50)}, {"a": D(3), "b": D(1)}) == D("87.50")
    assert health.weighted_total({"a": D(100)}, {"a": D(0)}) == 0
    assert health.risky_problem_loans(D(100), D(100), D(100)) == D("225.00")


def test_the_sourced_components_are_the_ones_domain_md_names():
    sourced = {c.code: c.weight for c in health.COMPONENTS if c.verified}
    assert sourced == {
        "capital_to_risky_loans": 6,
        "capital_adequacy": 3,
        "risky_problem_loans": 5,
        "reserves_to_risky_loans": 5,
        "return_on_capital": 3,
        "operational_self_reliance": 4,
        "gross_participation": 7,
    }


def test_pearls_goals():
    goals = {g.code: g for g in health.PEARLS}
    assert health.meets(goals["E1"], D(75)) and not health.meets(goals["E1"], D(81))
    assert health.meets(goals["A1"], D(5)) and not health.meets(goals["A1"], D("5.01"))
    assert health.meets(goals["P1"], None) is None
