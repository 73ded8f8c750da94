"""Who may do what: the role table, a call taker on her own endpoint only, account validation."""

from __future__ import annotations

import pytest

from ec112.domain.accounts import (
    CLI_PRINCIPAL,
    NewUser,
    Permission,
    Role,
    User,
    can_act_on_endpoint,
    check_endpoint_link,
    has_permission,
    may_administer,
    may_manage,
    validate_new_user,
    validate_password,
)
from ec112.domain.errors import Conflict, InvalidRequest


def _user(role: Role, endpoint: str | None = None, *, disabled: bool = False) -> User:
    return User(id=1, username="u", display_name="U", role=role, sip_endpoint=endpoint, disabled=disabled)


def test_call_taker_acts_on_her_own_endpoint_only() -> None:
    siti = _user(Role.CALL_TAKER, "taker01")
    assert can_act_on_endpoint(siti, "taker01")
    assert not can_act_on_endpoint(siti, "taker02")
    assert not can_act_on_endpoint(_user(Role.CALL_TAKER, None), "taker01")


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN])
def test_supervisors_and_admins_act_on_any_endpoint(role: Role) -> None:
    assert can_act_on_endpoint(_user(role), "taker07")


@pytest.mark.parametrize("role", [Role.AGENCY_OFFICER, Role.RESPONDER])
def test_agency_roles_never_touch_the_queue_nor_see_the_room(role: Role) -> None:
    user = _user(role, "taker01")
    assert not can_act_on_endpoint(user, "taker01")
    assert not has_permission(user, Permission.VIEW_LIVE)
    assert not has_permission(user, Permission.VIEW_TICKETS)
    assert has_permission(user, Permission.VIEW_KPIS)


def test_room_roles_read_the_live_view_and_tickets() -> None:
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.CALL_TAKER):
        assert has_permission(_user(role, "taker01"), Permission.VIEW_LIVE)
        assert has_permission(_user(role, "taker01"), Permission.VIEW_TICKETS)
    assert not has_permission(_user(Role.CALL_TAKER, "taker01"), Permission.VIEW_METRICS)
    assert not has_permission(_user(Role.SUPERVISOR), Permission.MANAGE_USERS)
    assert has_permission(_user(Role.ADMIN), Permission.MANAGE_USERS)


def test_admins_manage_every_account_and_supervisors_their_call_takers_only() -> None:
    admin, spv = _user(Role.ADMIN), _user(Role.SUPERVISOR)
    assert all(may_manage(admin, role) for role in Role)
    assert [role for role in Role if may_manage(spv, role)] == [Role.CALL_TAKER]
    assert may_administer(spv)
    for role in (Role.CALL_TAKER, Role.AGENCY_OFFICER, Role.RESPONDER):
        assert not may_administer(_user(role, "taker01"))
        assert not any(may_manage(_user(role, "taker01"), r) for r in Role)
    assert not may_manage(_user(Role.SUPERVISOR, disabled=True), Role.CALL_TAKER)


def test_an_endpoint_is_the_sites_and_no_other_active_accounts() -> None:
    site = frozenset({"taker01", "taker05"})
    siti = User(2, "siti", "Siti", Role.CALL_TAKER, "taker05")
    check_endpoint_link("taker05", "siti", site, [siti])  # her own: fine
    check_endpoint_link("taker07", "wulan", None, [siti])  # the site's endpoints unknown: no site check
    with pytest.raises(InvalidRequest, match="not one of this site's SIP endpoints"):
        check_endpoint_link("taker07", "wulan", site, [siti])
    with pytest.raises(Conflict, match="linked to the active account 'siti'"):
        check_endpoint_link("taker05", "wulan", site, [siti])
    gone = User(2, "siti", "Siti", Role.CALL_TAKER, "taker05", disabled=True)
    check_endpoint_link("taker05", "wulan", site, [gone])  # a disabled account's desk may be given on


def test_a_disabled_user_may_do_nothing() -> None:
    admin = _user(Role.ADMIN, disabled=True)
    assert not any(has_permission(admin, p) for p in Permission)
    assert not can_act_on_endpoint(admin, "taker01")


def test_the_cli_principal_is_an_internal_admin() -> None:
    assert CLI_PRINCIPAL.internal
    assert CLI_PRINCIPAL.role is Role.ADMIN
    assert CLI_PRINCIPAL.username == "cli"


def test_new_user_is_normalised_and_a_call_taker_needs_an_endpoint() -> None:
    new = validate_new_user(NewUser(" Siti ", "", Role.CALL_TAKER, " taker03 "))
    assert (new.username, new.display_name, new.sip_endpoint) == ("siti", "siti", "taker03")
    with pytest.raises(InvalidRequest, match="SIP endpoint"):
        validate_new_user(NewUser("budi", "Budi", Role.CALL_TAKER))
    with pytest.raises(InvalidRequest, match="invalid username"):
        validate_new_user(NewUser("bad name!", "x", Role.ADMIN))
    with pytest.raises(InvalidRequest, match="agency"):
        validate_new_user(NewUser("dika", "Dika", Role.AGENCY_OFFICER, agency="no spaces"))


def test_password_rules() -> None:
    validate_password("correct horse", "siti")
    with pytest.raises(InvalidRequest, match="too short"):
        validate_password("short", "siti")
    with pytest.raises(InvalidRequest, match="username"):
        validate_password("siti.nurhaliza", "Siti.Nurhaliza")
    with pytest.raises(InvalidRequest, match="too long"):
        validate_password("x" * 300, "siti")
