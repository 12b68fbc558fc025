"""One idempotency key names one request of one operation, in the services themselves.

The web forms hand their key straight to these services, and the API's keyed endpoints rely on
them, so each service must answer a retry with what it first did and refuse the key for
anything else. For each pair (first operation, second operation) of the savings services
(deposit, withdrawal, transfer, reversal) and the loan services (repayment in cash and from
savings, payoff, disbursement in cash and to savings, reversal, write-off, recovery) under one
key: the same call again returns the first result and posts nothing; the same operation on
another account or loan, or with another amount, channel or note, and any other operation
raise KeyReused (409) and leave the books as they were. On PostgreSQL the first deposit,
withdrawal and cash repayment run in one statement; what follows reaches the one-statement
way (or is kept from it because savings or loans already posted under the key) and is answered
by the ordinary way.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.errors import KeyReused
from koperasi.loans import services as loans
from koperasi.savings import services as savings
from koperasi.tenancy.models import Role
from tests.key_matrix import KEY, REUSED, Targets, ran_in_one_statement, state


@dataclass(frozen=True)
class Operation:
    """A service that takes a key, its arguments (templates, see `Targets`) and the same
    operation asked otherwise (each replaces some arguments)."""

    name: str
    service: Callable[..., Any]
    args: dict[str, Any]
    others: tuple[dict[str, Any], ...]
    # The PostgreSQL function the first call runs as, when it takes a one-statement way.
    fast: str = ""


# fmt: off
OPERATIONS = [
    Operation("deposit", savings.deposit, {"account_id": "{sukarela}", "amount": "50000", "note": "setor"}, ({"account_id": "{wajib}"}, {"amount": "50001"}, {"note": "lain"}), fast="savings_cash_movement"),  # noqa: E501
    Operation("withdrawal", savings.withdraw, {"account_id": "{sukarela}", "amount": "30000"}, ({"account_id": "{sukarela_b}"}, {"amount": "30001"}, {"note": "lain"}), fast="savings_cash_movement"),  # noqa: E501
    Operation("transfer", savings.transfer, {"from_account_id": "{sukarela}", "to_account_id": "{wajib}", "amount": "20000"}, ({"from_account_id": "{sukarela_b}", "to_account_id": "{wajib_b}"}, {"amount": "20001"}, {"note": "lain"})),  # noqa: E501
    Operation("savings_reversal", savings.reverse_transaction, {"transaction_id": "{deposit}", "reason": "Salah input"}, ({"transaction_id": "{deposit_b}"}, {"reason": "Salah anggota"})),  # noqa: E501
    Operation("repay_cash", loans.repay, {"loan_id": "{loan_repay}", "amount": "100000", "note": "loket"}, ({"loan_id": "{loan_repay_b}"}, {"amount": "100001"}, {"note": "lain"}, {"channel": "api"}), fast="loans_repay"),  # noqa: E501
    Operation("repay_savings", loans.repay, {"loan_id": "{loan_savings}", "amount": "100000", "channel": "savings"}, ({"loan_id": "{loan_savings_b}"}, {"amount": "100001"}, {"note": "lain"}, {"savings_account_id": "{sukarela_b}"})),  # noqa: E501
    Operation("payoff", loans.pay_off, {"loan_id": "{loan_payoff}", "amount": "{quote_payoff}"}, ({"loan_id": "{loan_payoff_b}", "amount": "{quote_payoff_b}"}, {"note": "lunas"}, {"channel": "api"})),  # noqa: E501
    Operation("disburse_cash", loans.disburse, {"application_id": "{application_cash}", "to": "cash"}, ({"application_id": "{application_cash_b}"}, {"to": "savings"}, {"autodebit": True})),  # noqa: E501
    Operation("disburse_savings", loans.disburse, {"application_id": "{application_savings}", "to": "savings"}, ({"application_id": "{application_savings_b}"}, {"to": "cash"}, {"savings_account_id": "{sukarela_b}"})),  # noqa: E501
    Operation("loan_reversal", loans.reverse_repayment, {"transaction_id": "{repayment}", "reason": "Salah input"}, ({"transaction_id": "{repayment_b}"}, {"reason": "Salah anggota"})),  # noqa: E501
    Operation("write_off", loans.decide_write_off, {"request_id": "{write_off}", "approve": True}, ({"request_id": "{write_off_b}"}, {"note": "RAT"}, {"approve": False, "note": "Masih bisa ditagih"})),  # noqa: E501
    Operation("recovery", loans.recover, {"loan_id": "{written_off}", "amount": "100000"}, ({"loan_id": "{written_off_b}"}, {"amount": "90000"}, {"note": "lain"})),  # noqa: E501
]
# fmt: on


class World(Targets):
    def call(self, operation: Operation, args: dict[str, Any], key: str) -> Any:
        actor = self.users["admin" if operation.name == "write_off" else "teller"]
        role = {"role": Role.ADMIN} if operation.name == "write_off" else {}
        return operation.service(
            cooperative=self.coop, actor=actor, idempotency_key=key, **role, **args
        )

    def args(self, operation: Operation, other: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.fill({**operation.args, **(other or {})})


@pytest.fixture
def world(coop, teller, admin_user):
    return World(coop, teller, admin_user)


def _result(value: Any) -> Any:
    """What a service returned, by primary keys (a transfer returns two movements)."""
    if isinstance(value, tuple | list):
        return tuple(v.pk for v in value)
    return (type(value).__name__, value.pk)


PAIRS = list(itertools.product(OPERATIONS, OPERATIONS))


@pytest.mark.parametrize(
    ("first", "second"), PAIRS, ids=[f"{a.name}-then-{b.name}" for a, b in PAIRS]
)
def test_a_key_answers_only_its_own_request(world, first, second):
    original = world.args(first)
    if second is first:
        refused = [world.args(first, other) for other in first.others]
    else:
        refused = [world.args(second)]
    before = state()

    with CaptureQueriesContext(connection) as queries:
        answer = _result(world.call(first, original, KEY))
    if first.fast and connection.vendor == "postgresql":
        assert ran_in_one_statement(queries, first.fast)
    posted = state()
    assert posted != before

    # The same call again (a double click, a retried request): the first result, no posting.
    assert _result(world.call(first, original, KEY)) == answer
    assert state() == posted

    for args in refused:
        with pytest.raises(KeyReused) as error:
            world.call(second, args, KEY)
        assert (error.value.status, error.value.code) == (409, "idempotency_key_reused")
        assert str(error.value.message) == REUSED
        assert state() == posted

    if second is not first:
        # Only the key was refused: the other call is fine under a key of its own, and the
        # first call's key still answers with the first result.
        world.call(second, refused[0], f"{KEY}-2")
        assert _result(world.call(first, original, KEY)) == answer


def test_a_key_that_names_another_requests_excess_movement_is_refused(world):
    """What a repayment leaves over goes to savings under `<key>:excess`. A deposit made
    earlier under exactly that key (an API client's `X:excess`) takes the key from the
    repayment `X`: 409 and nothing written, not a unique-index error (on PostgreSQL the
    one-statement way meets the index first and leaves the answer to the ordinary way)."""
    coop, teller = world.coop, world.users["teller"]
    loans.update_product(
        cooperative=coop, actor=world.users["admin"], product_id=world.product.pk,
        overpayment="savings",
    )  # fmt: skip
    loan_id = world["loan_excess"]
    savings.deposit(
        cooperative=coop, actor=teller, account_id=world["sukarela"], amount="1000",
        idempotency_key="api:X:excess",
    )  # fmt: skip
    before = state()
    with pytest.raises(KeyReused):
        loans.repay(
            cooperative=coop, actor=teller, loan_id=loan_id, amount="200000",
            idempotency_key="api:X",
        )  # fmt: skip
    assert state() == before
    # Under a key of its own the overpayment goes to savings.
    txn = loans.repay(
        cooperative=coop, actor=teller, loan_id=loan_id, amount="200000", idempotency_key="api:Y"
    )
    assert txn.excess > 0
