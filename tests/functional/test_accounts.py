
"""Accounts through the real app: sign-up, verification, login, lockout, reset, profile, email change."""

import datetime
import time
from unittest import mock
from urllib.parse import quote

import pytest
import webtest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import select

from dimoskopio.accounts.models import LoginSession, User
from dimoskopio.accounts.services import TokenPurpose, TokenService, check_password
from dimoskopio.accounts.views import TOKEN_ERRORS
from dimoskopio.db import utcnow
from dimoskopio.i18n import LOCALE_COOKIE
from tests.conftest import DEFAULT_PASSWORD
from tests.functional.conftest import (
    Sent,
    confirm_link,
    link_in,
    login,
    new_client,
    queued_mail,
    reload,
    switch_language,
    tampered,
    user_count,
)

NEW_PASSWORD = "a brand new passphrase"


SIGNUP_PASSWORD = "a long enough password"


def signup(testapp, email="nikos@example.gr", name="Νίκος Ψαράκης", password=SIGNUP_PASSWORD):
    form = testapp.get("/signup").forms["signup-form"]
    form["name"] = name
    form["email"] = email
    form["password"] = password
    form["password_confirm"] = password
    form["accept_terms"] = True
    return form.submit()


def token_made_ago(app_settings, purpose, user, age: datetime.timedelta) -> str:
    """A genuine token for `user`, signed as if `age` ago."""
    signed_at = int(time.time() - age.total_seconds())
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=signed_at):
        return TokenService(app_settings["dimoskopio.secret"]).make(purpose, user)


def is_logged_in(client) -> bool:
    response = client.get("/account")
    return response.status_int == 200


# --- sign-up and verification ---------------------------------------------------------------


def test_signup_creates_an_unverified_member_and_emails_a_verification_link(testapp, dbsession, outbox, tr):
    response = signup(testapp)

    assert response.status_int == 303
    assert response.location.endswith("/signup/check-your-email")
    assert queued_mail(dbsession) == [Sent("verify-email", "nikos@example.gr", "el")]
    [message] = outbox()
    assert message["To"] == "nikos@example.gr"
    assert message["Subject"] == tr("Confirm your email address", "el")
    assert "/account/verify?token=" in link_in(message, "/account/verify")
    assert user_count(dbsession) == 1


def test_verification_email_is_in_the_language_the_visitor_chose(testapp, dbsession, outbox):
    switch_language(testapp, "en")
    signup(testapp)

    assert queued_mail(dbsession) == [Sent("verify-email", "nikos@example.gr", "en")]
    [message] = outbox()
    assert message["Subject"] == "Confirm your email address"


def test_login_is_refused_until_the_email_is_verified_and_offers_a_new_link(testapp, dbsession, outbox, tr):
    signup(testapp, password=DEFAULT_PASSWORD)
    outbox()

    refused = login(testapp, "nikos@example.gr")

    assert refused.status_int == 400
    assert tr("Please confirm your email address first: follow the link we emailed you.") in refused.text
    assert not is_logged_in(testapp)
    resent = refused.forms["resend-form"].submit()
    assert resent.status_int == 303
    assert [sent.template for sent in queued_mail(dbsession)] == ["verify-email", "verify-email"]


def reload_by_email(dbsession, email):
    dbsession.rollback()
    return dbsession.scalar(select(User).where(User.email == email))


def test_verification_link_works_once_then_says_it_was_already_used(testapp, dbsession, outbox, tr):
    signup(testapp, password=DEFAULT_PASSWORD)
    link = link_in(outbox()[0], "/account/verify")

    assert not reload_by_email(dbsession, "nikos@example.gr").is_verified, "opening the link alone does nothing"
    verified = confirm_link(testapp, link)
    assert verified.status_int == 303
    assert verified.location.endswith("/login")
    assert login(testapp, "nikos@example.gr").status_int == 303

    again = testapp.get(link, status=400)
    assert tr(TOKEN_ERRORS["used"]) in again.text


