"""Members per second through the pure SHU calculator (`koperasi.domain.shu.compute_shu`).

    .venv/bin/python benchmarks/shu_calc.py                  # 1,000,000 random members
    .venv/bin/python benchmarks/shu_calc.py --members 200000 --repeat 3

Target (issue 14): a 1,000,000-member computation well under 20 s in one process. The members
are random (seeded): savings to the sen up to Rp 50 million, transactions up to Rp 200 million,
one in twenty with no transactions; DOMAIN.md's allocation (reserve 40, members 40 split 15/25,
five funds of 5), rounding down to the rupiah. Only `compute_shu` is timed (the input is built
first); wall-clock and CPU time are both printed, since on a busy machine the CPU figure is the
fair one. The result is checked: Σ shares + remainder = pool for both members' pools. Figures
are printed and written to benchmarks/results/shu_calc-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import time
from decimal import Decimal
from pathlib import Path

from koperasi.domain.shu import (
    JASA_MODAL,
    JASA_USAHA,
    Allocation,
    MemberFigures,
    compute_shu,
)

RESULTS_DIR = Path(__file__).resolve().parent / "results"
TARGET_SECONDS = 20.0
ALLOCATION = Allocation.of(
    {
        "cadangan": Decimal(40),
        JASA_MODAL: Decimal(15),
        JASA_USAHA: Decimal(25),
        "pengurus": Decimal(5),
        "karyawan": Decimal(5),
        "pendidikan": Decimal(5),
        "sosial": Decimal(5),
        "pembangunan_daerah": Decimal(0),
    }
)


def members(count: int, seed: int) -> list[MemberFigures]:
    rng = random.Random(seed)
    rows = []
    for k in range(count):
        savings = Decimal(rng.randrange(0, 5_000_000_000)).scaleb(-2)
        sen = rng.randrange(0, 20_000_000_000) if k % 20 else 0
        rows.append(MemberFigures(f"M{k:07d}", savings, Decimal(sen).scaleb(-2)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs over the same members")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    started = time.perf_counter()
    figures = members(args.members, args.seed)
    print(f"{args.members:,} members built in {time.perf_counter() - started:.1f} s")
    shu = Decimal("123456789012.34")
    runs = []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = compute_shu(shu=shu, allocation=ALLOCATION, members=figures)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        for fund, remainder in result.remainders.items():
            paid = sum((getattr(share, fund) for share in result.members), start=Decimal("0.00"))
            assert paid + remainder == result.pool(fund), fund
        runs.append({"wall_s": wall, "cpu_s": cpu, "members_per_s_cpu": args.members / cpu})
        verdict = "ok" if wall < TARGET_SECONDS else "MISSED"
        print(
            f"compute_shu: {wall:.2f} s wall, {cpu:.2f} s CPU, "
            f"{args.members / wall:,.0f} members/s wall, {args.members / cpu:,.0f} members/s CPU"
            f"  (target < {TARGET_SECONDS:.0f} s: {verdict}); remainder Rp {result.remainder}"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = RESULTS_DIR / f"shu_calc-{stamp}.json"
    out.write_text(json.dumps({"members": args.members, "runs": runs}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
