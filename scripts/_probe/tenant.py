"""Cross-tenant: cooperative A's callers try every read and write on cooperative B's records.

API: every operation of the spec with each of A's tokens (every staff role and a member's),
first with B's ids in the path (and body and query), then with A's own ids in the path and B's
ids in the body and query (pay A's loan from B's savings, disburse to B's account, a guarantor
from B...). Pages: every staff URL under /k/alfa/ with B's ids and under /k/bravo/ (GET and a
POST carrying B's ids in every field a form could read), the teller and payroll forms with B's
accounts and NIKs, and the member portal with B's ids.

A leak: a 2xx whose body shows one of B's markers, a 2xx for a path naming B's record, a 2xx
file download of B's record, any 2xx under /k/bravo/, or any change to B's rows (compared after
every write that was not refused, and for the whole phase).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from typing import Any

from _probe import books
from _probe.context import Context
from _probe.findings import Reply, Sent, is_download, revealed_marker
from _probe.fuzz import ID_KINDS, Operation, operations
from _probe.server import WebSession

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
# The id kind of a page URL's parameter, by name and (for shared names) by the route's area.
PAGE_KINDS = {
    "member_id": "member",
    "account_id": "account",
    "entry_id": "entry",
    "application_id": "application",
    "document_id": "document",
    "loan_id": "loan",
    "restructuring_id": "restructuring",
    "request_id": "write_off",
    "membership_id": "membership",
    "run_id": "run",
}


def _ids(tenant: Any, kind: str) -> int:
    # A's sukarela account (the last opened of the first member) is the useful one.
    values = tenant.ids.get(kind) or [1]
    return values[-1] if kind == "account" else values[0]


def _body_for(op: Operation, tenant: Any) -> dict[str, Any] | None:
    for method, suffix, body in BODIES:
        if op.method == method and op.template.endswith(suffix):
            filled = {}
            for name, value in body.items():
                if name in ID_KINDS and value == 0:
                    value = _ids(tenant, ID_KINDS[name])
                elif isinstance(value, list) and value == [0]:
                    value = [_ids(tenant, ID_KINDS[name])]
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
    """(label, path values, query, body) to try: B's ids everywhere; A's path with B's body."""
    a, b = ctx.world.a, ctx.world.b
    path_names = [p["name"] for p in op.params if p["in"] == "path"]
    query_ids = [p["name"] for p in op.params if p["in"] == "query" and p["name"] in ID_KINDS]
    variants = []
    b_body = _body_for(op, b)
    if path_names or query_ids or (b_body and any(k in ID_KINDS for k in b_body)):
        paths = {n: _ids(b, ID_KINDS.get(n, "")) for n in path_names}
        variants.append(("B ids", paths, {q: _ids(b, ID_KINDS[q]) for q in query_ids}, b_body))
    if path_names and (query_ids or (b_body and any(k in ID_KINDS for k in b_body))):
        paths = {n: _ids(a, ID_KINDS.get(n, "")) for n in path_names}
        variants.append(
            ("A path, B body", paths, {q: _ids(b, ID_KINDS[q]) for q in query_ids}, b_body)
        )
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


def page_routes() -> list[str]:
    """Every page route with its parameters, e.g. k/<slug:code>/anggota/<int:member_id>/."""
    from django.urls import URLResolver, get_resolver

    def walk(patterns: list[Any], prefix: str) -> list[str]:
        routes = []
        for p in patterns:
            if isinstance(p, URLResolver):
                routes += walk(p.url_patterns, prefix + str(p.pattern))
            else:
                routes.append(prefix + str(p.pattern))
        return routes

    return [r for r in walk(get_resolver().url_patterns, "") if r.startswith(("k/", "saya/"))]


_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def fill(route: str, code: str, tenant: Any) -> tuple[str, bool]:
    """The route with `code` and `tenant`'s ids; whether it names one of the tenant's records."""
    named = False

    def value(match: re.Match[str]) -> str:
        nonlocal named
        name = match.group(2)
        if name == "code":
            return code
        if name in ("year", "month"):
            return "2026" if name == "year" else "1"
        if name == "account_code":
            return "1101"
        if name == "txn_id":
            kind = "loan_txn" if route.startswith("k/<slug:code>/pinjaman") else "savings_txn"
        elif name == "product_id":
            kind = "loan_product" if "pinjaman" in route else "savings_product"
        else:
            kind = PAGE_KINDS[name]
        named = True
        return str(_ids(tenant, kind))

    return "/" + _PARAM.sub(value, route), named


