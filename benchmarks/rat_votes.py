"""The RAT's vote: 5,000 checked-in members each vote once through the HTTP API (gunicorn, as
`koperasi serve` runs it) from concurrent client processes; then the count is checked: votes
counted = 5,000, each member once, no ballot lost or doubled. Some clients retry a vote they
already cast (a phone on a bad link): each retry must answer 409 `already_voted` and count
nothing.

    .venv/bin/python benchmarks/rat_votes.py                 # 5,000 members, 16 clients
    .venv/bin/python benchmarks/rat_votes.py --members 1000 --clients 8 --workers 2

Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust); creates and drops its own database
`bench_rat`. Prints votes per second and latency percentiles; tests never assert timings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _measure as M  # noqa: E402
import _setup as S  # noqa: E402

RETRY_SHARE = 0.05  # votes sent a second time, as a client that did not see the answer would


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _client(
    port: int, item_id: int, tokens: list[str], seed: int, barrier: Any, results: Any
) -> None:
    """One client process: its members' votes one after another on a kept-alive connection."""
    rng = random.Random(seed)
    report: dict[str, Any] = {"status": {}, "latencies_ms": [], "errors": [], "retry_codes": []}
    path = f"/api/v1/governance/items/{item_id}/votes"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    barrier.wait()
    report["start"] = time.monotonic()
    for token in tokens:
        choice = rng.choice(("agree", "agree", "agree", "disagree", "abstain"))
        attempts = 2 if rng.random() < RETRY_SHARE else 1
        for attempt in range(attempts):
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.monotonic()
            try:
                conn.request("POST", path, json.dumps({"choice": choice}), headers)
                resp = conn.getresponse()
                body = resp.read()
            except (OSError, http.client.HTTPException) as exc:
                report["errors"].append(repr(exc))
                conn.close()
                continue
            status = str(resp.status)
            report["status"][status] = report["status"].get(status, 0) + 1
            if attempt == 0:
                report["latencies_ms"].append((time.monotonic() - t0) * 1000)
                if resp.status != 201 and len(report["errors"]) < 3:
                    report["errors"].append(f"{resp.status} {body[:200]!r}")
            else:
                report["retry_codes"].append(json.loads(body)["detail"][0]["code"])
    report["end"] = time.monotonic()
    conn.close()
    results.put(report)


def build(members: int) -> tuple[int, list[str]]:
    """The cooperative, its members with portal logins and tokens, an open RAT with the motion
    open and every member checked in online (through the service)."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from koperasi.governance import services as rat
    from koperasi.members.models import Member
    from koperasi.tenancy import services as tenancy

    coop = S.create_cooperative("ratbench")
    S.copy_members(S.MemberFactory(), coop, 1, members)
    users = get_user_model()
    t0 = time.monotonic()
    with transaction.atomic():
        made = users.objects.bulk_create(
            [users(username=f"rat{i:07d}", password="!") for i in range(1, members + 1)]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE members_member m SET user_id = u.id FROM auth_user u "
                "WHERE m.cooperative_id = %s AND u.username = 'rat' || substr(m.number, 2)",
                [coop.pk],
            )
        tokens = [tenancy.issue_token(cooperative=coop, user=user) for user in made]
    log(f"{members:,} portal logins with tokens in {time.monotonic() - t0:.1f} s")
    manager = users.objects.create_user("rat-manager", password="bench-manager-2026")
    meeting = rat.create_meeting(
        cooperative=coop,
        actor=manager,
        kind="annual",
        financial_year=timezone.localdate().year - 1,
        starts_at=timezone.now() + dt.timedelta(minutes=10),
        mode="online",
        online_link="https://meet.example/rat",
    )
    item = rat.add_item(
        cooperative=coop, actor=manager, meeting_id=meeting.pk, title="LPJ", kind="motion"
    )
    rat.announce_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk, portal_url="x")
    rat.open_meeting(cooperative=coop, actor=manager, meeting_id=meeting.pk)
    t0 = time.monotonic()
    for member in Member.objects.filter(cooperative=coop).order_by("id").iterator():
        rat.check_in(
            cooperative=coop, actor=None, meeting_id=meeting.pk, member=member, channel="online"
        )
    took = time.monotonic() - t0
    log(f"{members:,} check-ins through the service in {took:.1f} s ({members / took:,.0f}/s)")
    rat.open_item(cooperative=coop, actor=manager, item_id=item.pk)
    return item.pk, tokens


def verify(item_id: int, members: int) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT member_id) FROM governance_vote WHERE item_id = %s",
            [item_id],
        )
        votes, distinct = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), coalesce(sum(weight), 0) FROM governance_ballot WHERE item_id = %s",
            [item_id],
        )
        ballots, weight = cursor.fetchone()
    return {
        "expected": members,
        "votes": votes,
        "distinct_members": distinct,
        "ballots": ballots,
        "weight": int(weight),
        "ok": votes == distinct == ballots == weight == members,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    log(f"load average at start: {os.getloadavg()}")
    S.recreate_database(S.RAT_DB)
    home = S.prepare_environment(S.RAT_DB)
    S.setup_django()
    S.migrate()
    item_id, tokens = build(args.members)

    import _http as H
    from django.db import connections

    connections.close_all()
    port = H.free_port()
    proc = H.start_gunicorn(port, args.workers, Path(home) / "gunicorn.log")
    try:
        shares = [tokens[i :: args.clients] for i in range(args.clients)]
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(args.clients + 1)
        results = ctx.Queue()
        procs = [
            ctx.Process(target=_client, args=(port, item_id, share, 7000 + n, barrier, results))
            for n, share in enumerate(shares)
        ]
        for p in procs:
            p.start()
        barrier.wait(timeout=120)
        reports = [results.get(timeout=600) for _ in procs]
        for p in procs:
            p.join(timeout=30)
    finally:
        H.stop_gunicorn(proc)

    latencies = [x for r in reports for x in r["latencies_ms"]]
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    status: dict[str, int] = {}
    for r in reports:
        for k, v in r["status"].items():
            status[k] = status.get(k, 0) + v
    retries = [c for r in reports for c in r["retry_codes"]]
    figures = {
        "members": args.members,
        "clients": args.clients,
        "gunicorn_workers": args.workers,
        "wall_s": round(wall, 2),
        "votes_per_s": round(status.get("201", 0) / wall, 1) if wall else 0.0,
        "latency": M.latency_summary(latencies),
        "status": status,
        "retries": len(retries),
        "retries_answered_409_already_voted": retries.count("already_voted"),
        "errors": [e for r in reports for e in r["errors"]][:5],
        "count": verify(item_id, args.members),
    }
    print(json.dumps(figures, indent=2))
    if not args.keep:
        connections.close_all()
        S.drop_database(S.RAT_DB)
    if not figures["count"]["ok"] or retries.count("already_voted") != len(retries):
        sys.exit("LOST OR DOUBLED VOTES")


if __name__ == "__main__":
    main()
