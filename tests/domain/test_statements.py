from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from koperasi.domain.statements import surplus_by_party

D = Decimal
money = st.integers(min_value=-(10**14), max_value=10**14).map(lambda n: D(n) / 100)


def test_costs_are_shared_in_proportion_to_income():
    # 75 % of the income came from members: they carry 75 % of the surplus.
    assert surplus_by_party(D("1000.00"), D("300.00"), D("100.00")) == (D("750.00"), D("250.00"))


def test_a_loss_is_shared_too_and_no_income_leaves_it_with_members():
    assert surplus_by_party(D("-100.00"), D("1.00"), D("1.00")) == (D("-50.00"), D("-50.00"))
    assert surplus_by_party(D("-100.00"), D("0.00"), D("-5.00")) == (D("-100.00"), D("0.00"))


@given(money, money, money)
def test_the_parts_add_up_to_the_surplus_to_the_sen(surplus, member, non_member):
    parts = surplus_by_party(surplus, member, non_member)
    assert sum(parts) == surplus
    if non_member <= 0:
        assert parts[1] == 0
