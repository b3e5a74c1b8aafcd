"""The console scripts: initdb, seed, admin and the worker process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.seed import STAFF_EMAIL, STAFF_PASSWORD
from dimoskopio.cli import admin, initdb, seed
from dimoskopio.mail import send_email
from dimoskopio.mail.models import OutboxMessage, OutboxStatus
from dimoskopio.tasks import configure_huey, task_request
from tests.conftest import ROOT


def write_ini(directory: Path, database_url: str, **extra: str) -> Path:
    settings = {
        "sqlalchemy.url": database_url,
        "dimoskopio.secret": "command-test-secret",
        "dimoskopio.var_dir": str(directory / "var"),
        "jinja2.directories": str(ROOT / "templates"),
        "mail.backend": "file",
        "mail.file_dir": str(directory / "mail"),
        "huey.sqlite_path": str(directory / "huey.sqlite"),
        **extra,
    }
    lines = "\n".join(f"{key} = {value}" for key, value in settings.items())
    path = directory / "test.ini"
    path.write_text(f"[app:main]\nuse = egg:dimoskopio\n{lines}\n")
    return path


@pytest.fixture
def fresh_ini(tmp_path):
    return write_ini(tmp_path, f"sqlite:///{tmp_path / 'fresh.sqlite'}")


def count_users(ini: Path) -> int:
    url = next(line.split(" = ", 1)[1] for line in ini.read_text().splitlines() if line.startswith("sqlalchemy.url"))
    engine = create_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(User))
    engine.dispose()
    return total


def test_initdb_creates_the_schema_and_is_idempotent(fresh_ini, capsys):
    initdb([str(fresh_ini)])
    initdb([str(fresh_ini)])
    assert "Database is up to date." in capsys.readouterr().out
    assert count_users(fresh_ini) == 0


def test_seed_fills_an_empty_database_once_and_deterministically(tmp_path, capsys):
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    first = write_ini(first_dir, f"sqlite:///{first_dir / 'db.sqlite'}")
    second = write_ini(second_dir, f"sqlite:///{second_dir / 'db.sqlite'}")
    for ini in (first, second):
        initdb([str(ini)])
        seed([str(ini), "--scale", "0.2"])
    seed([str(first)])
    output = capsys.readouterr().out
    assert ("Seeded: accounts, events, mailing, incubator, incubator-mentors, incubator-calls, incubator-kpis."
            in output)
    assert "already has data; nothing seeded" in output

    def emails(ini: Path) -> list[str]:
        engine = create_engine(f"sqlite:///{ini.parent / 'db.sqlite'}")
        with engine.connect() as connection:
            found = list(connection.scalars(text("SELECT email FROM users ORDER BY id")))
        engine.dispose()
        return found

    assert emails(first) == emails(second)
    assert STAFF_EMAIL in emails(first)
    assert len(emails(first)) == 2 + 3 + round(15 * 0.2) + round(40 * 0.2) + round(150 * 0.2)


def test_seed_scale_multiplies_the_data(tmp_path):
    ini = write_ini(tmp_path, f"sqlite:///{tmp_path / 'big.sqlite'}")
    initdb([str(ini)])
    seed([str(ini), "--scale", "3"])
    assert count_users(ini) == 2 + 3 + 45 + 120 + 450


def test_seeded_staff_account_can_log_in(app, testapp, dbsession):
    from dimoskopio.seed import run_seeders

    run_seeders(app.registry, dbsession, scale=0.05)
    dbsession.commit()
    form = testapp.get("/login").forms["login-form"]
    form["email"] = STAFF_EMAIL
    form["password"] = STAFF_PASSWORD
    assert form.submit().status_int == 303
    assert testapp.get("/admin").status_int == 200


def test_admin_creates_a_verified_staff_user_and_changes_roles(fresh_ini, capsys):
    initdb([str(fresh_ini)])
    admin([str(fresh_ini), "create-user", "--email", "Eirini@Example.gr", "--name", "Ειρήνη Λαμπράκη",
           "--role", "staff", "--password", "a good long password"])
    admin([str(fresh_ini), "set-role", "--email", "eirini@example.gr", "--role", "admin"])
    admin([str(fresh_ini), "list-users"])
    output = capsys.readouterr().out
    assert "Created eirini@example.gr (staff)." in output
    assert "eirini@example.gr is now admin." in output
    assert "admin\teirini@example.gr\tΕιρήνη Λαμπράκη" in output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--email", "x@example.gr", "--name", "X", "--password", "short"], "at least 10 characters"),
        (["--email", "not-an-email", "--name", "X", "--password", "a good long password"], "Not a valid email"),
    ],
)
def test_admin_refuses_bad_input(fresh_ini, arguments, message):
    initdb([str(fresh_ini)])
    with pytest.raises(SystemExit) as exit_info:
        admin([str(fresh_ini), "create-user", *arguments])
    assert message in str(exit_info.value)
    assert count_users(fresh_ini) == 0


def test_admin_refuses_a_duplicate_email(fresh_ini):
    initdb([str(fresh_ini)])
    create = [str(fresh_ini), "create-user", "--email", "a@example.gr", "--name", "A",
              "--role", Role.STAFF.value, "--password", "a good long password"]
    admin(create)
    with pytest.raises(SystemExit, match="already exists"):
        admin(create)
    assert count_users(fresh_ini) == 1


def test_worker_process_delivers_queued_mail_and_stops_cleanly(app, database_url, tmp_path, dbsession):
    ini = write_ini(tmp_path, database_url)
    worker_settings = {**app.registry.settings, "huey.sqlite_path": str(tmp_path / "huey.sqlite")}
    configure_huey(worker_settings, app.registry)
    with task_request() as request:
        message_id = send_email(request, "verify-email", "worker@example.gr",
                                {"name": "Worker", "link": "http://localhost/x", "hours": 72}).id

    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "dimoskopio-worker"), str(ini), "--workers", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list((tmp_path / "mail").glob("*.eml")):
            time.sleep(0.2)
        assert list((tmp_path / "mail").glob("*.eml")), "the worker did not deliver the message"
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=30)[0].decode()
    assert worker.returncode == 0, output
    dbsession.rollback()
    assert dbsession.get(OutboxMessage, message_id).status is OutboxStatus.SENT


def test_seed_refuses_a_public_https_site(tmp_path):
    ini = write_ini(tmp_path, f"sqlite:///{tmp_path / 'public.sqlite'}", **{"dimoskopio.base_url": "https://dimoskopio.example"})
    initdb([str(ini)])
    with pytest.raises(SystemExit, match="Refusing to seed"):
        seed([str(ini)])
    assert count_users(ini) == 0
