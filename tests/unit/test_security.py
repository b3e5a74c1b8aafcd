"""Roles and permissions, the session identity, safe redirects and cookie settings."""

import pytest
from pyramid import testing
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.interfaces import ISessionFactory
from pyramid.request import Request
from pyramid.response import Response

from dimoskopio.accounts.models import LoginSession, Role, User
from dimoskopio.accounts.services import find_session, list_sessions, start_session
from dimoskopio.config import InsecureSecretError, normalize_settings
from dimoskopio.security import (
    SESSION_TOKEN_KEY,
    STAFF_PERMISSIONS,
    Permission,
    RootFactory,
    SessionSecurityPolicy,
    _login_session,
    _user,
    role_principal,
)
from dimoskopio.web import safe_next_url

SECRET = "unit-test-secret"
EVERY_PERMISSION = set(Permission)


def granted(role: Role | None) -> set[str]:
    principals = [Everyone] if role is None else [Everyone, Authenticated, role_principal(role)]
    helper = ACLHelper()
    return {permission for permission in EVERY_PERMISSION
            if helper.permits(RootFactory(None), principals, permission)}


# --- roles --------------------------------------------------------------------------------------


def test_an_admin_has_every_permission_even_ones_added_later():
    assert granted(Role.ADMIN) == EVERY_PERMISSION
    assert ACLHelper().permits(RootFactory(None), [role_principal(Role.ADMIN)], "some.future.permission")


def test_staff_have_the_staff_permissions_and_their_account():
    assert granted(Role.STAFF) == {*STAFF_PERMISSIONS, Permission.ACCOUNT}


def test_staff_permissions_leave_out_mentoring_and_editing_startups():
    assert Permission.MENTORING not in granted(Role.STAFF)
    assert Permission.STARTUP_EDIT not in granted(Role.STAFF)


@pytest.mark.parametrize(("role", "extra"), [
    (Role.MEMBER, set()),
    (Role.MENTOR, {Permission.MENTORING, Permission.REVIEW}),
    (Role.FOUNDER, {Permission.STARTUP_EDIT}),
])
def test_other_roles_have_their_account_and_only_their_own_permission(role, extra):
    assert granted(role) == {Permission.ACCOUNT, *extra}


def test_an_anonymous_visitor_has_no_permission():
    assert granted(None) == set()


def test_a_user_is_known_by_id_and_role():
    user = User(id=7, role=Role.MENTOR)

    assert user.principals == ["user:7", "role:mentor"]


# --- the session identity -----------------------------------------------------------------------


def session_request(dbsession, session: dict) -> testing.DummyRequest:
    request = testing.DummyRequest(user_agent="Firefox on Linux")
    request.session = testing.DummySession(session)
    request.dbsession = dbsession
    return request


@pytest.fixture
def member(dbsession):
    user = User(email="member@example.gr", name="Μέλος", password_hash="x", role=Role.MEMBER)
    dbsession.add(user)
    dbsession.commit()
    return user


def test_remember_starts_a_login_session_in_a_fresh_cookie_session(dbsession, member):
    request = session_request(dbsession, {"csrf_token": "old", "anything": "left over"})

    SessionSecurityPolicy().remember(request, member.id)

    assert set(request.session) == {SESSION_TOKEN_KEY}
    assert request.user is member
    [stored] = list_sessions(dbsession, member)
    assert stored.user_agent == "Firefox on Linux"
    assert stored.token_hash != request.session[SESSION_TOKEN_KEY], "only a hash of the token is stored"


def test_the_cookie_names_the_user_while_the_login_session_lives(dbsession, member):
    token = start_session(dbsession, member, "")
    dbsession.commit()
    assert _user(with_login_session(session_request(dbsession, {SESSION_TOKEN_KEY: token}))) is member


@pytest.mark.parametrize("session", [{}, {SESSION_TOKEN_KEY: "forged-token"}, {SESSION_TOKEN_KEY: 42}],
                         ids=["no login", "unknown token", "not a token"])
def test_the_cookie_names_nobody_without_a_live_login_session(dbsession, member, session):
    assert _user(with_login_session(session_request(dbsession, session))) is None


def test_a_deactivated_account_is_logged_out(dbsession, member):
    token = start_session(dbsession, member, "")
    member.is_active = False
    dbsession.commit()
    assert _user(with_login_session(session_request(dbsession, {SESSION_TOKEN_KEY: token}))) is None


