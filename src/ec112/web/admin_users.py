"""The users admin pages (``/admin/users``): list, add, disable/enable, reset a password, link a SIP endpoint, change
a role.

Admins manage every account, supervisors their call takers (``domain.accounts.may_manage``); any other role gets
the panel's 403 page on every page and action. Plain HTML forms (the CSRF field is checked by ``AuthMiddleware``);
every change goes through ``services.accounts.UserAdmin``, the CLI's service, so validation and audit are the same.
A generated password is shown once, on the answer to the POST that made it, and never again.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ec112.domain.accounts import AGENCY_ROLES, Language, NewUser, Role, User, may_administer, may_manage
from ec112.domain.errors import DomainError, Forbidden, InvalidRequest
from ec112.routing.agencies import AgencyDirectory
from ec112.routing.current_agencies import CurrentAgencies
from ec112.web.auth import Auth, WebAuth
from ec112.web.pages import _page, _translator
from ec112.web.ticket_pages import error_page

_STATUS = {"invalid_request": 422, "conflict": 409, "not_found": 404, "forbidden": 403}
Field = Annotated[str, Form(max_length=256)]


def _typed_password(password: str, password2: str) -> str | None:
    """The typed password (both fields equal), None for "generate one", or InvalidRequest."""
    if not password and not password2:
        return None
    if password != password2:
        raise InvalidRequest("the two passwords differ / kedua kata sandi berbeda")
    return password


def admin_users_router(web: WebAuth, directory: AgencyDirectory | CurrentAgencies) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    users = web.users
    current = CurrentAgencies.of(directory)  # read at use: the agencies admin page may change them

    def agency_choices() -> list[tuple[str, str]]:
        return [(a.code, a.name) for a in current.directory.agencies]

    def roles_for(actor: User) -> list[str]:
        return [r.value for r in Role if may_manage(actor, r)]

    async def listing(request: Request, actor: User, status: int = 200, **extra: Any) -> Response:
        everyone = await users.list()
        return _page(web, request, "admin_users.html", _translator(web, request), status, accounts=everyone,
                     manageable={u.username for u in everyone if may_manage(actor, u.role)},
                     roles=roles_for(actor), agencies=agency_choices(), languages=[x.value for x in Language], **extra)

    async def detail(request: Request, actor: User, username: str, status: int = 200, **extra: Any) -> Response:
        target = await users.get(username)
        return _page(web, request, "admin_user.html", _translator(web, request), status, account=target,
                     can_manage=may_manage(actor, target.role), roles=roles_for(actor), agencies=agency_choices(),
                     **extra)

    async def managed(actor: User, username: str) -> User:
        target = await users.get(username)
        if not may_manage(actor, target.role):
            raise Forbidden(f"your role ({actor.role.value}) may not change a {target.role.value} account")
        return target

    def refused(request: Request, exc: DomainError) -> Response | None:
        """The 403/404 page for those refusals; None for the ones shown on the form."""
        status = _STATUS.get(exc.code, 422)
        return error_page(web, request, _translator(web, request), status) if status in (403, 404) else None

    @router.get("/admin", response_class=HTMLResponse)
    async def landing(request: Request, who: Auth) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        return RedirectResponse("/admin/users", status_code=303)

    @router.get("/admin/users", response_class=HTMLResponse)
    async def list_page(request: Request, who: Auth) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        return await listing(request, who.user)

    @router.post("/admin/users", response_class=HTMLResponse)
    async def add(request: Request, who: Auth, username: Field = "", display_name: Field = "",
                  role: Field = Role.CALL_TAKER.value, language: Field = Language.ID.value, agency: Field = "",
                  sip_endpoint: Field = "", password: Field = "", password2: Field = "") -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        form = {"username": username, "display_name": display_name, "role": role, "language": language,
                "agency": agency, "sip_endpoint": sip_endpoint}
        try:
            try:
                chosen, lang = Role(role), Language(language)
            except ValueError as exc:
                raise InvalidRequest(f"unknown role or language: {role!r}, {language!r}") from exc
            if not may_manage(who.user, chosen):
                raise Forbidden(f"your role ({who.user.role.value}) may not add a {chosen.value} account")
            typed = _typed_password(password, password2)
            new = NewUser(username, display_name, chosen, sip_endpoint or None,
                          agency if chosen in AGENCY_ROLES else None, lang)
            given = typed if typed is not None else users.new_password()
            user = await users.add(who.user.username, new, given)
        except DomainError as exc:
            return refused(request, exc) or await listing(request, who.user, _STATUS.get(exc.code, 422),
                                                          error=exc.message, form=form)
        if typed is not None:
            return RedirectResponse(f"/admin/users/{user.username}?created=1", status_code=303)
        return await detail(request, who.user, user.username, 201, created=True, new_password=given)

    @router.get("/admin/users/{username}", response_class=HTMLResponse)
    async def user_page(request: Request, who: Auth, username: str, created: bool = False) -> Response:
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        try:
            return await detail(request, who.user, username, created=created)
        except DomainError as exc:
            return refused(request, exc) or error_page(web, request, _translator(web, request), 404)

    async def act(request: Request, who: Auth, username: str, work: Any, **shown: Any) -> Response:
        """Run ``work(target)`` for an account the actor may manage; the account's page with the outcome."""
        if not may_administer(who.user):
            return error_page(web, request, _translator(web, request), 403)
        try:
            target = await managed(who.user, username)
            extra = await work(target) or {}
        except DomainError as exc:
            if (page := refused(request, exc)) is not None:
                return page
            return await detail(request, who.user, username, _STATUS.get(exc.code, 422), error=exc.message)
        return await detail(request, who.user, username, **shown, **extra)

    @router.post("/admin/users/{username}/disable", response_class=HTMLResponse)
    async def disable(request: Request, who: Auth, username: str) -> Response:
        async def work(target: User) -> None:
            if target.username == who.user.username:
                raise InvalidRequest("you cannot disable your own account / akun sendiri tidak dapat dinonaktifkan")
            await users.set_disabled(who.user.username, target.username, True)
        return await act(request, who, username, work, done="disabled")

    @router.post("/admin/users/{username}/enable", response_class=HTMLResponse)
    async def enable(request: Request, who: Auth, username: str) -> Response:
        async def work(target: User) -> None:
            await users.set_disabled(who.user.username, target.username, False)
        return await act(request, who, username, work, done="enabled")

    @router.post("/admin/users/{username}/password", response_class=HTMLResponse)
    async def reset_password(request: Request, who: Auth, username: str, password: Field = "",
                             password2: Field = "") -> Response:
        async def work(target: User) -> dict[str, Any]:
            typed = _typed_password(password, password2)
            if typed is None:
                generated, _ = await users.reset_password(who.user.username, target.username)
                return {"new_password": generated}
            await users.change_password(who.user.username, target.username, typed)
            return {}
        return await act(request, who, username, work, done="password")

    @router.post("/admin/users/{username}/endpoint", response_class=HTMLResponse)
    async def link(request: Request, who: Auth, username: str, sip_endpoint: Field = "") -> Response:
        async def work(target: User) -> None:
            await users.link_endpoint(who.user.username, target.username, sip_endpoint or None)
        return await act(request, who, username, work, done="endpoint")

    @router.post("/admin/users/{username}/role", response_class=HTMLResponse)
    async def change_role(request: Request, who: Auth, username: str, role: Field = "", agency: Field = "") -> Response:
        async def work(target: User) -> None:
            try:
                chosen = Role(role)
            except ValueError as exc:
                raise InvalidRequest(f"unknown role {role!r}") from exc
            if not may_manage(who.user, chosen):
                raise Forbidden(f"your role ({who.user.role.value}) may not make a {chosen.value} account")
            if target.username == who.user.username:
                raise InvalidRequest("you cannot change your own role / peran sendiri tidak dapat diubah")
            await users.set_role(who.user.username, target.username, chosen, agency or None)
        return await act(request, who, username, work, done="role")

    return router