def form_fields(tenant: Any, action: str = "") -> dict[str, str]:
    """Everything a form could read, with `tenant`'s ids wherever a form takes an id."""
    account = str(_ids(tenant, "account"))
    fields = {
        "member": str(_ids(tenant, "member")),
        "account": account,
        "from_account": account,
        "to_account": str(tenant.ids["account"][-2]),
        "savings_account": account,
        "product": str(_ids(tenant, "loan_product")),
        "amount": "10000",
        "principal": "1000000",
        "term": "12",
        "purpose": "uji",
        "grace_periods": "0",
        "note": "uji",
        "reason": "uji lintas koperasi",
        "channel": "savings",
        "to": "savings",
        "decision": "approve",
        "recommendation": "approve",
        "monthly_income": "10000000",
        "monthly_expenses": "0",
        "kind": "rescheduling",
        "new_term": "18",
        "new_rate": "1.5",
        "new_rate_period": "month",
        "new_method": "menurun",
        "on": dt.date.today().isoformat(),
        "role": "admin",
        "is_active": "False",
        "password": "Kata-Sandi-Baru-2026!",
        "status": "resigned",
        "title": "uji",
        "name": "Zqxalfa Diubah",
        "action": action,
    }
    for prefix in ("deposit", "withdraw", "transfer", "open", ""):
        key = str(uuid.uuid4())
        fields[f"{prefix}-idempotency_key" if prefix else "idempotency_key"] = key
        if prefix:
            for name in ("account", "from_account", "to_account", "amount", "note", "product"):
                fields[f"{prefix}-{name}"] = fields[name]
    return fields


def _page(
    ctx: Context,
    session: WebSession,
    caller: str,
    method: str,
    path: str,
    route: str,
    data: dict[str, str] | None,
    watch: Watch,
    *,
    b_record: bool,
    b_code: bool,
) -> None:
    reply = session.post(path, data) if method == "POST" else session.get(path)
    sent = Sent(method, path, "/" + route, {}, None if data is None else str(data).encode(), caller)
    ctx.judge(PHASE, sent, reply)
    ok = 200 <= reply.status < 300
    if ok and b_code:
        ctx.findings.leak(PHASE, f"{caller} got {reply.status} under /k/bravo/", sent, reply)
    elif ok and b_record and is_download(reply):
        ctx.findings.leak(
            PHASE, f"{caller} downloaded B's record ({reply.content_type})", sent, reply
        )
    elif ok and b_record and revealed_marker(reply.body, ctx.markers) is None:
        ctx.findings.note(f"{method} /{route} answered {reply.status} for B's id without B's data")
    if method == "POST":
        watch.after(PHASE, sent, reply)


def pages(ctx: Context, watch: Watch, deadline: float, b_payroll_token: str) -> int:
    a, b = ctx.world.a, ctx.world.b
    tried = 0
    sessions: dict[str, WebSession] = {}
    for role in STAFF_ROLES:
        session = WebSession(ctx.client)
        if session.login(a.staff[role].username, ctx.world.password):
            sessions[f"alfa/{role}"] = session
        else:
            ctx.findings.note(f"web login of alfa/{role} failed")
    member = WebSession(ctx.client)
    member_ok = member.login(a.member_user.username, ctx.world.password)
    routes = page_routes()
    for route in routes:
        is_portal = route.startswith("saya/")
        plans = []
        if is_portal:
            path, named = fill(route, "", b)
            if named and member_ok:
                plans.append(("alfa/member", member, path, True, False, b))
        else:
            path, named = fill(route, "alfa", b)
            if named:
                plans += [(c, s, path, True, False, b) for c, s in sessions.items()]
            # A's own record with B's ids in the form (not A's own staff pages: a password or
            # an "inactive" posted there would lock A's callers out of the rest of the run).
            if named and "pengaturan/staf/" not in route:
                a_path, _ = fill(route, "alfa", a)
                plans += [(c, s, a_path, False, False, b) for c, s in sessions.items()]
            # Under /k/bravo/ A's staff are strangers whatever their role: two roles suffice.
            b_path, _ = fill(route, "bravo", b)
            plans += [
                (c, s, b_path, False, True, b)
                for c, s in sessions.items()
                if c in ("alfa/admin", "alfa/supervisor")
            ]
        for caller, session, path, b_record, b_code, ids_from in plans:
            if time.monotonic() > deadline:
                return tried
            query = f"?q=bravo&member={_ids(b, 'member')}&page=1"
            if b_record or b_code:
                _page(
                    ctx,
                    session,
                    caller,
                    "GET",
                    path + query,
                    route,
                    None,
                    watch,
                    b_record=b_record,
                    b_code=b_code,
                )
                tried += 1
            _page(
                ctx,
                session,
                caller,
                "POST",
                path,
                route,
                form_fields(ids_from),
                watch,
                b_record=b_record,
                b_code=b_code,
            )
            tried += 1
    tried += _forms(ctx, sessions, watch, b_payroll_token)
    return tried


