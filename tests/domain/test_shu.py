"""The SHU calculator (domain/shu.py): hand-computed examples, refusals and properties."""

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.errors import DomainError
from koperasi.domain.shu import (
    JASA_MODAL,
    JASA_USAHA,
    ROUNDING_UNITS,
    Allocation,
    MemberFigures,
    ShuResult,
    allocation_total,
    compute_shu,
    share_working,
)

D = Decimal
# The issue's example: Rp 2.000.000, jasa modal 20 %, jasa usaha 30 %, the rest to other funds.
ISSUE_ALLOCATION = Allocation.of(
    {"cadangan": D(40), JASA_MODAL: D(20), JASA_USAHA: D(30), "pengurus": D(5), "sosial": D(5)}
)
# DOMAIN.md: the widely copied textbook list: 40 + 40 + 5 × 5 = 105 %.
TEXTBOOK = {
    "cadangan": D(40),
    JASA_MODAL: D(20),
    JASA_USAHA: D(20),
    "pengurus": D(5),
    "karyawan": D(5),
    "pendidikan": D(5),
    "sosial": D(5),
    "pembangunan_daerah": D(5),
}
HALVES = Allocation.of({JASA_MODAL: D(50), JASA_USAHA: D(50)})


def member(member_id: str, savings: str, transactions: str) -> MemberFigures:
    return MemberFigures(member_id, D(savings), D(transactions))


def refused(code: str, field: str | None = None, **kwargs: object) -> DomainError:
    arguments: dict[str, object] = {"shu": D(1000), "allocation": HALVES, "members": []}
    arguments.update(kwargs)
    with pytest.raises(DomainError) as err:
        compute_shu(**arguments)  # type: ignore[arg-type]
    assert err.value.code == code
    if field is not None:
        assert err.value.field == field
    return err.value


# --------------------------------------------------------------------------- worked examples


def test_the_issue_example() -> None:
    result = compute_shu(
        shu=D("2000000"),
        allocation=ISSUE_ALLOCATION,
        members=[member("A", "500000", "1000000")],
        total_savings=D("10000000"),
        total_transactions=D("15000000"),
        rounding=D("0.01"),
    )
    assert [(p.fund, p.amount) for p in result.pools] == [
        ("cadangan", D("800000.00")),
        (JASA_MODAL, D("400000.00")),
        (JASA_USAHA, D("600000.00")),
        ("pengurus", D("100000.00")),
        ("sosial", D("100000.00")),
    ]
    [share] = result.members
    # 500.000 / 10.000.000 × 400.000 = 20.000; 1.000.000 / 15.000.000 × 600.000 = 40.000
    assert (share.id, share.jasa_modal, share.jasa_usaha, share.total) == (
        "A",
        D("20000.00"),
        D("40000.00"),
        D("60000.00"),
    )
    # The members not listed hold the rest of both pools: it stays in the remainder.
    assert result.remainders == {JASA_MODAL: D("380000.00"), JASA_USAHA: D("560000.00")}
    assert result.remainder == D("940000.00")
    assert (result.total_savings, result.total_transactions) == (D("10000000"), D("15000000"))


def test_rounding_down_to_the_rupiah_leaves_a_remainder() -> None:
    three = [member(name, "1", "2") for name in "ABC"]
    result = compute_shu(shu=D("1000.00"), allocation=HALVES, members=three, rounding=D(1))
    # 500 / 3 = 166,67 each, rounded DOWN to 166 (half-up would give 167 and overpay by 1)
    assert [(s.jasa_modal, s.jasa_usaha, s.total) for s in result.members] == [
        (D("166.00"), D("166.00"), D("332.00"))
    ] * 3
    assert result.remainders == {JASA_MODAL: D("2.00"), JASA_USAHA: D("2.00")}
    assert result.remainder == D("4.00")
    to_the_sen = compute_shu(shu=D("1000.00"), allocation=HALVES, members=three, rounding=D("0.01"))
    assert to_the_sen.members[0].jasa_modal == D("166.66")
    assert to_the_sen.remainder == D("0.04")


