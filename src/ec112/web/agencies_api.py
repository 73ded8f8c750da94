"""Agencies over HTTP: who has authority for which category, their posts, duty phones and responders.

Readable by every staff role (agency officers and responders included). A webhook URL may carry a token,
so it is never shown: only whether one is configured.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ec112.domain.accounts import Permission
from ec112.domain.agencies import Agency
from ec112.domain.categories import CategoryCatalogue
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.web.auth import require


class CategoryRefOut(BaseModel):
    code: str
    label_id: str
    label_en: str


class PostOut(BaseModel):
    name: str
    lat: float | None
    lon: float | None


class ResponderOut(BaseModel):
    username: str  # the responder's ec112 account
    name: str
    phone: str | None


class AlternateOut(BaseModel):
    name: str
    phone: str | None
    webhook_configured: bool = Field(description="level 2 is posted to the agency's second system")
    sms_configured: bool = Field(description="level 2 is sent to the phone through an SMS gateway")


class AgencyOut(BaseModel):
    code: str
    name: str
    short_name: str
    categories: list[CategoryRefOut] = Field(description="categories it has authority for")
    posts: list[PostOut]
    phone: str | None
    alternate_contact: AlternateOut | None = Field(
        description="told when a dispatch is not acknowledged in time (level 2); no channel: only shown")
    ack_timeout_seconds: int = Field(description="time to acknowledge a dispatch before it escalates")
    ack_timeout_default: bool = Field(description="true when that time is the centre's default")
    webhook_configured: bool = Field(description="whether dispatches are notified to the agency's webhook")
    responders: list[ResponderOut]


def agency_out(agency: Agency, directory: AgencyDirectory, categories: CategoryCatalogue) -> AgencyOut:
    def category(code: str) -> CategoryRefOut:
        found = categories.get(code)
        return CategoryRefOut(code=code, label_id=found.label_id if found else code,
                              label_en=found.label_en if found else code)

    return AgencyOut(
        code=agency.code, name=agency.name, short_name=agency.short_name,
        categories=[category(c) for c in agency.categories],
        posts=[PostOut(name=p.name, lat=p.lat, lon=p.lon) for p in agency.posts],
        phone=agency.phone, alternate_contact=None if (c := agency.alternate_contact) is None else AlternateOut(
            name=c.name, phone=c.phone, webhook_configured=c.webhook_url is not None,
            sms_configured=c.sms_gateway_url is not None),
        ack_timeout_seconds=directory.ack_timeout_seconds(agency),
        ack_timeout_default=agency.ack_timeout_seconds is None,
        webhook_configured=agency.webhook_url is not None,
        responders=[ResponderOut(username=r.username, name=r.name, phone=r.phone)
                    for r in directory.responders_of(agency.code)],
    )


def agencies_router(directory: AgencyDirectory | CurrentAgencies, categories: CategoryCatalogue) -> APIRouter:
    current = CurrentAgencies.of(directory, categories)
    router = APIRouter(prefix="/api", tags=["agencies"], dependencies=[Depends(require(Permission.VIEW_AGENCIES))])

    @router.get("/agencies", response_model=list[AgencyOut])
    async def list_agencies() -> list[AgencyOut]:
        """Agencies in the centre's order (the agencies file), with their categories, posts and responders."""
        now = current.value  # one version for the whole answer
        return [agency_out(a, now.directory, now.categories) for a in now.directory.agencies]

    return router
