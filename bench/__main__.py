"""`python -m bench`: run the benchmark (see the README's "Benchmark" section).

    python -m bench                 # the full run of `make bench`: bench/results/latest.{json,md}
    python -m bench --plan smoke    # the bounded CI run: artifacts/bench/smoke.{json,md}
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ec112.lab.asterisk import AsteriskFlavor

from .plan import ENGINES, PLANS
from .run import RESULTS, SMOKE_RESULTS, run_benchmark


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description="ec112 load benchmark")
    parser.add_argument("--plan", choices=sorted(PLANS), default="full")
    parser.add_argument("--asterisk", default=os.environ.get("EC112_BENCH_ASTERISK", "16"), help="16 or 22")
    parser.add_argument("--rates", help="comma-separated calls/s, overrides the plan's ramp")
    parser.add_argument("--step-seconds", type=float)
    parser.add_argument("--surge-callers", type=int)
    parser.add_argument("--engines", help=f"comma-separated ramp engines ({','.join(ENGINES)}: the default)")
    parser.add_argument("--surge-engine", choices=ENGINES)
    parser.add_argument("--no-ramp", action="store_true")
    parser.add_argument("--no-surge", action="store_true")
    parser.add_argument("--out", type=Path, help="directory for the report (default by plan)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (SIPp and ec112 logs)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plan = PLANS[args.plan]
    if args.rates:
        plan = dataclasses.replace(plan, rates=tuple(float(r) for r in args.rates.split(",")))
    if args.step_seconds:
        plan = dataclasses.replace(plan, step_seconds=args.step_seconds)
    if args.surge_callers:
        plan = dataclasses.replace(plan, surge_callers=args.surge_callers)
    if args.engines:
        plan = dataclasses.replace(plan, engines=tuple(e for e in args.engines.split(",") if e in ENGINES))
    if args.surge_engine:
        plan = dataclasses.replace(plan, surge_engine=args.surge_engine)
    out = args.out or (RESULTS if plan.name == "full" else SMOKE_RESULTS)
    workdir = Path(tempfile.mkdtemp(prefix="ec112-bench-"))
    try:
        report = run_benchmark(plan, AsteriskFlavor.by_name(args.asterisk), workdir, out_dir=out,
                               stem="latest" if plan.name == "full" else plan.name,
                               ramp=not args.no_ramp, surge=not args.no_surge)
    finally:
        if args.keep:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    verdict = report["verdict"]
    return 0 if all(v is not False for v in verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