@pytest.mark.parametrize("tamper", [
    tampered,
    lambda token: "x" + token,
    lambda token: "",
    lambda token: token.replace(".", "", 1),
])
def test_tampered_verification_link_is_refused_with_400(testapp, outbox, tr, tamper):
    signup(testapp)
    link = link_in(outbox()[0], "/account/verify")
    token = link.split("token=", 1)[1]

    response = testapp.get("/account/verify?token=" + quote(tamper(token)), status=400)

    assert tr(TOKEN_ERRORS["invalid"]) in response.text
    assert "Traceback" not in response.text


def test_expired_verification_link_is_refused_with_400(testapp, app_settings, user_factory, dbsession, tr):
    user = user_factory(email="late@example.gr", verified=False)
    token = token_made_ago(app_settings, TokenPurpose.VERIFY_EMAIL, user, datetime.timedelta(days=3, minutes=1))

    response = testapp.get("/account/verify", {"token": token}, status=400)

    assert tr(TOKEN_ERRORS["expired"]) in response.text
    assert not reload(dbsession, user).is_verified


def test_a_link_made_for_one_purpose_is_refused_for_another(testapp, app_settings, user_factory, tr):
    user = user_factory(email="maria@example.gr", verified=False)
    reset_token = TokenService(app_settings["dimoskopio.secret"]).make(TokenPurpose.RESET_PASSWORD, user)

    response = testapp.get("/account/verify", {"token": reset_token}, status=400)

    assert tr(TOKEN_ERRORS["invalid"]) in response.text


def test_signup_with_an_existing_email_creates_nothing_and_tells_the_owner(testapp, user_factory, dbsession, outbox):
    owner = user_factory(email="maria@example.gr", name="Μαρία", locale="en")
    password_hash = owner.password_hash
    first = signup(new_client(testapp.app), email="new@example.gr")

    response = signup(testapp, email="  MARIA@Example.GR ", name="Impostor", password="another long password")

    assert response.status_int == 303
    assert response.location == first.location
    assert user_count(dbsession) == 2
    owner = reload(dbsession, owner)
    assert (owner.name, owner.password_hash) == ("Μαρία", password_hash)
    assert queued_mail(dbsession)[1:] == [Sent("account-exists", "maria@example.gr", "en")]
    assert "/login" in outbox()[1].get_body(("plain",)).get_content()


def test_resending_a_link_answers_the_same_whoever_asks(testapp, user_factory, dbsession):
    user_factory(email="verified@example.gr", verified=True)
    user_factory(email="waiting@example.gr", verified=False)
    answers = []
    for email in ("verified@example.gr", "nobody@example.gr", "waiting@example.gr"):
        form = testapp.get("/signup/check-your-email").forms["resend-form"]
        form["email"] = email
        response = form.submit()
        answers.append((response.status_int, response.location))

    assert len(set(answers)) == 1
    assert queued_mail(dbsession) == [Sent("verify-email", "waiting@example.gr", "el")]


# --- login, logout, redirects -------------------------------------------------------------------


def test_login_shows_the_user_and_logout_ends_the_session(testapp, user_factory, tr):
    user_factory(email="maria@example.gr", name="Μαρία Παπαδάκη")

    response = login(testapp, "Maria@Example.gr")
    assert response.status_int == 303
    page = response.follow()
    assert "Μαρία Παπαδάκη" in page.text
    assert tr("Welcome, ${name}.", name="Μαρία Παπαδάκη") in page.text
    assert is_logged_in(testapp)

    logout_form = next(form for form in page.forms.values() if form.action == "/logout")
    logged_out = logout_form.submit()
    assert logged_out.status_int == 303
    assert not is_logged_in(testapp)


def test_the_welcome_is_in_the_language_of_the_account(testapp, user_factory):
    user_factory(email="maria@example.gr", name="Maria", locale="en")

    page = login(testapp, "maria@example.gr").follow()

    assert '<html lang="en">' in page.text
    assert "Welcome, Maria." in page.text


