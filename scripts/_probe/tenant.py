"""Cross-tenant: cooperative A's callers try every read and write on cooperative B's records.

API: every operation of the spec with each of A's tokens (every staff role and a member's),
first with B's ids in the path (and body and query), then with A's own ids in the path and B's
ids in the body and query (pay A's loan from B's savings, disburse to B's account, a guarantor
from B...). The pages (pages.py): every staff URL under /k/alfa/ with B's ids and under
/k/bravo/, forms carrying B's ids, payroll with B's NIKs, and the portal with B's ids.

A leak: a 2xx whose body shows one of B's markers, a 2xx for a path naming B's record, a 2xx
file download of B's record, any 2xx under /k/bravo/, or any change to B's rows (compared after
every write that was not refused, and for the whole phase).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from _probe import books
from _probe.context import Context
from _probe.findings import Reply, Sent
from _probe.fuzz import ID_KINDS, Operation, operations

PHASE = "cross-tenant"
STAFF_ROLES = ("admin", "manager", "teller", "loan_officer", "accountant", "supervisor")

# A valid body per operation (by the end of its route); id fields are filled in per variant.
BODIES: list[tuple[str, str, dict[str, Any]]] = [
    ("PATCH", "/members/{member_id}", {"name": "Zqxalfa Diubah"}),
    ("POST", "/deposits", {"amount": "10000"}),
    ("POST", "/withdrawals", {"amount": "10000"}),
    ("POST", "/savings/transfers", {"from_account": 0, "to_account": 0, "amount": "10000"}),
    (
        "POST",
        "/loans/applications",
        {
            "member_id": 0,
            "product_id": 0,
            "principal": "1000000",
            "term": 12,
            "purpose": "uji",
        },
    ),
    ("POST", "/analysis", {"monthly_income": "10000000", "guarantor_ids": [0]}),
    ("POST", "/approve", {"note": "uji"}),
    ("POST", "/reject", {"reason": "uji lintas koperasi"}),
    ("POST", "/disburse", {"to": "savings", "savings_account_id": 0}),
    ("POST", "/repayments", {"amount": "10000", "channel": "savings", "savings_account_id": 0}),
    ("POST", "/payoff", {"amount": "10000", "channel": "savings", "savings_account_id": 0}),
    ("POST", "/reverse", {"reason": "uji lintas koperasi"}),
    ("POST", "/assess", {}),
    (
        "POST",
        "/restructurings",
        {
            "kind": "rescheduling",
            "new_term": 18,
            "new_rate": "1.5",
            "new_rate_period": "month",
            "new_method": "menurun",
            "reason": "uji",
        },
    ),
    ("POST", "/decision", {"approve": True, "note": "uji"}),
    ("POST", "/write-off", {"reason": "uji lintas koperasi"}),
    ("POST", "/recoveries", {"amount": "10000"}),
]


def ids_of(tenant: Any, kind: str) -> int:
    """One id of a kind: of an account, the last member's sukarela (a transfer goes to the
    same member's wajib); of anything else, the first."""
    if kind in ("account", "sukarela", "wajib"):
        return int(tenant.ids["sukarela" if kind == "account" else kind][-1])
    values = tenant.ids.get(kind) or [1]
    return values[0]


def _body_for(op: Operation, tenant: Any) -> dict[str, Any] | None:
    for method, suffix, body in BODIES:
        if op.method == method and op.template.endswith(suffix):
            filled = {}
            for name, value in body.items():
                if name in ID_KINDS and value == 0:
                    value = ids_of(tenant, ID_KINDS[name])
                elif isinstance(value, list) and value == [0]:
                    value = [ids_of(tenant, ID_KINDS[name])]
                filled[name] = value
            return filled
    return {} if op.body is not None else None


