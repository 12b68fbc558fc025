"""Issue 12 point 6: the published OpenAPI document tells the truth.

- Every ninja Schema of the project has its own name, so no component of the document stands
  for two shapes (savings once shared `AccountOut` with the ledger and `TransactionOut` with
  loans, and six savings operations documented the other app's shape).
- Every operation in the document (each path and method, read from the document itself) is
  called with real data, and each real response body is validated against the schema the
  document publishes for its status, with `$ref`s resolved into the components. An operation
  without an entry in CALLS fails the test, so a new endpoint cannot go unchecked.
"""

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from ninja import Schema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

import koperasi.api  # noqa: F401  (every router, so every Schema class is defined)
from koperasi.loans.models import LoanProduct
from koperasi.members.models import Member
from koperasi.savings.models import SavingsAccount
from tests.api.conftest import Api, token_for
from tests.api.loans.book import build_book, macet_loan
from tests.api.loans.conftest import (  # noqa: F401  (fixtures)
    manager,
    officer,
    staff,
)
from tests.conftest import PASSWORD, member_input

SPEC_URI = "urn:koperasi:openapi"
PREFIX = "/api/v1"


def project_schemas() -> list[type[Schema]]:
    found, stack = [], [Schema]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("koperasi."):
                found.append(sub)
    return found


def test_every_schema_has_its_own_name(client, db):
    names = Counter(cls.__name__ for cls in project_schemas())
    shared = {
        name: sorted(
            f"{c.__module__}.{c.__qualname__}" for c in project_schemas() if c.__name__ == name
        )
        for name, n in names.items()
        if n > 1
    }
    assert shared == {}
    spec = client.get(f"{PREFIX}/openapi.json").json()
    components = spec["components"]["schemas"]
    # Every component is one of ours, named after it: none stands for another class's shape.
    assert set(components) <= set(names), set(components) - set(names)
    for ref in _refs(spec["paths"]):
        assert ref.removeprefix("#/components/schemas/") in components, ref


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


# ---------------------------------------------------------------- calling every operation


@dataclasses.dataclass
class World:
    """Real data of one cooperative and an API client per role."""

    api: dict[str, Api]
    book: dict[str, int]
    ids: dict[str, int]


Call = Callable[[World], Any]


def _member_body() -> dict[str, Any]:
    data = dataclasses.asdict(member_input())
    data["birth_date"] = data["birth_date"].isoformat()
    return {k: v for k, v in data.items() if v not in (None, "")}


def _remember(world: World, name: str, response: Any) -> Any:
    if 200 <= response.status_code < 300 and response.content:
        world.ids[name] = response.json()["id"]
    return response


def _new_application(world: World) -> Any:
    body = {
        "member_id": world.book["member"],
        "product_id": world.book["product"],
        "principal": "1200000",
        "term": 12,
        "purpose": "Modal warung",
    }
    return _remember(world, "application", world.api["officer"].post("/loans/applications", body))


def _payoff(world: World) -> Any:
    loan = world.ids["loan"]
    quote = world.api["teller"].get(f"/loans/loans/{loan}/settlement-quote").json()
    body = {"amount": quote["total"], "channel": "teller"}
    return world.api["teller"].post(f"/loans/loans/{loan}/payoff", body, key="c-payoff")


ANALYSIS = {"monthly_income": "5000000", "monthly_expenses": "2000000"}
RESTRUCTURE = {
    "kind": "rescheduling",
    "new_term": 24,
    "new_rate": "1.5",
    "new_rate_period": "month",
    "new_method": "menurun",
    "reason": "Usaha sepi",
}
SIMULATION = {
    "principal": "10000000",
    "rate": "1.5",
    "rate_period": "month",
    "months": 12,
    "method": "anuitas",
}

