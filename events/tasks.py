"""Background work around events: mass notices, lapsed offers, reminders, feedback requests,
certificates issued in batches, and the calendar feeds' housekeeping."""

import datetime
from typing import Any

from pyramid.request import Request
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.tasks import crontab, periodic_task, task
from events import certificate_services, feeds, services
from events.models import Event, EventStatus, Registration, RegistrationStatus
from events.services import expire_offers, notify_registration, skip_locked

REMINDER_AHEAD = datetime.timedelta(hours=24)
# Feedback is asked for a while after the end, and not for events long past.
FEEDBACK_AFTER = datetime.timedelta(hours=2)
FEEDBACK_UNTIL = datetime.timedelta(days=7)


@task()
def send_notice(request: Request, notice_id: int) -> int:
    """Email a notice (cancelled, postponed, moved) to everyone still registered."""
    return services.send_notice(request, notice_id, utcnow())


@periodic_task(crontab(minute="*/5"))
def sweep_notices(request: Request) -> int:
    """Send notices whose task was lost (queueing failed after the commit that recorded them)."""
    sent = 0
    for notice_id in services.overdue_notices(request.dbsession, utcnow()):
        sent += services.send_notice(request, notice_id, utcnow())
    return sent


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
    certificates = certificate_services.standing_certificates_of(
        request.dbsession, [registration.id for registration in registrations])
    for registration in registrations:
        # Where the certificate is issued by then, the same email brings it.
        certificate_url = request.public_url(
            "events.registration_certificate",
            token=services.manage_token(request.registry.settings["dimoskopio.secret"], registration),
        ) if registration.id in certificates else None
        notify_registration(request, registration, "event-feedback", {"certificate_url": certificate_url})
    return len(registrations)


@periodic_task(crontab(minute="41", hour="3"))
def prune_calendar_changes(request: Request) -> int:
    return feeds.prune_changes(request.dbsession, utcnow())


@task()
def issue_certificates(request: Request, run_id: int) -> bool:
    """One batch of a certificate run; the next batch is queued once this one is committed."""
    more = certificate_services.issue_batch(request, run_id, utcnow())
    if more:
        request.enqueue(issue_certificates, run_id)
    return more


@periodic_task(crontab(minute="*/5"))
def resume_certificate_runs(request: Request) -> int:
    """Runs whose next batch was lost (a worker killed mid-run) carry on where they stopped."""
    stalled = certificate_services.stalled_runs(request.dbsession, utcnow())
    for run_id in stalled:
        request.enqueue(issue_certificates, run_id)
    return len(stalled)
