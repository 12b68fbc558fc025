"""Loan schedules per second from `koperasi.domain.schedule.build_schedule`, in one process.

    .venv/bin/python benchmarks/schedule.py               # ~2 s per case
    .venv/bin/python benchmarks/schedule.py --seconds 5 --periods 36

Target (loans issue): >= 20,000 schedules of 36 instalments per second for every method.
Each case cycles through 1,000 different loans (principal, rate) so no result can be reused, and
reports wall-clock and CPU-time rates: on a busy machine the CPU figure is the fair one.
Figures are printed and written to benchmarks/results/schedule-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

import holidays

from koperasi.domain.schedule import METHODS, LoanTerms, build_schedule

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET = 20_000
START = dt.date(2026, 1, 15)


def loans(method: str, periods: int, rounding: str) -> list[LoanTerms]:
    return [
        LoanTerms(
            principal=Decimal(5_000_000 + 45_007 * k) + Decimal(k % 100) / 100,
            rate=Decimal(12 + k % 13) + Decimal(k % 7) / 10,
            rate_period="year",
            periods=periods,
            method=method,  # type: ignore[arg-type]
            rounding=rounding,  # type: ignore[arg-type]
        )
        for k in range(1_000)
    ]


def measure(terms: list[LoanTerms], seconds: float, **kwargs: object) -> dict[str, float]:
    for loan in terms[:100]:  # warm up
        build_schedule(loan, disbursed_on=START, **kwargs)  # type: ignore[arg-type]
    count = 0
    wall, cpu = time.perf_counter(), time.process_time()
    deadline = wall + seconds
    while time.perf_counter() < deadline:
        for loan in terms:
            build_schedule(loan, disbursed_on=START, **kwargs)  # type: ignore[arg-type]
        count += len(terms)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"schedules": count, "per_s_wall": count / wall, "per_s_cpu": count / cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per case")
    parser.add_argument("--periods", type=int, default=36)
    args = parser.parse_args()

    calendar = frozenset(holidays.Indonesia(years=range(2026, 2026 + args.periods // 12 + 2)))
    cases = [(method, "none", False) for method in METHODS]
    cases += [(method, "1000", False) for method in METHODS]
    cases += [("anuitas", "1000", True)]

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print(f"{args.periods} instalments, monthly; target {TARGET:,} schedules/s\n")
    print(f"{'method':<9}{'rounding':<10}{'holidays':<10}{'wall /s':>10}{'CPU /s':>10}  target")
    results = []
    for method, rounding, skip in cases:
        kwargs = {"is_holiday": calendar} if skip else {}
        figures = measure(loans(method, args.periods, rounding), args.seconds, **kwargs)
        ok = "ok" if figures["per_s_cpu"] >= TARGET else "MISSED"
        print(
            f"{method:<9}{rounding:<10}{'skip' if skip else '-':<10}"
            f"{figures['per_s_wall']:>10,.0f}{figures['per_s_cpu']:>10,.0f}  {ok}"
        )
        results.append({"method": method, "rounding": rounding, "skip_holidays": skip, **figures})

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"schedule-{stamp}.json"
    report = {
        "periods": args.periods,
        "target_per_s": TARGET,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": results,
    }
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    sys.exit(0)


if __name__ == "__main__":
    main()