# How to call each operation of the document, in the order they run (later calls use what
# earlier ones made). Keyed by method and path as the document spells them.
CALLS: dict[tuple[str, str], Call] = {
    ("post", "/auth/token"): lambda w: w.api["anon"].post(
        "/auth/token", {"username": "kasir", "password": PASSWORD}
    ),
    ("get", "/members"): lambda w: w.api["admin"].get("/members"),
    ("post", "/members"): lambda w: _remember(
        w, "member", w.api["admin"].post("/members", _member_body())
    ),
    ("get", "/members/{member_id}"): lambda w: w.api["admin"].get(f"/members/{w.ids['member']}"),
    ("patch", "/members/{member_id}"): lambda w: w.api["admin"].patch(
        f"/members/{w.ids['member']}", {"occupation": "Petani"}
    ),
    ("get", "/savings/accounts"): lambda w: w.api["teller"].get("/savings/accounts"),
    ("get", "/savings/accounts/{account_id}"): lambda w: w.api["teller"].get(
        f"/savings/accounts/{w.book['sukarela']}"
    ),
    ("post", "/savings/accounts/{account_id}/deposits"): lambda w: w.api["teller"].post(
        f"/savings/accounts/{w.book['sukarela']}/deposits", {"amount": "75000"}, key="c-dep"
    ),
    ("post", "/savings/accounts/{account_id}/withdrawals"): lambda w: w.api["teller"].post(
        f"/savings/accounts/{w.book['sukarela']}/withdrawals", {"amount": "25000"}, key="c-wd"
    ),
    ("post", "/savings/transfers"): lambda w: w.api["teller"].post(
        "/savings/transfers",
        {"from_account": w.book["sukarela"], "to_account": w.book["wajib"], "amount": "10000"},
        key="c-tf",
    ),
    ("get", "/savings/accounts/{account_id}/statement"): lambda w: w.api["teller"].get(
        f"/savings/accounts/{w.book['sukarela']}/statement"
    ),
    ("get", "/ledger/trial-balance"): lambda w: w.api["admin"].get("/ledger/trial-balance"),
    ("get", "/reports/portfolio"): lambda w: w.api["admin"].get("/reports/portfolio"),
    ("get", "/ledger/accounts"): lambda w: w.api["admin"].get("/ledger/accounts"),
    ("get", "/ledger/entries"): lambda w: w.api["admin"].get("/ledger/entries?limit=20"),
    ("get", "/reports/balance-sheet"): lambda w: w.api["admin"].get("/reports/balance-sheet"),
    ("get", "/reports/income-statement"): lambda w: w.api["admin"].get("/reports/income-statement"),
    ("get", "/reports/equity-changes"): lambda w: w.api["admin"].get("/reports/equity-changes"),
    ("get", "/reports/cash-flow"): lambda w: w.api["admin"].get("/reports/cash-flow"),
    ("get", "/reports/trial-balance"): lambda w: w.api["admin"].get("/reports/trial-balance"),
    ("get", "/reports/health"): lambda w: w.api["admin"].get("/reports/health"),
    ("get", "/shu/{year}/simulation"): lambda w: w.api["admin"].get(
        f"/shu/{_closed_year(w)}/simulation"
    ),
    ("get", "/shu/{year}/me"): lambda w: w.api["member"].get(f"/shu/{_closed_year(w)}/me"),
    ("post", "/loans/simulate"): lambda w: w.api["anon"].post("/loans/simulate", SIMULATION),
    ("get", "/loans/products"): lambda w: w.api["officer"].get("/loans/products"),
    ("get", "/loans/products/{product_id}"): lambda w: w.api["officer"].get(
        f"/loans/products/{w.book['product']}"
    ),
    ("post", "/loans/applications"): _new_application,
    ("get", "/loans/applications"): lambda w: w.api["officer"].get("/loans/applications"),
    ("get", "/loans/applications/{application_id}"): lambda w: w.api["officer"].get(
        f"/loans/applications/{w.ids['application']}"
    ),
    ("post", "/loans/applications/{application_id}/analysis"): lambda w: w.api["officer"].post(
        f"/loans/applications/{w.book['submitted']}/analysis", ANALYSIS
    ),
    ("post", "/loans/applications/{application_id}/approve"): lambda w: w.api["manager"].post(
        f"/loans/applications/{w.book['submitted']}/approve", {"note": "Layak"}
    ),
    ("post", "/loans/applications/{application_id}/reject"): lambda w: w.api["manager"].post(
        f"/loans/applications/{w.ids['application']}/reject", {"reason": "Belum layak"}
    ),
    ("post", "/loans/applications/{application_id}/disburse"): lambda w: _remember(
        w,
        "loan",
        w.api["teller"].post(
            f"/loans/applications/{w.book['application']}/disburse", {"to": "cash"}, key="c-cair"
        ),
    ),
    ("get", "/loans/loans"): lambda w: w.api["officer"].get("/loans/loans"),
    ("get", "/loans/loans/{loan_id}"): lambda w: w.api["officer"].get(
        f"/loans/loans/{w.ids['loan']}"
    ),
    ("get", "/loans/loans/{loan_id}/schedule"): lambda w: w.api["officer"].get(
        f"/loans/loans/{w.ids['loan']}/schedule"
    ),
    ("post", "/loans/loans/{loan_id}/repayments"): lambda w: _remember(
        w,
        "repayment",
        w.api["teller"].post(
            f"/loans/loans/{w.ids['loan']}/repayments", {"amount": "50000"}, key="c-ang"
        ),
    ),
    ("get", "/loans/loans/{loan_id}/transactions"): lambda w: w.api["officer"].get(
        f"/loans/loans/{w.ids['loan']}/transactions"
    ),
    ("post", "/loans/loans/transactions/{transaction_id}/reverse"): lambda w: w.api["teller"].post(
        f"/loans/loans/transactions/{w.ids['repayment']}/reverse",
        {"reason": "Salah input"},
        key="c-batal",
    ),
    ("get", "/loans/loans/{loan_id}/settlement-quote"): lambda w: w.api["officer"].get(
        f"/loans/loans/{w.ids['loan']}/settlement-quote"
    ),
    ("post", "/loans/loans/{loan_id}/payoff"): _payoff,
    ("post", "/loans/loans/{loan_id}/assess"): lambda w: w.api["officer"].post(
        f"/loans/loans/{w.book['loan']}/assess", {}
    ),
    ("post", "/loans/loans/restructurings/{restructuring_id}/decision"): lambda w: w.api[
        "manager"
    ].post(
        f"/loans/loans/restructurings/{w.book['restructuring']}/decision",
        {"approve": False, "note": "Belum perlu"},
    ),
    ("post", "/loans/loans/{loan_id}/restructurings"): lambda w: w.api["officer"].post(
        f"/loans/loans/{w.book['loan']}/restructurings", RESTRUCTURE
    ),
    ("post", "/loans/loans/{loan_id}/write-off"): lambda w: w.api["officer"].post(
        f"/loans/loans/{w.book['macet_2']}/write-off", {"reason": "Tidak tertagih"}
    ),
    ("post", "/loans/loans/write-offs/{request_id}/decision"): lambda w: w.api["admin"].post(
        f"/loans/loans/write-offs/{w.book['write_off']}/decision", {"approve": True}, key="c-wo"
    ),
    ("post", "/loans/loans/{loan_id}/recoveries"): lambda w: w.api["teller"].post(
        f"/loans/loans/{w.book['written_off']}/recoveries", {"amount": "100000"}, key="c-rec"
    ),
    ("get", "/governance/meetings/{meeting_id}"): lambda w: w.api["voter"].get(
        f"/governance/meetings/{w.book['rat_meeting']}"
    ),
    ("post", "/governance/meetings/{meeting_id}/check-in"): lambda w: w.api["teller"].post(
        f"/governance/meetings/{w.book['rat_meeting']}/check-in", {"member_id": w.book["member"]}
    ),
    ("post", "/governance/items/{item_id}/votes"): lambda w: w.api["voter"].post(
        f"/governance/items/{w.book['rat_item']}/votes", {"choice": "agree"}
    ),
    ("get", "/governance/items/{item_id}/results"): lambda w: w.api["admin"].get(
        f"/governance/items/{w.book['rat_item']}/results"
    ),
    # Last: it ends the token it is made with.
    ("post", "/auth/revoke"): lambda w: w.api["revoking"].post("/auth/revoke"),
}