def test_rounding_to_hundreds_and_thousands() -> None:
    members = [member("A", "2", "1"), member("B", "1", "0")]
    result = compute_shu(shu=D("100000"), allocation=HALVES, members=members, rounding=D(1000))
    # 50.000 × 2/3 = 33.333,33 → 33.000; × 1/3 → 16.000; jasa usaha: A all 50.000
    assert [(s.jasa_modal, s.jasa_usaha) for s in result.members] == [
        (D("33000.00"), D("50000.00")),
        (D("16000.00"), D("0.00")),
    ]
    assert result.remainders == {JASA_MODAL: D("1000.00"), JASA_USAHA: D("0.00")}
    hundreds = compute_shu(shu=D("100000"), allocation=HALVES, members=members, rounding=D(100))
    assert hundreds.members[0].jasa_modal == D("33300.00")


def test_the_default_rounding_is_down_to_the_rupiah() -> None:
    result = compute_shu(shu=D("100"), allocation=HALVES, members=[member("A", "1", "1")] * 1)
    assert result.rounding == D(1)
    odd = compute_shu(
        shu=D("100.99"), allocation=HALVES, members=[member("A", "1", "0"), member("B", "1", "1")]
    )
    # pools 50,50 and 50,49 (largest remainder); A gets 25,24 → 25
    assert odd.members[0].jasa_modal == D("25.00")


def test_pools_add_up_to_the_shu_exactly() -> None:
    thirds = Allocation.of({JASA_MODAL: D("33.33"), JASA_USAHA: D("33.33"), "cadangan": D("33.34")})
    result = compute_shu(shu=D("0.05"), allocation=thirds, members=[])
    assert sum(p.amount for p in result.pools) == D("0.05")
    # 1,6665 / 1,6665 / 1,667 sen: floors 1 each, the 2 sen left to the largest remainders
    assert [p.amount for p in result.pools] == [D("0.02"), D("0.01"), D("0.02")]


def test_a_zero_total_leaves_the_whole_pool_as_remainder() -> None:
    members = [member("A", "0", "5"), member("B", "0", "5")]
    result = compute_shu(shu=D("1000"), allocation=HALVES, members=members)
    assert [s.jasa_modal for s in result.members] == [D("0.00"), D("0.00")]
    assert [s.jasa_usaha for s in result.members] == [D("250.00"), D("250.00")]
    assert result.remainders == {JASA_MODAL: D("500.00"), JASA_USAHA: D("0.00")}
    nobody = compute_shu(shu=D("1000"), allocation=HALVES, members=[])
    assert nobody.members == () and nobody.remainder == D("1000.00")


def test_zero_shu_and_zero_percent_funds() -> None:
    allocation = Allocation.of({JASA_MODAL: D(0), JASA_USAHA: D(0), "cadangan": D(100)})
    result = compute_shu(shu=D("5000"), allocation=allocation, members=[member("A", "1", "1")])
    assert result.members[0].total == D("0.00") and result.remainder == D("0.00")
    assert result.pool("cadangan") == D("5000.00")
    zero = compute_shu(shu=D(0), allocation=HALVES, members=[member("A", "1", "1")])
    assert zero.members[0].total == D("0.00") and zero.remainder == D("0.00")


def test_fractional_figures_and_larger_totals() -> None:
    # weighted transactions may have up to 6 decimals
    members = [member("A", "100.5", "0.333333"), member("B", "99.5", "0.666667")]
    result = compute_shu(
        shu=D("10000"), allocation=HALVES, members=members, total_savings=D("400"), rounding=D(1)
    )
    # 100,5 / 400 × 5.000 = 1.256,25 → 1.256; 0,333333 / 1 × 5.000 = 1.666,665 → 1.666
    assert [(s.jasa_modal, s.jasa_usaha) for s in result.members] == [
        (D("1256.00"), D("1666.00")),
        (D("1243.00"), D("3333.00")),
    ]
    assert result.total_transactions == D("1.00")
    assert result.remainders == {JASA_MODAL: D("2501.00"), JASA_USAHA: D("1.00")}


def test_the_callers_decimal_context_does_not_matter() -> None:
    members = [member("A", "123456789012345.67", "1"), member("B", "1", "1")]
    expected = compute_shu(shu=D("987654321098765.43"), allocation=HALVES, members=members)
    with localcontext() as ctx:
        ctx.prec = 3
        again = compute_shu(shu=D("987654321098765.43"), allocation=HALVES, members=members)
        assert again.members[0].total == expected.members[0].total
    assert again == expected


