"""Member search at a million members: top-up, a realistic query mix, timings and plans."""

from __future__ import annotations

import random
import re
import string
import time
from typing import Any

import _measure as M
import _setup as S

PAGE = 26  # a page of 25 plus one, to know whether there is a next page
SHORT_KIND = "name_1_2_letters"
COMMON_FRAGMENTS = [
    "siti",
    "budi",
    "wati",
    "nur",
    "putra",
    "dewi",
    "agus",
    "sari",
    "santoso",
    "wijaya",
    "yanto",
    "maria",
]


def top_up_members(factory: S.MemberFactory, coop: Any, have: int, want: int) -> dict[str, float]:
    """Add members up to `want`; the search indexes are rebuilt after the load, not row by row."""
    timings: dict[str, float] = {}
    if want > have:
        forward, backward = S.search_index_sql()
        t0 = time.monotonic()
        S.run_sql(*backward)
        timings["copy_s"] = round(S.copy_members(factory, coop, have + 1, want - have), 1)
        t1 = time.monotonic()
        S.run_sql(*forward)
        timings["build_search_indexes_s"] = round(time.monotonic() - t1, 1)
        timings["total_s"] = round(time.monotonic() - t0, 1)
    t2 = time.monotonic()
    S.run_sql("VACUUM ANALYZE members_member")
    timings["vacuum_analyze_s"] = round(time.monotonic() - t2, 1)
    return timings


def search_queries(coop: Any, total: int, per_kind: int, seed: int) -> dict[str, list[str]]:
    """A realistic mix built from members that exist (and random fragments for rare names)."""
    from koperasi.members.models import Member

    rng = random.Random(seed)
    numbers = [S.member_number(rng.randint(1, total)) for _ in range(per_kind * 2)]
    sample = list(
        Member.objects.filter(cooperative=coop, number__in=numbers).values_list(
            "name", "nik", "phone", "number"
        )
    )
    rng.shuffle(sample)
    sample = sample[:per_kind]
    letters = string.ascii_lowercase
    return {
        "name_common": [rng.choice(COMMON_FRAGMENTS) for _ in range(per_kind)],
        "name_rare": ["".join(rng.choice(letters) for _ in range(3)) for _ in range(per_kind)],
        "name_full": [s[0] for s in sample],
        "number_prefix": [s[3][: rng.randint(5, 8)] for s in sample],
        "nik_prefix": [s[1][: rng.randint(8, 12)] for s in sample],
        # As typed at the counter: "0812…" for the stored "+62812…".
        "phone": ["0" + s[2][3 : 3 + rng.randint(6, 10)] for s in sample],
        # Not in the mix, reported apart: what a search-as-you-type box sends first.
        SHORT_KIND: [
            "".join(rng.choice(letters) for _ in range(rng.randint(1, 2)))
            for _ in range(min(per_kind, 40))
        ],
    }


def explain(coop: Any, query: str) -> dict[str, Any]:
    from django.db import connection

    from koperasi.members.selectors import search_members

    sql, params = search_members(cooperative=coop, query=query)[:PAGE].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    text = "\n".join(plan)
    exec_ms = re.search(r"Execution Time: ([\d.]+) ms", text)
    return {
        "query": query,
        "sql": sql,
        "params": [str(p) for p in params],
        "indexes": re.findall(r"Index(?: Only)? Scan(?: Backward)? (?:using|on) (\w+)", text),
        "seq_scan": "Seq Scan" in text,
        "execution_ms": float(exec_ms.group(1)) if exec_ms else None,
        "plan": plan,
    }


def run_search(
    coop: Any, total: int, per_kind: int, want_explain: bool, max_seconds_per_kind: float = 60.0
) -> dict[str, Any]:
    """`search_members` + fetching the first page, timed per query kind."""
    from koperasi.members.selectors import search_members

    queries = search_queries(coop, total, per_kind, seed=7)
    warm = search_queries(coop, total, max(5, per_kind // 5), seed=8)
    for kind_queries in warm.values():  # the first touch of an index is not what users see
        for q in kind_queries:
            list(search_members(cooperative=coop, query=q)[:PAGE])
    per_kind: dict[str, Any] = {}
    everything: list[float] = []
    short: list[float] = []
    for kind, kind_queries in queries.items():
        times: list[float] = []
        rows: list[int] = []
        slowest = ("", 0.0)
        started = time.monotonic()
        for q in kind_queries:
            t0 = time.perf_counter()
            page = list(search_members(cooperative=coop, query=q)[:PAGE])
            ms = (time.perf_counter() - t0) * 1000
            times.append(ms)
            rows.append(len(page))
            if ms > slowest[1]:
                slowest = (q, ms)
            if time.monotonic() - started > max_seconds_per_kind:
                break  # bounded even if one kind of query turns out very slow
        (short if kind == SHORT_KIND else everything).extend(times)
        per_kind[kind] = {
            **M.latency_summary(times),
            "mean_rows_on_first_page": round(sum(rows) / len(rows), 1),
            "examples": kind_queries[:4],
            "slowest": {"query": slowest[0], "ms": round(slowest[1], 2)},
        }
    result: dict[str, Any] = {
        "members": total,
        "kinds": per_kind,
        "overall": M.latency_summary(everything),  # the mix
        "overall_with_short": M.latency_summary(everything + short),
    }
    if want_explain:
        plans: dict[str, Any] = {}
        for kind, kind_queries in queries.items():
            plans[kind] = explain(coop, kind_queries[0])
            slow_q = per_kind[kind]["slowest"]["query"]
            if slow_q and slow_q != kind_queries[0]:
                plans[kind + " (slowest)"] = explain(coop, slow_q)
        result["explain"] = plans
    return result