def _rat(coop, chair, member) -> dict[str, Any]:
    """An open RAT with its motion open; a second member checked in online, who votes."""
    import datetime as dt

    from django.utils import timezone

    from koperasi.governance import services as rat
    from koperasi.members import services as members
    from tests.conftest import make_member

    meeting = rat.create_meeting(
        cooperative=coop,
        actor=chair,
        kind="annual",
        financial_year=timezone.localdate().year,
        starts_at=timezone.now() + dt.timedelta(hours=1),
        mode="hybrid",
        place="Aula",
        online_link="https://meet.example/rat",
    )
    item = rat.add_item(
        cooperative=coop, actor=chair, meeting_id=meeting.pk, title="LPJ", kind="motion"
    )
    rat.announce_meeting(cooperative=coop, actor=chair, meeting_id=meeting.pk, portal_url="x")
    rat.open_meeting(cooperative=coop, actor=chair, meeting_id=meeting.pk)
    voter = make_member(coop, None)
    rat.check_in(
        cooperative=coop, actor=None, meeting_id=meeting.pk, member=voter, channel="online"
    )
    rat.open_item(cooperative=coop, actor=chair, item_id=item.pk)
    user = members.create_portal_login(
        cooperative=coop, actor=None, member=voter, password=PASSWORD, username="pemilih"
    )
    return {"rat_meeting": meeting.pk, "rat_item": item.pk, "rat_voter_user": user}


