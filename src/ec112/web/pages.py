"""HTML pages of the security base: login, logout, the home page, the user's language.

The login form has its own CSRF defence (a double-submit cookie set with the form), since there is no
session yet to hold a token; every other form is checked by ``AuthMiddleware`` against the session.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ec112.domain.accounts import Language
from ec112.domain.errors import RateLimited, Unauthorized
from ec112.web.auth import SCOPE_KEY, SESSION_COOKIE, Auth, WebAuth, client_ip, safe_next
from ec112.web.i18n import Translator, pick_language

LOGIN_CSRF_COOKIE = "ec112_login_csrf"
LANG_COOKIE = "lang"
_LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
YEAR = 365 * 24 * 3600


def _translator(web: WebAuth, request: Request, preferred: str | None = None) -> Translator:
    who = request.scope.get(SCOPE_KEY)
    own = who.user.language.value if who is not None and not who.user.internal else None
    return web.i18n.translator(pick_language(preferred or own, request.cookies.get(LANG_COOKIE)))


def _page(web: WebAuth, request: Request, name: str, tr: Translator, status: int = 200, **context: object) -> Response:
    who = request.scope.get(SCOPE_KEY)
    html = web.i18n.render(
        name, tr, user=who.user if who else None,
        csrf_token=who.session.csrf_token if who is not None and who.session is not None else "",
        path=request.url.path, **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"Content-Language": tr.language.value,
                                                                "Cache-Control": "no-store"})
    response.headers["X-Frame-Options"] = "DENY"
    return response


def pages_router(web: WebAuth) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def login_form(request: Request, tr: Translator, *, next_url: str, status: int = 200, error: str | None = None,
                   username: str = "", retry_after: int | None = None) -> Response:
        # One token per browser, kept while it is there: a second tab (or the favicon request the browser
        # makes, which is redirected here) must not invalidate the form already on screen.
        kept = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        token = kept if _LOGIN_TOKEN.fullmatch(kept) else secrets.token_urlsafe(24)
        response = _page(web, request, "login.html", tr, status, login_csrf=token, next_url=next_url,
                         error=error, username=username)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/login", httponly=True, samesite="lax",
                            secure=web.cookie_secure(request))
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @router.get("/login")
    async def login_page(request: Request, next: str = "/", lang: str | None = None) -> Response:
        if request.scope.get(SCOPE_KEY) is not None:
            return RedirectResponse(safe_next(next), status_code=303)
        chosen = lang if lang in {x.value for x in Language} else None
        response = login_form(request, _translator(web, request, chosen), next_url=safe_next(next))
        if chosen:
            response.set_cookie(LANG_COOKIE, chosen, max_age=YEAR, samesite="lax", secure=web.cookie_secure(request))
        return response

    @router.post("/login")
    async def login_submit(
        request: Request,
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=256)] = "",
        csrf_token: Annotated[str, Form(max_length=128)] = "",
        next: Annotated[str, Form(max_length=2048)] = "/",
    ) -> Response:
        tr = _translator(web, request)
        target = safe_next(next)
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
            return login_form(request, tr, next_url=target, status=403, username=username,
                              error=tr.gettext("The form expired. Please try again."))
        try:
            token, _session, user = await web.auth.login(username, password, client_ip(request.scope))
        except RateLimited as exc:
            minutes = max(1, (exc.retry_after + 59) // 60)
            message = tr.ngettext("Too many failed attempts. Try again in %(num)d minute.",
                                  "Too many failed attempts. Try again in %(num)d minutes.", minutes) % {"num": minutes}
            return login_form(request, tr, next_url=target, status=429, username=username, error=message,
                              retry_after=exc.retry_after)
        except Unauthorized:
            return login_form(request, tr, next_url=target, status=401, username=username,
                              error=tr.gettext("Wrong username or password."))
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(SESSION_COOKIE, token, max_age=int(web.auth.policy.lifetime.total_seconds()), path="/",
                            httponly=True, samesite="lax", secure=web.cookie_secure(request))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        response.set_cookie(LANG_COOKIE, user.language.value, max_age=YEAR, samesite="lax",
                            secure=web.cookie_secure(request))
        return response

    @router.post("/logout")
    async def logout(request: Request, who: Auth) -> Response:
        await web.auth.logout(who, client_ip(request.scope))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=web.cookie_secure(request))
        return response

    @router.get("/", response_class=HTMLResponse)
    async def home(request: Request, who: Auth) -> Response:
        return _page(web, request, "home.html", _translator(web, request))

    @router.post("/account/language")
    async def set_language(request: Request, who: Auth, lang: Annotated[str, Form(max_length=5)],
                           next: Annotated[str, Form(max_length=2048)] = "/") -> Response:
        if not who.user.internal:
            await web.users.set_language(who.user.username, who.user, lang)
        response = RedirectResponse(safe_next(next), status_code=303)
        response.set_cookie(LANG_COOKIE, lang if lang in {x.value for x in Language} else Language.ID.value,
                            max_age=YEAR, samesite="lax", secure=web.cookie_secure(request))
        return response

    return router
