"""Who the visitor is and what they may do: session authentication plus ACLs."""

import enum
from typing import Any

from pyramid.authorization import ALL_PERMISSIONS, ACLHelper, Allow, Authenticated, Everyone
from pyramid.config import Configurator
from pyramid.csrf import SessionCSRFStoragePolicy
from pyramid.request import Request
from pyramid.session import JSONSerializer, SignedCookieSessionFactory

from dimoskopio.accounts.models import LoginSession, Role, User
from dimoskopio.accounts.services import SESSION_IDLE_LIMIT, end_session, find_session, start_session

SESSION_TOKEN_KEY = "auth.session"  # noqa: S105 - the cookie session key, not a secret
# The cookie lasts as long as an idle login session may.
SESSION_MAX_AGE = int(SESSION_IDLE_LIMIT.total_seconds())


class Permission(enum.StrEnum):
    """Every permission a view may require. Roles receive them in `RootFactory.__acl__`."""

    ACCOUNT = "account"
    STAFF_DASHBOARD = "staff.dashboard"
    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.manage"
    MAIL_VIEW = "mail.view"
    MAIL_MANAGE = "mail.manage"
    EVENTS_MANAGE = "events.manage"
    INCUBATOR_MANAGE = "incubator.manage"
    MENTORING = "incubator.mentoring"
    STARTUP_EDIT = "incubator.startup.edit"
    # Scoring the applications to calls one is assigned to (staff and mentors review).
    REVIEW = "incubator.review"
    MAILING_MANAGE = "mailing.manage"


def role_principal(role: Role) -> str:
    return f"role:{role.value}"


STAFF_PERMISSIONS = (
    Permission.STAFF_DASHBOARD,
    Permission.USERS_VIEW,
    Permission.USERS_MANAGE,
    Permission.MAIL_VIEW,
    Permission.MAIL_MANAGE,
    Permission.EVENTS_MANAGE,
    Permission.INCUBATOR_MANAGE,
    Permission.MAILING_MANAGE,
    Permission.REVIEW,
)


class RootFactory:
    """The default context: the site-wide ACL."""

    __acl__ = [
        (Allow, role_principal(Role.ADMIN), ALL_PERMISSIONS),
        *[(Allow, role_principal(Role.STAFF), permission) for permission in STAFF_PERMISSIONS],
        (Allow, role_principal(Role.MENTOR), Permission.MENTORING),
        (Allow, role_principal(Role.MENTOR), Permission.REVIEW),
        (Allow, role_principal(Role.FOUNDER), Permission.STARTUP_EDIT),
        (Allow, Authenticated, Permission.ACCOUNT),
    ]

    def __init__(self, request: Request) -> None:
        self.request = request


class SessionSecurityPolicy:
    """Identity from the signed session cookie, whose token must name a live login session."""

    def __init__(self) -> None:
        self.helper = ACLHelper()

    def identity(self, request: Request) -> User | None:
        return request.user

    def authenticated_userid(self, request: Request) -> int | None:
        user = request.user
        return user.id if user is not None else None

    def permits(self, request: Request, context: Any, permission: str) -> Any:
        principals = [Everyone]
        user = request.user
        if user is not None:
            principals += [Authenticated, *user.principals]
        return self.helper.permits(context, principals, permission)

    def remember(self, request: Request, userid: int, **kw: Any) -> list[tuple[str, str]]:
        user = request.dbsession.get(User, userid)
        token = start_session(request.dbsession, user, request.user_agent or "")
        # A fresh cookie session on login prevents session fixation.
        request.session.invalidate()
        request.session[SESSION_TOKEN_KEY] = token
        request.session.changed()
        request.__dict__["login_session"] = find_session(request.dbsession, token)
        request.__dict__["user"] = user
        return []

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        token = request.session.get(SESSION_TOKEN_KEY)
        if isinstance(token, str):
            end_session(request.dbsession, token)
        request.session.invalidate()
        request.__dict__["login_session"] = None
        request.__dict__["user"] = None
        return []


def _login_session(request: Request) -> LoginSession | None:
    token = request.session.get(SESSION_TOKEN_KEY)
    if not isinstance(token, str):
        return None
    return find_session(request.dbsession, token)


def _user(request: Request) -> User | None:
    login_session = request.login_session
    return login_session.user if login_session is not None else None


def includeme(config: Configurator) -> None:
    settings = config.get_settings()
    # pyramid_tm would ask for the user (a database query) outside the error views, so that with
    # the database down a logged-in visitor got a bare server error instead of the 500 page.
    settings.setdefault("tm.annotate_user", False)
    session_factory = SignedCookieSessionFactory(
        settings["dimoskopio.secret"],
        cookie_name="dimoskopio_session",
        max_age=SESSION_MAX_AGE,
        timeout=SESSION_MAX_AGE,
        reissue_time=3600,
        secure=settings["dimoskopio.secure_cookies"],
        httponly=True,
        samesite="Lax",
        serializer=JSONSerializer(),
    )
    config.set_session_factory(session_factory)
    config.set_csrf_storage_policy(SessionCSRFStoragePolicy())
    config.set_default_csrf_options(require_csrf=True)
    config.set_root_factory(RootFactory)
    config.set_security_policy(SessionSecurityPolicy())
    config.add_request_method(_login_session, "login_session", reify=True)
    config.add_request_method(_user, "user", reify=True)
