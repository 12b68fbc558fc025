"""One Idempotency-Key names one request of one operation, on every money-moving endpoint.

For each pair (first endpoint, second endpoint) under one key: the first request again gets the
first answer (same status, same body) and posts nothing; the same operation on another account
or loan, or with another amount, channel or note, and any other operation get 409
`idempotency_key_reused` with the clear message, and leave the books exactly as they were (and
the refused request succeeds under a key of its own: only the key was refused). On PostgreSQL
the first deposit, withdrawal and cash repayment take their one-statement way; the requests
that follow reach it too and are sent on to the ordinary way, which answers them.

Adding a money-moving endpoint is one entry in MONEY_MOVING; a test fails while a POST under
savings, loans or ledger is in neither that list nor NOT_MONEY_MOVING.
"""

import itertools
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koperasi.audit.models import AuditLog
from koperasi.ledger.services import business_today
from koperasi.loans import services as loans
from koperasi.savings.models import SavingsAccount
from koperasi.tenancy.models import IdempotencyRecord, Role
from tests.api.conftest import codes
from tests.api.test_loans_api import everything, macet_loan, make_borrower, make_product
from tests.conftest import make_user, sukarela_account
from tests.loans.conftest import approved_application, disbursed_loan

KEY = "satu-kunci"
REUSED = "Kunci idempotensi ini sudah dipakai untuk permintaan lain."


@dataclass(frozen=True)
class Endpoint:
    """A money-moving endpoint and the requests it is tried with.

    `path` and `body` are templates: `{name}` stands for a target the test builds on first use
    (see `World`). Each of `others` is the same operation asked otherwise: its `path` (if
    given) replaces the path, its other keys replace fields of the body.
    """

    name: str
    who: str
    path: str
    body: dict[str, Any]
    others: tuple[dict[str, Any], ...]
    # The PostgreSQL function the first request runs as, when it takes a one-statement way.
    fast: str = ""


# One entry per endpoint: name, caller, path, body, the same operation asked otherwise, and the
# one-statement function its first request runs as on PostgreSQL.
# fmt: off
MONEY_MOVING = [
    Endpoint("deposit", "teller", "/savings/accounts/{sukarela}/deposits", {"amount": "50000.00", "note": "setor"}, ({"path": "/savings/accounts/{wajib}/deposits"}, {"amount": "50001.00"}, {"note": "lain"}), fast="savings_cash_movement"),  # noqa: E501
    Endpoint("withdrawal", "teller", "/savings/accounts/{sukarela}/withdrawals", {"amount": "30000.00"}, ({"path": "/savings/accounts/{sukarela_b}/withdrawals"}, {"amount": "30001.00"}, {"note": "lain"}), fast="savings_cash_movement"),  # noqa: E501
    Endpoint("transfer", "teller", "/savings/transfers", {"from_account": "{sukarela}", "to_account": "{wajib}", "amount": "20000.00"}, ({"from_account": "{sukarela_b}", "to_account": "{wajib_b}"}, {"amount": "20001.00"}, {"note": "lain"})),  # noqa: E501
    Endpoint("disburse_cash", "teller", "/loans/applications/{application_cash}/disburse", {"to": "cash"}, ({"path": "/loans/applications/{application_cash_b}/disburse"}, {"to": "savings"}, {"autodebit": True})),  # noqa: E501
    Endpoint("disburse_savings", "teller", "/loans/applications/{application_savings}/disburse", {"to": "savings"}, ({"path": "/loans/applications/{application_savings_b}/disburse"}, {"to": "cash"}, {"savings_account_id": "{sukarela_b}"})),  # noqa: E501
    Endpoint("repay_cash", "teller", "/loans/loans/{loan_repay}/repayments", {"amount": "100000", "note": "loket"}, ({"path": "/loans/loans/{loan_repay_b}/repayments"}, {"amount": "100001"}, {"note": "lain"}, {"channel": "teller"}), fast="loans_repay"),  # noqa: E501
    Endpoint("repay_savings", "teller", "/loans/loans/{loan_savings}/repayments", {"amount": "100000", "channel": "savings"}, ({"path": "/loans/loans/{loan_savings_b}/repayments"}, {"amount": "100001"}, {"note": "lain"}, {"savings_account_id": "{sukarela_b}"})),  # noqa: E501
    Endpoint("payoff", "teller", "/loans/loans/{loan_payoff}/payoff", {"amount": "{quote_payoff}"}, ({"path": "/loans/loans/{loan_payoff_b}/payoff", "amount": "{quote_payoff_b}"}, {"note": "lunas"}, {"channel": "teller"})),  # noqa: E501
    Endpoint("reversal", "teller", "/loans/loans/transactions/{repayment}/reverse", {"reason": "Salah input"}, ({"path": "/loans/loans/transactions/{repayment_b}/reverse"}, {"reason": "Salah anggota"})),  # noqa: E501
    Endpoint("write_off", "admin", "/loans/loans/write-offs/{write_off}/decision", {"approve": True}, ({"path": "/loans/loans/write-offs/{write_off_b}/decision"}, {"note": "RAT"})),  # noqa: E501
    Endpoint("recovery", "teller", "/loans/loans/{written_off}/recoveries", {"amount": "100000"}, ({"path": "/loans/loans/{written_off_b}/recoveries"}, {"amount": "90000"}, {"note": "lain"})),  # noqa: E501
]
# fmt: on

