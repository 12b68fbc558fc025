"""The printed table of figures, ratios and verdicts."""

from __future__ import annotations

from typing import Any

from _search import PAGE, SHORT_KIND

DEPOSIT_TARGET = 0.25
HTTP_TARGET = 0.10
SEARCH_P95_TARGET_MS = 50.0


def ratio(value: float | None, reference: float | None) -> float | None:
    if not value or not reference:
        return None
    return value / reference


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r * 100:.1f} %"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def summarize(results: dict[str, Any], max_clients: int) -> list[dict[str, Any]]:
    """Headline rows: figure, value, reference, ratio, target and whether it is met."""
    rows: list[dict[str, Any]] = []
    pg = results.get("pgbench", {})
    for key, run in pg.items():
        rows.append(
            {"figure": f"pgbench TPC-B, {key} client(s)", "value": run["tps"], "unit": "tps"}
        )
    for key, run in results.get("deposits", {}).items():
        r = ratio(run["per_second"], pg.get(key, {}).get("tps"))
        is_target = int(key) == max_clients
        rows.append(
            {
                "figure": f"service deposits, {key} worker(s)",
                "value": run["per_second"],
                "unit": "/s",
                "ratio": r,
                "reference": f"pgbench c={key}",
                "target": f">= {DEPOSIT_TARGET:.0%}" if is_target else "(info)",
                "met": (r is not None and r >= DEPOSIT_TARGET) if is_target else None,
            }
        )
    for key, run in results.get("sql_floor", {}).items():
        rows.append(
            {
                "figure": f"same rows, hand-written SQL, {key} w.",
                "value": run["per_second"],
                "unit": "/s",
                "ratio": ratio(run["per_second"], pg.get(key, {}).get("tps")),
                "reference": f"pgbench c={key}",
            }
        )
    http_run = results.get("http")
    if http_run and http_run.get("available"):
        key = str(http_run["clients"])
        r = ratio(http_run["per_second"], pg.get(key, {}).get("tps"))
        rows.append(
            {
                "figure": f"HTTP API deposits, {key} clients",
                "value": http_run["per_second"],
                "unit": "/s",
                "ratio": r,
                "reference": f"pgbench c={key}",
                "target": f">= {HTTP_TARGET:.0%}",
                "met": r is not None and r >= HTTP_TARGET,
            }
        )
    elif http_run:
        rows.append(
            {
                "figure": "HTTP API deposits",
                "value": None,
                "unit": "",
                "target": f">= {HTTP_TARGET:.0%}",
                "note": "API not available: " + http_run.get("reason", ""),
            }
        )
    search = results.get("search")
    if search:
        p95 = search["overall"]["p95_ms"]
        rows.append(
            {
                "figure": f"member search p95, {search['members']:,} members",
                "value": p95,
                "unit": "ms",
                "target": f"< {SEARCH_P95_TARGET_MS:.0f} ms",
                "met": p95 < SEARCH_P95_TARGET_MS,
            }
        )
        short = search["kinds"].get(SHORT_KIND)
        if short:
            rows.append(
                {
                    "figure": "  1-2 letter names alone (extra kind)",
                    "value": short["p95_ms"],
                    "unit": "ms",
                    "target": f"< {SEARCH_P95_TARGET_MS:.0f} ms",
                    "met": short["p95_ms"] < SEARCH_P95_TARGET_MS,
                }
            )
    return rows


def _cpu_line(label: str, cpu: dict[str, float], per: int) -> str:
    if not per:
        return f"  {label}: no operations"
    parts = [
        f"{name} {seconds * 1000 / per:.2f} ms"
        for name, seconds in cpu.items()
        if name not in ("wall",)
    ]
    return f"  {label} CPU per operation: " + ", ".join(parts)


def _states_line(states: dict[str, float]) -> str:
    return "  backend states: " + ", ".join(f"{k} {v:.0%}" for k, v in list(states.items())[:6])