class Watch:
    """B's rows, compared after each write that was not refused and at the end of a phase."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.b = ctx, ctx.world.b
        self.user_ids = self.b.ids["user"]
        self.rows = books.snapshot(self.b.coop, self.user_ids)

    def after(self, phase: str, sent: Sent | None, reply: Reply | None) -> None:
        if reply is not None and 400 <= reply.status < 500:
            return
        now = books.snapshot(self.b.coop, self.user_ids)
        changed = books.differences(self.rows, now)
        if changed:
            what = "B's rows changed: " + "; ".join(changed)
            self.ctx.findings.leak(phase, what, sent, reply)
            self.rows = now


def _api_variants(
    op: Operation, ctx: Context
) -> list[tuple[str, dict[str, Any], dict[str, Any], Any]]:
    """(label, path values, query, body) to try: B's ids everywhere; then A's ids everywhere
    but one query or body field, which names B's record (transfer from A to B, disburse into
    B's savings, B's member on A's product, B's guarantor...)."""
    a, b = ctx.world.a, ctx.world.b
    path_names = [p["name"] for p in op.params if p["in"] == "path"]
    query_ids = [p["name"] for p in op.params if p["in"] == "query" and p["name"] in ID_KINDS]
    a_body, b_body = _body_for(op, a), _body_for(op, b)
    body_ids = [k for k in (b_body or {}) if k in ID_KINDS]
    if not (path_names or query_ids or body_ids):
        return []
    paths_b = {n: ids_of(b, ID_KINDS.get(n, "")) for n in path_names}
    query_b = {q: ids_of(b, ID_KINDS[q]) for q in query_ids}
    variants = [("B ids", paths_b, query_b, b_body)]
    paths_a = {n: ids_of(a, ID_KINDS.get(n, "")) for n in path_names}
    query_a = {q: ids_of(a, ID_KINDS[q]) for q in query_ids}
    for name in query_ids:
        variants.append((f"A ids, B {name}", paths_a, {**query_a, name: query_b[name]}, a_body))
    for name in body_ids:
        assert a_body is not None and b_body is not None
        variants.append((f"A ids, B {name}", paths_a, query_a, {**a_body, name: b_body[name]}))
    return variants


def api(ctx: Context, spec: dict[str, Any], watch: Watch, deadline: float) -> int:
    import json
    import urllib.parse

    tried = 0
    callers = [f"alfa/{r}" for r in STAFF_ROLES] + ["alfa/member"]
    for op in operations(spec):
        if op.template.endswith(("/auth/revoke", "/auth/token")):
            continue
        for label, paths, query, body in _api_variants(op, ctx):
            path = op.template
            for name, value in paths.items():
                path = path.replace(f"{{{name}}}", str(value))
            if query:
                path += "?" + urllib.parse.urlencode(query)
            for caller in callers:
                if time.monotonic() > deadline:
                    return tried
                headers = {"Authorization": f"Bearer {ctx.token(caller)}", "Accept-Language": "id"}
                headers["Idempotency-Key"] = f"tenant-{uuid.uuid4()}"
                data = None
                if body is not None:
                    data = json.dumps(body).encode()
                    headers["Content-Type"] = "application/json"
                sent = Sent(op.method, path, op.template, headers, data, caller)
                reply = ctx.send(PHASE, sent)
                tried += 1
                if 200 <= reply.status < 300 and label == "B ids" and paths:
                    ctx.findings.leak(
                        PHASE, f"{label}: answered {reply.status} for B's record", sent, reply
                    )
                if op.method != "GET":
                    watch.after(PHASE, sent, reply)
    # A's login asking for a token of B; A's staff searching for B's members.
    a_admin = ctx.world.a.staff["admin"].username
    body = json.dumps({"username": a_admin, "password": ctx.world.password, "cooperative": "bravo"})
    sent = Sent(
        "POST",
        "/api/v1/auth/token",
        "/api/v1/auth/token",
        {"Content-Type": "application/json"},
        body.encode(),
        "alfa/admin",
    )
    reply = ctx.send(PHASE, sent)
    if 200 <= reply.status < 300:
        ctx.findings.leak(PHASE, "A's login got a token for cooperative bravo", sent, reply)
    for q in ("bravo", "Anggota", ctx.world.b.secrets[0][-6:]):
        for caller in callers:
            path = "/api/v1/members?" + urllib.parse.urlencode({"q": q})
            headers = {"Authorization": f"Bearer {ctx.token(caller)}"}
            ctx.send(PHASE, Sent("GET", path, "/api/v1/members", headers, None, caller))
            tried += 1
    return tried


def run(
    ctx: Context, spec: dict[str, Any], deadline: float, routes: list[str] | None = None
) -> Watch:
    from _probe import pages

    b_token = pages.b_payroll_upload(ctx)
    if not b_token:
        ctx.findings.note("B's payroll upload gave no token: its confirm was not tried from A")
    watch = Watch(ctx)
    n_api = api(ctx, spec, watch, deadline)
    n_pages = pages.run(ctx, watch, deadline, b_token, routes)
    watch.after(PHASE, None, None)
    complete = "complete" if time.monotonic() <= deadline else "CUT SHORT by the budget"
    ctx.findings.coverage[PHASE] = f"{n_api} API and {n_pages} page requests ({complete})"
    return watch
