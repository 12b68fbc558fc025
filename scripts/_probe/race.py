"""Concurrency: many clients at once on the same few accounts and loans of cooperative A.

Deposits, withdrawals (often more than the balance), transfers and repayments, each sent one to
three times under one Idempotency-Key by different threads at the same moment, a few keys
reused for a different request, and concurrent confirms of one payroll file. Afterwards: the
movements under each key against the answers (double posts), every balance against zero and
against Σ of its movements (overdrafts), and `koperasi check`.
"""

from __future__ import annotations

import json
import queue
import random
import re
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from _probe import books, world
from _probe.context import Context
from _probe.findings import Sent
from _probe.server import WebSession

PHASE = "concurrency"


@dataclass
class Op:
    kind: str  # deposit, withdraw, transfer, repay
    key: str
    path: str
    template: str
    body: dict[str, Any]
    answers: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Targets:
    sukarela: list[int]
    wajib: list[int]
    loans: list[int]


def prepare_targets(ctx: Context, members: int = 3) -> Targets:
    """Members made for this phase only (the fuzz never saw their ids), each with a loan."""
    from koperasi.savings.models import SavingsAccount

    a = ctx.world.a
    targets = Targets([], [], [])
    for i in range(members):
        member = world.add_member(a, 1500 + i, i, Decimal("1000000"))
        accounts = dict(
            SavingsAccount.objects.filter(member=member).values_list("product__kind", "pk")
        )
        targets.sukarela.append(accounts["sukarela"])
        targets.wajib.append(accounts["wajib"])
        loan = world.make_loan(a, member, stage="disbursed", principal="10000000", months_ago=1)
        targets.loans.append(loan.pk)
    return targets


REPAY_AMOUNTS = [1000, 25000, 100000, 250000, 400000]
SAVINGS_AMOUNTS = [1000, 25000, 100000, 250000, 400000, 900000, 5000000]  # overdraws too


def make_op(rng: random.Random, targets: Targets, kind: str, key: str) -> Op:
    i = rng.randrange(len(targets.sukarela))
    amount = str(rng.choice(REPAY_AMOUNTS if kind == "repay" else SAVINGS_AMOUNTS))
    if kind == "deposit":
        account = rng.choice([targets.sukarela[i], targets.wajib[i]])
        path = f"/api/v1/savings/accounts/{account}/deposits"
        return Op(
            kind, key, path, "/api/v1/savings/accounts/{account_id}/deposits", {"amount": amount}
        )
    if kind == "withdraw":
        path = f"/api/v1/savings/accounts/{targets.sukarela[i]}/withdrawals"
        return Op(
            kind, key, path, "/api/v1/savings/accounts/{account_id}/withdrawals", {"amount": amount}
        )
    if kind == "transfer":
        body = {
            "from_account": targets.sukarela[i],
            "to_account": targets.wajib[i],
            "amount": amount,
        }
        return Op(kind, key, "/api/v1/savings/transfers", "/api/v1/savings/transfers", body)
    path = f"/api/v1/loans/loans/{targets.loans[i]}/repayments"
    return Op(kind, key, path, "/api/v1/loans/loans/{loan_id}/repayments", {"amount": amount})


def make_work(rng: random.Random, targets: Targets, n: int) -> tuple[list[Op], list[Op]]:
    """(requests, work): each request sent one to three times, and a few of its keys sent
    again with another request (another amount or another operation), which must be refused."""
    kinds = ["deposit", "withdraw", "withdraw", "transfer", "repay"]
    ops, work = [], []
    for _ in range(n):
        op = make_op(rng, targets, rng.choice(kinds), f"race-{uuid.uuid4()}")
        ops.append(op)
        work += [op] * rng.choice([1, 2, 2, 3])
        if rng.random() < 0.08:
            other = make_op(rng, targets, rng.choice(kinds), op.key)
            if other.path == op.path and other.body == op.body:
                other.body = {**other.body, "amount": str(int(other.body["amount"]) + 1)}
            ops.append(other)
            work.append(other)
    rng.shuffle(work)
    return ops, work


def _send(ctx: Context, token: str, op: Op) -> None:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": op.key,
    }
    sent = Sent("POST", op.path, op.template, headers, json.dumps(op.body).encode(), "alfa/teller")
    reply = ctx.client.request("POST", op.path, headers, sent.body)
    ctx.judge(PHASE, sent, reply, sequential=False)
    op.answers.append((reply.status, reply.body.decode("utf-8", "replace")))


def run(
    ctx: Context, deadline: float, threads: int, seed: int, rounds_limit: int | None = None
) -> None:
    rng = random.Random(seed)
    targets = prepare_targets(ctx)
    payroll = _payroll_confirms(ctx, targets, threads)  # first, while every loan is active
    token = ctx.token("alfa/teller")
    requests: list[Op] = []
    rounds = 0
    while time.monotonic() < deadline and (rounds_limit is None or rounds < rounds_limit):
        rounds += 1
        ops, work = make_work(rng, targets, 6 * threads)
        requests += ops
        _in_threads(threads, work, lambda op: _send(ctx, token, op), deadline)
    _judge(ctx, requests)
    keys = len({op.key for op in requests})
    ctx.findings.coverage[PHASE] = (
        f"{keys} keys ({len(requests)} distinct requests) in {rounds} rounds by {threads} "
        f"threads; {payroll}"
    )


