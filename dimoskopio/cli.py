"""Console scripts; each takes the ini file (e.g. development.ini) as its first argument."""

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from pyramid.paster import bootstrap, setup_logging
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", "dimoskopio:migrations")
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Bring the database schema to the newest migration."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _bootstrap(config_uri: str) -> dict[str, Any]:
    setup_logging(config_uri)
    return bootstrap(config_uri)


def initdb(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create or upgrade the database schema.")
    parser.add_argument("config_uri")
    args = parser.parse_args(argv)
    with _bootstrap(args.config_uri) as env:
        _ensure_sqlite_dir(env["registry"].settings["sqlalchemy.url"])
        migrate(env["registry"]["db_engine"])
    print("Database is up to date.")


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        directory = os.path.dirname(url.removeprefix("sqlite:///"))
        if directory:
            os.makedirs(directory, exist_ok=True)


def seed(argv: Sequence[str] | None = None) -> None:
    from dimoskopio.seed import database_is_empty, run_seeders

    parser = argparse.ArgumentParser(description="Fill an empty database with realistic demo data.")
    parser.add_argument("config_uri")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the amount of data (e.g. 10)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same data)")
    parser.add_argument("--allow-public-site", action="store_true",
                        help="seed even though base_url is https (the demo accounts have published passwords)")
    args = parser.parse_args(argv)
    with _bootstrap(args.config_uri) as env:
        if env["registry"].settings["dimoskopio.secure_cookies"] and not args.allow_public_site:
            sys.exit("Refusing to seed a site served over https: the demo staff accounts have passwords "
                     "printed in the README. Pass --allow-public-site for a public demo.")
        request = env["request"]
        with request.tm:
            if not database_is_empty(request.dbsession):
                print("The database already has data; nothing seeded.")
                return
            ran = run_seeders(env["registry"], request.dbsession, scale=args.scale, seed=args.seed)
    print(f"Seeded: {', '.join(ran)}.")


def admin(argv: Sequence[str] | None = None) -> None:
    from dimoskopio.accounts import services
    from dimoskopio.accounts.models import Role

    parser = argparse.ArgumentParser(description="Manage accounts from the command line.")
    parser.add_argument("config_uri")
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="create a verified account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=[role.value for role in Role], default=Role.MEMBER.value)
    create.add_argument("--locale", choices=["el", "en"], default="el")
    create.add_argument("--password", help="read from DIMOSKOPIO_PASSWORD or asked for if omitted")
    set_role = sub.add_parser("set-role", help="change the role of an account")
    set_role.add_argument("--email", required=True)
    set_role.add_argument("--role", choices=[role.value for role in Role], required=True)
    sub.add_parser("list-users", help="list accounts with their roles")
    args = parser.parse_args(argv)

    with _bootstrap(args.config_uri) as env:
        request = env["request"]
        with request.tm:
            if args.command == "create-user":
                password = args.password or os.environ.get("DIMOSKOPIO_PASSWORD") or getpass.getpass()
                if len(password) < services.PASSWORD_MIN_LENGTH:
                    sys.exit(f"The password needs at least {services.PASSWORD_MIN_LENGTH} characters.")
                if not services.is_valid_email(services.normalize_email(args.email)):
                    sys.exit(f"Not a valid email address: {args.email}")
                try:
                    user = services.create_user(
                        request.dbsession, args.email, args.name, password,
                        role=Role(args.role), locale=args.locale, verified=True,
                    )
                except services.EmailTaken:
                    sys.exit(f"An account with {args.email} already exists.")
                print(f"Created {user.email} ({user.role.value}).")
            elif args.command == "set-role":
                user = services.find_user_by_email(request.dbsession, args.email)
                if user is None:
                    sys.exit(f"No account with {args.email}.")
                user.role = Role(args.role)
                print(f"{user.email} is now {user.role.value}.")
            else:
                users, _total = services.list_users(request.dbsession, per_page=10000)
                for user in users:
                    print(f"{user.id}\t{user.role.value}\t{user.email}\t{user.name}")


def worker(argv: Sequence[str] | None = None) -> None:
    from dimoskopio.tasks import huey

    parser = argparse.ArgumentParser(description="Run the background worker (Huey consumer).")
    parser.add_argument("config_uri")
    parser.add_argument("--workers", type=int, help="threads (default: huey.workers setting)")
    args = parser.parse_args(argv)
    env = _bootstrap(args.config_uri)
    settings = env["registry"].settings
    env["closer"]()
    consumer = huey.create_consumer(
        workers=args.workers or settings["huey.workers"],
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
    )
    consumer.run()