# Every other write under savings, loans and ledger, and why it is not in the matrix.
NOT_MONEY_MOVING = {
    "/api/v1/loans/simulate": "computes a schedule, writes nothing",
    "/api/v1/loans/applications": "enters an application (an optional key replays it)",
    "/api/v1/loans/applications/{}/analysis": "records an analysis",
    "/api/v1/loans/applications/{}/approve": "decides an application",
    "/api/v1/loans/applications/{}/reject": "decides an application",
    "/api/v1/loans/loans/{}/assess": "books penalties under a key of its own per loan and day",
    "/api/v1/loans/loans/{}/restructurings": "proposes new terms",
    "/api/v1/loans/loans/restructurings/{}/decision": "replaces the schedule, posts nothing",
    "/api/v1/loans/loans/{}/write-off": "proposes a write-off",
}


class World:
    """The cooperative's staff and whatever the requests name, each built once on first use.

    Targets: member A's `sukarela` and `wajib`, member B's `sukarela_b` and `wajib_b`; for A,
    approved applications (`application…`), loans disbursed today (`loan_…`), the payoff total
    of a loan (`quote_<loan>`), a repayment on a loan of its own (`repayment…`), a write-off
    proposal on a Macet loan (`write_off…`) and a written-off loan (`written_off…`).
    """

    def __init__(self, coop, staff, users):
        self.coop, self.staff, self.users = coop, staff, users
        self.product = make_product(coop, users["admin"])
        self.built: dict[str, Any] = {}
        self.members: dict[str, Any] = {}

    def member(self, which: str):
        if which not in self.members:
            self.members[which] = make_borrower(self.coop, self.users["teller"])
        return self.members[which]

    def __getitem__(self, name: str) -> Any:
        if name not in self.built:
            self.built[name] = self._build(name)
        return self.built[name]

    def _build(self, name: str) -> Any:
        coop, u = self.coop, self.users
        member = self.member(
            "b" if name.endswith("_b") and name[:-2] in ("sukarela", "wajib") else "a"
        )
        kind = name.removesuffix("_b")
        if kind == "sukarela":
            return sukarela_account(coop, member).pk
        if kind == "wajib":
            return SavingsAccount.objects.get(member=member, product__kind="wajib").pk
        if kind.startswith("quote_"):
            quote = loans.settlement_quote(
                cooperative=coop, loan_id=self["loan_" + name.removeprefix("quote_")]
            )
            return f"{quote.total:.2f}"
        args = (coop, member, self.product, u["officer"], u["manager"])
        today = business_today(coop)
        if kind.startswith("application"):
            return approved_application(*args).pk
        if kind.startswith("loan_"):
            return disbursed_loan(*args, u["teller"], on=today).pk
        if kind.startswith("repayment"):
            loan = disbursed_loan(*args, u["teller"], on=today)
            return loans.repay(
                cooperative=coop, actor=u["teller"], loan_id=loan.pk, amount="118000",
                idempotency_key=f"setup-{name}",
            ).pk  # fmt: skip
        macet = macet_loan(coop, member, self.product, u["officer"], u["manager"], u["teller"])
        proposal = loans.propose_write_off(
            cooperative=coop, actor=u["officer"], loan_id=macet.pk, reason="Tidak tertagih"
        )
        if kind.startswith("write_off"):
            return proposal.pk
        assert kind.startswith("written_off"), name
        loans.decide_write_off(
            cooperative=coop, actor=u["admin"], role=Role.ADMIN, request_id=proposal.pk,
            approve=True, idempotency_key=f"setup-{name}",
        )  # fmt: skip
        return macet.pk

    def fill(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return self[value[1:-1]]
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        return value

    def request(self, endpoint: Endpoint, other: dict[str, Any] | None = None):
        """(path, body) of the endpoint's request, or of one of its other requests."""
        other = dict(other or {})
        path = other.pop("path", endpoint.path)
        return path.format_map(self), self.fill({**endpoint.body, **other})

    def post(self, endpoint: Endpoint, request, key: str):
        path, body = request
        return self.staff[endpoint.who].post(path, body, key=key)


def state():
    """The books, the loan sub-ledger, the API's records and the audit log."""
    return everything(), IdempotencyRecord.objects.count(), AuditLog.objects.count()


@pytest.fixture
def world(api_as, coop, teller, admin_user):
    users = {
        "teller": teller,
        "admin": admin_user,
        "officer": make_user("petugas", coop, Role.LOAN_OFFICER),
        "manager": make_user("manajer", coop, Role.MANAGER),
    }
    staff = {who: api_as(user, coop) for who, user in users.items()}
    return World(coop, staff, users)


def _ran_in_one_statement(queries, function: str) -> bool:
    sql = [q["sql"] for q in queries.captured_queries]
    return any(f"{function}(" in s for s in sql) and not any(
        "INSERT INTO ledger_journalentry" in s for s in sql
    )


PAIRS = list(itertools.product(MONEY_MOVING, MONEY_MOVING))


@pytest.mark.parametrize(
    ("first", "second"), PAIRS, ids=[f"{a.name}-then-{b.name}" for a, b in PAIRS]
)
def test_a_key_answers_only_its_own_request(world, first, second):
    original = world.request(first)
    if second is first:
        refused = [world.request(first, other) for other in first.others]
    else:
        refused = [world.request(second)]
    before = state()

    with CaptureQueriesContext(connection) as queries:
        answer = world.post(first, original, KEY)
    assert answer.status_code in (200, 201), answer.json()
    if first.fast and connection.vendor == "postgresql":
        assert _ran_in_one_statement(queries, first.fast)
    posted = state()
    assert posted != before

    # The same request again: the first answer, nothing posted twice.
    again = world.post(first, original, KEY)
    assert (again.status_code, again.json()) == (answer.status_code, answer.json())
    assert state() == posted

    for request in refused:
        response = world.post(second, request, KEY)
        assert response.status_code == 409, (request, response.json())
        assert codes(response) == ["idempotency_key_reused"]
        assert response.json()["detail"][0]["message"] == REUSED
        assert state() == posted

    if second is not first:
        # Only the key was refused: the other request is fine under a key of its own, and the
        # first request's key still answers with the first answer.
        own = world.post(second, refused[0], f"{KEY}-2")
        assert own.status_code in (200, 201), own.json()
        retried = world.post(first, original, KEY)
        assert (retried.status_code, retried.json()) == (answer.status_code, answer.json())


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def test_every_money_moving_endpoint_is_in_the_matrix(client, db):
    """A write under savings, loans or ledger is either in MONEY_MOVING or, with the reason,
    in NOT_MONEY_MOVING; each in the matrix documents the Idempotency-Key header."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    writes = {
        _shape(path): operations
        for path, operations in paths.items()
        if path.startswith(("/api/v1/savings", "/api/v1/loans", "/api/v1/ledger"))
        for method in ("post", "put", "patch", "delete")
        if method in operations
    }
    in_matrix = {_shape(f"/api/v1{e.path}") for e in MONEY_MOVING}
    assert not in_matrix & set(NOT_MONEY_MOVING)
    assert set(writes) == in_matrix | set(NOT_MONEY_MOVING), set(writes) ^ (
        in_matrix | set(NOT_MONEY_MOVING)
    )
    for path in in_matrix:
        parameters = writes[path]["post"]["parameters"]
        assert any(p["name"] == "Idempotency-Key" for p in parameters), path
