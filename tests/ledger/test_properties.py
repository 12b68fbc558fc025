"""Any sequence of valid postings keeps every ledger invariant."""

import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koperasi.ledger import selectors, services
from koperasi.ledger.models import Account
from koperasi.ledger.services import Line

CODES = ["1101", "1102", "4301", "5202", "2201", "3103"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2)
entries = st.lists(
    st.tuples(
        st.lists(st.tuples(st.sampled_from(CODES), amounts), min_size=1, max_size=4),
        st.sampled_from(CODES),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(entries=entries)
def test_random_postings_keep_invariants(coop, entries):
    accounts = {a.code: a for a in Account.objects.filter(cooperative=coop, code__in=CODES)}
    start = {a.code: a.balance for a in Account.objects.filter(cooperative=coop, code__in=CODES)}
    expected = dict(start)
    for debits, credit_code in entries:
        total = sum((amount for _c, amount in debits), Decimal(0))
        lines = [Line(accounts[code], debit=amount) for code, amount in debits]
        lines.append(Line(accounts[credit_code], credit=total))
        services.post_entry(
            cooperative=coop,
            actor=None,
            lines=lines,
            memo="p",
            source="prop",
            idempotency_key=f"p-{uuid.uuid4()}",
        )
        for code, amount in debits:
            expected[code] += amount
        expected[credit_code] -= total
    assert selectors.ledger_violations(cooperative=coop) == []
    actual = {a.code: a.balance for a in Account.objects.filter(cooperative=coop, code__in=CODES)}
    assert actual == expected
    rows, debit, credit = selectors.trial_balance(cooperative=coop)
    assert debit == credit