def test_the_working_of_a_share() -> None:
    result = compute_shu(
        shu=D("2000000"),
        allocation=ISSUE_ALLOCATION,
        members=[member("A", "500000", "1000000"), member("B", "1", "7")],
        total_savings=D("3000000"),
        total_transactions=D("15000000"),
    )
    working = result.working("B")
    modal = working.jasa_modal
    assert (modal.figure, modal.total, modal.pool) == (D("1"), D("3000000"), D("400000.00"))
    # 1 / 3.000.000 = 0,000000333…; × 400.000 = 0,1333… → 0 rupiah
    assert modal.ratio == D("0.0000003333")
    assert modal.exact == D("0.13333333")
    assert modal.share == D("0.00") == result.members[1].jasa_modal
    usaha = working.jasa_usaha
    assert (usaha.exact, usaha.share) == (D("0.28000000"), D("0.00"))
    assert working.total == result.members[1].total
    assert result.working("A").jasa_modal.share == D("66666.00")
    with pytest.raises(KeyError):
        result.working("Z")


def test_share_working_from_stored_figures() -> None:
    working = share_working(D("500000"), D("10000000"), D("400000.00"), D("0.01"))
    assert (working.ratio, working.exact, working.share) == (
        D("0.0500000000"),
        D("20000.00000000"),
        D("20000.00"),
    )
    nothing = share_working(D(0), D(0), D("400000.00"), D(1))
    assert (nothing.ratio, nothing.exact, nothing.share) == (0, 0, 0)
    with pytest.raises(DomainError) as err:
        share_working(D(5), D(4), D(100), D(1))
    assert err.value.code == "shu_total_too_small"


# --------------------------------------------------------------------------- refusals


def test_the_textbook_allocation_of_105_percent_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        Allocation.of(TEXTBOOK)
    assert (err.value.code, err.value.field) == ("shu_allocation_sum", "allocation")
    assert "exactly 100 %" in err.value.message and "105 %" in err.value.message
    assert allocation_total(TEXTBOOK) == D(105)
    fixed = Allocation.of(TEXTBOOK | {"pembangunan_daerah": D(0)})
    assert fixed.percent("cadangan") == D(40) and list(fixed.percents)[0] == "cadangan"


@pytest.mark.parametrize(
    ("percents", "code", "field"),
    [
        ({JASA_MODAL: D(50), JASA_USAHA: D("49.99")}, "shu_allocation_sum", "allocation"),
        ({JASA_MODAL: D(100)}, "shu_fund_missing", "allocation.jasa_usaha"),
        ({JASA_USAHA: D(100)}, "shu_fund_missing", "allocation.jasa_modal"),
        (
            {JASA_MODAL: D(110), JASA_USAHA: D(-10)},
            "shu_percent_too_large",
            "allocation.jasa_modal",
        ),
        ({JASA_MODAL: D(-10), JASA_USAHA: D(110)}, "shu_percent_negative", "allocation.jasa_modal"),
        ({JASA_MODAL: D("50.001"), JASA_USAHA: D("49.999")}, "shu_percent_too_precise", None),
        ({JASA_MODAL: D("NaN"), JASA_USAHA: D(100)}, "shu_percent_invalid", None),
        ({JASA_MODAL: D("1E+999999999"), JASA_USAHA: D(0)}, "shu_percent_too_large", None),
        ({JASA_MODAL: 50, JASA_USAHA: D(50)}, "shu_percent_invalid", None),  # not a Decimal
        ({JASA_MODAL: D(50), JASA_USAHA: D(50), " ": D(0)}, "shu_fund_name", "allocation"),
        ({JASA_MODAL: D(50), JASA_USAHA: D(50), "x" * 65: D(0)}, "shu_fund_name", None),
    ],
)
def test_bad_allocations_are_refused(
    percents: dict[str, Decimal], code: str, field: str | None
) -> None:
    with pytest.raises(DomainError) as err:
        Allocation.of(percents)
    assert err.value.code == code
    if field is not None:
        assert err.value.field == field


