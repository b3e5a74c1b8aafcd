"""Helpers shared by the functional tests of the events pages: moments in Heraklion time, rows,
the registration form, emailed attachments, calendar files and certificates."""

import datetime
import io
import secrets
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import webtest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.db import utcnow
from dimoskopio.i18n import TRANSLATION_DOMAIN, localizer_for
from dimoskopio.tasks import run_pending_tasks
from events.models import Certificate, Event, Registration, RegistrationStatus
from tests.functional.conftest import link_in

ATHENS = ZoneInfo("Europe/Athens")
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
REGISTRATION_PATH = "/events/registration/"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

VISITOR = {
    "name": "Ελένη Μαρκάκη",
    "email": "eleni@example.gr",
    "organisation": "Κρητικά Ζυμαρικά ΙΚΕ",
    "role": "founder",
    "consent": True,
}


def in_days(days: int, hour: int = 18, minute: int = 0) -> datetime.datetime:
    """A moment `days` from today at a wall-clock time in Heraklion, as UTC."""
    day = utcnow().astimezone(ATHENS).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ATHENS).astimezone(datetime.UTC)


def seats_left_text(count: int, locale_name: str = "el") -> str:
    """The "N seats left" badge as the catalogue words it in a language."""
    localizer = localizer_for(locale_name)
    return localizer.pluralize("%(count)s seat left", "%(count)s seats left", count,
                               domain=TRANSLATION_DOMAIN) % {"count": count}


def add(dbsession: Session, row: Any) -> Any:
    dbsession.rollback()
    dbsession.add(row)
    dbsession.commit()
    return row


def add_registration(dbsession: Session, event: Event, status: RegistrationStatus = RegistrationStatus.CONFIRMED,
                     email: str | None = None, **fields: Any) -> Registration:
    """A registration row as if made earlier (no email is sent for it)."""
    return add(dbsession, Registration(
        event_id=event.id,
        name=fields.pop("name", "Γιώργος Παπαδόπουλος"),
        email=email or f"{secrets.token_hex(4)}@example.gr",
        status=status,
        link_salt=secrets.token_hex(32),
        checkin_code=secrets.token_hex(8),
        **fields,
    ))


def registrations(dbsession: Session, event: Event) -> list[Registration]:
    """The event's registrations as the database has them now, oldest first."""
    dbsession.rollback()
    return list(dbsession.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ))


def registration_of(dbsession: Session, event: Event, email: str) -> Registration:
    dbsession.rollback()
    return dbsession.scalar(select(Registration).where(Registration.event_id == event.id, Registration.email == email))


def registration_form(client: webtest.TestApp, event: Event, **values: Any) -> webtest.forms.Form:
    """The event page's registration form, filled with a visitor's details and `values`."""
    form = client.get(f"/events/{event.slug}").forms["register-form"]
    for name, value in {**VISITOR, **values}.items():
        if name in form.fields:
            form[name] = value
    return form


def register(client: webtest.TestApp, event: Event, status: int | str = 303, **values: Any) -> webtest.TestResponse:
    return registration_form(client, event, **values).submit(status=status)


def private_path(message: EmailMessage) -> str:
    """The private link to the registration in an email, as a site-relative path."""
    return link_in(message, REGISTRATION_PATH)


def addressed_to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [message for message in messages if message["To"] == address]


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """Attached files by name: (content type, content)."""
    return {part.get_filename(): (part.get_content_type(), part.get_content())
            for part in message.iter_attachments()}


def calendar_event(data: bytes) -> tuple[icalendar.Calendar, icalendar.Event]:
    """A calendar file and its one event, parsed."""
    calendar = icalendar.Calendar.from_ical(data)
    [event] = calendar.walk("VEVENT")
    return calendar, event


# --- certificates ------------------------------------------------------------------------------

LONG_NAME = "Αικατερίνη-Μαργαρίτα Παπαδοπούλου-Χατζηγεωργίου του Εμμανουήλ"


def past_event_with_attendees(dbsession: Session, event_factory: Any) -> tuple[Event, dict[str, Registration]]:
    """An event that took place yesterday: two checked in (one reads English), one absent, one
    who cancelled."""
    start = utcnow().replace(microsecond=0) - DAY
    event = event_factory(starts_at=start, ends_at=start + 3 * HOUR, hours=3)
    now = utcnow()
    people = {
        "greek": add_registration(dbsession, event, email="eleni@example.gr", name=LONG_NAME, checked_in_at=now),
        "english": add_registration(dbsession, event, email="john@example.org", name="John Smith", locale="en",
                                    checked_in_at=now),
        "absent": add_registration(dbsession, event, email="absent@example.gr", name="Απών Απόντας"),
        "cancelled": add_registration(dbsession, event, RegistrationStatus.CANCELLED, email="gone@example.gr"),
    }
    dbsession.commit()
    return event, people


def certificates_of(dbsession: Session, event: Event) -> list[Certificate]:
    """The event's certificates as the database has them now, oldest first."""
    dbsession.rollback()
    return list(dbsession.scalars(select(Certificate).where(Certificate.event_id == event.id)
                                  .order_by(Certificate.id)))


def issue_all(testapp: webtest.TestApp, event: Event, email: bool = True) -> None:
    """Press "Issue" on the event's certificates page (staff logged in) and run the worker."""
    page = testapp.get(f"/admin/events/{event.id}/certificates")
    form = next(form for form in page.forms.values() if form.action.endswith("/certificates/issue"))
    form["email_attendees"] = email
    form.submit(status=303)
    run_pending_tasks()


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
