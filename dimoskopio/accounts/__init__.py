"""Accounts: sign-up, verification, login, password reset, profile; staff manage roles."""

from pyramid.config import Configurator


def includeme(config: Configurator) -> None:
    config.add_route("accounts.signup", "/signup")
    config.add_route("accounts.signup_done", "/signup/check-your-email")
    config.add_route("accounts.verify", "/account/verify")
    config.add_route("accounts.verify_resend", "/account/verify/resend")
    config.add_route("accounts.login", "/login")
    config.add_route("accounts.logout", "/logout")
    config.add_route("accounts.reset", "/account/reset")
    config.add_route("accounts.reset_confirm", "/account/reset/confirm")
    config.add_route("accounts.profile", "/account")
    config.add_route("accounts.password", "/account/password")
    config.add_route("accounts.email", "/account/email")
    config.add_route("accounts.email_confirm", "/account/email/confirm")
    config.add_route("accounts.logout_others", "/account/logout-other-devices")
    config.add_route("accounts.end_session", "/account/sessions/{id}/end")
    config.add_route("admin.users", "/admin/users")
    config.add_route("admin.user_role", "/admin/users/{id}/role")
