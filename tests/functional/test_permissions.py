"""Every view that requires a permission refuses whoever lacks it.

The views are read from Pyramid's introspector (the registry of every view and route the app
configured), so a view added later is checked without touching this file.
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from pyramid.authorization import ACLHelper, Authenticated, Everyone
from pyramid.security import NO_PERMISSION_REQUIRED

from dimoskopio.accounts.models import Role
from dimoskopio.security import RootFactory, role_principal
from tests.functional.conftest import csrf_token, login, new_client

# A placeholder in a route pattern: {name} or {name:regex}, the regex possibly holding {m,n}.
PLACEHOLDER = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^{}]*\})*))?\}")
STAR = re.compile(r"\*(\w+)$")
FILLED_IN_PREDICATES = {"RequestMethodPredicate", "XHRPredicate", "RequestParamPredicate"}
KNOWN_GUARDED_ROUTES = {"accounts.profile", "accounts.password", "accounts.email", "admin.dashboard",
                        "admin.users", "admin.user_role", "admin.mail", "admin.mail.retry"}


@dataclass(frozen=True)
class GuardedView:
    route_name: str
    pattern: str
    method: str
    permission: str
    route: Any
    headers: tuple[tuple[str, str], ...]
    params: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.method} {self.pattern} ({self.route_name}, permission {self.permission!r})"


def guarded_views(registry: Any) -> tuple[list[GuardedView], list[str]]:
    """Every (route, method) view with a permission, and a list of those this test cannot reach."""
    found, unreachable = [], []
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        permissions = [related["value"] for related in entry["related"] if related.category_name == "permissions"]
        if not permissions or permissions[0] in (None, NO_PERMISSION_REQUIRED):
            continue
        routes = [related for related in entry["related"] if related.category_name == "routes"]
        if not routes:
            if not view["exception_only"]:
                unreachable.append(f"view {view['callable']!r} has a permission but no route")
            continue
        route = routes[0]
        methods = view["request_methods"] or ("GET",)
        methods = (methods,) if isinstance(methods, str) else tuple(methods)
        method = "GET" if "GET" in methods else sorted(methods)[0]
        headers, params = [], []
        if view["accept"]:
            accept = view["accept"]
            headers.append(("Accept", accept if isinstance(accept, str) else sorted(accept)[0]))
        if view["xhr"]:
            headers.append(("X-Requested-With", "XMLHttpRequest"))
        for param in view["request_param"] or ():
            name, _, value = param.partition("=")
            params.append((name, value or "1"))
        unknown = {type(predicate).__name__ for predicate in view["predicates"]} - FILLED_IN_PREDICATES
        if unknown:
            unreachable.append(f"{route['name']}: predicates this test does not fill in yet: {sorted(unknown)}")
        found.append(GuardedView(route["name"], route["pattern"], method, str(permissions[0]),
                                 route["object"], tuple(headers), tuple(params)))
    return found, unreachable


def path_for(view: GuardedView, object_id: int) -> str:
    """The route's pattern with its placeholders filled, preferring the id of an existing object."""
    values: dict[str, Any] = {}
    for name, regex in PLACEHOLDER.findall(view.pattern):
        # The first alternative of a choice like {action:publish|cancel} fills it in too.
        # A date fills in a period's start ({start:\d{4}-\d{2}-\d{2}}).
        candidates = (str(object_id), "test", "x", "1", "2026-01-01", (regex or "").split("|")[0])
        values[name] = next((value for value in candidates if re.fullmatch(regex or "[^/]+", value)), "x")
    star = STAR.search(view.pattern)
    if star:
        values[star.group(1)] = ("x",)
    path = view.route.generate(values)
    assert view.route.match(path) is not None, f"cannot fill in the pattern of {view}"
    return path


def permitted(role: Role | None, permission: str) -> bool:
    """What the site-wide ACL grants a role (None: an anonymous visitor)."""
    principals = [Everyone] if role is None else [Everyone, Authenticated, role_principal(role)]
    return bool(ACLHelper().permits(RootFactory(None), principals, permission))


@pytest.fixture
def views(registry):
    found, unreachable = guarded_views(registry)
    assert not unreachable, "extend tests/functional/test_permissions.py for: " + "; ".join(unreachable)
    assert {view.route_name for view in found} >= KNOWN_GUARDED_ROUTES
    return found


@pytest.fixture
def target(user_factory):
    """An object for routes with an id: another member, so that nobody acts on themselves."""
    return user_factory(email="target@example.gr", name="Target")