def test_forget_ends_the_login_session_for_good(dbsession, member):
    token = start_session(dbsession, member, "")
    dbsession.commit()
    request = session_request(dbsession, {SESSION_TOKEN_KEY: token})

    SessionSecurityPolicy().forget(request)

    assert dict(request.session) == {}
    assert request.user is None
    assert find_session(dbsession, token) is None, "a copy of the old cookie no longer works"


def with_login_session(request):
    request.login_session = _login_session(request)
    return request


# --- redirects after login or a language switch --------------------------------------------------


@pytest.fixture
def route_request():
    with testing.testConfig() as config:
        config.add_route("home", "/")
        config.add_route("admin.users", "/admin/users")
        yield testing.DummyRequest()


@pytest.mark.parametrize("target", ["/account", "/admin/users?q=μαρία&page=2", "/events#today", "/"])
def test_same_site_paths_are_followed(route_request, target):
    assert safe_next_url(route_request, target) == target


@pytest.mark.parametrize("target", [
    None, "", "//evil.example", "///evil.example", "http://evil.example/", "HTTPS://evil.example",
    "/\\evil.example", "\\/evil.example", "/\t/evil.example", "/\n/evil.example", "/account\x00",
    "javascript:alert(1)", "evil.example/account", "account", "mailto:x@evil.example",
])
def test_anything_else_goes_to_the_default_page(route_request, target):
    assert safe_next_url(route_request, target) == "/"
    assert safe_next_url(route_request, target, "admin.users") == "/admin/users"


# --- settings and cookies -----------------------------------------------------------------------


def settings(**overrides) -> dict:
    return {"dimoskopio.secret": SECRET, "sqlalchemy.url": "sqlite://", **overrides}


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch):
    for name in ("DIMOSKOPIO_SECRET", "DIMOSKOPIO_BASE_URL", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("base_url", "secure"), [
    ("http://localhost:6543", False),
    ("https://dimoskopio.heraklion.gr/", True),
    ("HTTP://dimoskopio.example", False),
])
def test_cookies_are_secure_exactly_when_the_site_is_https(base_url, secure):
    normalized = normalize_settings(settings(**{"dimoskopio.base_url": base_url}))

    assert normalized["dimoskopio.secure_cookies"] is secure
    assert not normalized["dimoskopio.base_url"].endswith("/")


def test_the_base_url_from_the_environment_decides_too(monkeypatch):
    monkeypatch.setenv("DIMOSKOPIO_BASE_URL", "https://dimoskopio.example")

    assert normalize_settings(settings())["dimoskopio.secure_cookies"] is True


def test_the_app_refuses_to_run_without_a_secret():
    with pytest.raises(InsecureSecretError):
        normalize_settings({"dimoskopio.secret": ""})


def test_the_secret_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIMOSKOPIO_SECRET", "from-the-environment")

    assert normalize_settings({})["dimoskopio.secret"] == "from-the-environment"


def session_cookie(base_url: str) -> list[str]:
    """The attributes of the session cookie the configured session factory sets."""
    config = Configurator(settings=normalize_settings(settings(**{"dimoskopio.base_url": base_url})))
    config.include("dimoskopio.security")
    config.commit()
    request = Request.blank("/")
    session = config.registry.getUtility(ISessionFactory)(request)
    session["x"] = 1
    response = Response()
    request._process_response_callbacks(response)
    [cookie] = response.headers.getall("Set-Cookie")
    return [part.strip().lower() for part in cookie.split(";")]


def test_the_session_cookie_is_httponly_samesite_lax_and_not_secure_over_http():
    attributes = session_cookie("http://localhost:6543")

    assert attributes[0].startswith("dimoskopio_session=")
    assert {"httponly", "samesite=lax", "path=/"} <= set(attributes)
    assert "secure" not in attributes


def test_the_session_cookie_is_secure_over_https():
    assert {"secure", "httponly", "samesite=lax"} <= set(session_cookie("https://dimoskopio.example"))


def test_every_unsafe_request_needs_a_csrf_token():
    from pyramid.interfaces import IDefaultCSRFOptions

    config = Configurator(settings=normalize_settings(settings()))
    config.include("dimoskopio.security")
    config.commit()

    assert config.registry.getUtility(IDefaultCSRFOptions).require_csrf is True


@pytest.mark.parametrize(("agent", "device"), [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 "
     "Edg/131.0", "Edge · Windows"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox · Linux"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", "Safari · iOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile "
     "Safari/537.36", "Chrome · Android"),
    ("curl/8.5.0", ""),
])
def test_devices_get_short_readable_names(agent, device):
    assert LoginSession(user_agent=agent).device == device
