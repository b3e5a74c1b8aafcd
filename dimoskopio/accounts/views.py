"""Sign-up, login, logout, email verification, password reset, profile and staff user list."""

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPForbidden, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import forget, remember
from pyramid.view import view_config
from wtforms import SelectChoice

from dimoskopio.accounts import services
from dimoskopio.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RoleForm,
    SignupForm,
)
from dimoskopio.accounts.models import ROLE_LABELS, LoginSession, Role, User
from dimoskopio.accounts.services import LoginOutcome, TokenError, TokenPurpose
from dimoskopio.forms import FORBIDDEN_CHARACTERS
from dimoskopio.i18n import LOCALE_COOKIE, _, negotiate_locale
from dimoskopio.mail import send_email
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, page_count, requested_page, safe_next_url

USERS_PER_PAGE = 50
HOURS = datetime.timedelta(hours=1)
MINUTES = datetime.timedelta(minutes=1)

TOKEN_ERRORS = {
    "expired": _("This link has expired. Ask for a new one below."),
    "invalid": _("This link is not valid. Check that you copied all of it, or ask for a new one."),
    "used": _("This link has already been used."),
}


def _lockout_policy(request: Request) -> dict[str, Any]:
    settings = request.registry.settings
    return {
        "max_failed": settings["accounts.max_failed_logins"],
        "lockout": datetime.timedelta(minutes=settings["accounts.lockout_minutes"]),
    }


def _tokens(request: Request) -> services.TokenService:
    return services.TokenService(request.registry.settings["dimoskopio.secret"])


def _link(request: Request, route: str, purpose: TokenPurpose, user: User) -> str:
    return request.public_url(route, _query={"token": _tokens(request).make(purpose, user)})


def _valid_for(purpose: TokenPurpose, unit: datetime.timedelta) -> int:
    """How long an emailed link works, in hours or minutes, as the email states it."""
    return services.TOKEN_MAX_AGE[purpose] // unit


def send_verification_email(request: Request, user: User) -> None:
    send_email(
        request, "verify-email", user.email,
        {"name": user.name, "link": _link(request, "accounts.verify", TokenPurpose.VERIFY_EMAIL, user),
         "hours": _valid_for(TokenPurpose.VERIFY_EMAIL, HOURS)},
        locale_name=user.locale,
    )


@view_config(route_name="accounts.signup", renderer="accounts/signup.jinja2")
def signup(request: Request) -> Any:
    if request.user is not None:
        return HTTPSeeOther(request.route_path("accounts.profile"))
    form = SignupForm(request)
    if request.method == "POST" and form.validate():
        outcome = services.sign_up(
            request.dbsession, form.email.data, form.name.data, form.password.data, request.locale_name
        )
        if outcome.created:
            send_verification_email(request, outcome.user)
        elif outcome.user is not None:
            send_email(
                request, "account-exists", outcome.user.email,
                {"name": outcome.user.name, "login_url": request.public_url("accounts.login"),
                 "reset_url": request.public_url("accounts.reset")},
                locale_name=outcome.user.locale,
            )
        return HTTPSeeOther(request.route_path("accounts.signup_done"))
    return {"form": form}


@view_config(route_name="accounts.signup_done", renderer="accounts/signup_done.jinja2")
def signup_done(request: Request) -> dict[str, Any]:
    return {"form": EmailOnlyForm(request)}


def _confirmation_page(request: Request, token: str, heading: Any, explanation: Any, button: Any) -> dict[str, Any]:
    """Emailed links only show a button: mail scanners that open every link must not act for the person."""
    request.override_renderer = "accounts/confirm_link.jinja2"
    return {"token": token, "heading": heading, "explanation": explanation, "button": button}