def request_as(client, view: GuardedView, token: str, object_id: int):
    path = path_for(view, object_id)
    headers = dict(view.headers)
    params = dict(view.params)
    if view.method in ("GET", "HEAD"):
        return client.get(path, params, headers=headers, status="*")
    send = getattr(client, view.method.lower())
    return send(path, {**params, "csrf_token": token}, headers=headers, status="*")


@pytest.mark.parametrize("role", [None, Role.MEMBER, Role.MENTOR, Role.FOUNDER, Role.STAFF, Role.ADMIN],
                         ids=lambda role: role.value if role else "anonymous")
def test_every_guarded_view_refuses_whoever_lacks_its_permission_and_admits_whoever_has_it(
    role, app, views, target, user_factory
):
    client = new_client(app)
    if role is not None:
        user_factory(email=f"{role.value}@example.gr", role=role)
        assert login(client, f"{role.value}@example.gr").status_int == 303
    token = csrf_token(client)

    wrong = []
    for view in views:
        response = request_as(client, view, token, target.id)
        status = response.status_int
        if permitted(role, view.permission):
            refused = status == 403 or (response.location and "/login" in response.location)
            if refused or status >= 500:
                wrong.append(f"{view}: {status} {response.location or ''}, expected to be let in")
        elif role is None and view.method == "GET":
            if status != 303 or not response.location.startswith("http://localhost/login?next="):
                wrong.append(f"{view}: {status}, expected a redirect to the login page")
        elif status != 403:
            wrong.append(f"{view}: {status}, expected 403")

    assert not wrong, "\n".join(wrong)


def test_members_reach_only_their_account_pages(views):
    member_views = {view.route_name for view in views if permitted(Role.MEMBER, view.permission)}

    assert member_views == {
        "accounts.profile", "accounts.password", "accounts.email", "accounts.logout_others", "accounts.end_session",
        "events.mine", "events.mine_calendar_link",
        # Anyone with an account may apply to a call, and later read what they sent.
        "incubator.apply", "incubator.my_applications", "incubator.application", "incubator.application_file",
    }


def test_every_staff_area_view_requires_a_permission(registry):
    """A view under /admin without a permission would be open to everyone."""
    open_views = []
    for entry in registry.introspector.get_category("views"):
        routes = [related for related in entry["related"] if related.category_name == "routes"]
        permissions = [related for related in entry["related"] if related.category_name == "permissions"]
        if routes and routes[0]["pattern"].startswith("/admin") and not permissions:
            open_views.append(routes[0]["name"])

    assert open_views == []


def test_anonymous_visit_to_a_staff_page_leads_to_login_and_back(testapp, user_factory):
    user_factory(email="staff@example.gr", role=Role.STAFF)

    response = testapp.get("/admin/users", {"q": "maria"})

    assert response.status_int == 303
    assert response.location == "http://localhost/login?next=%2Fadmin%2Fusers%3Fq%3Dmaria"
    form = response.follow().forms["login-form"]
    form["email"] = "staff@example.gr"
    form["password"] = "correct horse battery"
    assert form.submit().location == "http://localhost/admin/users?q=maria"


def test_a_logged_in_member_gets_the_403_page(testapp, logged_in, tr):
    logged_in(Role.MEMBER)

    page = testapp.get("/admin", status=403)

    assert tr("Access denied") in page.text
    assert tr("You do not have permission to see this page.") in page.text


def test_the_staff_link_shows_only_to_those_who_may_follow_it(testapp, logged_in):
    assert 'href="/admin"' not in testapp.get("/").text
    logged_in(Role.MEMBER)
    assert 'href="/admin"' not in testapp.get("/").text


def test_staff_see_the_staff_link(testapp, logged_in):
    logged_in(Role.STAFF)

    assert 'href="/admin"' in testapp.get("/").text


def test_a_view_added_later_is_checked_too(make_app):
    def add_guarded_view(config):
        config.add_route("test.later", "/admin/later/{slug:[a-z]+}/{id:\\d{1,9}}")
        config.add_view(lambda request: {}, route_name="test.later", renderer="json",
                        permission="events.manage", request_method="POST")

    later_app = make_app(extend=add_guarded_view)
    found, unreachable = guarded_views(later_app.app.registry)

    [view] = [view for view in found if view.route_name == "test.later"]
    assert (view.method, view.permission, unreachable) == ("POST", "events.manage", [])
    assert path_for(view, object_id=7) == "/admin/later/test/7"
