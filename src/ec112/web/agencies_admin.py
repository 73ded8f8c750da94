"""The agencies admin pages (/admin/agencies) and the agencies document over the JSON API.

Who: whoever may manage the centre's agencies (``Permission.MANAGE_AGENCIES``: supervisors and admins); anyone
else gets the panel's 403 page. Forms post as plain HTML forms (the CSRF field is checked by ``AuthMiddleware``).

Every change goes through ``services.agency_admin.AgencyAdmin``: the whole document is validated by the loader
``ec112 agencies check`` uses, stored as a new version with its audit entry, then in force for the next dispatch.
On a mistake nothing changes and the page shows the checker's own messages next to the fields
(``web.agencies_form``). The document is downloadable as TOML and a TOML file can be uploaded in its place; the
API's ``GET``/``PUT /api/agencies/document`` are what ``ec112 agencies export``/``import`` use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from ec112.domain.accounts import Permission, User, has_permission
from ec112.domain.errors import Conflict
from ec112.services.agency_admin import AgenciesRejected, AgencyAdmin
from ec112.web.agencies_form import AgencyForm, PostInput, agency_table, edited_document, field_errors, form_of
from ec112.web.auth import Auth, WebAuth, require
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page

MAX_UPLOAD_BYTES = 1_000_000  # a regency's agencies file is a few tens of kB
_Manager = Annotated[User, Depends(require(Permission.MANAGE_AGENCIES))]


def agencies_admin_router(web: WebAuth, admin: AgencyAdmin, secret_set: Callable[[str], bool]) -> APIRouter:
    router = APIRouter()

    def may(who: Any) -> bool:
        return has_permission(who.user, Permission.MANAGE_AGENCIES)

    async def list_page(request: Request, status: int = 200, **extra: Any) -> Response:
        tr = _translator(web, request)
        current = admin.current
        return _page(web, request, "admin_agencies.html", tr, status, agencies=current.directory.agencies,
                     directory=current.directory, categories=current.categories, secret_set=secret_set,
                     version=admin.version, history=await admin.history(10),
                     local=lambda at: tr.datetime(at, "short"), **extra)

    def agency_page(request: Request, form: AgencyForm, status: int = 200, **extra: Any) -> Response:
        tr = _translator(web, request)
        current = admin.current
        return _page(web, request, "admin_agency.html", tr, status, form=form, posts=form.with_blank_posts(),
                     categories=current.categories.all(), secret_set=secret_set(form.code),
                     default_ack=current.directory.default_ack_timeout_seconds, version=admin.version,
                     errors=extra.pop("errors", {}), problems=extra.pop("problems", []), **extra)

    @router.get("/admin/agencies", response_class=HTMLResponse, include_in_schema=False)
    async def agencies_page(request: Request, who: Auth, saved: int | None = None) -> Response:
        if not may(who):
            return error_page(web, request, _translator(web, request), 403)
        return await list_page(request, saved=saved)

    @router.get("/admin/agencies/agencies.toml", include_in_schema=False)
    async def download(request: Request, who: Auth) -> Response:
        if not may(who):
            return error_page(web, request, _translator(web, request), 403)
        return _toml(admin.version.text, admin.version.id)

    @router.post("/admin/agencies/import.toml", response_class=HTMLResponse, include_in_schema=False)
    async def upload(request: Request, who: Auth, file: UploadFile) -> Response:
        if not may(who):
            return error_page(web, request, _translator(web, request), 403)
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        try:
            if len(data) > MAX_UPLOAD_BYTES:
                raise AgenciesRejected([f"the file is larger than {MAX_UPLOAD_BYTES} bytes"])
            text = _utf8(data)
            saved = await admin.save(text, who.user, action="agencies.import", target=file.filename or "upload")
        except AgenciesRejected as exc:
            return await list_page(request, 422, problems=exc.problems, upload_name=file.filename)
        return RedirectResponse(f"/admin/agencies?saved={saved.version.id}", status_code=303)

    @router.get("/admin/agencies/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def edit_page(request: Request, who: Auth, code: str, saved: int | None = None) -> Response:
        tr = _translator(web, request)
        if not may(who):
            return error_page(web, request, tr, 403)
        table = agency_table(admin.version.text, code)
        if table is None:
            return error_page(web, request, tr, 404)
        return agency_page(request, form_of(table), saved=saved)

    @router.post("/admin/agencies/{code}", response_class=HTMLResponse, include_in_schema=False)
    async def save(request: Request, who: Auth, code: str,
                   name: Annotated[str, Form()] = "", short_name: Annotated[str, Form()] = "",
                   categories: Annotated[list[str] | None, Form()] = None, phone: Annotated[str, Form()] = "",
                   post_name: Annotated[list[str] | None, Form()] = None,
                   post_lat: Annotated[list[str] | None, Form()] = None,
                   post_lon: Annotated[list[str] | None, Form()] = None,
                   ack_timeout_seconds: Annotated[str, Form()] = "", webhook_url: Annotated[str, Form()] = "",
                   alt_name: Annotated[str, Form()] = "", alt_phone: Annotated[str, Form()] = "",
                   alt_webhook_url: Annotated[str, Form()] = "",
                   alt_sms_gateway_url: Annotated[str, Form()] = "") -> Response:
        tr = _translator(web, request)
        if not may(who):
            return error_page(web, request, tr, 403)
        base = admin.version
        text = base.text
        table = agency_table(text, code)
        if table is None:
            return error_page(web, request, tr, 404)
        names, lats, lons = post_name or [], post_lat or [], post_lon or []
        posts = tuple(PostInput(n, lats[i] if i < len(lats) else "", lons[i] if i < len(lons) else "")
                      for i, n in enumerate(names))
        before = form_of(table)
        # The boxes come in the catalogue's order: the agency's own order is kept, new ones follow.
        ticked = categories or []
        ordered = (*(c for c in before.categories if c in ticked), *(c for c in ticked if c not in before.categories))
        form = replace(before, name=name, short_name=short_name, categories=ordered,
                       phone=phone, posts=posts, ack_timeout_seconds=ack_timeout_seconds, webhook_url=webhook_url,
                       alt_name=alt_name, alt_phone=alt_phone, alt_webhook_url=alt_webhook_url,
                       alt_sms_gateway_url=alt_sms_gateway_url)
        document = edited_document(text, form)
        try:
            saved = await admin.save(document, who.user, action="agencies.edit", target=code, base=base.id)
        except AgenciesRejected as exc:
            errors, problems = field_errors(exc.problems, document, code)
            return agency_page(request, form, 422, errors=errors, problems=problems)
        except Conflict as exc:  # another save between reading the document and storing this one
            return agency_page(request, form, 409, problems=[exc.message])
        return RedirectResponse(f"/admin/agencies/{code}?saved={saved.version.id}", status_code=303)

    @router.get("/api/agencies/document", tags=["agencies"], response_class=PlainTextResponse)
    async def export_document(_user: _Manager) -> Response:
        """The agencies document in force, as TOML (``ec112 agencies export``)."""
        return _toml(admin.version.text, admin.version.id)

    @router.put("/api/agencies/document", tags=["agencies"])
    async def import_document(request: Request, user: _Manager) -> Response:
        """Replace the agencies document (TOML body; ``ec112 agencies import FILE``): validated as
        ``ec112 agencies check``, stored as a new version, audited, in force for the next dispatch.
        422 with every problem (``problems``) when it cannot be used: then nothing changes."""
        body = await request.body()
        try:
            if len(body) > MAX_UPLOAD_BYTES:
                raise AgenciesRejected([f"the document is larger than {MAX_UPLOAD_BYTES} bytes"])
            saved = await admin.save(_utf8(body), user, action="agencies.import",
                                     target=request.headers.get("x-ec112-filename", "api")[:128])
        except AgenciesRejected as exc:
            message = "agencies document: " + "".join(f"\n  - {p}" for p in exc.problems)
            return JSONResponse({"code": exc.code, "message": message, "problems": list(exc.problems)}, 422)
        return JSONResponse({"version": saved.version.id, "warnings": saved.warnings})

    return router


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:  # the loader's own wording for a file
        raise AgenciesRejected([f"not UTF-8 text ({exc.reason} at byte {exc.start})"]) from exc


def _toml(text: str, version: int) -> Response:
    return Response(text, media_type="application/toml; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="agencies-v{version}.toml"', "Cache-Control": "no-store"})
