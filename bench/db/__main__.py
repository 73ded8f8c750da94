"""`python -m bench.db`: a million tickets on each engine, and how fast ec112 answers (README, "Benchmark: a
million tickets"). Writes bench/results/db.{json,md}; exits 1 when a goal is missed.

    python -m bench.db                                   # 1 000 000 tickets, SQLite and PostgreSQL
    python -m bench.db --tickets 50000 --database sqlite --out /tmp/x
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.report import machine

from .run import bench_engine

RESULTS = Path(__file__).resolve().parent.parent / "results"
LABELS = {"lookup_by_number": "ticket by number", "previous_calls": "caller's previous calls",
          "search_caller_digits": "search: part of a caller number", "search_text": "search: words",
          "list_page_filtered": "list page with filters", "kpis_day": "the day's KPIs"}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.db", description="ec112 ticket queries at scale")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--samples", type=int, default=200, help="times each operation is measured")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--workdir", type=Path, help="where the SQLite file goes (default: the temp directory)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    report: dict[str, Any] = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                              "git_commit": _commit(), "machine": machine(), "samples": args.samples,
                              "engines": [asyncio.run(bench_engine(k, args.tickets, args.samples, args.workdir))
                                          for k in kinds]}
    report["ok"] = all(op["ok"] for e in report["engines"] for op in e["operations"].values())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "db.json").write_text(json_dump(report))
    (args.out / "db.md").write_text(markdown(report))
    print(markdown(report))
    return 0 if report["ok"] else 1


def _commit() -> str:
    here = Path(__file__).resolve().parent
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
                            cwd=here).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "bench"], capture_output=True, text=True,
                           check=False, cwd=here).stdout.strip()
    return commit + ("+dirty" if dirty else "")


def json_dump(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=1, ensure_ascii=False) + "\n"


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [f"# A million tickets — {report['generated_at']} (commit {report['git_commit']})", "",
             f"{m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Python {m['python']}; "
             f"each operation {report['samples']} times with varied parameters; times in ms.", ""]
    for engine in report["engines"]:
        lines += [f"## {engine['engine']}: {engine['tickets']:,} tickets (load {engine['load_s']} s, "
                  f"indexes {engine['index_s']} s)", "",
                  "| operation | p50 | p99 | max | goal (p99) | found | |", "|---|---:|---:|---:|---:|---:|---|"]
        for name, op in engine["operations"].items():
            lines.append(f"| {LABELS.get(name, name)} | {op['p50_ms']} | {op['p99_ms']} | {op['max_ms']} | "
                         f"< {op['goal_p99_ms']:.0f} | {op['found']}/{op['n']} | {'ok' if op['ok'] else 'MISSED'} |")
        lines.append("")
    lines.append(f"Verdict: {'every goal met' if report['ok'] else 'a goal was missed'}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