@view_config(route_name="accounts.verify", renderer="accounts/token_error.jinja2")
def verify(request: Request) -> Any:
    token = request.params.get("token", "")
    try:
        user = _tokens(request).load(TokenPurpose.VERIFY_EMAIL, token, request.dbsession)
    except TokenError as error:
        request.response.status = 400
        return {"message": TOKEN_ERRORS[error.reason], "form": EmailOnlyForm(request),
                "resend_route": "accounts.verify_resend"}
    if request.method != "POST":
        return _confirmation_page(
            request, token, _("Confirm your email address"),
            _("Confirm that this address is yours to finish creating your account."), _("Confirm my email"),
        )
    services.verify_email(user)
    request.flash_message(_("Your email address is confirmed. You can now log in."))
    return HTTPSeeOther(request.route_path("accounts.login"))


@view_config(route_name="accounts.verify_resend", request_method="POST",
             renderer="accounts/signup_done.jinja2")
def verify_resend(request: Request) -> Any:
    form = EmailOnlyForm(request)
    if not form.validate():
        request.response.status = 400
        return {"form": form}
    user = services.find_user_by_email(request.dbsession, form.email.data)
    if user is not None and not user.is_verified and user.is_active:
        send_verification_email(request, user)
    request.flash_message(_(
        "If that address has an account waiting for "
        "confirmation, a new link is on its way."
    ), "info")
    return HTTPSeeOther(request.route_path("accounts.signup_done"))


@view_config(route_name="accounts.login", renderer="accounts/login.jinja2")
def login(request: Request) -> Any:
    form = LoginForm(request)
    if request.method == "GET":
        form.next.data = request.GET.get("next", "")
    if request.user is not None and request.method == "GET":
        return HTTPSeeOther(safe_next_url(request, form.next.data))
    unverified = False
    if request.method == "POST" and form.validate():
        settings = request.registry.settings
        result = services.authenticate(
            request.dbsession, form.email.data, form.password.data, **_lockout_policy(request)
        )
        if result.outcome is LoginOutcome.OK:
            headers = remember(request, result.user.id)
            # The next page may be in the account's language rather than this one's.
            request.flash_message(_("Welcome, ${name}.", mapping={"name": result.user.name}),
                                  locale_name=negotiate_locale(request))
            return HTTPSeeOther(safe_next_url(request, form.next.data), headers=headers)
        if result.outcome is LoginOutcome.LOCKED:
            minutes = settings["accounts.lockout_minutes"]
            form.form_errors.append(request.localizer.translate(_(
                "Too many failed attempts. For your safety, logging in to this account is paused "
                "for ${minutes} minutes. You can reset your password meanwhile.",
                mapping={"minutes": minutes},
            )))
        elif result.outcome is LoginOutcome.UNVERIFIED:
            unverified = True
            form.form_errors.append(request.localizer.translate(_(
                "Please confirm your email address first: follow the link we emailed you."
            )))
        else:
            form.form_errors.append(request.localizer.translate(_("Wrong email or password.")))
        request.response.status = 400
    return {"form": form, "unverified": unverified, "resend_form": EmailOnlyForm(request)}


@view_config(route_name="accounts.logout", request_method="POST")
def logout(request: Request) -> Response:
    return HTTPSeeOther(request.route_path("home"), headers=forget(request))


@view_config(route_name="accounts.reset", renderer="accounts/reset_request.jinja2")
def reset_request(request: Request) -> Any:
    form = EmailOnlyForm(request)
    if request.method == "POST" and form.validate():
        user = services.find_user_by_email(request.dbsession, form.email.data)
        if user is not None and user.is_active:
            send_email(
                request, "password-reset", user.email,
                {"name": user.name,
                 "link": _link(request, "accounts.reset_confirm", TokenPurpose.RESET_PASSWORD, user),
                 "minutes": _valid_for(TokenPurpose.RESET_PASSWORD, MINUTES)},
                locale_name=user.locale,
            )
        request.flash_message(_(
            "If that address has an account, we have "
            "emailed it a link to choose a new password."
        ), "info")
        return HTTPSeeOther(request.route_path("accounts.reset"))
    return {"form": form}


