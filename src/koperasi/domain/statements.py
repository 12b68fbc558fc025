"""Rules of the financial statements (SAK EP) that are arithmetic, not data."""

from decimal import Decimal

from koperasi.domain.money import ZERO, allocate_largest_remainder


def surplus_by_party(
    surplus: Decimal, member_income: Decimal, non_member_income: Decimal
) -> tuple[Decimal, Decimal]:
    """The surplus (SHU) split into the members' part and the non-members' part, each bearing
    the costs in proportion to the income it brought; the parts add up to the surplus exactly.

    UU 25/1992 Pasal 45: the surplus from business with non-members is not distributed to
    members, so the statements keep it apart. Income below zero (a period of reversals) weighs
    nothing; with no income at all, the whole surplus is the members'.
    """
    weights = [max(member_income, ZERO), max(non_member_income, ZERO)]
    if sum(weights) == 0 or surplus == 0:
        return surplus, ZERO
    member, non_member = allocate_largest_remainder(surplus, weights)
    return member, non_member