def test_a_fund_twice_is_refused() -> None:
    with pytest.raises(DomainError) as err:
        Allocation(funds=((JASA_MODAL, D(50)), (JASA_USAHA, D(25)), (JASA_USAHA, D(25))))
    assert (err.value.code, err.value.field) == ("shu_fund_duplicate", "allocation.jasa_usaha")


def test_a_loss_is_not_distributed() -> None:
    error = refused("shu_loss", "shu", shu=D("-0.01"))
    assert "loss" in error.message


@pytest.mark.parametrize(
    ("shu", "code"),
    [(D("1.005"), "too_precise"), (D("1E+18"), "too_large"), (D("NaN"), "invalid"), (5, "invalid")],
)
def test_a_malformed_shu_is_refused(shu: object, code: str) -> None:
    refused(code, "shu", shu=shu)


@pytest.mark.parametrize("rounding", [D("0.5"), D(10), D("0.001"), D("NaN"), D("sNaN"), 1])
def test_other_rounding_units_are_refused(rounding: object) -> None:
    refused("shu_rounding", "rounding", rounding=rounding)
    assert D("1.00") in ROUNDING_UNITS  # compared by value


@pytest.mark.parametrize(
    ("figures", "code", "field"),
    [
        ([member("A", "1", "1"), member("A", "2", "2")], "shu_member_duplicate", "members[1].id"),
        ([MemberFigures("", D(1), D(1))], "shu_member_id", "members[0].id"),
        ([MemberFigures("  ", D(1), D(1))], "shu_member_id", "members[0].id"),
        ([MemberFigures(7, D(1), D(1))], "shu_member_id", "members[0].id"),  # type: ignore[arg-type]
        (
            [member("A", "1", "1"), member("B", "-1", "1")],
            "shu_figure_negative",
            "members[1].savings",
        ),
        ([member("A", "1", "-0.01")], "shu_figure_negative", "members[0].transactions"),
        ([member("A", "0.0000001", "1")], "shu_figure_too_precise", "members[0].savings"),
        ([member("A", "1E-999999999", "1")], "shu_figure_too_precise", "members[0].savings"),
        ([member("A", "1.00000001", "1")], "shu_figure_too_precise", "members[0].savings"),
        ([member("A", "1E+999999999", "1")], "too_large", "members[0].savings"),
        ([member("A", "1", "Infinity")], "shu_figure_invalid", "members[0].transactions"),
        ([MemberFigures("A", 1.5, D(1))], "shu_figure_invalid", "members[0].savings"),  # type: ignore[arg-type]
    ],
)
def test_bad_members_are_refused(figures: list[MemberFigures], code: str, field: str) -> None:
    refused(code, field, members=figures)


def test_zero_figures_in_any_form_are_zero() -> None:
    members = [member("A", "0E-999999999", "-0"), member("B", "1", "1")]
    result = compute_shu(shu=D(1000), allocation=HALVES, members=members)
    assert [s.total for s in result.members] == [D("0.00"), D("1000.00")]


@pytest.mark.parametrize("field", ["total_savings", "total_transactions"])
def test_a_total_below_the_members_sum_is_refused(field: str) -> None:
    members = [member("A", "600", "600"), member("B", "500", "500")]
    refused("shu_total_too_small", field, members=members, **{field: D("1099.99")})
    refused("shu_figure_negative", field, members=members, **{field: D("-1")})
    exact = compute_shu(shu=D(1000), allocation=HALVES, members=members, **{field: D(1100)})
    assert exact == compute_shu(shu=D(1000), allocation=HALVES, members=members)


# --------------------------------------------------------------------------- properties

sen = st.integers(min_value=0, max_value=10**14)
figure = st.integers(min_value=0, max_value=10**12).map(lambda n: D(n).scaleb(-2))


@st.composite
def allocations(draw: st.DrawFn) -> Allocation:
    modal = draw(st.integers(0, 10_000))
    usaha = draw(st.integers(0, 10_000 - modal))
    rest = 10_000 - modal - usaha
    funds = {JASA_MODAL: D(modal).scaleb(-2), JASA_USAHA: D(usaha).scaleb(-2)}
    if rest:
        reserve = draw(st.integers(0, rest))
        funds |= {"cadangan": D(reserve).scaleb(-2), "sosial": D(rest - reserve).scaleb(-2)}
    return Allocation.of(funds)


