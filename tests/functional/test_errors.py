"""Error pages (404, 403, 500), the health check and the security headers on every response."""

import json

import pytest
from pyramid.httpexceptions import HTTPForbidden

from dimoskopio.accounts.models import Role
from dimoskopio.accounts.services import create_user
from dimoskopio.i18n import LOCALE_COOKIE
from tests.functional.conftest import switch_language, user_count

UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/unreachable"
SECRET_DETAIL = "secret internal detail 5f1e"


def add_failing_routes(config):
    """Test-only views: one that fails, one that writes and then fails."""

    def fail(request):
        raise RuntimeError(SECRET_DETAIL)

    def write_then_fail(request):
        create_user(request.dbsession, "half@example.gr", "Half Saved", "a long enough password")
        raise RuntimeError(SECRET_DETAIL)

    config.add_route("test.fail", "/test/fail")
    config.add_view(fail, route_name="test.fail")
    config.add_route("test.write_then_fail", "/test/write-then-fail")
    config.add_view(write_then_fail, route_name="test.write_then_fail", request_method="POST",
                    require_csrf=False)


@pytest.fixture
def failing_app(make_app):
    return make_app(extend=add_failing_routes)


def assert_no_internals(page):
    for leak in ("Traceback", SECRET_DETAIL, "RuntimeError", "File \"", ".py"):
        assert leak not in page.text, leak


# --- 404 ----------------------------------------------------------------------------------------


def test_a_missing_page_is_a_friendly_404_in_greek_by_default(testapp, tr):
    page = testapp.get("/no/such/page", status=404)

    assert '<html lang="el">' in page.text
    assert tr("Page not found", "el") in page.text
    assert tr("The page you asked for does not exist or has moved.", "el") in page.text
    assert 'href="/"' in page.text


def test_the_404_page_is_in_english_after_switching_language(testapp):
    switch_language(testapp, "en")

    page = testapp.get("/no/such/page", status=404)

    assert '<html lang="en">' in page.text
    assert "Page not found" in page.text


def test_a_get_to_a_post_only_address_is_a_friendly_404(testapp, tr):
    page = testapp.get("/logout", status=404)

    assert tr("Page not found") in page.text


# --- 403 ----------------------------------------------------------------------------------------


def test_the_403_page_is_friendly_and_translated(testapp, logged_in):
    logged_in(Role.MEMBER)
    switch_language(testapp, "en")

    page = testapp.get("/admin/users", status=403)

    assert '<html lang="en">' in page.text
    assert "Access denied" in page.text
    assert "You do not have permission to see this page." in page.text


def test_an_anonymous_post_to_a_guarded_address_is_403_not_a_redirect(testapp, tr):
    token = testapp.get("/").forms[0]["csrf_token"].value

    page = testapp.post("/account", {"name": "x", "csrf_token": token}, status=403)

    assert tr("Access denied") in page.text


def test_a_forbidden_raised_inside_a_view_is_the_403_page(make_app, user_factory, tr):
    def add_forbidding_route(config):
        def forbid(request):
            raise HTTPForbidden()

        config.add_route("test.forbid", "/test/forbid")
        config.add_view(forbid, route_name="test.forbid")

    client = make_app(extend=add_forbidding_route)
    user_factory(email="maria@example.gr")
    form = client.get("/login").forms["login-form"]
    form["email"] = "maria@example.gr"
    form["password"] = "correct horse battery"
    form.submit()

    page = client.get("/test/forbid", status=403)

    assert tr("Access denied") in page.text


# --- 500 ----------------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_friendly_500_page_without_internals(failing_app, tr):
    page = failing_app.get("/test/fail", status=500)

    assert '<html lang="el">' in page.text
    assert tr("Something went wrong", "el") in page.text
    assert_no_internals(page)


def test_the_500_page_is_in_the_language_the_visitor_chose(failing_app):
    failing_app.set_cookie(LOCALE_COOKIE, "en")

    page = failing_app.get("/test/fail", status=500)

    assert '<html lang="en">' in page.text
    assert "Something went wrong" in page.text
    assert_no_internals(page)


def test_an_unknown_language_cookie_falls_back_to_greek_on_the_500_page(failing_app):
    failing_app.set_cookie(LOCALE_COOKIE, "xx")

    page = failing_app.get("/test/fail", status=500)

    assert '<html lang="el">' in page.text


def test_nothing_is_half_saved_when_a_request_fails(failing_app, dbsession):
    failing_app.post("/test/write-then-fail", status=500)

    assert user_count(dbsession) == 0


def test_the_500_page_shows_even_when_the_database_is_down(make_app, testapp, logged_in, tr):
    logged_in(Role.MEMBER)
    broken = make_app(**{"sqlalchemy.url": UNREACHABLE_DATABASE})
    broken.set_cookie("dimoskopio_session", testapp.cookies["dimoskopio_session"])

    page = broken.get("/account", status=500)

    assert tr("Something went wrong") in page.text
    assert_no_internals(page)


# --- health check -------------------------------------------------------------------------------


def test_health_check_reports_a_working_database(testapp):
    response = testapp.get("/healthz")

    assert response.status_int == 200
    assert response.content_type == "application/json"
    assert json.loads(response.text) == {"status": "ok", "database": "ok"}


def test_health_check_answers_503_when_the_database_is_unreachable(make_app):
    broken = make_app(**{"sqlalchemy.url": UNREACHABLE_DATABASE})

    response = broken.get("/healthz", status=503)

    assert json.loads(response.text) == {"status": "error", "database": "unreachable"}


# --- security headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "status"), [
    ("/", 200), ("/login", 200), ("/healthz", 200), ("/no/such/page", 404), ("/admin", 303),
])
def test_every_response_carries_the_security_headers(testapp, url, status):
    response = testapp.get(url, status=status)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    policy = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy


def test_error_pages_carry_the_security_headers_too(failing_app):
    for response in (failing_app.get("/test/fail", status=500),
                     failing_app.post("/language", {"locale": "en"}, status=400)):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