def test_wrong_password_is_refused_and_the_typed_email_kept(testapp, user_factory, dbsession, tr):
    user = user_factory(email="maria@example.gr")

    response = login(testapp, "maria@example.gr", "not the password")

    assert response.status_int == 400
    assert tr("Wrong email or password.") in response.text
    form = response.forms["login-form"]
    assert form["email"].value == "maria@example.gr"
    assert form["password"].value == ""
    assert reload(dbsession, user).failed_logins == 1


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(testapp, user_factory, tr):
    user_factory(email="maria@example.gr")

    unknown = login(testapp, "nobody@example.gr")

    assert unknown.status_int == 400
    assert tr("Wrong email or password.") in unknown.text


def test_login_returns_to_the_same_site_page_it_was_sent_from(testapp, user_factory):
    user_factory(email="maria@example.gr")
    form = testapp.get("/login", {"next": "/account/password?x=1"}).forms["login-form"]
    form["email"] = "maria@example.gr"
    form["password"] = DEFAULT_PASSWORD

    response = form.submit()

    assert response.location == "http://localhost/account/password?x=1"


@pytest.mark.parametrize("target", [
    "//evil.example/path",
    "http://evil.example/",
    "https://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
])
def test_login_never_redirects_off_site(testapp, user_factory, target):
    user_factory(email="maria@example.gr")
    form = testapp.get("/login", {"next": target}).forms["login-form"]
    form["email"] = "maria@example.gr"
    form["password"] = DEFAULT_PASSWORD

    response = form.submit()

    assert response.status_int == 303
    assert response.location == "http://localhost/"


def test_logged_in_visitor_at_the_login_page_is_sent_on_but_never_off_site(testapp, logged_in):
    logged_in()

    assert testapp.get("/login", {"next": "/account"}).location == "http://localhost/account"
    assert testapp.get("/login", {"next": "//evil.example"}).location == "http://localhost/"


def test_an_overlong_next_address_does_not_block_login(testapp, user_factory):
    user_factory(email="maria@example.gr")
    form = testapp.get("/login", {"next": "/events?q=" + "x" * 3000}).forms["login-form"]
    form["email"] = "maria@example.gr"
    form["password"] = DEFAULT_PASSWORD

    response = form.submit()

    assert response.status_int == 303
    assert response.location == "http://localhost/"


def test_a_deactivated_user_is_logged_out_and_cannot_log_in(testapp, logged_in, dbsession):
    user = logged_in()
    user = reload(dbsession, user)
    user.is_active = False
    dbsession.commit()

    assert not is_logged_in(testapp)
    assert login(testapp, user.email).status_int == 400


# --- lockout ------------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(testapp, user_factory, dbsession, tr):
    user = user_factory(email="maria@example.gr")
    for _attempt in range(4):
        assert login(testapp, "maria@example.gr", "wrong password!").status_int == 400
    fifth = login(testapp, "maria@example.gr", "wrong password!")
    locked_message = tr(
        "Too many failed attempts. For your safety, logging in to this account is paused "
        "for ${minutes} minutes. You can reset your password meanwhile.", minutes=15,
    )
    assert locked_message in fifth.text

    sixth = login(testapp, "maria@example.gr", DEFAULT_PASSWORD)

    assert sixth.status_int == 400
    assert locked_message in sixth.text
    assert not is_logged_in(testapp)
    locked_until = reload(dbsession, user).locked_until
    assert utcnow() + datetime.timedelta(minutes=14) < locked_until <= utcnow() + datetime.timedelta(minutes=15)


def test_login_works_again_once_the_lock_has_passed(testapp, user_factory, dbsession):
    user = user_factory(email="maria@example.gr")
    user.locked_until = utcnow() + datetime.timedelta(minutes=15)
    dbsession.commit()
    assert login(testapp, "maria@example.gr").status_int == 400

    user = reload(dbsession, user)
    user.locked_until = utcnow() - datetime.timedelta(seconds=1)
    dbsession.commit()

    assert login(testapp, "maria@example.gr").status_int == 303
    assert reload(dbsession, user).failed_logins == 0


