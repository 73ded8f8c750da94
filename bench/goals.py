"""The verdict: every goal of the plan (issue 16's for the full run, CI ceilings for the smoke run) with the
measured value, the limit, and whether it is met. A goal whose value could not be measured (a variant broke
before the rate, the surge never reached the concurrent calls) is NOT met: no goal passes by absence.
"""

from __future__ import annotations

from typing import Any

from .engines import ENGINE_LABELS
from .plan import Plan


def _row(goal: str, value: float | None, limit: float, *, at_most: bool = True, strict: bool = False,
         unit: str = "") -> dict[str, Any]:
    if value is None:
        met = False
    elif at_most:
        met = value < limit if strict else value <= limit
    else:
        met = value >= limit
    sign = ("<" if strict else "≤") if at_most else "≥"
    return {"goal": goal, "value": value, "unit": unit, "limit": f"{sign} {limit:g}{unit}", "met": met}


def _step(ramp: dict[str, Any], variant: str, rate: float) -> dict[str, Any] | None:
    return next((s for s in ramp["steps"].get(variant, []) if s["rate"] == rate), None)


def goals(report: dict[str, Any], plan: Plan) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ramp = report.get("ramp")
    if ramp:
        for engine in ramp["engines"]:
            label = ENGINE_LABELS[engine]
            for rate in plan.cpu_goal_rates:
                step = _step(ramp, engine, rate)
                value = step["marginal_cpu_ms_per_call"].get("ec112") if step else None
                rows.append(_row(f"ec112 marginal CPU per call at {rate:g}/s ({label})", value,
                                 plan.cpu_ms_per_call_limit, unit=" ms"))
            rows.append(_row(f"ratio of highest sustained rates ec112/bare ({label})",
                             ramp["ratio_sustained"][engine], plan.ratio_limit, at_most=False))
            # "Overload never costs a call": up to every rate where bare Asterisk completed every call, ec112 in the
            # path completed every call too (one ticket each; fail-open tickets allowed here).
            rows.append(_row(f"highest rate with 0 failed calls, ec112 ({label}) vs bare",
                             ramp["max_zero_failed_rate"][engine], ramp["max_zero_failed_rate"]["bare"],
                             at_most=False, unit="/s"))
            step = _step(ramp, engine, plan.intake_goal_rate)
            value = step["intake_ms"]["p99"] if step else None
            rows.append(_row(f"intake p99 at {plan.intake_goal_rate:g}/s ({label})", value,
                             plan.intake_p99_limit_ms, unit=" ms"))
    surge = report.get("surge")
    if surge:
        label = f"surge {surge['callers']} callers / {surge['takers']} takers"
        rows.append({"goal": f"{label}: none lost", "value": f"{surge['completed']} answered, "
                     f"{surge['failed']} failed, {surge['tickets']['lost']} tickets lost",
                     "limit": "none lost", "met": bool(surge["none_lost"])})
        api = surge["api_queues"]
        rows.append(_row(f"{label}: GET /api/queues p99", api["p99_ms"] if api["errors"] == 0 else None,
                         plan.api_p99_limit_ms, strict=True, unit=" ms"))
        lag = surge["sse_lag"]
        rows.append(_row(f"{label}: SSE lag behind Asterisk p99 ({lag['unseen']} moments never shown)",
                         lag["p99_ms"] if lag["unseen"] == 0 and lag["samples"] else None,
                         plan.sse_lag_p99_limit_ms, unit=" ms"))
        rss = surge["rss_peak_mib"].get("ec112") if surge["peak_calls_asterisk"] >= plan.rss_calls else None
        supervisor = surge["rss_peak_mib"].get("ec112_supervisor")  # shown beside the worker's, not counted
        peak = surge["peak_calls_asterisk"]
        rows.append(_row(f"ec112 worker peak RSS with ≥ {plan.rss_calls} calls up (peak {peak}; "
                         f"supervisor process besides: {supervisor} MiB)", rss, plan.rss_limit_mib, strict=True,
                         unit=" MiB"))
    return rows


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| goal | measured | goal | met |", "|---|--:|--:|:-:|"]
    for row in rows:
        value = row["value"]
        number = isinstance(value, float | int)
        shown = "not measured" if value is None else f"{value:g}{row.get('unit', '')}" if number else value
        lines.append(f"| {row['goal']} | {shown} | {row['limit']} | {'yes' if row['met'] else '**NO**'} |")
    return lines