@pytest.fixture
def world(client, coop, officer, manager, teller, admin_user):  # noqa: F811
    book = build_book(coop, officer, manager, teller, admin_user)
    member = Member.objects.get(pk=book["member"])
    book["wajib"] = SavingsAccount.objects.get(member=member, product__kind="wajib").pk
    product = LoanProduct.objects.get(pk=book["product"])
    book["macet_2"] = macet_loan(coop, member, product, officer, manager, teller).pk
    from koperasi.members import services as members

    portal = members.create_portal_login(
        cooperative=coop, actor=None, member=member, password="kopi-manggarai-77", username="m1"
    )
    book.update(_rat(coop, manager, member))
    api = {
        "member": Api(client, token_for(portal, coop)),
        "voter": Api(client, token_for(book["rat_voter_user"], coop)),
        "anon": Api(client),
        "officer": Api(client, token_for(officer, coop)),
        "manager": Api(client, token_for(manager, coop)),
        "teller": Api(client, token_for(teller, coop)),
        "admin": Api(client, token_for(admin_user, coop)),
        "revoking": Api(client, token_for(teller, coop)),
    }
    return World(api=api, book=book, ids={})


def _validator(spec: dict[str, Any], *pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` inside the document, so that its `$ref`s resolve
    into the document's components."""
    registry = Registry().with_resource(
        SPEC_URI, Resource(contents=spec, specification=DRAFT202012)
    )
    escaped = (quote(part.replace("~", "~0").replace("/", "~1"), safe="") for part in pointer)
    root = {"$ref": f"{SPEC_URI}#/" + "/".join(escaped)}
    return Draft202012Validator(root, registry=registry, format_checker=FormatChecker())


def _response_validator(spec: dict[str, Any], path: str, method: str, status: str):
    return _validator(
        spec,
        "paths",
        PREFIX + path,
        method,
        "responses",
        status,
        "content",
        "application/json",
        "schema",
    )


def _closed_year(w: Any) -> int:
    """Last year, closed (its months and the year) the first time a call needs it."""
    if "closed_year" not in w.ids:
        from koperasi.ledger import services as ledger
        from koperasi.shu import services as shu

        coop = Member.objects.get(pk=w.book["member"]).cooperative
        year = ledger.business_today(coop).year - 1
        ledger.close_month(cooperative=coop, actor=None, year=year, month=12, by_close=True)
        shu.close_year(cooperative=coop, actor=None, year=year)
        w.ids["closed_year"] = year
    return w.ids["closed_year"]


def _operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path.removeprefix(PREFIX))
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_answers_what_the_document_says(client, world):
    spec = client.get(f"{PREFIX}/openapi.json").json()
    operations = _operations(spec)
    assert set(operations) == set(CALLS), {
        "in the document without a call here": sorted(set(operations) - set(CALLS)),
        "here but not in the document": sorted(set(CALLS) - set(operations)),
    }
    problems = []
    for (method, path), call in CALLS.items():
        response = call(world)
        status = str(response.status_code)
        documented = spec["paths"][PREFIX + path][method]["responses"]
        if not 200 <= response.status_code < 300:
            problems.append((method, path, status, response.content[:300]))
            continue
        if status not in documented:
            problems.append((method, path, status, "status not documented"))
            continue
        content = documented[status].get("content")
        if content is None:
            if response.content:
                problems.append((method, path, status, "a body where none is documented"))
            continue
        validator = _response_validator(spec, path, method, status)
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        for error in errors[:3]:
            problems.append((method, path, status, f"{list(error.path)}: {error.message}"))
    assert problems == []


def test_error_answers_match_the_published_error_schema(client, world):
    spec = client.get(f"{PREFIX}/openapi.json").json()
    refusals = [
        ("get", "/members/{member_id}", world.api["admin"].get("/members/999999")),
        ("post", "/loans/simulate", world.api["anon"].post("/loans/simulate", {"months": 0})),
        (
            "post",
            "/savings/accounts/{account_id}/deposits",
            world.api["teller"].post(
                f"/savings/accounts/{world.book['sukarela']}/deposits", {"amount": "0"}, key="c-nol"
            ),
        ),
        ("get", "/members", world.api["anon"].get("/members")),
    ]
    for method, path, response in refusals:
        status = str(response.status_code)
        documented = spec["paths"][PREFIX + path][method]["responses"]
        assert status in documented, (path, status)
        _response_validator(spec, path, method, status).validate(response.json())
