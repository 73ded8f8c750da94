"""The reports' part of the composition root (issue 14, part D): the report service from ``[reports]`` and
``[callcenter]`` (zone, shifts) over the database. Called by ``daemon.run``; no state of its own.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from ec112.config.settings import Settings
from ec112.db.report_queries import SqlReportQueries
from ec112.domain.kpis import Shifts
from ec112.services.reports import ReportHeader, ReportService


def report_service(settings: Settings, engine: AsyncEngine) -> ReportService:
    cc, r = settings.callcenter, settings.reports
    header = ReportHeader(r.regency, r.service_name, r.operator)
    return ReportService(SqlReportQueries(engine), Shifts(tuple(cc.shift_hours), ZoneInfo(cc.timezone)), header)