@view_config(route_name="accounts.reset_confirm", renderer="accounts/reset_confirm.jinja2")
def reset_confirm(request: Request) -> Any:
    token = request.params.get("token", "")
    try:
        user = _tokens(request).load(TokenPurpose.RESET_PASSWORD, token, request.dbsession)
    except TokenError as error:
        request.response.status = 400
        request.override_renderer = "accounts/token_error.jinja2"
        return {"message": TOKEN_ERRORS[error.reason], "form": EmailOnlyForm(request),
                "resend_route": "accounts.reset"}
    form = NewPasswordForm(request)
    if request.method == "POST" and form.validate():
        services.reset_password(request.dbsession, user, form.password.data)
        send_email(request, "password-changed", user.email, {"name": user.name,
                   "reset_url": request.public_url("accounts.reset")}, locale_name=user.locale)
        request.flash_message(_("Your password has been changed. You can log in with it now."))
        return HTTPSeeOther(request.route_path("accounts.login"))
    return {"form": form, "token": token}


def _current_password_confirmed(request: Request, form: Any) -> bool:
    """Re-check the password before a sensitive change; wrong guesses count towards the lockout."""
    settings = request.registry.settings
    result = services.confirm_password(request.user, form.current_password.data, **_lockout_policy(request))
    if result.outcome is LoginOutcome.LOCKED:
        form.add_error("current_password", _(
            "Too many wrong passwords. For your safety, changes to this account are paused for "
            "${minutes} minutes.", mapping={"minutes": settings["accounts.lockout_minutes"]},
        ))
    elif result.outcome is LoginOutcome.INVALID:
        form.add_error("current_password", _("Your current password is not correct."))
    return result.outcome is LoginOutcome.OK


@view_config(route_name="accounts.profile", renderer="accounts/profile.jinja2", permission=Permission.ACCOUNT)
def profile(request: Request) -> Any:
    user = request.user
    form = ProfileForm(request, obj=user)
    if request.method == "POST" and form.validate():
        user.name = form.name.data.strip()
        user.locale = form.locale.data
        request.flash_message(_("Your profile has been saved."), locale_name=user.locale)
        response = HTTPSeeOther(request.route_path("accounts.profile"))
        response.delete_cookie(LOCALE_COOKIE)
        return response
    return {
        "form": form,
        "user": user,
        "sessions": services.list_sessions(request.dbsession, user),
        "current_session": request.login_session,
    }


@view_config(route_name="accounts.password", renderer="accounts/password.jinja2", permission=Permission.ACCOUNT)
def change_password(request: Request) -> Any:
    user = request.user
    form = ChangePasswordForm(request)
    if request.method == "POST" and form.validate() and _current_password_confirmed(request, form):
        services.set_password(request.dbsession, user, form.password.data, keep=request.login_session)
        send_email(request, "password-changed", user.email, {"name": user.name,
                   "reset_url": request.public_url("accounts.reset")}, locale_name=user.locale)
        request.flash_message(_("Your password has been changed. Other devices have been logged out."))
        return HTTPSeeOther(request.route_path("accounts.profile"))
    return {"form": form}


@view_config(route_name="accounts.email", renderer="accounts/email.jinja2", permission=Permission.ACCOUNT)
def change_email(request: Request) -> Any:
    user = request.user
    form = ChangeEmailForm(request)
    if request.method == "POST" and form.validate() and _current_password_confirmed(request, form):
        new_email = services.normalize_email(form.email.data)
        if new_email == user.email:
            form.add_error("email", _("This is already your email address."))
            return {"form": form, "user": user}
        if services.request_email_change(request.dbsession, user, new_email):
            send_email(request, "email-change-confirm", new_email, {
                "name": user.name,
                "link": _link(request, "accounts.email_confirm", TokenPurpose.CHANGE_EMAIL, user),
                "hours": _valid_for(TokenPurpose.CHANGE_EMAIL, HOURS),
            }, locale_name=user.locale)
            send_email(request, "email-change-notice", user.email, {"name": user.name},
                       locale_name=user.locale)
        request.flash_message(_(
            "We have emailed a confirmation link to the "
            "new address. Your email changes when you follow it."
        ), "info")
        return HTTPSeeOther(request.route_path("accounts.profile"))
    return {"form": form, "user": user}