def _in_threads(n: int, work: list[Any], do: Any, deadline: float) -> None:
    items: queue.Queue[Any] = queue.Queue()
    for item in work:
        items.put(item)

    def worker() -> None:
        from django.db import connections

        try:
            while time.monotonic() < deadline + 30:
                try:
                    item = items.get_nowait()
                except queue.Empty:
                    return
                do(item)
        finally:
            connections.close_all()  # this thread's own, if it opened one

    pool = [threading.Thread(target=worker) for _ in range(n)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()


def _canonical(body: str) -> str:
    """The answer's JSON with sorted keys (PostgreSQL's jsonb keeps a replayed answer's keys in
    its own order)."""
    try:
        return json.dumps(json.loads(body), sort_keys=True)
    except ValueError:
        return body


def _judge(ctx: Context, requests: list[Op]) -> None:
    by_key: dict[str, list[tuple[str, bool, str]]] = defaultdict(list)
    unknown: set[str] = set()
    for op in requests:
        accepted = {_canonical(body) for status, body in op.answers if 200 <= status < 300}
        if len(accepted) > 1:
            ctx.findings.note(f"{op.kind}: retries of one request got different 2xx answers")
        if any(status == 0 for status, _ in op.answers) and not accepted:
            unknown.add(op.key)  # no answer: its fate is unknown (already a server error)
        by_key[op.key].append((op.kind, bool(accepted), f"{op.kind} {op.path} {op.body}"))
    outcomes = {key: reqs for key, reqs in by_key.items() if key not in unknown}
    for op in requests:
        failed = sorted({s for s, _ in op.answers if s >= 500})
        others = [r[2] for r in by_key[op.key] if r[2] != f"{op.kind} {op.path} {op.body}"]
        if failed and others:
            ctx.findings.note(
                f"{op.kind} answered {failed} when its key had also been sent with: {others[0]}"
            )
    ctx.findings.double_posts += books.double_posts(ctx.world.a.coop, outcomes)
    if ctx.server is not None:
        for cause in sorted(set(ctx.server.causes_since_last())):
            ctx.findings.note(f"server log during the concurrent run: {cause}")


def _message(page: str) -> str:
    """The flash message of a page, or its start."""
    match = re.search(r'class="[^"]*(?:error|warning|alert)[^"]*"[^>]*>\s*([^<]{5,200})', page)
    return match.group(1).strip() if match else page[:200]


def _payroll_confirms(ctx: Context, targets: Targets, threads: int) -> str:
    """One payroll file confirmed by several clients at once: each loan is paid once."""
    from koperasi.loans.models import Loan, LoanTransaction

    a = ctx.world.a
    session = WebSession(ctx.client)
    if not session.login(a.staff["accountant"].username, ctx.world.password):
        ctx.findings.note("payroll: the accountant's web login failed")
        return "payroll not tried"
    numbers = Loan.objects.filter(pk__in=targets.loans).values_list("member__number", flat=True)
    content = "no_anggota,jumlah\n" + "".join(f"{n},150000\n" for n in numbers)
    path = f"/k/{a.code}/pinjaman/potong-gaji/"
    reply = session.post_file(path, {}, "gaji.csv", content.encode())
    match = re.search(rb'name="token" value="([0-9a-f]{32})"', reply.body)
    if match is None:
        ctx.findings.note(f"payroll: the upload was refused ({reply.status}): {reply.excerpt()}")
        return "payroll upload refused"
    token = match.group(1).decode()
    statuses: list[int] = []
    refusals: list[str] = []

    def confirm(_: Any) -> None:
        clone = WebSession(ctx.client)
        clone.cookies = dict(session.cookies)
        answer = clone.post(path, {"action": "confirm", "token": token})
        sent = Sent(
            "POST",
            path,
            "/k/<code>/pinjaman/potong-gaji/",
            {},
            b"action=confirm",
            "alfa/accountant",
        )
        ctx.judge(PHASE, sent, answer, sequential=False)
        statuses.append(answer.status)
        if answer.status not in (200, 409):
            refusals.append(answer.excerpt(2000))

    _in_threads(threads, list(range(threads)), confirm, time.monotonic() + 60)
    per_loan: dict[int, int] = defaultdict(int)
    for loan_id in LoanTransaction.objects.filter(
        cooperative=a.coop, idempotency_key__startswith=f"payroll:{token}"
    ).values_list("loan_id", flat=True):
        per_loan[loan_id] += 1
    for loan_id, n in per_loan.items():
        if n > 1:
            ctx.findings.double_posts.append(
                f"payroll file {token}: loan id {loan_id} paid {n} times"
            )
    if refusals:
        ctx.findings.note(f"payroll: a confirm answered {statuses}: {_message(refusals[0])}")
    posted = statuses.count(200)
    if posted > 1:
        ctx.findings.note(
            f"payroll: {posted} of {len(statuses)} concurrent confirms of one file answered 200 "
            "'posted' (the rows posted once; one success and 409s expected)"
        )
    return f"payroll confirms {sorted(statuses)}"