# --- password reset -----------------------------------------------------------------------------


def request_reset(client, email):
    form = client.get("/account/reset").forms["reset-form"]
    form["email"] = email
    return form.submit()


def test_password_reset_mails_only_existing_accounts_and_answers_everyone_the_same(
    testapp, user_factory, dbsession, tr
):
    user_factory(email="maria@example.gr", locale="en")

    known = request_reset(testapp, "maria@example.gr")
    unknown = request_reset(new_client(testapp.app), "nobody@example.gr")

    assert known.status_int == unknown.status_int == 303
    assert known.location == unknown.location
    notice = tr("If that address has an account, we have emailed it a link to choose a new password.")
    assert notice in known.follow().text
    assert notice in unknown.follow().text
    assert queued_mail(dbsession) == [Sent("password-reset", "maria@example.gr", "en")]


def test_password_reset_link_sets_a_new_password_once(testapp, user_factory, dbsession, outbox, tr):
    user = user_factory(email="maria@example.gr")
    request_reset(testapp, "maria@example.gr")
    link = link_in(outbox()[0], "/account/reset/confirm")

    form = testapp.get(link).forms["new-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_confirm"] = NEW_PASSWORD
    response = form.submit()

    assert response.status_int == 303
    assert response.location.endswith("/login")
    assert check_password(reload(dbsession, user), NEW_PASSWORD)
    assert [sent.template for sent in queued_mail(dbsession)] == ["password-reset", "password-changed"]
    assert login(testapp, "maria@example.gr", NEW_PASSWORD).status_int == 303
    spent = testapp.get(link, status=400)
    assert tr(TOKEN_ERRORS["used"]) in spent.text


def test_expired_password_reset_link_is_refused_with_400(testapp, app_settings, user_factory, tr):
    user = user_factory(email="maria@example.gr")
    token = token_made_ago(app_settings, TokenPurpose.RESET_PASSWORD, user, datetime.timedelta(hours=1, minutes=1))

    page = testapp.get("/account/reset/confirm", {"token": token}, status=400)
    assert tr(TOKEN_ERRORS["expired"]) in page.text
    posted = testapp.post(
        "/account/reset/confirm",
        {"token": token, "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD,
         "csrf_token": page.forms[0]["csrf_token"].value},
        status=400,
    )
    assert tr(TOKEN_ERRORS["expired"]) in posted.text


def test_password_reset_logs_out_every_session_of_the_user(testapp, app, user_factory, outbox):
    user_factory(email="maria@example.gr")
    other_device = new_client(app)
    login(other_device, "maria@example.gr")
    assert is_logged_in(other_device)

    request_reset(testapp, "maria@example.gr")
    form = testapp.get(link_in(outbox()[0], "/account/reset/confirm")).forms["new-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_confirm"] = NEW_PASSWORD
    form.submit()

    assert not is_logged_in(other_device)


def test_following_a_reset_link_confirms_an_unverified_address(testapp, user_factory, dbsession, outbox):
    user = user_factory(email="maria@example.gr", verified=False)
    request_reset(testapp, "maria@example.gr")
    form = testapp.get(link_in(outbox()[0], "/account/reset/confirm")).forms["new-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_confirm"] = NEW_PASSWORD
    form.submit()

    assert reload(dbsession, user).is_verified
    assert login(testapp, "maria@example.gr", NEW_PASSWORD).status_int == 303


# --- change password ----------------------------------------------------------------------------


def change_password(client, current, new=NEW_PASSWORD, confirm=None):
    form = client.get("/account/password").forms["password-form"]
    form["current_password"] = current
    form["password"] = new
    form["password_confirm"] = new if confirm is None else confirm
    return form.submit()