@view_config(route_name="accounts.logout_others", request_method="POST", permission=Permission.ACCOUNT)
def logout_other_devices(request: Request) -> Response:
    services.end_other_sessions(request.dbsession, request.user, keep=request.login_session)
    request.flash_message(_("You have been logged out on every other device."))
    return HTTPSeeOther(request.route_path("accounts.profile"))


@view_config(route_name="accounts.end_session", request_method="POST", permission=Permission.ACCOUNT)
def end_one_session(request: Request) -> Response:
    target = object_or_404(request, LoginSession, request.matchdict["id"])
    if target.user_id != request.user.id:
        raise HTTPNotFound()
    if target.id == request.login_session.id:
        raise HTTPBadRequest(request.localizer.translate(_("Use “Log out” to end the session you are using.")))
    request.dbsession.delete(target)
    request.flash_message(_("That device has been logged out."))
    return HTTPSeeOther(request.route_path("accounts.profile"))


@view_config(route_name="accounts.email_confirm", renderer="accounts/token_error.jinja2")
def confirm_email_change(request: Request) -> Any:
    token = request.params.get("token", "")
    try:
        user = _tokens(request).load(TokenPurpose.CHANGE_EMAIL, token, request.dbsession)
        if request.method != "POST":
            return _confirmation_page(
                request, token, _("Confirm your new email address"),
                _("Confirm that this is the new email address of your account."), _("Confirm the new address"),
            )
        services.finish_email_change(request.dbsession, user)
    except TokenError as error:
        request.response.status = 400
        return {"message": TOKEN_ERRORS[error.reason], "form": None, "resend_route": None}
    except services.EmailTaken:
        request.response.status = 400
        return {"message": _("Another account uses that address now, so your email was not changed."),
                "form": None, "resend_route": None}
    request.flash_message(_("Your email address has been changed."))
    return HTTPSeeOther(request.route_path("accounts.profile"))


def _role_choices(request: Request) -> list[SelectChoice]:
    return [SelectChoice(role.value, request.localizer.translate(ROLE_LABELS[role])) for role in Role]


@view_config(route_name="admin.users", renderer="admin/users.jinja2", permission=Permission.USERS_VIEW)
def users(request: Request) -> dict[str, Any]:
    search = FORBIDDEN_CHARACTERS.sub("", request.GET.get("q", ""))[:200]
    role_name = request.GET.get("role", "")
    role = Role(role_name) if role_name in {role.value for role in Role} else None
    page = requested_page(request)
    found, total = services.list_users(request.dbsession, search, role, page, USERS_PER_PAGE)
    pages = page_count(total, USERS_PER_PAGE)
    role_choices = _role_choices(request)
    role_forms = {}
    for user in found:
        form = RoleForm(request, obj=user)
        form.role.choices = role_choices
        form.role.data = user.role.value
        form.role.id = f"role-{user.id}"
        role_forms[user.id] = form
    return {
        "users": found, "total": total, "page": page, "pages": pages, "search": search,
        "role": role_name if role else "", "role_choices": role_choices,
        "role_forms": role_forms, "role_labels": ROLE_LABELS,
    }


@view_config(route_name="admin.user_role", request_method="POST", permission=Permission.USERS_MANAGE)
def user_role(request: Request) -> Response:
    user = object_or_404(request, User, request.matchdict["id"])
    form = RoleForm(request)
    form.role.choices = _role_choices(request)
    if not form.validate():
        raise HTTPBadRequest(request.localizer.translate(_("Unknown role.")))
    try:
        services.change_role(request.user, user, Role(form.role.data))
    except PermissionError as error:
        raise HTTPForbidden() from error
    request.flash_message(_("${email} is now: ${role}.", mapping={
        "email": user.email, "role": request.localizer.translate(ROLE_LABELS[user.role])}))
    return HTTPSeeOther(safe_next_url(request, request.POST.get("next"), "admin.users"))
