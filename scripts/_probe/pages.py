"""Cross-tenant, the pages: A's staff sessions on every staff URL under /k/alfa/ with B's ids
and under /k/bravo/, A's own records with B's ids in every field a form could read, the teller's
money forms with B's accounts, payroll with B's NIKs and B's stored upload, and A's member in the
portal with B's ids (see tenant.py for what counts as a leak)."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from typing import Any

from _probe.context import Context
from _probe.findings import Reply, Sent, is_download, revealed_marker
from _probe.server import WebSession
from _probe.tenant import PHASE, STAFF_ROLES, Watch, ids_of

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
        return str(ids_of(tenant, kind))

    return "/" + _PARAM.sub(value, route), named


def form_fields(tenant: Any, action: str = "") -> dict[str, str]:
    """Everything a form could read, with `tenant`'s ids wherever a form takes an id."""
    account = str(ids_of(tenant, "account"))
    fields = {
        "member": str(ids_of(tenant, "member")),
        "account": account,
        "from_account": account,
        "to_account": str(ids_of(tenant, "wajib")),
        "savings_account": account,
        "product": str(ids_of(tenant, "loan_product")),
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


def run(
    ctx: Context,
    watch: Watch,
    deadline: float,
    b_payroll_token: str,
    routes: list[str] | None = None,
) -> int:
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
    routes = page_routes() if routes is None else routes
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
            query = f"?q=bravo&member={ids_of(b, 'member')}&page=1"
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
        for member in (ids_of(a, "member"), ids_of(b, "member")):
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
    number = Member.objects.get(pk=ids_of(b, "member")).number
    content = f"no_anggota,jumlah\n{number},300000\n".encode()
    return _payroll_token(
        session.post_file("/k/bravo/pinjaman/potong-gaji/", {}, "gaji.csv", content)
    )
