"""Accounts and roles of the web panel, and who may do what (pure rules, no I/O).

Five roles. Call-centre staff (admin, supervisor, call taker) see the room: queues, call takers, calls in
progress and tickets, which carry callers' numbers and locations (personal data, UU 27/2022). Agency
officers and responders work on the incidents dispatched to their agency: an officer sees her own agency's
dispatches (with the caller's data they need), a responder her own assignments (``/agency``, ``/responder``
and their own filtered live stream), never the room; both see the service-level KPIs and the directory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ec112.domain.errors import Conflict, InvalidRequest

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a cap keeps a megabyte "password" from costing CPU
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
_ENDPOINT = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # as services.agents accepts
_AGENCY = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CALL_TAKER = "call_taker"
    AGENCY_OFFICER = "agency_officer"
    RESPONDER = "responder"


class Language(StrEnum):
    ID = "id"  # Bahasa Indonesia: the default
    EN = "en"


class Permission(StrEnum):
    VIEW_LIVE = "view_live"  # queues, call takers, calls in progress, their SSE stream
    VIEW_TICKETS = "view_tickets"
    WORK_TICKETS = "work_tickets"  # classify, annotate, close tickets
    VIEW_KPIS = "view_kpis"
    VIEW_WALLBOARD = "view_wallboard"  # the supervisor's wallboard: the whole room at a glance
    AGENT_SELF = "agent_self"  # log in/out, pause/unpause one's own SIP endpoint
    AGENT_ANY = "agent_any"  # the same for any call taker
    VIEW_METRICS = "view_metrics"  # Prometheus /metrics
    MANAGE_USERS = "manage_users"  # every account, any role
    # Call takers' accounts and the centre's softphones (the admin pages): a supervisor runs her room's desks.
    MANAGE_TAKERS = "manage_takers"
    VIEW_AUDIT = "view_audit"
    VIEW_AGENCIES = "view_agencies"  # agencies, their categories, posts and responders (every staff role)
    AGENCY_WORK = "agency_work"  # the agency page: acknowledge and assign her own agency's dispatches
    FIELD_WORK = "field_work"  # the responder page: move her own assignments along
    MANAGE_AGENCIES = "manage_agencies"  # the centre's agencies document: /admin/agencies, agencies import


_ROOM = frozenset({Permission.VIEW_LIVE, Permission.VIEW_TICKETS, Permission.WORK_TICKETS, Permission.VIEW_KPIS,
                   Permission.VIEW_AGENCIES})
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SUPERVISOR: _ROOM | {Permission.AGENT_SELF, Permission.AGENT_ANY, Permission.VIEW_METRICS,
                              Permission.VIEW_AUDIT, Permission.VIEW_WALLBOARD, Permission.MANAGE_TAKERS,
                              Permission.MANAGE_AGENCIES},
    Role.CALL_TAKER: _ROOM | {Permission.AGENT_SELF},
    Role.AGENCY_OFFICER: frozenset({Permission.VIEW_KPIS, Permission.VIEW_AGENCIES, Permission.AGENCY_WORK}),
    Role.RESPONDER: frozenset({Permission.VIEW_KPIS, Permission.VIEW_AGENCIES, Permission.FIELD_WORK}),
}


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    sip_endpoint: str | None = None  # the call taker's desk phone (PJSIP endpoint name)
    agency: str | None = None  # agency code; agencies come with dispatch
    language: Language = Language.ID
    disabled: bool = False
    internal: bool = False  # the local CLI principal: not a database row

    def can(self, permission: str) -> bool:
        """For templates (the menu): ``user.can("view_wallboard")``."""
        return has_permission(self, Permission(permission))


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    role: Role
    sip_endpoint: str | None = None
    agency: str | None = None
    language: Language = Language.ID


AGENCY_ROLES = frozenset({Role.AGENCY_OFFICER, Role.RESPONDER})  # the roles whose account names an agency
CLI_PRINCIPAL = User(id=0, username="cli", display_name="ec112 CLI", role=Role.ADMIN, internal=True)


def has_permission(user: User, permission: Permission) -> bool:
    return not user.disabled and permission in ROLE_PERMISSIONS[user.role]


def can_act_on_endpoint(user: User, endpoint: str) -> bool:
    """Queue login/logout and pause/unpause: a call taker on her own endpoint, supervisors and admins on any."""
    if has_permission(user, Permission.AGENT_ANY):
        return True
    return has_permission(user, Permission.AGENT_SELF) and user.sip_endpoint is not None \
        and user.sip_endpoint == endpoint


def may_administer(user: User) -> bool:
    """May open the admin pages (users, softphones): admins, and supervisors for their call takers."""
    return has_permission(user, Permission.MANAGE_USERS) or has_permission(user, Permission.MANAGE_TAKERS)


def may_manage(actor: User, role: Role) -> bool:
    """May add or change an account of ``role``: an admin any, a supervisor call takers only."""
    if has_permission(actor, Permission.MANAGE_USERS):
        return True
    return role is Role.CALL_TAKER and has_permission(actor, Permission.MANAGE_TAKERS)


def validate_endpoint_name(endpoint: str | None) -> str | None:
    """The endpoint name stripped (None when empty), or InvalidRequest."""
    name = (endpoint or "").strip() or None
    if name is not None and not _ENDPOINT.fullmatch(name):
        raise InvalidRequest(f"not a SIP endpoint name: {name!r}")
    return name


def check_endpoint_link(endpoint: str, username: str, site_endpoints: frozenset[str] | None,
                        users: Sequence[User]) -> None:
    """Linking ``endpoint`` to ``username``: one of the site's endpoints (when they are known) and no other active
    account's (two takers on one phone would each log the other into the queue). InvalidRequest/Conflict."""
    if site_endpoints is not None and endpoint not in site_endpoints:
        known = ", ".join(sorted(site_endpoints))
        raise InvalidRequest(f"{endpoint!r} is not one of this site's SIP endpoints ({known})")
    for other in users:
        if other.sip_endpoint == endpoint and other.username != username and not other.disabled:
            raise Conflict(f"SIP endpoint {endpoint} is linked to the active account {other.username!r}")


def validate_new_user(new: NewUser) -> NewUser:
    """The same user, normalised, or InvalidRequest with the reason."""
    username = new.username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise InvalidRequest(
            f"invalid username {new.username!r}: 2-40 characters, lowercase letters, digits, '.', '_' or '-'"
        )
    display_name = new.display_name.strip() or username
    if len(display_name) > 120:
        raise InvalidRequest("display name longer than 120 characters")
    endpoint = validate_endpoint_name(new.sip_endpoint)
    if new.role is Role.CALL_TAKER and endpoint is None:
        raise InvalidRequest("a call taker needs her SIP endpoint (e.g. --endpoint taker03)")
    agency = (new.agency or "").strip() or None
    if agency is not None and not _AGENCY.fullmatch(agency):
        raise InvalidRequest(f"not an agency code: {agency!r}")
    return NewUser(username, display_name, new.role, endpoint, agency, new.language)


def validate_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequest(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidRequest(f"password too long: at most {MAX_PASSWORD_LENGTH} characters")
    if password.strip().lower() == username.lower():
        raise InvalidRequest("the password must not be the username")
