"""The close benchmark (benchmarks/close.py): its summary against the targets, and the printed
report."""

from __future__ import annotations

from typing import Any

DAY_TARGET_S = 120.0
MONTH_TARGET_S = 180.0
ACCRUAL_RATIO_TARGET = 3.0
RSS_TARGET_MB = 500.0

# ---------------------------------------------------------------------------------------------
# Summary and report


def _step(result: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    if not result or "steps" not in result:
        return None
    return next((s for s in result["steps"] if s["step"] == name), None)


def summarize(res: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day, month = res.get("day_close", {}), res.get("month_close", {})
    size = f"{res['members']:,} m."
    if "wall_s" in day:
        rows.append(
            {
                "figure": f"day-end close, one day ({size})",
                "value": day["wall_s"],
                "unit": "s",
                "target": f"<= {DAY_TARGET_S:.0f} s",
                "met": day["wall_s"] <= DAY_TARGET_S and day["run_status"] == "done",
            }
        )
    if "wall_s" in month:
        rows.append(
            {
                "figure": f"month-end close ({size})",
                "value": month["wall_s"],
                "unit": "s",
                "target": f"<= {MONTH_TARGET_S:.0f} s",
                "met": month["wall_s"] <= MONTH_TARGET_S and month["run_status"] == "done",
            }
        )
    accrual = _step(day, "loan_accrual")
    lb = res.get("lower_bound")
    if accrual and lb:
        ratio = accrual["seconds"] / lb["seconds"] if lb["seconds"] else None
        rows.append(
            {
                "figure": "accrual step / SQL lower bound",
                "value": ratio,
                "unit": "x",
                "detail": f"{accrual['seconds']:.2f} s / {lb['seconds']:.2f} s",
                "target": f"<= {ACCRUAL_RATIO_TARGET:g} x",
                "met": ratio is not None and ratio <= ACCRUAL_RATIO_TARGET,
            }
        )
    peaks = [
        r["rss"]["ru_maxrss_mb"]
        for r in (day, res.get("rest_days_close"), month)
        if r and "rss" in r
    ]
    if peaks:
        rows.append(
            {
                "figure": f"peak RSS of a close process ({size})",
                "value": max(peaks),
                "unit": "MB",
                "target": f"<= {RSS_TARGET_MB:.0f} MB",
                "met": max(peaks) <= RSS_TARGET_MB,
            }
        )
    check = res.get("check_after")
    if check:
        rows.append(
            {
                "figure": "koperasi check after the closes",
                "value": check["violations"],
                "unit": "violations",
                "target": "0",
                "met": check["violations"] == 0,
            }
        )
    return rows


def print_scenario(res: dict[str, Any]) -> None:
    width = 118
    print("-" * width)
    if "data" in res:
        print_data(res["data"])
    _print_closes(res)


def print_data(data: dict[str, Any]) -> None:
    sav = data["savings"]
    print(
        f"Data: {data['members']:,} members; {sav['accounts']:,} savings accounts "
        f"({sav['accounts_by_product']}), {sav['movements']:,} movements, "
        f"{data['day_balance_rows']:,} day balances; {data['loans']:,} active loans "
        f"({data['accrual_loans']:,} accrual, {data['cash_loans']:,} cash), "
        f"{data['instalments']:,} instalments, {data['loans_in_arrears']:,} in arrears "
        f"({data['arrears_share']:.1%}), by class {data['loans_by_class']}"
    )
    print(
        f"  month {data['month']}, days closed through {data['days_closed_through']}, books "
        f"closed through {data['books_closed_through']}; table sizes MB {data['table_sizes_mb']}"
    )
    print(f"  generation {data['timings_s']['total_s']} s: {data['timings_s']}")
    print(f"  COPY per table (s): {data['copy_s']}")


def _print_closes(res: dict[str, Any]) -> None:
    for key in ("check_before", "check_after"):
        c = res.get(key)
        if c:
            print(
                f"  koperasi check {key.split('_')[1]} the close: {c['violations']} violation(s) "
                f"(ledger {c['ledger']}, savings {c['savings']}, loans {c['loans']}) in "
                f"{c['seconds']} s" + (f"; e.g. {c['samples'][:3]}" if c["samples"] else "")
            )
    lb = res.get("lower_bound")
    if lb:
        print(
            f"  lower bound: {lb['rows']:,} accrual rows + {lb['loans_updated']:,} loans in one "
            f"statement: {lb['seconds']} s (runs {lb['runs_s']}); with the instalments' update "
            f"too: {lb['with_instalments_s']} s"
        )
    for key in ("day_close", "rest_days_close", "month_close"):
        r = res.get(key)
        if not r:
            continue
        if "error" in r:
            print(f"  {key}: ERROR {r['error']}")
            continue
        rss = r["rss"]
        print(
            f"  {r['label']}: {r['run_status']} in {r['wall_s']} s (Python CPU "
            f"{r['python_cpu_s']} s, PostgreSQL backend CPU {r['backend_cpu_s']} s); RSS "
            f"baseline {rss['baseline_mb']} MB, peak sampled {rss['peak_sampled_mb']} MB, "
            f"VmHWM {rss['vm_hwm_mb']} MB, ru_maxrss {rss['ru_maxrss_mb']} MB"
            + (f"; auto_explain on (>= {r['explain_ms']} ms)" if r.get("explain_ms") else "")
            + (f"; ERROR {r['run_error']}" if r["run_error"] else "")
        )
        print(
            f"    {'date':10} {'step':22} {'rows':>10} {'seconds':>9} {'rows/s':>10} "
            f"{'SQL s':>8} {'Python s':>8} {'PG CPU':>7} {'stmts':>7} {'RSS MB':>7}"
        )
        phases = {p["phase"]: p for p in r["phases"]}
        for s in r["steps"]:
            p = phases.get(f"{s['business_date']} {s['step']}", {})
            print(
                f"    {s['business_date']:10} {s['step']:22} {s['rows']:>10,} "
                f"{s['seconds']:>9.2f} {s['rows_per_s'] or 0:>10,.0f} "
                f"{p.get('sql_s', 0):>8.2f} {p.get('python_s', 0):>8.2f} "
                f"{p.get('backend_cpu_s', 0):>7.2f} {p.get('statements', 0):>7,} "
                f"{p.get('peak_rss_mb', 0):>7.0f}"
            )
        slow = sorted(r["phases"], key=lambda p: -p["wall_s"])[:3]
        for p in slow:
            if p["wall_s"] < 0.5:
                continue
            tops = "; ".join(
                f"{t['kind'][:70]} x{t['count']} {t['seconds']:.2f}s"
                for t in p["top_statements"][:3]
            )
            print(f"    where {p['phase']} goes: {tops}")
        prof = r.get("profile")
        if prof:
            print(
                "    cProfile, koperasi functions by inclusive time: "
                + "; ".join(
                    f"{f['function'].split(' ')[-1]} {f['incl_s']:.1f}s x{f['calls']}"
                    for f in prof["koperasi_inclusive"][:10]
                )
            )
            print(
                "    cProfile, functions by own time: "
                + "; ".join(
                    f"{f['function']} {f['own_s']:.1f}s x{f['calls']}"
                    for f in prof["by_own_time"][:10]
                )
            )
        for plan in r.get("explains", [])[:3]:
            print(f"    auto_explain {plan['phase']}: {plan['ms']} ms")
            for line in plan["plan"][:25]:
                print(f"      {line}")
    w = res.get("written")
    if w:
        print(
            f"  written: accruals {w['loan_accruals_by_day']}; penalties "
            f"{w['penalty_movements_by_day']}; savings {w['savings_interest_and_tax']}; "
            f"withholding list {w['withholding_list']}; wajib bills {w['wajib_bills']:,}; "
            f"failed steps {w['failed_steps']}"
        )


def print_report(results: dict[str, Any]) -> None:
    width = 118
    m = results["machine"]
    pg = m["postgresql"]
    print()
    print("=" * width)
    print(
        f"Machine: {m['cpus']} CPUs, {m['memory_gib']} GiB; PostgreSQL {pg['server_version']} "
        f"(shared_buffers {pg['shared_buffers']}, work_mem {pg['work_mem']}, synchronous_commit "
        f"{pg['synchronous_commit']}); Python {m['python']}; load average at start "
        f"{m['load_average_at_start']}, at end {results.get('load_average_at_end')}"
    )
    for key in ("small", "main"):
        if key in results:
            print_scenario(results[key])
    print("-" * width)
    print(f"{'figure':52} {'value':>14} {'detail':>22} {'target':>12} {'result':>8}")
    for row in results["summary"]:
        value = "-" if row["value"] is None else f"{row['value']:,.2f} {row['unit']}"
        verdict = "PASS" if row.get("met") else "FAIL"
        print(
            f"{row['figure']:52.52} {value:>14} {row.get('detail', ''):>22} "
            f"{row.get('target', ''):>12} {verdict:>8}"
        )
    flat = results.get("rss_flatness")
    if flat:
        print(
            "RSS flatness (ru_maxrss of the close process): "
            + "; ".join(f"{k}: {v}" for k, v in flat.items())
        )
    print("=" * width)


def rss_flatness(small: dict[str, Any], main: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key in ("day_close", "rest_days_close", "month_close"):
        a, b = small.get(key, {}), main.get(key, {})
        if "rss" in a and "rss" in b:
            out[a.get("label", key)] = (
                f"{small['members']:,} members {a['rss']['ru_maxrss_mb']:.0f} MB vs "
                f"{main['members']:,} members {b['rss']['ru_maxrss_mb']:.0f} MB"
            )
    return out
