"""Bad input never gives a 500: a clear message or 400/403/404, the typed text kept, nothing stored."""

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from webob import Request

from dimoskopio.accounts.models import LoginSession, Role, User
from dimoskopio.accounts.services import TokenPurpose, TokenService
from dimoskopio.i18n import LOCALE_COOKIE
from dimoskopio.mail.models import OutboxMessage
from tests.conftest import DEFAULT_PASSWORD
from tests.functional.conftest import ENVIRON, login, queued_mail, reload, user_count

PASSWORD = "a long enough password"
HUGE = 10_000
SQL_INJECTIONS = ["' OR 1=1 --", '"; DROP TABLE users; --', "maria@example.gr' --", "1; DELETE FROM users"]
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@dataclass
class FormCase:
    """One form of the site: where it is, who may see it, and values that would be accepted."""

    url: str
    form: str | int
    role: Role | None
    values: dict[str, Any] = field(default_factory=dict)
    button: tuple[str, str] | None = None


FORMS = {
    "signup": FormCase("/signup", "signup-form", None, {
        "name": "Νίκος Ψαράκης", "email": "nikos@example.gr", "password": PASSWORD,
        "password_confirm": PASSWORD, "accept_terms": True}),
    "login": FormCase("/login", "login-form", None, {"email": "maria@example.gr", "password": DEFAULT_PASSWORD}),
    "reset": FormCase("/account/reset", "reset-form", None, {"email": "maria@example.gr"}),
    "resend": FormCase("/signup/check-your-email", "resend-form", None, {"email": "maria@example.gr"}),
    "new password": FormCase("/account/reset/confirm?token={token}", "new-password-form", None, {
        "password": PASSWORD, "password_confirm": PASSWORD}),
    "profile": FormCase("/account", "profile-form", Role.MEMBER, {"name": "Άλλο όνομα", "locale": "en"}),
    "password": FormCase("/account/password", "password-form", Role.MEMBER, {
        "current_password": DEFAULT_PASSWORD, "password": PASSWORD, "password_confirm": PASSWORD}),
    "email": FormCase("/account/email", "email-form", Role.MEMBER, {
        "email": "new@example.gr", "current_password": DEFAULT_PASSWORD}),
    "language": FormCase("/", 0, None, button=("locale", "en")),
    "role": FormCase("/admin/users", "/admin/users/{target}/role", Role.ADMIN, {"role": "staff"}),
    "logout": FormCase("/", "/logout", Role.MEMBER),
}


@pytest.fixture
def open_form(testapp, user_factory, logged_in, app_settings):
    """Arrange what a form needs (a user, a login, a token) and return it filled with good values."""

    def open_(name: str) -> Any:
        case = FORMS[name]
        target = user_factory(email="maria@example.gr", name="Μαρία")
        if case.role is not None:
            logged_in(case.role)
        token = TokenService(app_settings["dimoskopio.secret"]).make(TokenPurpose.RESET_PASSWORD, target)
        page = testapp.get(case.url.format(token=token))
        if isinstance(case.form, str) and case.form.startswith("/"):
            action = case.form.format(target=target.id)
            form = next(form for form in page.forms.values() if form.action == action)
        else:
            form = page.forms[case.form]
        for key, value in case.values.items():
            form[key] = value
        return form

    return open_


def stored_state(dbsession) -> tuple:
    """Everything the forms could change: every user row and the number of queued emails."""
    dbsession.rollback()
    users = dbsession.execute(select(
        User.id, User.email, User.name, User.password_hash, User.role, User.locale, User.pending_email,
        User.email_verified_at, User.failed_logins, User.locked_until,
    ).order_by(User.id)).all()
    sessions = dbsession.execute(select(LoginSession.id, LoginSession.user_id).order_by(LoginSession.id)).all()
    return users, sessions, dbsession.scalar(select(func.count()).select_from(OutboxMessage))


def error_next_to(page, field_id: str) -> str:
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page.text, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1)


def assert_no_server_error(response) -> None:
    assert response.status_int < 500, response.text
    assert "Traceback" not in response.text


# --- CSRF ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FORMS))
def test_a_form_without_its_csrf_token_is_refused_with_the_form_expired_page(
    name, testapp, open_form, dbsession, tr
):
    form = open_form(name)
    before = stored_state(dbsession)
    button = FORMS[name].button or (None, None)
    fields = [(key, value) for key, value in form.submit_fields(button[0], submit_value=button[1])
              if key != "csrf_token"]

    response = testapp.post(form.action, fields, status=400)

    assert tr("Your form has expired") in response.text
    assert "Traceback" not in response.text
    assert stored_state(dbsession) == before
    assert LOCALE_COOKIE not in testapp.cookies