def test_changing_the_password_requires_the_current_one(testapp, logged_in, dbsession, tr):
    user = logged_in()

    response = change_password(testapp, current="not my password")

    assert response.status_int == 200
    assert tr("Your current password is not correct.") in response.text
    assert check_password(reload(dbsession, user), DEFAULT_PASSWORD)
    assert queued_mail(dbsession) == []


def test_changing_the_password_logs_out_other_devices_but_not_this_one(testapp, app, logged_in, dbsession):
    user = logged_in()
    other_device = new_client(app)
    login(other_device, user.email)

    response = change_password(testapp, current=DEFAULT_PASSWORD)

    assert response.status_int == 303
    assert is_logged_in(testapp)
    assert not is_logged_in(other_device)
    assert check_password(reload(dbsession, user), NEW_PASSWORD)
    assert queued_mail(dbsession) == [Sent("password-changed", user.email, "el")]


def test_new_password_must_be_repeated_exactly(testapp, logged_in, dbsession, tr):
    user = logged_in()

    response = change_password(testapp, current=DEFAULT_PASSWORD, confirm=NEW_PASSWORD + "!")

    assert tr("The passwords do not match.") in response.text
    assert check_password(reload(dbsession, user), DEFAULT_PASSWORD)


# --- change email -------------------------------------------------------------------------------


def change_email(client, new_email, current=DEFAULT_PASSWORD):
    form = client.get("/account/email").forms["email-form"]
    form["email"] = new_email
    form["current_password"] = current
    return form.submit()


def test_changing_the_email_requires_the_current_password(testapp, logged_in, dbsession, tr):
    user = logged_in()

    response = change_email(testapp, "new@example.gr", current="not my password")

    assert tr("Your current password is not correct.") in response.text
    assert response.forms["email-form"]["email"].value == "new@example.gr"
    assert reload(dbsession, user).pending_email is None
    assert queued_mail(dbsession) == []


def test_email_changes_only_after_the_link_sent_to_the_new_address(testapp, logged_in, dbsession, outbox, tr):
    user = logged_in()
    old_email = user.email

    response = change_email(testapp, "New@Example.gr")

    assert response.status_int == 303
    assert queued_mail(dbsession) == [
        Sent("email-change-confirm", "new@example.gr", "el"),
        Sent("email-change-notice", old_email, "el"),
    ]
    user = reload(dbsession, user)
    assert (user.email, user.pending_email) == (old_email, "new@example.gr")
    assert "new@example.gr" in testapp.get("/account").text

    link = link_in(outbox()[0], "/account/email/confirm")
    assert reload(dbsession, user).pending_email == "new@example.gr", "opening the link alone does nothing"
    assert confirm_link(testapp, link).status_int == 303
    user = reload(dbsession, user)
    assert (user.email, user.pending_email) == ("new@example.gr", None)
    spent = testapp.get(link, status=400)
    assert tr(TOKEN_ERRORS["used"]) in spent.text


def test_changing_to_an_address_in_use_reveals_nothing_and_changes_nothing(testapp, logged_in, user_factory, dbsession,
                                                                             tr):
    user_factory(email="taken@example.gr")
    user = logged_in()

    response = change_email(testapp, "taken@example.gr")

    assert response.status_int == 303
    notice = tr("We have emailed a confirmation link to the new address. Your email changes when you follow it.")
    assert notice in response.follow().text
    assert reload(dbsession, user).pending_email is None
    assert queued_mail(dbsession) == []


def test_email_change_link_fails_cleanly_if_the_address_was_taken_meanwhile(
    testapp, logged_in, user_factory, dbsession, outbox, tr
):
    user = logged_in()
    change_email(testapp, "new@example.gr")
    link = link_in(outbox()[0], "/account/email/confirm")
    page = testapp.get(link)
    dbsession.rollback()
    user_factory(email="new@example.gr")

    response = page.forms["confirm-form"].submit(status=400)

    assert tr("Another account uses that address now, so your email was not changed.") in response.text
    assert reload(dbsession, user).email == "member@example.gr"


