from typing import Any

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, ValidationError

from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, Role
from dimoskopio.accounts.services import (
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    is_valid_email,
    normalize_email,
)
from dimoskopio.forms import Form, Length, Required
from dimoskopio.i18n import LOCALE_NAMES, _

NEXT_MAX_LENGTH = 2000


def valid_email(form: Form, field: Any) -> None:
    if field.data and not is_valid_email(normalize_email(field.data)):
        raise ValidationError(_("Enter a valid email address, like name@example.com."))


def _strong_password(form: Form, field: Any) -> None:
    password = field.data or ""
    email = getattr(form, "email", None)
    if email is not None and email.data and password.lower() == email.data.strip().lower():
        raise ValidationError(_("Your password must not be your email address."))
    if password.strip() == "" or len(set(password)) < 4:
        raise ValidationError(_("This password is too easy to guess."))


def _password_field(label: Any) -> PasswordField:
    return PasswordField(
        label,
        description=_(
            "At least ${min} characters. A short sentence is easy to remember and hard to guess.",
            mapping={"min": PASSWORD_MIN_LENGTH},
        ),
        validators=[Required(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH), _strong_password],
    )


def _short_next(value: str | None) -> str | None:
    return value if value is None or len(value) <= NEXT_MAX_LENGTH else ""


def _locale_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in LOCALE_NAMES.items()]


class SignupForm(Form):
    name = StringField(_("Full name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email])
    password = _password_field(_("Password"))
    password_confirm = PasswordField(
        _("Repeat password"),
        validators=[Required(), EqualTo("password", message=_("The passwords do not match."))],
    )
    accept_terms = BooleanField(
        _("I have read the privacy notice and agree that the centre keeps my account data."),
        validators=[Required()],
    )


class LoginForm(Form):
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH)])
    password = PasswordField(_("Password"), validators=[Required(), Length(max=PASSWORD_MAX_LENGTH)])
    # Hidden, so an error on it would show nowhere: an over-long address is dropped instead.
    next = HiddenField(filters=[_short_next])


class EmailOnlyForm(Form):
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email])


class NewPasswordForm(Form):
    password = _password_field(_("New password"))
    password_confirm = PasswordField(
        _("Repeat new password"),
        validators=[Required(), EqualTo("password", message=_("The passwords do not match."))],
    )


class ChangePasswordForm(NewPasswordForm):
    current_password = PasswordField(
        _("Current password"), validators=[Required(), Length(max=PASSWORD_MAX_LENGTH)]
    )


class ChangeEmailForm(Form):
    email = EmailField(_("New email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email])
    current_password = PasswordField(
        _("Current password"), validators=[Required(), Length(max=PASSWORD_MAX_LENGTH)]
    )


class ProfileForm(Form):
    name = StringField(_("Full name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    locale = SelectField(_("Language for emails and pages"), choices=_locale_choices())


class RoleForm(Form):
    role = SelectField(_("Role"), choices=[SelectChoice(role.value) for role in Role])