def print_report(results: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    m = results["machine"]
    pg = m["postgresql"]
    print()
    print("=" * 104)
    print(
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB; PostgreSQL {pg['server_version']} "
        f"(shared_buffers {pg['shared_buffers']}, synchronous_commit "
        f"{pg['synchronous_commit']}, fsync {pg['fsync']}); Python {m['python']}; "
        f"load average at start {m['load_average_at_start']}"
    )
    print(f"Members for deposits: {results['setup']['members']:,}")
    print("-" * 104)
    print(
        f"{'figure':40} {'value':>14} {'reference':>14} {'ratio':>9} {'target':>10} {'result':>9}"
    )
    for row in rows:
        value = "-" if row["value"] is None else f"{row['value']:,.1f} {row['unit']}"
        shown_ratio = fmt_ratio(row.get("ratio")) if "reference" in row else ""
        shown_verdict = verdict(row.get("met")) if "target" in row else ""
        print(
            f"{row['figure']:40} {value:>14} {row.get('reference', ''):>14} "
            f"{shown_ratio:>9} {row.get('target', ''):>10} {shown_verdict:>9}"
        )
        if row.get("note"):
            print(f"    {row['note']}")
    print()
    for key, run in results.get("pgbench", {}).items():
        print(
            f"  pgbench c={key}: {run['transactions']:,} transactions, latency avg "
            f"{run['latency_avg_ms']} ms"
        )
        print("  " + _cpu_line(f"pgbench c={key}", run["cpu_s"], run["transactions"]))
        print("  " + _states_line(run["backend_states"]))
    for key, run in results.get("deposits", {}).items():
        lat = run["latency"]
        print(
            f"  deposits c={key}: {run['completed']:,} in {run['wall_s']} s, errors "
            f"{run['errors']}, latency p50 {lat['p50_ms']} ms p95 {lat['p95_ms']} ms "
            f"p99 {lat['p99_ms']} ms"
        )
        print("  " + _cpu_line(f"deposits c={key}", run["cpu_s"], run["completed"]))
        print("  " + _states_line(run["backend_states"]))
        for sample in run["error_samples"]:
            print(f"    error: {sample}")
    for key, run in results.get("sql_floor", {}).items():
        lat = run["latency"]
        print(
            f"  hand-written SQL c={key}: {run['completed']:,} in {run['wall_s']} s, errors "
            f"{run['errors']}, latency p50 {lat['p50_ms']} ms p95 {lat['p95_ms']} ms"
        )
        print("  " + _cpu_line(f"hand-written SQL c={key}", run["cpu_s"], run["completed"]))
        print("  " + _states_line(run["backend_states"]))
        for sample in run["error_samples"]:
            print(f"    error: {sample}")
    http_run = results.get("http")
    if http_run and http_run.get("available"):
        lat = http_run["latency"]
        print(
            f"  HTTP c={http_run['clients']}: {http_run['completed']:,} 2xx in "
            f"{http_run['wall_s']} s, non-2xx {http_run['non_2xx']}, connection errors "
            f"{http_run['errors']}, statuses {http_run['status_counts']}, latency p50 "
            f"{lat['p50_ms']} ms p95 {lat['p95_ms']} ms"
        )
        print("  " + _cpu_line("HTTP", http_run["cpu_s"], http_run["completed"]))
        print("  " + _states_line(http_run["backend_states"]))
        for sample in http_run["error_samples"]:
            print(f"    error: {sample}")
    for label, check in results.get("books", {}).items():
        state = "OK (no violations)" if check["ok"] else "VIOLATIONS"
        print(
            f"  books after {label}: {state}; ledger_violations="
            f"{check['ledger_violations']} savings_violations={check['savings_violations']}; "
            f"movements {check['movements']:,} (expected {check['expected_movements']:,})"
        )
    search = results.get("search")
    if search:
        _print_search(search)
    print("=" * 104)


def _print_search(search: dict[str, Any]) -> None:
    print("-" * 104)
    print(f"Member search + first page ({PAGE} rows), {search['members']:,} members")
    print(
        f"{'kind':16.16} {'n':>5} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9} "
        f"{'rows':>6}  slowest query"
    )
    for kind, k in search["kinds"].items():
        print(
            f"{kind:16.16} {k['n']:>5} {k['p50_ms']:>9.2f} {k['p95_ms']:>9.2f} "
            f"{k['p99_ms']:>9.2f} {k['max_ms']:>9.2f} {k['mean_rows_on_first_page']:>6}"
            f"  {k['slowest']['query']!r} ({k['slowest']['ms']:.1f} ms)"
        )
    for label, key in (("overall", "overall"), ("incl. 1-2 lett.", "overall_with_short")):
        if key in search:
            o = search[key]
            print(
                f"{label:16} {o['n']:>5} {o['p50_ms']:>9.2f} {o['p95_ms']:>9.2f} "
                f"{o['p99_ms']:>9.2f} {o['max_ms']:>9.2f}"
            )
    for kind, info in search.get("explain", {}).items():
        print(
            f"\nEXPLAIN ANALYZE {kind}: {info['query']!r} -> {info['execution_ms']} ms; "
            f"indexes: {', '.join(info['indexes']) or 'none'}; seq scan: {info['seq_scan']}"
        )
        for line in info["plan"]:
            print("    " + line)