@pytest.mark.parametrize("name", ["signup", "login", "profile", "role"])
def test_a_form_with_a_forged_csrf_token_is_refused(name, testapp, open_form, dbsession, tr):
    form = open_form(name)
    before = stored_state(dbsession)
    form["csrf_token"] = "0" * 32

    response = form.submit(status=400)

    assert tr("Your form has expired") in response.text
    assert stored_state(dbsession) == before


def test_a_login_without_csrf_token_does_not_log_in(testapp, open_form):
    form = open_form("login")
    fields = [(key, value) for key, value in form.submit_fields() if key != "csrf_token"]

    testapp.post("/login", fields, status=400)

    assert testapp.get("/account").status_int == 303


# --- oversized, malformed and empty fields -----------------------------------------------------

AT_MOST = "Must be at most ${max} characters."
BETWEEN = "Must be between ${min} and ${max} characters."


@pytest.mark.parametrize(("name", "field_name", "message", "mapping"), [
    ("signup", "name", AT_MOST, {"max": 120}),
    ("signup", "email", AT_MOST, {"max": 254}),
    ("signup", "password", BETWEEN, {"min": 10, "max": 128}),
    ("login", "email", AT_MOST, {"max": 254}),
    ("login", "password", AT_MOST, {"max": 128}),
    ("reset", "email", AT_MOST, {"max": 254}),
    ("resend", "email", AT_MOST, {"max": 254}),
    ("new password", "password", BETWEEN, {"min": 10, "max": 128}),
    ("profile", "name", AT_MOST, {"max": 120}),
    ("password", "current_password", AT_MOST, {"max": 128}),
    ("password", "password", BETWEEN, {"min": 10, "max": 128}),
    ("email", "email", AT_MOST, {"max": 254}),
    ("email", "current_password", AT_MOST, {"max": 128}),
])
def test_an_oversized_field_gets_a_message_next_to_it_and_nothing_is_stored(
    name, field_name, message, mapping, open_form, dbsession, tr
):
    form = open_form(name)
    before = stored_state(dbsession)
    typed = ("x" * HUGE) + "@example.gr" if "email" in field_name else "Ab1!" * (HUGE // 4)
    form[field_name] = typed
    if field_name == "password" and "password_confirm" in form.fields:
        form["password_confirm"] = typed

    response = form.submit(status="*")

    assert response.status_int in (200, 400)
    assert tr(message, **mapping) in error_next_to(response, field_name)
    if "password" not in field_name:
        assert response.forms[FORMS[name].form][field_name].value == typed
    assert stored_state(dbsession) == before


@pytest.mark.parametrize("email", [
    "not-an-email", "maria@", "@example.gr", "maria@@example.gr", "maria@example",
    "maria example@example.gr", f"{SCRIPT}@example.gr", "' OR 1=1 --",
])
def test_a_malformed_email_is_refused_at_signup_and_the_typed_text_kept(email, open_form, dbsession, tr):
    form = open_form("signup")
    form["email"] = email

    response = form.submit()

    assert response.status_int == 200
    assert tr("Enter a valid email address, like name@example.com.") in error_next_to(response, "email")
    assert response.forms["signup-form"]["email"].value == email
    assert response.forms["signup-form"]["name"].value == "Νίκος Ψαράκης"
    assert response.forms["signup-form"]["password"].value == ""
    assert user_count(dbsession) == 1


@pytest.mark.parametrize("name", ["email", "reset", "resend"])
def test_a_malformed_email_is_refused_everywhere_an_address_is_typed(name, open_form, dbsession, tr):
    form = open_form(name)
    before = stored_state(dbsession)
    form["email"] = "maria@@example.gr"

    response = form.submit(status="*")

    assert response.status_int in (200, 400)
    assert tr("Enter a valid email address, like name@example.com.") in error_next_to(response, "email")
    assert stored_state(dbsession) == before


@pytest.mark.parametrize(("name", "field_name"), [("signup", "name"), ("profile", "name")])
@pytest.mark.parametrize("blank", ["", "   ", "\t \n"])
def test_a_blank_name_is_required(name, field_name, blank, open_form, dbsession, tr):
    form = open_form(name)
    before = stored_state(dbsession)
    form[field_name] = blank

    response = form.submit()

    assert tr("This field is required.") in error_next_to(response, field_name)
    assert stored_state(dbsession) == before


def test_a_signup_with_no_fields_at_all_lists_what_is_missing(testapp, dbsession, tr):
    token = testapp.get("/signup").forms["signup-form"]["csrf_token"].value

    response = testapp.post("/signup", {"csrf_token": token})

    for field_id in ("name", "email", "password", "password_confirm", "accept_terms"):
        assert tr("This field is required.") in error_next_to(response, field_id)
    assert user_count(dbsession) == 0


@pytest.mark.parametrize(("name", "field_name"), [
    ("signup", "name"), ("signup", "email"), ("login", "email"), ("reset", "email"),
    ("profile", "name"), ("email", "email"),
])
@pytest.mark.parametrize("control", ["\x00", "\x1b[31m", "\x7f"])
def test_control_characters_are_refused_with_a_message(name, field_name, control, open_form, dbsession, tr):
    form = open_form(name)
    before = stored_state(dbsession)
    form[field_name] = f"maria{control}@example.gr" if "email" in field_name else f"Μαρία{control}"

    response = form.submit(status="*")

    assert_no_server_error(response)
    assert tr("This field contains characters that are not allowed.") in error_next_to(response, field_name)
    assert stored_state(dbsession) == before


# --- SQL and HTML injection ---------------------------------------------------------------------


@pytest.mark.parametrize("attack", SQL_INJECTIONS)
def test_sql_injection_as_login_email_or_password_is_just_a_wrong_login(attack, testapp, user_factory, dbsession):
    user_factory(email="maria@example.gr")

    for email, password in ((attack, "whatever password"), ("maria@example.gr", attack)):
        response = login(testapp, email, password)
        assert response.status_int in (200, 400)
        assert testapp.get("/account").status_int == 303
    assert user_count(dbsession) == 1


@pytest.mark.parametrize("attack", SQL_INJECTIONS)
def test_sql_injection_as_a_name_is_stored_as_plain_text(attack, open_form, dbsession):
    form = open_form("signup")
    form["name"] = attack

    form.submit()

    dbsession.rollback()
    assert dbsession.scalar(select(User.name).where(User.email == "nikos@example.gr")) == attack
    assert user_count(dbsession) == 2


@pytest.mark.parametrize("attack", [*SQL_INJECTIONS, "%", "_", "x" * HUGE])
def test_sql_injection_in_the_user_search_finds_nothing_and_breaks_nothing(attack, testapp, logged_in, dbsession):
    logged_in(Role.ADMIN)
    before = stored_state(dbsession)

    page = testapp.get("/admin/users", {"q": attack})

    assert page.status_int == 200
    assert page.text.count('<th scope="row">') == 0
    assert stored_state(dbsession) == before


def test_control_characters_in_the_user_search_are_ignored(testapp, logged_in):
    admin = logged_in(Role.ADMIN)

    page = testapp.get("/admin/users", {"q": "adm\x00in"})

    assert admin.email in page.text


def test_a_script_in_a_name_is_shown_as_text_on_every_page(testapp, user_factory, logged_in, dbsession):
    user_factory(email="evil@example.gr", name=SCRIPT)
    admin = reload(dbsession, logged_in(Role.ADMIN))
    admin.name = SCRIPT
    dbsession.commit()

    for url in ("/", "/account", "/account/password", "/account/email", "/admin/users", "/admin",
                "/admin/users?q=evil", "/does-not-exist"):
        page = testapp.get(url, status="*")
        assert SCRIPT not in page.text, url
        assert ESCAPED_SCRIPT in page.text, url


def test_a_script_in_a_name_is_escaped_in_the_welcome_and_in_email(testapp, user_factory, outbox):
    user_factory(email="evil@example.gr", name=SCRIPT)

    welcome = login(testapp, "evil@example.gr").follow()
    assert SCRIPT not in welcome.text
    assert ESCAPED_SCRIPT in welcome.text
    form = testapp.get("/account/reset").forms["reset-form"]
    form["email"] = "evil@example.gr"
    form.submit()

    [message] = outbox()
    html = message.get_body(("html",)).get_content()
    assert SCRIPT not in html
    assert ESCAPED_SCRIPT in html


@pytest.mark.parametrize("url", [
    '/login?next="><script>alert(1)</script>',
    '/?"><script>alert(1)</script>',
    '/admin/users?q="><script>alert(1)</script>',
])
def test_typed_addresses_and_searches_are_escaped_when_shown_again(url, testapp, logged_in):
    logged_in(Role.ADMIN)

    page = testapp.get(url)

    assert SCRIPT not in page.text
    assert '"><script>' not in page.text


# --- languages, ids, pages, undecodable requests ------------------------------------------------


@pytest.mark.parametrize("locale_name", ["xx", "EN", "el_GR", "", "../../etc/passwd", "en\x00"])
def test_an_unknown_language_code_is_refused_with_400(locale_name, testapp, tr):
    token = testapp.get("/").forms[0]["csrf_token"].value

    response = testapp.post("/language", {"locale": locale_name, "csrf_token": token}, status=400)

    assert tr("Unknown language.") in response.text
    assert LOCALE_COOKIE not in testapp.cookies


def test_a_language_switch_without_a_language_is_refused_with_400(testapp):
    token = testapp.get("/").forms[0]["csrf_token"].value

    testapp.post("/language", {"csrf_token": token}, status=400)


@pytest.mark.parametrize("user_id", [
    "abc", "1.5", "-1", "0", "1e3", "%D9%A1", "%C2%B2", "99999999999999999999", "2147483648", "%20",
])
def test_a_role_change_for_a_malformed_or_impossible_id_is_404(user_id, testapp, logged_in, dbsession):
    logged_in(Role.ADMIN)
    token = testapp.get("/").forms[0]["csrf_token"].value
    before = stored_state(dbsession)

    testapp.post(f"/admin/users/{user_id}/role", {"role": "staff", "csrf_token": token}, status=404)

    assert stored_state(dbsession) == before


@pytest.mark.parametrize("url", ["/admin/mail/abc", "/admin/mail/1.5", "/admin/mail/-1", "/admin/mail/1/html/x"])
def test_malformed_ids_in_staff_urls_are_404(url, testapp, logged_in):
    logged_in(Role.ADMIN)

    testapp.get(url, status=404)


def test_an_id_beyond_the_integer_column_in_the_mail_screens_is_404(testapp, logged_in):
    logged_in(Role.ADMIN)

    testapp.get("/admin/mail/99999999999999999999", status=404)


@pytest.mark.parametrize("page", ["0", "-5", "abc", "1e9", "", str(10**30), "9" * 5000, "2147483648"])
@pytest.mark.parametrize("url", ["/admin/users", "/admin/mail"])
def test_any_page_number_gives_a_page(url, page, testapp, logged_in):
    logged_in(Role.ADMIN)

    assert testapp.get(url, {"page": page}).status_int == 200


@pytest.mark.parametrize("url", [
    "/%FF", "/account/verify?token=%FF", "/admin/users?q=%C3%28", "/login?next=%FF", "/events?%FF=1",
])
def test_a_request_that_is_not_utf8_gets_400_not_a_crash(url, app, tr):
    # WebTest's cookie jar cannot parse such an address, so the request goes straight to the app.
    response = Request.blank(url, environ=ENVIRON).get_response(app)

    assert response.status_int == 400
    assert tr("Bad request") in response.text
    assert "Traceback" not in response.text


def test_a_form_post_that_is_not_utf8_stores_no_broken_text(testapp, dbsession):
    token = testapp.get("/signup").forms["signup-form"]["csrf_token"].value
    body = (
        f"name=N%FFkos&email=nikos@example.gr&password=a+long+enough+password"
        f"&password_confirm=a+long+enough+password&accept_terms=y&csrf_token={token}"
    )

    response = testapp.post("/signup", body, content_type="application/x-www-form-urlencoded", status="*")

    assert_no_server_error(response)
    dbsession.rollback()
    names = list(dbsession.scalars(select(User.name)))
    # Whatever was kept is valid text: no lone surrogates that would break the database or an email.
    assert all(name.encode("utf-8", "strict") for name in names)


@pytest.mark.parametrize("token", ["x" * 100_000, "a.b.c.d.e", "eyJ1IjoxfQ.invalid.sig", "..", "%00"])
def test_a_garbage_token_is_refused_with_400(token, testapp):
    for url in ("/account/verify", "/account/reset/confirm", "/account/email/confirm"):
        response = testapp.get(url, {"token": token}, status=400)
        assert "Traceback" not in response.text


def test_requests_with_bad_input_send_no_email(testapp, open_form, dbsession):
    form = open_form("reset")
    form["email"] = "' OR 1=1 --"
    form.submit()

    assert queued_mail(dbsession) == []


def test_an_oversized_request_body_gets_a_friendly_page(testapp):
    form = testapp.get("/login").forms["login-form"]
    form["email"] = "someone@example.gr"
    form["password"] = "x" * (1024 * 1024 + 10)
    response = form.submit(status=413)
    assert "<html" in response.text
    assert "Traceback" not in response.text


def test_an_oversized_body_is_answered_without_being_read(app):
    class UnreadableBody:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = readlines = read

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/login", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
        "HTTP_HOST": "localhost", "wsgi.url_scheme": "http", "wsgi.input": UnreadableBody(),
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(50 * 1024 * 1024),
    }
    statuses = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert statuses == ["413 Request Entity Too Large"]
    assert b"<html" in body