@st.composite
def cases(draw: st.DrawFn) -> dict[str, object]:
    count = draw(st.integers(0, 25))
    members = [MemberFigures(f"M{i}", draw(figure), draw(figure)) for i in range(count)]
    extra = draw(st.one_of(st.none(), figure))
    return {
        "shu": D(draw(sen)).scaleb(-2),
        "allocation": draw(allocations()),
        "members": members,
        "total_savings": None if extra is None else sum((m.savings for m in members), extra),
        "rounding": draw(st.sampled_from(ROUNDING_UNITS)),
    }


def check_invariants(result: ShuResult) -> None:
    assert sum(p.amount for p in result.pools) == result.shu
    for fund, remainder in result.remainders.items():
        shares = [getattr(s, fund) for s in result.members]
        assert all(share >= 0 for share in shares)
        assert all(share % result.rounding == 0 for share in shares)
        assert sum(shares) + remainder == result.pool(fund)
        assert remainder >= 0
    assert result.remainder == sum(result.remainders.values())


@given(cases())
def test_shares_plus_remainder_is_the_pool(case: dict[str, object]) -> None:
    result = compute_shu(**case)  # type: ignore[arg-type]
    check_invariants(result)
    # each share is the exact ratio rounded down to the unit (a Fraction oracle)
    unit = Fraction(result.rounding)
    for figures, share in zip(result.figures, result.members, strict=True):
        for fund, value, total in (
            (JASA_MODAL, figures.savings, result.total_savings),
            (JASA_USAHA, figures.transactions, result.total_transactions),
        ):
            exact = Fraction(value) / Fraction(total) * Fraction(result.pool(fund)) if total else 0
            assert Fraction(getattr(share, fund)) == math.floor(exact / unit) * unit


SCALES = [D(2), D(3), D(7), D(1000), D("0.5"), D("0.01")]


@given(cases(), st.sampled_from(SCALES))
def test_scaling_all_savings_changes_no_jasa_modal_share(
    case: dict[str, object], k: Decimal
) -> None:
    before = compute_shu(**case)  # type: ignore[arg-type]
    members = case["members"]
    assert isinstance(members, list)
    scaled = [MemberFigures(m.id, m.savings * k, m.transactions) for m in members]
    total = case["total_savings"]
    assert total is None or isinstance(total, Decimal)
    after = compute_shu(
        **case | {"members": scaled, "total_savings": None if total is None else total * k}  # type: ignore[arg-type]
    )
    assert after.members == before.members
    assert after.remainders == before.remainders


@given(cases(), st.sampled_from(SCALES))
def test_scaling_all_transactions_changes_no_jasa_usaha_share(
    case: dict[str, object], k: Decimal
) -> None:
    before = compute_shu(**case)  # type: ignore[arg-type]
    members = case["members"]
    assert isinstance(members, list)
    scaled = [MemberFigures(m.id, m.savings, m.transactions * k) for m in members]
    after = compute_shu(**case | {"members": scaled})  # type: ignore[arg-type]
    assert after.members == before.members


@given(cases(), st.randoms(use_true_random=False))
def test_permuting_members_permutes_their_shares(case: dict[str, object], rng: object) -> None:
    before = compute_shu(**case)  # type: ignore[arg-type]
    members = list(case["members"])  # type: ignore[call-overload]
    rng.shuffle(members)  # type: ignore[attr-defined]
    after = compute_shu(**case | {"members": members})  # type: ignore[arg-type]
    by_id = {share.id: share for share in before.members}
    assert [by_id[share.id] for share in after.members] == list(after.members)
    assert [m.id for m in after.members] == [m.id for m in members]
    assert after.remainders == before.remainders


@given(cases())
def test_working_agrees_with_the_shares(case: dict[str, object]) -> None:
    result = compute_shu(**case)  # type: ignore[arg-type]
    for share in result.members[:5]:
        working = result.working(share.id)
        assert (working.jasa_modal.share, working.jasa_usaha.share) == (
            share.jasa_modal,
            share.jasa_usaha,
        )
        assert working.jasa_modal.share <= working.jasa_modal.exact
        assert working.jasa_modal.exact - working.jasa_modal.share < result.rounding
