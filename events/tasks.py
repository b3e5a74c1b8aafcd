"""Background work around events: mass notices, lapsed offers, reminders and feedback requests."""

import datetime
from types import SimpleNamespace
from typing import Any

from pyramid.request import Request
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.tasks import crontab, periodic_task, task
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.services import (
    active_registrations,
    expire_offers,
    notify_registration,
    skip_locked,
)

REMINDER_AHEAD = datetime.timedelta(hours=24)
# Feedback is asked for a while after the end, and not for events long past.
FEEDBACK_AFTER = datetime.timedelta(hours=2)
FEEDBACK_UNTIL = datetime.timedelta(days=7)


@task()
def notify_registrants(request: Request, event_id: int, template: str, extra: dict[str, Any]) -> int:
    """Email everyone still registered for an event (cancelled, postponed, moved). The whole
    batch is one transaction: it is queued completely or, on failure, retried completely."""
    event = request.dbsession.get(Event, event_id)
    if event is None:
        return 0
    context = dict(extra)
    if "old_starts_at" in context:
        # What the event was, for the "when" line of the change notice.
        context["old_event"] = SimpleNamespace(
            starts_at=datetime.datetime.fromisoformat(context.pop("old_starts_at")),
            ends_at=datetime.datetime.fromisoformat(context.pop("old_ends_at")),
            all_day=context.pop("old_all_day"),
        )
    registrations = active_registrations(request.dbsession, event_id)
    for registration in registrations:
        notify_registration(request, registration, template, context)
    return len(registrations)


@periodic_task(crontab(minute="*/5"))
def lapse_expired_offers(request: Request) -> int:
    return expire_offers(request, utcnow())


def _claim(request: Request, query: Any, stamp: str, now: datetime.datetime) -> list[Registration]:
    """Rows to email, stamped in the same transaction as their outbox rows: never sent twice, and
    two workers running the same periodic task skip each other's rows on PostgreSQL."""
    registrations = list(request.dbsession.scalars(skip_locked(request.dbsession, query)).unique())
    for registration in registrations:
        setattr(registration, stamp, now)
    return registrations


@periodic_task(crontab(minute="*/15"))
def send_reminders(request: Request) -> int:
    """The day-before reminder, for confirmed people of events that go ahead."""
    now = utcnow()
    query = (
        select(Registration).join(Registration.event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at > now,
            Event.starts_at <= now + REMINDER_AHEAD,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.reminder_sent_at.is_(None),
        )
        .order_by(Registration.id)
    )
    registrations = _claim(request, query, "reminder_sent_at", now)
    for registration in registrations:
        notify_registration(request, registration, "event-reminder")
    return len(registrations)


@periodic_task(crontab(minute="7"))
def request_feedback(request: Request) -> int:
    """After the event: a short survey for everyone who was checked in."""
    now = utcnow()
    query = (
        select(Registration).join(Registration.event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.ends_at <= now - FEEDBACK_AFTER,
            Event.ends_at > now - FEEDBACK_UNTIL,
            Registration.checked_in_at.is_not(None),
            Registration.feedback_requested_at.is_(None),
        )
        .order_by(Registration.id)
    )
    registrations = _claim(request, query, "feedback_requested_at", now)
    for registration in registrations:
        notify_registration(request, registration, "event-feedback")
    return len(registrations)
