"""Settings: defaults, environment overrides and the Pyramid configurator."""

import os
from pathlib import Path
from typing import Any

from pyramid.config import Configurator
from pyramid.settings import asbool

ENVIRONMENT_OVERRIDES = {
    "DATABASE_URL": "sqlalchemy.url",
    "DIMOSKOPIO_SECRET": "dimoskopio.secret",
    "DIMOSKOPIO_BASE_URL": "dimoskopio.base_url",
    "SENDGRID_API_KEY": "sendgrid.api_key",
    "SENDGRID_HOST": "sendgrid.host",
    "HUEY_REDIS_URL": "huey.redis_url",
    "MAIL_BACKEND": "mail.backend",
    "SENDGRID_WEBHOOK_PUBLIC_KEY": "sendgrid.webhook_public_key",
}

DEFAULTS = {
    "dimoskopio.base_url": "http://localhost:6543",
    "dimoskopio.timezone": "Europe/Athens",
    "dimoskopio.default_locale": "el",
    "dimoskopio.centre_name": "Dimoskopio",
    "dimoskopio.contact_email": "info@dimoskopio.example",
    "dimoskopio.var_dir": "var",
    "mail.backend": "file",
    "mail.sender": "Dimoskopio <no-reply@dimoskopio.example>",
    "sendgrid.host": "https://api.sendgrid.com",
    "sendgrid.api_key": "",
    "sendgrid.sandbox": "false",
    "sendgrid.timeout": "10",
    "sendgrid.webhook_public_key": "",
    "mailing.batch_size": "1000",
    "mailing.messages_per_second": "0",
    "huey.redis_url": "",
    "huey.workers": "2",
    "accounts.max_failed_logins": "5",
    "accounts.lockout_minutes": "15",
    "dimoskopio.max_request_bytes": str(1024 * 1024),
    "dimoskopio.max_upload_request_bytes": str(25 * 1024 * 1024),
    "events.seat_lock": "true",
    "events.seat_lock_timeout_ms": "5000",
    "events.privacy_notice_version": "2026-01",
}

AVAILABLE_LOCALES = ("el", "en")


class InsecureSecretError(RuntimeError):
    """Raised when the application would run with no secret at all."""


def normalize_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Fill defaults, apply environment overrides and derive dependent settings."""
    settings = dict(settings)
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    for env_name, key in ENVIRONMENT_OVERRIDES.items():
        if os.environ.get(env_name):
            settings[key] = os.environ[env_name]

    if not settings.get("dimoskopio.secret"):
        raise InsecureSecretError("dimoskopio.secret (or DIMOSKOPIO_SECRET) must be set")

    var_dir = Path(settings["dimoskopio.var_dir"])
    settings["dimoskopio.var_dir"] = str(var_dir)
    settings.setdefault("mail.file_dir", str(var_dir / "mail"))
    settings.setdefault("huey.sqlite_path", str(var_dir / "huey.sqlite"))
    settings["dimoskopio.base_url"] = settings["dimoskopio.base_url"].rstrip("/")
    settings["dimoskopio.secure_cookies"] = settings["dimoskopio.base_url"].startswith("https://")
    settings["sendgrid.sandbox"] = asbool(settings["sendgrid.sandbox"])
    settings["sendgrid.timeout"] = float(settings["sendgrid.timeout"])
    # SendGrid takes at most a thousand personalizations in one request.
    settings["mailing.batch_size"] = max(1, min(int(settings["mailing.batch_size"]), 1000))
    settings["mailing.messages_per_second"] = float(settings["mailing.messages_per_second"])
    settings["huey.workers"] = int(settings["huey.workers"])
    settings["accounts.max_failed_logins"] = int(settings["accounts.max_failed_logins"])
    settings["accounts.lockout_minutes"] = int(settings["accounts.lockout_minutes"])
    settings["dimoskopio.max_request_bytes"] = int(settings["dimoskopio.max_request_bytes"])
    settings["dimoskopio.max_upload_request_bytes"] = int(settings["dimoskopio.max_upload_request_bytes"])
    settings["events.seat_lock"] = asbool(settings["events.seat_lock"])
    settings["events.seat_lock_timeout_ms"] = int(settings["events.seat_lock_timeout_ms"])
    settings.setdefault("pyramid.default_locale_name", settings["dimoskopio.default_locale"])
    settings.setdefault("tm.manager_hook", "pyramid_tm.explicit_manager")
    settings.setdefault("retry.attempts", "3")
    settings.setdefault("retry.activate_hook", "dimoskopio.web.retry_attempts")
    settings.setdefault("jinja2.directories", str(Path(__file__).parent.parent / "templates"))
    settings.setdefault("jinja2.i18n.domain", "dimoskopio")
    settings.setdefault("jinja2.undefined", "strict")
    settings.setdefault("jinja2.trim_blocks", "true")
    settings.setdefault("jinja2.lstrip_blocks", "true")
    return settings


def make_configurator(settings: dict[str, Any]) -> Configurator:
    """Build the fully-included configurator used by the web app, scripts and the worker."""
    config = Configurator(settings=normalize_settings(settings))
    config.include("pyramid_retry")
    config.include("pyramid_tm")
    config.include("pyramid_jinja2")
    config.include(".db")
    config.include(".i18n")
    config.include(".security")
    config.include(".tasks")
    config.include(".mail")
    config.include(".web")
    config.include(".accounts")
    config.include(".admin")
    config.include(".seed")
    config.include("events")
    config.include("incubator")
    config.include("mailing")
    config.scan("dimoskopio", ignore=["dimoskopio.migrations", "dimoskopio.cli"])
    for package in ("events", "incubator", "mailing"):
        config.scan(package)
    return config