def _forms(ctx: Context, sessions: dict[str, WebSession], watch: Watch, b_token: str) -> int:
    """The teller's money forms with B's accounts, and payroll with B's NIKs and B's upload."""
    a, b = ctx.world.a, ctx.world.b
    tried = 0
    route = "k/<slug:code>/simpanan/"
    for caller in ("alfa/admin", "alfa/teller"):
        session = sessions.get(caller)
        if session is None:
            continue
        for member in (_ids(a, "member"), _ids(b, "member")):
            for action in ("deposit", "withdraw", "transfer", "open"):
                data = {**form_fields(b, action), "member": str(member)}
                _page(
                    ctx,
                    session,
                    caller,
                    "POST",
                    "/k/alfa/simpanan/",
                    route,
                    data,
                    watch,
                    b_record=True,
                    b_code=False,
                )
                tried += 1
    route = "k/<slug:code>/pinjaman/potong-gaji/"
    lines = "no_nik,jumlah\n" + "".join(f"{nik},300000\n" for nik in b.secrets[0:12:2])
    for caller in ("alfa/admin", "alfa/accountant"):
        session = sessions.get(caller)
        if session is None:
            continue
        reply = session.post_file("/k/alfa/pinjaman/potong-gaji/", {}, "potong.csv", lines.encode())
        sent = Sent(
            "POST", "/k/alfa/pinjaman/potong-gaji/", "/" + route, {}, lines.encode(), caller
        )
        ctx.judge(PHASE, sent, reply)
        watch.after(PHASE, sent, reply)
        token = _payroll_token(reply)
        for t in filter(None, (token, b_token)):
            data = {"action": "confirm", "token": t}
            _page(
                ctx,
                session,
                caller,
                "POST",
                "/k/alfa/pinjaman/potong-gaji/",
                route,
                data,
                watch,
                b_record=t == b_token,
                b_code=False,
            )
        tried += 3
    return tried


def _payroll_token(reply: Reply) -> str:
    match = re.search(rb'name="token" value="([0-9a-f]{32})"', reply.body)
    return match.group(1).decode() if match else ""


def b_payroll_upload(ctx: Context) -> str:
    """B's accountant uploads a good payroll file (before B's snapshot): its token is B's."""
    from koperasi.members.models import Member

    b = ctx.world.b
    session = WebSession(ctx.client)
    if not session.login(b.staff["accountant"].username, ctx.world.password):
        return ""
    number = Member.objects.get(pk=_ids(b, "member")).number
    content = f"no_anggota,jumlah\n{number},300000\n".encode()
    return _payroll_token(
        session.post_file("/k/bravo/pinjaman/potong-gaji/", {}, "gaji.csv", content)
    )


def run(ctx: Context, spec: dict[str, Any], deadline: float) -> Watch:
    b_token = b_payroll_upload(ctx)
    if not b_token:
        ctx.findings.note("B's payroll upload gave no token: its confirm was not tried from A")
    watch = Watch(ctx)
    n_api = api(ctx, spec, watch, deadline)
    n_pages = pages(ctx, watch, deadline, b_token)
    watch.after(PHASE, None, None)
    complete = "complete" if time.monotonic() <= deadline else "CUT SHORT by the budget"
    ctx.findings.coverage[PHASE] = f"{n_api} API and {n_pages} page requests ({complete})"
    return watch
