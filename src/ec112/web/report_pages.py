"""The reports in the panel (docs/room.md, part D): ``/reports`` (a period picker, tables and SVG charts),
``/reports.csv`` (the same figures for a spreadsheet) and ``/reports/monthly?month=YYYY-MM`` (the printable A4
monthly report of the regency to Kominfo on its 112 service). Whoever may see the KPIs may see them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from ec112.domain.accounts import Permission, has_permission
from ec112.domain.errors import DomainError, Forbidden
from ec112.domain.reports import NO_CATEGORY, AgencyFigures, GroupFigures, Report
from ec112.services.reports import ReportService, month_days, parse_month
from ec112.web.auth import Auth, WebAuth
from ec112.web.i18n import Translator
from ec112.web.pages import _page, _translator
from ec112.web.report_charts import Series, bar_chart
from ec112.web.ticket_pages import error_page

MONTHS = {"id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
                 "November", "Desember"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December")}
CALL_COLUMNS = ("offered", "answered", "abandoned", "hung_up_in_intake", "in_progress", "avg_answer_seconds",
                "pct_answered_within_10s", "pct_answered_within_20s", "abandon_rate_pct", "classified", "junk",
                "junk_pct", "answer_to_dispatch_median_s", "answer_to_dispatch_p90_s", "dispatched_within_60s_pct")
AGENCY_COLUMNS = ("dispatches", "resolved", "dispatch_to_ack_median_s", "dispatch_to_ack_p90_s",
                  "dispatch_to_arrival_median_s", "dispatch_to_arrival_p90_s", "responding_to_resolved_median_s")


def group_row(g: GroupFigures) -> dict[str, Any]:
    """One group's figures by column name (the CSV's columns, and what the tables show)."""
    k = g.kpis
    return {"key": g.key, "offered": k.offered, "answered": k.answered, "abandoned": k.abandoned,
            "hung_up_in_intake": k.hung_up_in_intake, "in_progress": k.in_progress,
            "avg_answer_seconds": k.avg_answer_seconds, "pct_answered_within_10s": k.pct_answered_within_10s,
            "pct_answered_within_20s": k.pct_answered_within_20s, "abandon_rate_pct": k.abandon_rate_pct,
            "classified": g.junk.classified, "junk": g.junk.junk, "junk_pct": g.junk.pct,
            "answer_to_dispatch_median_s": g.answer_to_dispatch.median_seconds,
            "answer_to_dispatch_p90_s": g.answer_to_dispatch.p90_seconds,
            "dispatched_within_60s_pct": g.call_processing.pct_within_target}


def agency_row(a: AgencyFigures) -> dict[str, Any]:
    i = a.chain.intervals
    return {"key": a.chain.key, "dispatches": a.chain.dispatches, "resolved": a.chain.resolved,
            "answer_to_dispatch_median_s": i["answer_to_dispatch"].median_seconds,
            "answer_to_dispatch_p90_s": i["answer_to_dispatch"].p90_seconds,
            "dispatch_to_ack_median_s": i["dispatch_to_ack"].median_seconds,
            "dispatch_to_ack_p90_s": i["dispatch_to_ack"].p90_seconds,
            "dispatch_to_arrival_median_s": a.dispatch_to_arrival.median_seconds,
            "dispatch_to_arrival_p90_s": a.dispatch_to_arrival.p90_seconds,
            "responding_to_resolved_median_s": i["responding_to_resolved"].median_seconds}


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would run as a formula (=, +, @, -x) is quoted with a leading '."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and len(text) > 1) else text


def report_csv(report: Report, label: Callable[[str, str], str]) -> str:
    """Every group and agency of the report, one row each; ``label(grouping, key)`` names the key."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = ("grouping", "key", "label", *CALL_COLUMNS, *AGENCY_COLUMNS)
    writer.writerow(columns)
    rows = [("total", group_row(report.total))]
    rows += [(name, group_row(g)) for name, groups in report.groups.items() for g in groups]
    rows += [("agency", agency_row(a)) for a in report.agencies]
    for grouping, row in rows:
        row = {**row, "grouping": grouping, "label": label(grouping, row["key"])}
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def report_pages_router(web: WebAuth, reports: ReportService, *,
                        category_label: Callable[[str | None, str], str | None],
                        agency_names: dict[str, str]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def labeller(tr: Translator) -> Callable[[str, str], str]:
        def label(grouping: str, key: str) -> str:
            if grouping == "category":
                return tr.gettext("no category") if key == NO_CATEGORY else (
                    category_label(key, tr.language.value) or key)
            if grouping == "agency":
                return agency_names.get(key, key)
            return tr.gettext("all calls") if grouping == "total" else key
        return label

    def charts(report: Report, tr: Translator, first: date, last: date) -> dict[str, Any]:
        found = {g.key: g.kpis for g in report.groups["day"]}
        days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
        shifts = report.groups["shift"]
        _ = tr.gettext

        def per_day(figure: str) -> list[float]:  # every day of the period, a quiet one as 0
            return [float(getattr(found[d], figure)) if d in found else 0.0 for d in days]

        return {
            "calls": bar_chart(_("Calls per day"), [d[8:] if len(days) > 7 else d[5:] for d in days], [
                Series(_("Answered"), "bar-answered", per_day("answered")),
                Series(_("Abandoned"), "bar-abandoned", per_day("abandoned")),
                Series(_("Hung up in intake"), "bar-intake", per_day("hung_up_in_intake"))]),
            "service": bar_chart(_("Answered within 10 s and 20 s, per shift"), [g.key for g in shifts], [
                Series(_("within 10 s"), "bar-10", [g.kpis.pct_answered_within_10s or 0.0 for g in shifts]),
                Series(_("within 20 s"), "bar-20", [g.kpis.pct_answered_within_20s or 0.0 for g in shifts])],
                unit=" %", maximum=100.0),
        }

    def context(report: Report, tr: Translator, first: date, last: date) -> dict[str, Any]:
        return {"report": report, "label": labeller(tr), "total": group_row(report.total),
                "groups": {name: [group_row(g) for g in groups] for name, groups in report.groups.items()},
                "agencies": [agency_row(a) for a in report.agencies], "charts": charts(report, tr, first, last),
                "header": reports.header, "by_class": report.total.junk.by_class}

    def allowed(request: Request, who: Any) -> Response | None:
        if not has_permission(who.user, Permission.VIEW_KPIS):
            return error_page(web, request, _translator(web, request), 403)
        return None

    @router.get("/reports", response_class=HTMLResponse)
    async def reports_page(request: Request, who: Auth) -> Response:
        if (refused := allowed(request, who)) is not None:
            return refused
        tr = _translator(web, request)
        today = reports.today()
        first = _day(request.query_params.get("from"), today.replace(day=1))
        last = _day(request.query_params.get("to"), today)
        try:
            report = await reports.report(first, last)
        except DomainError as exc:
            return _page(web, request, "reports.html", tr, 422, error=exc.message, first=first, last=last,
                         today=today, presets=_presets(today))
        return _page(web, request, "reports.html", tr, first=first, last=last, today=today, presets=_presets(today),
                     query=f"from={first.isoformat()}&to={last.isoformat()}", month=first.strftime("%Y-%m"),
                     **context(report, tr, first, last))

    @router.get("/api/reports", include_in_schema=True, tags=["reports"])
    async def reports_json(request: Request, who: Auth) -> Response:
        """The report of ``from``..``to`` (local days, YYYY-MM-DD): the CSV's rows as JSON."""
        if not has_permission(who.user, Permission.VIEW_KPIS):
            raise Forbidden("reports need the view_kpis permission")
        today = reports.today()
        report = await reports.report(_day(request.query_params.get("from"), today.replace(day=1)),
                                      _day(request.query_params.get("to"), today))
        return JSONResponse({"start": report.start.isoformat(), "end": report.end.isoformat(),
                             "total": group_row(report.total),
                             "groups": {n: [group_row(g) for g in gs] for n, gs in report.groups.items()},
                             "agencies": [agency_row(a) for a in report.agencies]})

    @router.get("/reports.csv")
    async def reports_csv(request: Request, who: Auth) -> Response:
        if (refused := allowed(request, who)) is not None:
            return refused
        today = reports.today()
        first = _day(request.query_params.get("from"), today.replace(day=1))
        last = _day(request.query_params.get("to"), today)
        report = await reports.report(first, last)  # a DomainError becomes 422 JSON (app's handler)
        body = report_csv(report, labeller(_translator(web, request)))
        name = f"ec112-report-{first.isoformat()}-{last.isoformat()}.csv"
        return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",  # BOM: spreadsheets read UTF-8
                        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

    @router.get("/reports/monthly", response_class=HTMLResponse)
    async def monthly(request: Request, who: Auth, month: str = "") -> Response:
        if (refused := allowed(request, who)) is not None:
            return refused
        tr = _translator(web, request)
        try:
            first, last = month_days(parse_month(month or reports.today().strftime("%Y-%m")))
            report = await reports.report(first, last)
        except DomainError as exc:
            return _page(web, request, "tickets_error.html", tr, 422, error_status=422, error=exc.message)
        names = MONTHS["id" if tr.language.value == "id" else "en"]
        return _page(web, request, "report_monthly.html", tr, first=first, last=last,
                     month_name=f"{names[first.month - 1]} {first.year}", month=first.strftime("%Y-%m"),
                     query=f"from={first.isoformat()}&to={last.isoformat()}", **context(report, tr, first, last))

    return router


def _presets(today: date) -> list[tuple[str, date, date]]:
    """The picker's shortcuts: (msgid, first day, last day)."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return [("Today", today, today), ("Yesterday", today - timedelta(days=1), today - timedelta(days=1)),
            ("Last 7 days", today - timedelta(days=6), today), ("This month", today.replace(day=1), today),
            ("Last month", last_month_end.replace(day=1), last_month_end)]