def test_tampered_email_change_link_is_refused_with_400(testapp, logged_in, dbsession, outbox, tr):
    user = logged_in()
    change_email(testapp, "new@example.gr")
    link = link_in(outbox()[0], "/account/email/confirm")

    response = testapp.get(tampered(link), status=400)

    assert tr(TOKEN_ERRORS["invalid"]) in response.text
    assert reload(dbsession, user).email == "member@example.gr"


# --- profile, language, cookies -----------------------------------------------------------------


def test_profile_saves_the_name_and_the_language(testapp, logged_in, dbsession):
    user = logged_in()
    form = testapp.get("/account").forms["profile-form"]
    form["name"] = "  Μαρία Κ.  "
    form["locale"] = "en"

    page = form.submit().follow()

    user = reload(dbsession, user)
    assert (user.name, user.locale) == ("Μαρία Κ.", "en")
    assert '<html lang="en">' in page.text
    assert "Your profile has been saved." in page.text


def test_profile_refuses_a_language_that_is_not_offered(testapp, logged_in, dbsession):
    user = logged_in()
    token = testapp.get("/account").forms["profile-form"]["csrf_token"].value

    response = testapp.post("/account", {"name": "Μαρία", "locale": "xx", "csrf_token": token})

    assert response.status_int == 200
    assert 'id="locale-error"' in response.text
    assert reload(dbsession, user).locale == "el"


def test_language_switch_remembers_the_choice_and_returns_to_the_page(testapp, logged_in, dbsession):
    user = logged_in()

    response = testapp.get("/account/password").forms[0].submit("locale", value="en")

    assert response.location == "http://localhost/account/password"
    assert testapp.cookies[LOCALE_COOKIE] == "en"
    assert '<html lang="en">' in response.follow().text
    assert reload(dbsession, user).locale == "en"


def set_cookie_headers(response, name):
    return [value for key, value in response.headerlist if key == "Set-Cookie" and value.startswith(name + "=")]


def test_session_cookie_is_httponly_and_samesite_lax_and_not_secure_over_http(testapp, user_factory):
    user_factory(email="maria@example.gr")

    [cookie] = set_cookie_headers(login(testapp, "maria@example.gr"), "dimoskopio_session")

    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes


def test_cookies_are_secure_when_the_site_runs_on_https(make_app):
    https_app = make_app(**{"dimoskopio.base_url": "https://dimoskopio.example/"})
    https = {"wsgi.url_scheme": "https", "HTTP_HOST": "localhost"}

    page = https_app.get("/", extra_environ=https)
    [session_cookie] = set_cookie_headers(page, "dimoskopio_session")
    switched = https_app.post(
        "/language", {"locale": "en", "csrf_token": page.forms[0]["csrf_token"].value},
        headers={"Cookie": session_cookie.split(";")[0], "Referer": "https://localhost/"},
        extra_environ=https,
    )
    [locale_cookie] = set_cookie_headers(switched, LOCALE_COOKIE)

    for cookie in (session_cookie, locale_cookie):
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert {"secure", "httponly", "samesite=lax"} <= set(attributes), cookie


def test_a_forged_session_cookie_is_ignored(testapp, logged_in):
    logged_in()
    session = testapp.cookies["dimoskopio_session"]
    testapp.set_cookie("dimoskopio_session", tampered(session))

    assert not is_logged_in(testapp)


def test_emailed_links_use_the_public_address_not_the_host_header(app, user_factory, outbox):
    user_factory(email="hosted@example.gr")
    forged = webtest.TestApp(app, extra_environ={"HTTP_HOST": "attacker.example"})
    form = forged.get("/account/reset").forms["reset-form"]
    form["email"] = "hosted@example.gr"
    form.submit(status=303)
    [message] = outbox()
    body = message.get_body(("plain",)).get_content()
    assert "attacker.example" not in body
    assert "http://localhost/account/reset/confirm?token=" in body


def test_json_views_set_no_session_cookie(testapp):
    response = testapp.get("/healthz")
    assert "Set-Cookie" not in response.headers


