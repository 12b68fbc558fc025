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

from tests.api.conftest import codes
from tests.key_matrix import KEY, REUSED, Targets, ran_in_one_statement, state


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


class World(Targets):
    """The targets, and the staff's API clients."""

    def __init__(self, coop, teller, admin, api_as):
        super().__init__(coop, teller, admin)
        self.staff = {who: api_as(user, coop) for who, user in self.users.items()}

    def request(self, endpoint: Endpoint, other: dict[str, Any] | None = None):
        """(path, body) of the endpoint's request, or of one of its other requests."""
        other = dict(other or {})
        path = other.pop("path", endpoint.path)
        return path.format_map(self), self.fill({**endpoint.body, **other})

    def post(self, endpoint: Endpoint, request, key: str):
        path, body = request
        return self.staff[endpoint.who].post(path, body, key=key)


@pytest.fixture
def world(api_as, coop, teller, admin_user):
    return World(coop, teller, admin_user, api_as)


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
        assert ran_in_one_statement(queries, first.fast)
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


def _endpoint(name: str) -> Endpoint:
    return next(e for e in MONEY_MOVING if e.name == name)


def test_a_key_whose_request_posted_nothing_is_still_its_own(world):
    """A refused write-off and a loan application post nothing under their key, yet the key is
    theirs: a deposit sent with it is refused (a keyed endpoint looks for the key's record),
    and a refusal sent with a deposit's key is refused (the service looks in the books)."""
    deposit, write_off = _endpoint("deposit"), _endpoint("write_off")
    refusal = {"approve": False, "note": "Masih bisa ditagih"}
    application = {
        "member_id": world.member("a").pk,
        "product_id": world.product.pk,
        "principal": "1200000",
        "term": 12,
        "purpose": "Modal warung",
    }
    assert world.post(write_off, world.request(write_off, refusal), "k-tolak").status_code == 200
    officer = world.staff["officer"]
    assert officer.post("/loans/applications", application, key="k-aju").status_code == 201
    for key in ("k-tolak", "k-aju"):
        request = world.request(deposit)
        before = state()
        response = world.post(deposit, request, key)
        assert response.status_code == 409
        assert codes(response) == ["idempotency_key_reused"]
        assert state() == before

    assert world.post(deposit, world.request(deposit), "k-setor").status_code == 201
    other_proposal = {"path": "/loans/loans/write-offs/{write_off_b}/decision", **refusal}
    request = world.request(write_off, other_proposal)
    before = state()
    response = world.post(write_off, request, "k-setor")
    assert response.status_code == 409
    assert codes(response) == ["idempotency_key_reused"]
    assert state() == before


def test_a_payroll_rows_key_cannot_be_named_by_another_request(world):
    """The payroll confirm posts each row under `payroll:<upload>:<row>:<loan>`. An API key is
    kept as `api:<key>` (and a form's key is a UUID), so a request sent with a payroll row's
    key as its Idempotency-Key is a request of its own, never taken for that row's."""
    from koperasi.loans.models import LoanTransaction
    from koperasi.loans.payroll import import_deductions
    from koperasi.loans.payroll_views import idempotency_key

    loan_id = world["loan_repay"]
    member = world.member("a")
    result = import_deductions(
        cooperative=world.coop,
        actor=world.users["admin"],
        file_name="potong.csv",
        content=f"no_anggota;jumlah\n{member.number};100000\n".encode(),
        idempotency_key=idempotency_key("unggahan-1"),
    )
    assert result.ok and result.posted == 1, result.errors
    row = LoanTransaction.objects.get(channel="payroll")
    assert row.idempotency_key == f"payroll:unggahan-1:2:{loan_id}"

    repay = _endpoint("repay_cash")
    response = world.post(repay, world.request(repay), row.idempotency_key)
    assert response.status_code == 201
    assert response.json()["id"] != row.pk
    posted = LoanTransaction.objects.get(pk=response.json()["id"])
    assert posted.idempotency_key == f"api:{row.idempotency_key}"
