"""The loan portfolio's first page at full size: the selector, the staff page and the API list.

Every variant (no filter, and each filter alone) is timed `queries` times after a warm-up pass,
cycling through the filter's values (every product, every officer, classes 1-5, days past due
at least 1/30/90/180). The page and the API are called in-process through `django.test.Client`
(the whole Django stack: middleware, session or token, view, template or JSON; no HTTP server).
"""

from __future__ import annotations

import re
import time
from typing import Any

import _measure as M

PAGE = 50
DPD_THRESHOLDS = [1, 30, 90, 180]
KINDS = ("no filter", "product", "officer", "collectibility", "min_days_past_due")
# Query-string names of each filter on the staff page and on the API.
PAGE_PARAMS = {
    "product": "product",
    "officer": "officer",
    "collectibility": "klass",
    "min_days_past_due": "dpd",
}
API_PARAMS = {k: k for k in PAGE_PARAMS}
_INDEX = re.compile(r"Index(?: Only)? Scan(?: Backward)? using (\S+) on")
_SEQ = re.compile(r"Seq Scan on (\S+)")


def _values(book: Any, kind: str) -> list[Any]:
    if kind == "product":
        return sorted(book.product_ids.values())
    if kind == "officer":
        return list(book.officer_ids)
    if kind == "collectibility":
        return [1, 2, 3, 4, 5]
    if kind == "min_days_past_due":
        return DPD_THRESHOLDS
    return [None]


def _summaries(
    timings: dict[str, list[float]], rows: dict[str, list[int]], slowest: dict[str, Any]
) -> dict[str, Any]:
    kinds = {
        kind: {
            **M.latency_summary(ms),
            "mean_rows": round(sum(rows[kind]) / len(rows[kind]), 1) if rows[kind] else 0,
            "slowest": slowest[kind],
        }
        for kind, ms in timings.items()
    }
    everything = [x for ms in timings.values() for x in ms]
    return {"kinds": kinds, "overall": M.latency_summary(everything)}


def _run(
    kinds: tuple[str, ...],
    book: Any,
    queries: int,
    call: Any,
) -> dict[str, Any]:
    """call(kind, value) -> rows on the page; timed per call."""
    timings: dict[str, list[float]] = {}
    rows: dict[str, list[int]] = {}
    slowest: dict[str, Any] = {}
    for kind in kinds:
        values = _values(book, kind)
        for value in values:  # warm-up: each value once
            call(kind, value)
        timings[kind], rows[kind] = [], []
        slowest[kind] = {"ms": 0.0, "value": None}
        for i in range(queries):
            value = values[i % len(values)]
            t0 = time.perf_counter()
            n = call(kind, value)
            ms = (time.perf_counter() - t0) * 1000
            timings[kind].append(ms)
            rows[kind].append(n)
            if ms > slowest[kind]["ms"]:
                slowest[kind] = {"ms": round(ms, 2), "value": value}
    return _summaries(timings, rows, slowest)


def selector(book: Any, queries: int) -> dict[str, Any]:
    """`loans.selectors.portfolio(...)` and the first 50 rows fetched (with member, product)."""
    from koperasi.loans.selectors import PortfolioFilter, portfolio

    coop = book.cooperative
    field = {
        "product": "product_id",
        "officer": "officer_id",
        "collectibility": "collectibility",
        "min_days_past_due": "min_days_past_due",
    }

    def call(kind: str, value: Any) -> int:
        where = PortfolioFilter(**({field[kind]: value} if kind in field else {}))
        return len(list(portfolio(cooperative=coop, where=where)[:PAGE]))

    result = _run(KINDS, book, queries, call)
    result["explain"] = _explain(book, field)
    return result


def summary(book: Any, queries: int) -> dict[str, Any]:
    """`loans.selectors.portfolio_summary` (active loans by class: count and outstanding), the
    portfolio summary's own request; read from the heap since its index carries no amount."""
    from koperasi.loans.selectors import portfolio_summary

    timings = []
    portfolio_summary(cooperative=book.cooperative)  # warm-up
    for _ in range(queries):
        t0 = time.perf_counter()
        portfolio_summary(cooperative=book.cooperative)
        timings.append((time.perf_counter() - t0) * 1000)
    return M.latency_summary(timings)


def _explain(book: Any, field: dict[str, str]) -> dict[str, Any]:
    """EXPLAIN ANALYZE of the selector's first page, one value per kind (the last one)."""
    from django.db import connection

    from koperasi.loans.selectors import PortfolioFilter, portfolio

    out: dict[str, Any] = {}
    for kind in KINDS:
        value = _values(book, kind)[-1]
        where = PortfolioFilter(**({field[kind]: value} if kind in field else {}))
        query = portfolio(cooperative=book.cooperative, where=where)[:PAGE]
        sql, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [r[0] for r in cursor.fetchall()]
        executed = next((line for line in plan if line.startswith("Execution Time")), "")
        out[kind] = {
            "value": value,
            "execution_ms": float(executed.split(":")[1].split()[0]) if executed else None,
            "indexes": sorted({m for line in plan for m in _INDEX.findall(line)}),
            "seq_scans": sorted({m for line in plan for m in _SEQ.findall(line)}),
            "plan": plan,
        }
    return out


def _client(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def page(book: Any, queries: int) -> dict[str, Any]:
    """GET of the staff portfolio page (`lending:portfolio`) as a manager; available=False if
    the URL does not resolve."""
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("lending:portfolio", kwargs={"code": book.cooperative.code})
    except NoReverseMatch as exc:
        return {"available": False, "reason": f"lending:portfolio: {exc}"}
    client = _client(book.manager)
    probe = client.get(url)
    if probe.status_code != 200:
        return {
            "available": False,
            "reason": f"GET {url} -> {probe.status_code} {probe.content[:300]!r}",
        }
    statuses: dict[int, int] = {}
    rows_marker = '<td><a href="' + url  # each loan row opens with a link to the loan's page

    def fetch(params: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        response = client.get(url, params, headers=headers or {})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return response.content.decode().count(rows_marker) if response.status_code == 200 else 0

    def call(kind: str, value: Any) -> int:
        if kind == "htmx table, no filter":
            return fetch({}, {"HX-Request": "true"})
        return fetch({PAGE_PARAMS[kind]: value} if kind in PAGE_PARAMS else {})

    result = _run((*KINDS, "htmx table, no filter"), book, queries, call)
    result.update(available=True, url=url, status_counts={str(k): v for k, v in statuses.items()})
    return result


def api(book: Any, queries: int) -> dict[str, Any]:
    """GET /api/v1/loans/loans?limit=50 with a manager's bearer token."""
    from koperasi.tenancy.services.tokens import issue_token

    token = issue_token(cooperative=book.cooperative, user=book.manager)
    client = _client(book.manager)
    client.logout()  # the token alone authenticates
    path = "/api/v1/loans/loans"
    auth = {"Authorization": f"Bearer {token}"}
    probe = client.get(path, {"limit": PAGE}, headers=auth)
    if probe.status_code != 200:
        return {
            "available": False,
            "reason": f"GET {path} -> {probe.status_code} {probe.content[:300]!r}",
        }
    statuses: dict[int, int] = {}

    def call(kind: str, value: Any) -> int:
        params: dict[str, Any] = {"limit": PAGE}
        if kind in API_PARAMS:
            params[API_PARAMS[kind]] = value
        response = client.get(path, params, headers=auth)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        return len(response.json()["items"]) if response.status_code == 200 else 0

    result = _run(KINDS, book, queries, call)
    result.update(available=True, path=path, status_counts={str(k): v for k, v in statuses.items()})
    return result