def test_guessing_the_current_password_on_the_change_forms_counts_towards_the_lockout(
    testapp, logged_in, dbsession
):
    user = logged_in()
    for attempt in range(5):
        form = testapp.get("/account/password").forms["password-form"]
        form["current_password"] = f"wrong guess {attempt}"
        form["password"] = "a brand new password"
        form["password_confirm"] = "a brand new password"
        response = form.submit()
    assert 'id="current_password-error"' in response.text
    form = testapp.get("/account/email").forms["email-form"]
    form["email"] = "new-address@example.gr"
    form["current_password"] = DEFAULT_PASSWORD
    form.submit()
    refreshed = reload(dbsession, user)
    assert refreshed.locked_until is not None, "five wrong guesses lock the account"
    assert refreshed.pending_email is None, "even the right password is refused while locked"


def test_logging_out_other_devices_ends_their_sessions_but_not_this_one(app, testapp, logged_in):
    user = logged_in()
    other_device = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    assert login(other_device, user.email).status_int == 303
    assert other_device.get("/account").status_int == 200

    testapp.get("/account").forms["logout-others-form"].submit().follow()

    assert testapp.get("/account").status_int == 200
    assert other_device.get("/account").status_int == 303, "the other device is sent to the login page"


def test_form_errors_are_summarised_with_links_to_the_fields(testapp):
    form = testapp.get("/signup").forms["signup-form"]
    form["email"] = "not an email"
    page = form.submit()
    assert 'class="notice notice-error error-summary"' in page.text
    assert 'href="#email"' in page.text
    assert 'href="#name"' in page.text
    assert "<title>" in page.text and page.text.index("<title>") < page.text.index("Δημοσκόπιο")


def test_logging_out_ends_the_session_even_for_a_copied_cookie(app, testapp, logged_in):
    logged_in()
    copied_cookie = testapp.cookies["dimoskopio_session"]
    csrf = testapp.get("/account").forms["profile-form"]["csrf_token"].value
    testapp.post("/logout", {"csrf_token": csrf}, status=303)

    thief = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    thief.set_cookie("dimoskopio_session", copied_cookie)
    assert thief.get("/account").status_int == 303, "the copied cookie no longer logs anyone in"


def test_the_profile_lists_devices_and_ends_one_of_them(app, testapp, logged_in):
    user = logged_in()
    tablet_agent = "Mozilla/5.0 (Android 13; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0"
    tablet = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost", "HTTP_USER_AGENT": tablet_agent})
    assert login(tablet, user.email).status_int == 303

    page = testapp.get("/account")
    assert "Firefox · Android" in page.text
    [end_form] = [form for form in page.forms.values() if "/account/sessions/" in (form.action or "")]
    end_form.submit().follow()

    assert tablet.get("/account").status_int == 303
    assert testapp.get("/account").status_int == 200
    assert "Firefox · Android" not in testapp.get("/account").text


def test_a_device_of_someone_else_cannot_be_logged_out(app, testapp, logged_in, user_factory, dbsession):
    logged_in()
    other = user_factory(email="other@example.gr")
    other_client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "localhost"})
    login(other_client, other.email)
    dbsession.rollback()
    [their_session] = dbsession.scalars(select(LoginSession).where(LoginSession.user_id == other.id)).all()
    csrf = testapp.get("/account").forms["profile-form"]["csrf_token"].value

    testapp.post(f"/account/sessions/{their_session.id}/end", {"csrf_token": csrf}, status=404)
    assert other_client.get("/account").status_int == 200


def test_the_current_session_is_ended_with_log_out_not_from_the_list(testapp, logged_in, dbsession):
    user = logged_in()
    dbsession.rollback()
    [mine] = dbsession.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()
    csrf = testapp.get("/account").forms["profile-form"]["csrf_token"].value
    testapp.post(f"/account/sessions/{mine.id}/end", {"csrf_token": csrf}, status=400)
    assert testapp.get("/account").status_int == 200
