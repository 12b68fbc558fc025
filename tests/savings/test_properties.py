"""Any sequence of teller operations keeps the savings sub-ledger equal to its control accounts."""

import uuid
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koperasi.errors import ServiceError
from koperasi.ledger.selectors import ledger_violations
from koperasi.savings import services
from koperasi.savings.models import SavingsAccount
from koperasi.savings.selectors import savings_violations
from tests.conftest import sukarela_account

operations = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "withdraw", "transfer"]),
        st.sampled_from(["sukarela", "wajib"]),
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000000"), places=2),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_random_teller_work_keeps_the_books_reconciled(coop, member, ops):
    accounts = {
        "sukarela": sukarela_account(coop, member),
        "wajib": SavingsAccount.objects.get(member=member, product__kind="wajib"),
    }
    expected = {kind: SavingsAccount.objects.get(pk=a.pk).balance for kind, a in accounts.items()}
    for op, kind, amount in ops:
        key = f"prop-{uuid.uuid4()}"
        try:
            if op == "deposit":
                services.deposit(
                    cooperative=coop,
                    actor=None,
                    account_id=accounts[kind].pk,
                    amount=amount,
                    idempotency_key=key,
                )
                expected[kind] += amount
            elif op == "withdraw":
                services.withdraw(
                    cooperative=coop,
                    actor=None,
                    account_id=accounts[kind].pk,
                    amount=amount,
                    idempotency_key=key,
                )
                expected[kind] -= amount
            else:
                services.transfer(
                    cooperative=coop,
                    actor=None,
                    from_account_id=accounts["sukarela"].pk,
                    to_account_id=accounts["wajib"].pk,
                    amount=amount,
                    idempotency_key=key,
                )
                expected["sukarela"] -= amount
                expected["wajib"] += amount
        except ServiceError as exc:
            # Only the refusals the rules allow: locked wajib, or not enough on sukarela.
            assert exc.code in {"savings_locked", "insufficient_balance"}
    for kind, account in accounts.items():
        account.refresh_from_db()
        assert account.balance == expected[kind]
        assert account.balance >= 0
    assert ledger_violations(cooperative=coop) == []
    assert savings_violations(cooperative=coop) == []
