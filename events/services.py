"""The rules of events and registration: who gets a seat, who waits, and who is told what.

Seats are allocated under a per-event lock. On PostgreSQL it is the event row's lock
(`SELECT ... FOR UPDATE`, with a lock timeout); on SQLite the database itself allows one writer at a
time, and form submissions take the write lock when they begin. Every decision re-reads the event
and the registration under the lock.
"""

import base64
import calendar
import datetime
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import psycopg.errors
import segno
from pyramid.request import Request
from sqlalchemy import Select, and_, case, func, or_, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from dimoskopio.accounts.services import normalize_email
from dimoskopio.db import fold_text, folded
from dimoskopio.i18n import transliterate
from dimoskopio.mail import send_email
from dimoskopio.rules import Refused
from dimoskopio.signing import read_row_token, row_signature, row_token, signatures_match
from dimoskopio.web import page_or_last
from events.models import (
    ACTIVE_STATUSES,
    SEAT_HOLDING,
    SLUG_MAX_LENGTH,
    AttendeeRole,
    Category,
    Event,
    EventNotice,
    EventStatus,
    Feedback,
    Question,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
    event_topics,
)


class SeatsBusy(Exception):
    """The event's seat lock was not free in time; the visitor should simply try again."""


class RegistrationRefused(Refused):
    """The registration cannot be made or changed; `reason` says why (see REFUSAL_MESSAGES)."""


# --- time -------------------------------------------------------------------------------------


def local_timezone(request_or_settings: Any) -> ZoneInfo:
    settings = getattr(getattr(request_or_settings, "registry", None), "settings", request_or_settings)
    return ZoneInfo(settings["dimoskopio.timezone"])


def from_local(value: datetime.datetime, tz: ZoneInfo) -> datetime.datetime:
    """A wall-clock time at the centre as an aware UTC datetime."""
    return value.replace(tzinfo=tz).astimezone(datetime.UTC)


# Dates the calendar accepts from anyone (URLs, forms): far enough either way for any real
# event, near enough that converting them between time zones cannot overflow.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(raw: str | None) -> datetime.date | None:
    """A YYYY-MM-DD day between FIRST_DAY and LAST_DAY, or None for anything else."""
    if not raw or not DAY_PATTERN.fullmatch(raw):
        return None
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:  # a day the month does not have, like 2026-02-30
        return None
    return day if FIRST_DAY <= day <= LAST_DAY else None


def local_day_start(day: datetime.date, tz: ZoneInfo) -> datetime.datetime:
    return from_local(datetime.datetime.combine(day, datetime.time()), tz)


def last_day(event: Event, tz: ZoneInfo) -> datetime.date:
    """The last calendar day an event takes place on (all-day events end at the next midnight)."""
    end = event.ends_at.astimezone(tz)
    # All-day events end at the next midnight, and an evening that ends at midnight sharp does
    # not take place on the following day either.
    if (event.all_day or end.time() == datetime.time()) and end > event.starts_at.astimezone(tz):
        return max(event.starts_at.astimezone(tz).date(), end.date() - datetime.timedelta(days=1))
    return end.date()


# --- slugs ------------------------------------------------------------------------------------

# Paths under /events that are pages of their own, not events.
RESERVED_SLUGS = frozenset({"calendar", "past", "series", "registration", "my", "new"})


def slugify(text_value: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    words = (transliterate(word) for word in re.split(r"[\s._]+", text_value))
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(words)).strip("-")
    return slug[:max_length].rstrip("-") or "event"


def slug_taken(dbsession: Session, model: type[Any], slug: str, exclude_id: int | None = None) -> bool:
    """Whether another row of `model` (not the one with `exclude_id`) already uses this slug."""
    query = select(model.id).where(model.slug == slug)
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    return dbsession.scalar(query.limit(1)) is not None


def unique_slug(dbsession: Session, model: type[Any], wanted: str, exclude_id: int | None = None) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... whichever no other row of `model` uses."""
    base = slugify(wanted, SLUG_MAX_LENGTH - 6)
    query = select(model.slug).where(or_(model.slug == base, model.slug.like(f"{base}-%")))
    if exclude_id is not None:
        query = query.where(model.id != exclude_id)
    taken = set(dbsession.scalars(query)) | (RESERVED_SLUGS if model is Event else set())
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


# --- seats ------------------------------------------------------------------------------------


def lock_seats(request: Request, event: Event) -> None:
    """Serialize seat allocation for one event until the transaction ends, and re-read the event
    (its capacity and status may have changed while the request waited for the lock). Unsaved
    changes to the event are discarded: lock before changing it.

    `events.seat_lock = false` turns the lock off; it exists only so that the concurrency test
    and the registration benchmark can show that they would catch overbooking.
    """
    settings = request.registry.settings
    dbsession = request.dbsession
    if not settings["events.seat_lock"] or dbsession.get_bind().dialect.name != "postgresql":
        dbsession.refresh(event)
        return
    timeout_ms = settings["events.seat_lock_timeout_ms"]
    dbsession.execute(text(f"SET LOCAL lock_timeout = {int(timeout_ms)}"))
    try:
        dbsession.scalars(
            select(Event).where(Event.id == event.id).with_for_update(of=Event)
            .execution_options(populate_existing=True)
        ).unique().one()
    except OperationalError as error:
        if isinstance(error.orig, psycopg.errors.LockNotAvailable):
            raise SeatsBusy() from error
        raise


def seats_taken(dbsession: Session, event_id: int) -> int:
    return dbsession.scalar(
        select(func.count()).where(Registration.event_id == event_id, Registration.status.in_(SEAT_HOLDING))
    ) or 0


def seats_left(event: Event, taken: int) -> int | None:
    """Free seats, or None for an event without a limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - taken)


@dataclass
class EventCounts:
    confirmed: int = 0
    offered: int = 0
    waiting: int = 0
    pending: int = 0
    cancelled: int = 0
    rejected: int = 0
    expired: int = 0
    checked_in: int = 0

    @property
    def taken(self) -> int:
        return self.confirmed + self.offered

    @property
    def active(self) -> int:
        return self.confirmed + self.offered + self.waiting + self.pending

    def seats_left(self, event: Event) -> int | None:
        return seats_left(event, self.taken)


def counts_for(dbsession: Session, event_ids: Iterable[int]) -> dict[int, EventCounts]:
    """Registration counts by status for many events in one query."""
    ids = list(event_ids)
    counts = {event_id: EventCounts() for event_id in ids}
    if not ids:
        return counts
    rows = dbsession.execute(
        select(
            Registration.event_id,
            Registration.status,
            func.count(),
            func.count(Registration.checked_in_at),
        )
        .where(Registration.event_id.in_(ids))
        .group_by(Registration.event_id, Registration.status)
    )
    for event_id, status, number, checked_in in rows:
        setattr(counts[event_id], status.value, number)
        counts[event_id].checked_in += checked_in
    return counts


def capacity_grew(old: int | None, new: int | None) -> bool:
    """More seats than before (None is no limit)."""
    return new != old and (new is None or (old is not None and new > old))


def fill_rate(event: Event, counts: EventCounts) -> float | None:
    if not event.capacity:
        return None
    return min(1.0, counts.taken / event.capacity)


# --- registration window ----------------------------------------------------------------------


def registration_closes_at(event: Event) -> datetime.datetime:
    return event.registration_closes_at or event.starts_at


def registration_state(event: Event, now: datetime.datetime) -> str:
    """open, not_open_yet, closed, past, cancelled, postponed or draft."""
    if event.status == EventStatus.DRAFT:
        return "draft"
    if event.status == EventStatus.CANCELLED:
        return "cancelled"
    if event.status == EventStatus.POSTPONED:
        return "postponed"
    if event.ends_at <= now:
        return "past"
    if event.registration_opens_at is not None and now < event.registration_opens_at:
        return "not_open_yet"
    if now >= registration_closes_at(event):
        return "closed"
    return "open"


# --- private links ----------------------------------------------------------------------------


def _signature(secret: str, purpose: str, registration: Registration) -> str:
    return row_signature(secret, purpose, registration.id, registration.link_salt)


def manage_token(secret: str, registration: Registration) -> str:
    """The private management link's token: the registration id and its signature."""
    return row_token(registration.id, _signature(secret, "manage", registration))


# A private link works until this long after its event (for the certificate and feedback).
LINK_LIFETIME_AFTER_EVENT = datetime.timedelta(days=400)


def registration_for_token(dbsession: Session, secret: str, token: str,
                           now: datetime.datetime | None = None) -> Registration | None:
    """The registration a management token names, or None for a tampered, revoked or expired
    token."""
    parsed = read_row_token(token)
    if parsed is None:
        return None
    registration = dbsession.get(Registration, parsed[0])
    if registration is None or not signatures_match(parsed[1], _signature(secret, "manage", registration)):
        return None
    if registration.event.ends_at + LINK_LIFETIME_AFTER_EVENT < (now or datetime.datetime.now(datetime.UTC)):
        return None
    return registration


def _new_registration_keys() -> dict[str, str]:
    # The key only salts the link's signature; revoking a link means drawing a new one.
    return {
        "link_salt": secrets.token_hex(32),
        "checkin_code": secrets.token_urlsafe(18)[:24],
    }


# --- registering ------------------------------------------------------------------------------


@dataclass
class RegistrantDetails:
    name: str
    email: str
    organisation: str = ""
    role: AttendeeRole = AttendeeRole.OTHER
    answers: dict[str, Any] = field(default_factory=dict)
    locale: str = "el"
    consent_version: str | None = None
    newsletter_opt_in: bool = False
    user_id: int | None = None


@dataclass
class RegistrationOutcome:
    registration: Registration
    created: bool
    """False when this email was already registered (the person gets their link again)."""


def _allocate(dbsession: Session, event: Event, registration: Registration, now: datetime.datetime) -> None:
    """Give a seat if one is free, else a place at the end of the waiting list. Caller holds the lock."""
    left = seats_left(event, seats_taken(dbsession, event.id))
    if left is None or left > 0:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
    else:
        registration.status = RegistrationStatus.WAITING
        registration.waiting_since = now
    registration.offer_expires_at = None


def register(
    request: Request,
    event: Event,
    details: RegistrantDetails,
    now: datetime.datetime,
    source: RegistrationSource = RegistrationSource.ONLINE,
) -> RegistrationOutcome:
    """Register someone for an event. Visitors may register only while registration is open;
    staff may add people at any time before the event is over, but never beyond capacity."""
    dbsession = request.dbsession
    # The state is judged under the lock: staff may have cancelled the event meanwhile.
    lock_seats(request, event)
    state = registration_state(event, now)
    if source == RegistrationSource.ONLINE and state != "open":
        raise RegistrationRefused(state)
    if source != RegistrationSource.ONLINE and state in ("draft", "cancelled", "past"):
        raise RegistrationRefused(state)
    email = normalize_email(details.email)
    registration = dbsession.scalar(
        select(Registration).where(Registration.event_id == event.id, Registration.email == email)
    )
    if registration is not None and (registration.is_active or registration.status == RegistrationStatus.REJECTED):
        return RegistrationOutcome(registration, created=False)
    if source == RegistrationSource.WALK_IN and seats_left(event, seats_taken(dbsession, event.id)) == 0:
        # Refused before an earlier (cancelled) registration of this email is touched.
        raise RegistrationRefused("full")
    if registration is None:
        # Added to the session only once it has a status (counting seats flushes the session).
        registration = Registration(event=event, email=email, **_new_registration_keys())
    registration.name = details.name.strip()
    registration.organisation = details.organisation.strip()
    registration.role = details.role
    registration.answers = details.answers
    registration.locale = details.locale
    registration.user_id = details.user_id
    registration.source = source
    registration.newsletter_opt_in = details.newsletter_opt_in
    # A cancelled registration taken up again starts afresh.
    registration.cancelled_at = None
    registration.decision_reason = ""
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    registration.reminder_sent_at = None
    registration.feedback_requested_at = None
    if details.consent_version is not None:
        registration.consent_at = now
        registration.consent_version = details.consent_version
    if event.approval_required and source == RegistrationSource.ONLINE:
        registration.status = RegistrationStatus.PENDING
    else:
        _allocate(dbsession, event, registration, now)
    if source == RegistrationSource.WALK_IN:
        registration.checked_in_at = now
    dbsession.add(registration)
    dbsession.flush()
    return RegistrationOutcome(registration, created=True)


# Registering again with the same address re-sends the private link at most this often, so that
# nobody can make the centre email someone over and over.
LINK_RESEND_INTERVAL = datetime.timedelta(minutes=10)


def may_resend_link(registration: Registration, now: datetime.datetime) -> bool:
    """Whether to email the private link again now (and note that it was)."""
    if registration.link_resent_at is not None and now - registration.link_resent_at < LINK_RESEND_INTERVAL:
        return False
    registration.link_resent_at = now
    return True


def waiting_position(dbsession: Session, registration: Registration) -> int | None:
    """1 for the first in line; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING or registration.waiting_since is None:
        return None
    ahead = dbsession.scalar(
        select(func.count()).where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            or_(
                Registration.waiting_since < registration.waiting_since,
                and_(Registration.waiting_since == registration.waiting_since, Registration.id < registration.id),
            ),
        )
    )
    return (ahead or 0) + 1


def _waiting_line(event_id: int) -> Select[Any]:
    return (
        select(Registration)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITING)
        .order_by(Registration.waiting_since, Registration.id)
    )


def fill_free_seats(request: Request, event: Event, now: datetime.datetime) -> list[Registration]:
    """Hand free seats to the waiting list, in order: a direct seat (automatic promotion) or an
    offer that must be accepted in time. The caller holds the seat lock. Each person is emailed."""
    if event.status != EventStatus.PUBLISHED or event.starts_at <= now:
        return []
    dbsession = request.dbsession
    left = seats_left(event, seats_taken(dbsession, event.id))
    if left == 0:
        return []
    line = _waiting_line(event.id)
    if left is not None:
        line = line.limit(left)
    moved = list(dbsession.scalars(line))
    for registration in moved:
        # Without a limit there is nothing to hold for anyone: a seat, not an offer.
        if event.auto_promote or event.capacity is None:
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            registration.waiting_since = None
            notify_registration(request, registration, "seat-confirmed")
        else:
            registration.status = RegistrationStatus.OFFERED
            # An offer never outlasts the event's start.
            registration.offer_expires_at = min(now + datetime.timedelta(hours=event.offer_hours), event.starts_at)
            notify_registration(request, registration, "seat-offered")
    dbsession.flush()
    return moved


def lock_registration(request: Request, registration: Registration) -> None:
    """Take the event's seat lock and re-read the registration: a decision about it is made on
    its current status, never on what the request loaded before another one changed it."""
    lock_seats(request, registration.event)
    request.dbsession.refresh(registration)


def cancel_registration(request: Request, registration: Registration, now: datetime.datetime) -> None:
    """The person (or staff) cancels; a freed seat goes to the waiting list."""
    lock_registration(request, registration)
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED):
        raise RegistrationRefused("already_cancelled")
    if registration.status == RegistrationStatus.REJECTED:
        raise RegistrationRefused("rejected")
    if registration.event.ends_at <= now:
        raise RegistrationRefused("past")
    held_seat = registration.holds_seat
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.offer_expires_at = None
    request.dbsession.flush()
    if held_seat:
        fill_free_seats(request, registration.event, now)


def accept_offer(request: Request, registration: Registration, now: datetime.datetime) -> bool:
    """Confirm an offered seat; False when it was already confirmed (a second click)."""
    lock_registration(request, registration)
    if registration.status == RegistrationStatus.CONFIRMED:
        return False
    if registration.status == RegistrationStatus.EXPIRED:
        raise RegistrationRefused("offer_expired")
    if registration.event.status != EventStatus.PUBLISHED:
        raise RegistrationRefused(registration.event.status.value)
    if registration.status != RegistrationStatus.OFFERED:
        raise RegistrationRefused("no_offer")
    if registration.offer_expires_at is not None and registration.offer_expires_at <= now:
        raise RegistrationRefused("offer_expired")
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.offer_expires_at = None
    registration.waiting_since = None
    request.dbsession.flush()
    return True


def decline_offer(request: Request, registration: Registration, now: datetime.datetime) -> None:
    """The person offered a seat does not want it; it passes to the next in line. Only an offer can
    be declined: a stale page must not cancel a seat that was accepted meanwhile."""
    lock_registration(request, registration)
    if registration.status != RegistrationStatus.OFFERED:
        raise RegistrationRefused("no_offer")
    cancel_registration(request, registration, now)


def expire_offers(request: Request, now: datetime.datetime) -> int:
    """Offers not accepted in time lapse; their seats pass to the next in line."""
    dbsession = request.dbsession
    # Events in id order: two workers lapsing offers at once take the locks in the same order.
    event_ids = list(dbsession.scalars(
        select(Registration.event_id).where(
            Registration.status == RegistrationStatus.OFFERED, Registration.offer_expires_at <= now,
        ).distinct().order_by(Registration.event_id)
    ))
    expired = 0
    for event_id in event_ids:
        event = dbsession.get(Event, event_id)
        lock_seats(request, event)
        lapsed = dbsession.scalars(
            select(Registration).where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.OFFERED,
                Registration.offer_expires_at <= now,
            )
        ).all()
        for registration in lapsed:
            registration.status = RegistrationStatus.EXPIRED
            registration.offer_expires_at = None
            # "The seat went to the next person" would not be true of a cancelled event.
            if event.status == EventStatus.PUBLISHED:
                notify_registration(request, registration, "offer-expired")
            expired += 1
        dbsession.flush()
        fill_free_seats(request, event, now)
    return expired


def approve(request: Request, registration: Registration, now: datetime.datetime) -> None:
    """Staff approve a pending registration: a seat if one is free, else the waiting list."""
    lock_registration(request, registration)
    if registration.status != RegistrationStatus.PENDING:
        raise RegistrationRefused("not_pending")
    _allocate(request.dbsession, registration.event, registration, now)
    request.dbsession.flush()


def reject(request: Request, registration: Registration, reason: str) -> None:
    """Staff turn down a pending (or waiting) registration, with a reason the person is told."""
    lock_registration(request, registration)
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITING):
        raise RegistrationRefused("not_pending")
    registration.status = RegistrationStatus.REJECTED
    registration.decision_reason = reason
    request.dbsession.flush()


def move_registration(request: Request, registration: Registration, target: RegistrationStatus,
                      now: datetime.datetime, reason: str = "") -> bool:
    """A staff decision about one registration; capacity still holds. False when nothing changed."""
    lock_registration(request, registration)
    current = registration.status
    if current == target:
        return False
    if target == RegistrationStatus.CANCELLED:
        cancel_registration(request, registration, now)
    elif target == RegistrationStatus.REJECTED:
        reject(request, registration, reason)
    elif current == RegistrationStatus.PENDING and target == RegistrationStatus.CONFIRMED:
        approve(request, registration, now)
    elif target == RegistrationStatus.CONFIRMED:
        _confirm_by_staff(request, registration, now)
    elif target == RegistrationStatus.WAITING and current != RegistrationStatus.OFFERED:
        # (An offered seat sent back to the waiting list would only be offered to them again.)
        held_seat = registration.holds_seat
        registration.status = RegistrationStatus.WAITING
        registration.waiting_since = registration.waiting_since or now
        registration.cancelled_at = None
        request.dbsession.flush()
        if held_seat:
            fill_free_seats(request, registration.event, now)
    else:
        raise RegistrationRefused("not_allowed")
    return True


def _confirm_by_staff(request: Request, registration: Registration, now: datetime.datetime) -> None:
    event = registration.event
    if not registration.holds_seat and seats_left(event, seats_taken(request.dbsession, event.id)) == 0:
        raise RegistrationRefused("full")
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.waiting_since = None
    registration.offer_expires_at = None
    registration.cancelled_at = None
    request.dbsession.flush()


def check_in(registration: Registration, staff_user_id: int, now: datetime.datetime) -> None:
    if registration.status != RegistrationStatus.CONFIRMED:
        raise RegistrationRefused("not_confirmed")
    if registration.checked_in_at is None:
        registration.checked_in_at = now
        registration.checked_in_by_id = staff_user_id


def undo_check_in(registration: Registration) -> None:
    registration.checked_in_at = None
    registration.checked_in_by_id = None


def feedback_refusal(registration: Registration, now: datetime.datetime) -> str | None:
    """Why this person may not give feedback yet (or at all), or None when they may."""
    if registration.checked_in_at is None:
        return "not_attended"
    if registration.event.ends_at > now:
        return "not_over"
    return None


def save_feedback(dbsession: Session, registration: Registration, rating: int, useful: str, ideas: str,
                  now: datetime.datetime) -> Feedback:
    refusal = feedback_refusal(registration, now)
    if refusal is not None:
        raise RegistrationRefused(refusal)
    feedback = registration.feedback or Feedback(registration=registration)
    feedback.rating = rating
    feedback.useful = useful.strip()
    feedback.ideas = ideas.strip()
    dbsession.add(feedback)
    return feedback


# --- notifications ----------------------------------------------------------------------------

# Emails that carry the calendar file (a change or a cancellation updates the person's calendar),
# and those that also carry the check-in QR code.
QR_TEMPLATES = frozenset({"registration-confirmed", "seat-confirmed", "event-reminder"})
# Emails that offer the person's own calendar feed (its key is made for them then, not on every page).
PERSONAL_FEED_TEMPLATES = frozenset({"registration-confirmed", "registration-waiting", "seat-confirmed",
                                     "calendar-link"})
CALENDAR_TEMPLATES = QR_TEMPLATES | {"event-changed", "event-cancelled", "registration-cancelled"}

REGISTRATION_TEMPLATES = {
    RegistrationStatus.CONFIRMED: "registration-confirmed",
    RegistrationStatus.WAITING: "registration-waiting",
    RegistrationStatus.PENDING: "registration-pending",
    RegistrationStatus.REJECTED: "registration-rejected",
    RegistrationStatus.CANCELLED: "registration-cancelled",
}


def qr_png_base64(content: str) -> str:
    """A QR code as base64 PNG, for an email attachment."""
    return segno.make(content, error="m").png_data_uri(scale=6).split(",", 1)[1]


def qr_data_uri(content: str) -> str:
    """A QR code as an SVG data URI, for a page (the CSP allows data: images)."""
    return segno.make(content, error="m").svg_data_uri(scale=5, dark="#102a43")


def checkin_url(request: Request, registration: Registration) -> str:
    return request.public_url("admin.events.checkin_code", code=registration.checkin_code)


def registration_context(request: Request, registration: Registration) -> dict[str, Any]:
    """What every email and page about one registration may show."""
    secret = request.registry.settings["dimoskopio.secret"]
    token = manage_token(secret, registration)
    return {
        "registration": registration,
        "event": registration.event,
        "manage_url": request.public_url("events.registration", token=token),
        "feedback_url": request.public_url("events.registration_feedback", token=token),
        "event_url": request.public_url("events.detail", slug=registration.event.slug),
        "events_url": request.public_url("events.index"),
        "place": place_text(registration.event),
        "position": waiting_position(request.dbsession, registration),
    }


def _attachments(request: Request, registration: Registration, with_qr: bool) -> list[dict[str, Any]]:
    from events.calendar import invitation

    attachments = [{
        "filename": f"{registration.event.slug}.ics",
        "content_type": "text/calendar; charset=utf-8; method=REQUEST",
        "content_base64": base64.b64encode(invitation(request, registration)).decode(),
    }]
    if with_qr:
        attachments.append({
            "filename": "check-in.png",
            "content_type": "image/png",
            "content_base64": qr_png_base64(checkin_url(request, registration)),
        })
    return attachments


def notify_registration(request: Request, registration: Registration, template: str | None = None,
                        extra: dict[str, Any] | None = None) -> None:
    """Email the person about their registration, in their language. Without a template, the one
    for its current status (a confirmation carries the calendar file and the check-in QR code)."""
    template = template or REGISTRATION_TEMPLATES.get(registration.status, "registration-link")
    request.dbsession.flush()
    context = registration_context(request, registration)
    if template in PERSONAL_FEED_TEMPLATES:
        from events import feeds  # feeds build on this module

        key = feeds.calendar_key(request.dbsession, registration.email)
        context["personal_feed_url"] = feeds.webcal(feeds.personal_feed_url(request, key))
    send_email(
        request, template, registration.email,
        {**context, **(extra or {})},
        locale_name=registration.locale,
        attachments=_attachments(request, registration, with_qr=template in QR_TEMPLATES)
        if template in CALENDAR_TEMPLATES else None,
    )


def active_registrations(dbsession: Session, event_id: int) -> Sequence[Registration]:
    return dbsession.scalars(
        select(Registration).where(Registration.event_id == event_id, Registration.status.in_(ACTIVE_STATUSES))
        .order_by(Registration.id)
    ).all()


# --- events -----------------------------------------------------------------------------------

# Changes that calendars must pick up (they raise SEQUENCE) and that registrants are told about.
SCHEDULE_FIELDS = ("starts_at", "ends_at", "all_day", "venue_id", "online_url")
CALENDAR_FIELDS = (*SCHEDULE_FIELDS, "title_el", "title_en", "status")


def snapshot(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in CALENDAR_FIELDS}


def record_changes(request: Request, event: Event, before: dict[str, Any]) -> list[str]:
    """After an edit: raise the sequence if calendars must update, and tell registrants if the
    time or the place of a published event changed. Returns the schedule fields that changed."""
    after = snapshot(event)
    changed = [name for name in CALENDAR_FIELDS if before[name] != after[name]]
    if changed:
        event.sequence += 1
    schedule_changes = [name for name in SCHEDULE_FIELDS if name in changed]
    if "starts_at" in changed:
        # The day-before reminder is due again for the new date.
        request.dbsession.execute(
            update(Registration).where(Registration.event_id == event.id).values(reminder_sent_at=None)
        )
    # People registered for a postponed event were promised its new date.
    if schedule_changes and event.status in (EventStatus.PUBLISHED, EventStatus.POSTPONED):
        old_venue = request.dbsession.get(Venue, before["venue_id"]) if before["venue_id"] else None
        queue_notice(request, event, "event-changed", {
            "old_starts_at": before["starts_at"].isoformat(),
            "old_ends_at": before["ends_at"].isoformat(),
            "old_all_day": before["all_day"],
            "old_place": _place_text(old_venue, before["online_url"]),
            "changed": schedule_changes,
        })
    return schedule_changes


def place_of(venue: Venue) -> tuple[Any, ...]:
    """What of a venue a calendar shows (LOCATION and GEO)."""
    return (venue.name, venue.address, venue.latitude, venue.longitude)


def venue_moved(dbsession: Session, venue: Venue, now: datetime.datetime) -> None:
    """A venue's name, address or position changed: the place of its coming events changed, so
    calendars must take up the new version (SEQUENCE rises, as for any change of place)."""
    dbsession.execute(
        update(Event).where(Event.venue_id == venue.id, Event.ends_at > now)
        .values(sequence=Event.sequence + 1, updated_at=now)
    )


def queue_notice(request: Request, event: Event, template: str, context: dict[str, Any]) -> EventNotice:
    """Record a notice to everyone registered and send it after commit (the sweep sends it
    should queueing fail)."""
    from events.tasks import send_notice

    notice = EventNotice(event_id=event.id, template=template, context=context)
    request.dbsession.add(notice)
    request.dbsession.flush()
    request.enqueue(send_notice, notice.id)
    return notice


# Left alone this long, a notice is taken to have lost its task.
NOTICE_GRACE = datetime.timedelta(minutes=2)


def send_notice(request: Request, notice_id: int, now: datetime.datetime) -> int:
    """Email a notice to every active registrant in the person's language, once: the outbox
    rows and the notice's `sent_at` are written in one transaction."""
    dbsession = request.dbsession
    notice = dbsession.scalars(skip_locked(dbsession, select(EventNotice).where(
        EventNotice.id == notice_id, EventNotice.sent_at.is_(None),
    ), of=EventNotice)).first()
    if notice is None:
        return 0
    context = dict(notice.context)
    if "old_starts_at" in context:
        # What the event was, for the "when" line of the change notice.
        context["old_event"] = SimpleNamespace(
            starts_at=datetime.datetime.fromisoformat(context.pop("old_starts_at")),
            ends_at=datetime.datetime.fromisoformat(context.pop("old_ends_at")),
            all_day=context.pop("old_all_day"),
        )
    registrations = active_registrations(dbsession, notice.event_id)
    for registration in registrations:
        notify_registration(request, registration, notice.template, context)
    notice.sent_at = now
    notice.recipients = len(registrations)
    return len(registrations)


def overdue_notices(dbsession: Session, now: datetime.datetime) -> list[int]:
    return list(dbsession.scalars(select(EventNotice.id).where(
        EventNotice.sent_at.is_(None), EventNotice.created_at < now - NOTICE_GRACE,
    ).order_by(EventNotice.id)))


def recent_notices(dbsession: Session, event_id: int, limit: int = 10) -> Sequence[EventNotice]:
    return dbsession.scalars(select(EventNotice).where(EventNotice.event_id == event_id)
                             .order_by(EventNotice.id.desc()).limit(limit)).all()


def _place_text(venue: Venue | None, online_url: str | None) -> str:
    parts = []
    if venue is not None:
        parts.append(f"{venue.name}, {venue.address}")
    if online_url:
        parts.append(online_url)
    return " · ".join(parts)


def place_text(event: Event, with_join_link: bool = True) -> str:
    """Where the event happens; the online join link is for people registered only."""
    return _place_text(event.venue, event.online_url if with_join_link else None)


def publish(request: Request, event: Event, now: datetime.datetime) -> None:
    """Publish a draft, or a postponed event again; seats freed meanwhile go to the waiting list."""
    lock_seats(request, event)
    if event.status not in (EventStatus.DRAFT, EventStatus.POSTPONED):
        raise RegistrationRefused("not_allowed")
    if event.status == EventStatus.POSTPONED:
        # Calendars that showed it as tentative must take it up again; a first publication is
        # the first version they see.
        event.sequence += 1
    event.status = EventStatus.PUBLISHED
    event.published_at = event.published_at or now
    request.dbsession.flush()
    fill_free_seats(request, event, now)


def cancel_event(request: Request, event: Event, message: str) -> None:
    """Cancel a public event; every active registrant is emailed (in the background). Under the
    seat lock, so that no registration slips in after the cancellation was decided."""
    lock_seats(request, event)
    if event.status in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise RegistrationRefused("not_allowed")
    event.status = EventStatus.CANCELLED
    event.sequence += 1
    queue_notice(request, event, "event-cancelled", {"message": message})


def postpone_event(request: Request, event: Event, message: str) -> None:
    """Postpone a published event until it has a new date. Offers still open go back to the
    waiting list (in their old place): nobody loses their turn while the date is unknown."""
    lock_seats(request, event)
    if event.status != EventStatus.PUBLISHED:
        raise RegistrationRefused("not_allowed")
    event.status = EventStatus.POSTPONED
    event.sequence += 1
    offered = request.dbsession.scalars(select(Registration).where(
        Registration.event_id == event.id, Registration.status == RegistrationStatus.OFFERED,
    ))
    for registration in offered:
        registration.status = RegistrationStatus.WAITING
        registration.offer_expires_at = None
    queue_notice(request, event, "event-postponed", {"message": message})


def delete_draft(dbsession: Session, event: Event) -> None:
    if event.status != EventStatus.DRAFT:
        raise RegistrationRefused("not_allowed")
    dbsession.delete(event)


def duplicate(dbsession: Session, event: Event, starts_at: datetime.datetime | None = None) -> Event:
    """A draft copy with the same details and questions (shifted to `starts_at` if given)."""
    shift = (starts_at - event.starts_at) if starts_at else datetime.timedelta(0)
    copy = Event(
        slug=unique_slug(dbsession, Event, event.title_el),
        status=EventStatus.DRAFT,
        **{name: getattr(event, name) for name in COPIED_FIELDS},
    )
    copy.topics = list(event.topics)
    copy.starts_at = event.starts_at + shift
    copy.ends_at = event.ends_at + shift
    for moment in ("registration_opens_at", "registration_closes_at"):
        value = getattr(event, moment)
        setattr(copy, moment, value + shift if value else None)
    copy.questions = [
        Question(**{name: getattr(question, name) for name in QUESTION_FIELDS}) for question in event.questions
    ]
    dbsession.add(copy)
    dbsession.flush()
    return copy


COPIED_FIELDS = (
    "title_el", "title_en", "summary_el", "summary_en", "description_el", "description_en", "category_id",
    "venue_id", "online_url", "series_id", "organiser", "partners", "speakers", "all_day", "capacity",
    "approval_required", "auto_promote", "offer_hours", "hours", "language",
)
QUESTION_FIELDS = ("position", "kind", "label_el", "label_en", "required", "choices_el", "choices_en")


def add_months(day: datetime.date, months: int) -> datetime.date | None:
    """The same day `months` later, or None when that month is too short (the 31st)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if day.day > calendar.monthrange(year, month)[1]:
        return None
    return day.replace(year=year, month=month)


def repeat_dates(first: datetime.date, pattern: str, count: int) -> list[datetime.date]:
    """Dates of a series: weekly, every two weeks, or monthly on the same day of the month."""
    if pattern == "monthly":
        dates = [add_months(first, step) for step in range(count * 2)]
        return [day for day in dates if day is not None][:count]
    step = datetime.timedelta(weeks=2 if pattern == "biweekly" else 1)
    return [first + step * index for index in range(count)]


def create_repeats(dbsession: Session, event: Event, pattern: str, count: int, tz: ZoneInfo) -> list[Event]:
    """Draft copies of `event` on later dates, at the same local time, in the same series (a new
    one named after the event, when it was in none)."""
    if event.series is None:
        event.series = Series(
            slug=unique_slug(dbsession, Series, event.title_el), title_el=event.title_el, title_en=event.title_en,
        )
        dbsession.flush()
    first_day = event.starts_at.astimezone(tz).date()
    copies = []
    for day in repeat_dates(first_day, pattern, count + 1)[1:]:
        copy = duplicate(dbsession, event)
        # Every moment keeps its wall-clock time, also across a daylight-saving change.
        for moment in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = getattr(event, moment)
            if value is not None:
                local = value.astimezone(tz).replace(tzinfo=None) + (day - first_day)
                setattr(copy, moment, from_local(local, tz))
        copies.append(copy)
    return copies


# --- finding events ---------------------------------------------------------------------------


@dataclass
class EventFilters:
    q: str = ""
    category: str = ""
    topic: str = ""
    venue: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    mode: str = ""  # "online", "in_person" or empty


def _search_terms(q: str) -> list[str]:
    return [term for term in fold_text(q).split() if term][:8]


def _like(term: str) -> str:
    """A LIKE pattern that finds `term` anywhere, its wildcards taken literally."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered_events(filters: EventFilters, tz: ZoneInfo, include_drafts: bool = False) -> Select[Any]:
    """Events matching the filters, public ones only unless staff ask for drafts too (order and
    time window are the caller's)."""
    query = select(Event) if include_drafts else select(Event).where(Event.status != EventStatus.DRAFT)
    if filters.category:
        query = query.join(Event.category).where(Category.slug == filters.category)
    if filters.topic:
        query = query.where(Event.id.in_(
            select(event_topics.c.event_id).join(Topic, Topic.id == event_topics.c.topic_id)
            .where(Topic.slug == filters.topic)
        ))
    if filters.venue is not None:
        query = query.where(Event.venue_id == filters.venue)
    if filters.mode == "online":
        query = query.where(Event.online_url.is_not(None), Event.online_url != "")
    elif filters.mode == "in_person":
        query = query.where(Event.venue_id.is_not(None))
    if filters.date_from is not None:
        query = query.where(Event.ends_at > local_day_start(filters.date_from, tz))
    if filters.date_to is not None:
        query = query.where(Event.starts_at < local_day_start(filters.date_to + datetime.timedelta(days=1), tz))
    for term in _search_terms(filters.q):
        pattern = _like(term)
        query = query.where(or_(
            folded(Event.title_el).like(pattern, escape="\\"),
            folded(func.coalesce(Event.title_en, "")).like(pattern, escape="\\"),
            folded(Event.summary_el).like(pattern, escape="\\"),
            folded(func.coalesce(Event.summary_en, "")).like(pattern, escape="\\"),
        ))
    return query


def upcoming(query: Select[Any], now: datetime.datetime) -> Select[Any]:
    return query.where(Event.ends_at > now).order_by(Event.starts_at, Event.id)


def past(query: Select[Any], now: datetime.datetime) -> Select[Any]:
    return query.where(Event.ends_at <= now).order_by(Event.starts_at.desc(), Event.id.desc())


@dataclass
class EventPage:
    """One page of a list of events, with their registration counts (two queries in all)."""

    events: list[Event]
    counts: dict[int, EventCounts]
    total: int
    page: int
    pages: int


def paged_events(dbsession: Session, query: Select[Any], page: int, per_page: int) -> EventPage:
    found = page_or_last(dbsession, query, page, per_page)
    return EventPage(found.rows, counts_for(dbsession, [event.id for event in found.rows]), found.total,
                     found.page, found.pages)


@dataclass
class CalendarDay:
    day: datetime.date
    in_month: bool
    events: list[Event]


def month_grid(dbsession: Session, year: int, month: int, tz: ZoneInfo,
               filters: EventFilters | None = None) -> list[list[CalendarDay]]:
    """The weeks (Monday first) of a month, each day with the public events on it."""
    weeks = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    query = filtered_events(filters or EventFilters(), tz).where(
        Event.ends_at > local_day_start(first, tz),
        Event.starts_at < local_day_start(last + datetime.timedelta(days=1), tz),
    ).order_by(Event.starts_at, Event.id)
    by_day: dict[datetime.date, list[Event]] = {}
    for event in dbsession.scalars(query).unique():
        day = max(event.starts_at.astimezone(tz).date(), first)
        end = min(last_day(event, tz), last)
        while day <= end:
            by_day.setdefault(day, []).append(event)
            day += datetime.timedelta(days=1)
    return [[CalendarDay(day, day.month == month, by_day.get(day, [])) for day in week] for week in weeks]


def series_events(dbsession: Session, series: Series) -> Sequence[Event]:
    return dbsession.scalars(
        select(Event).where(Event.series_id == series.id, Event.status != EventStatus.DRAFT)
        .order_by(Event.starts_at)
    ).unique().all()


def registrations_of_user(dbsession: Session, user_id: int, email: str) -> Sequence[Registration]:
    """A member's registrations: made while logged in, or earlier with the same email."""
    return dbsession.scalars(
        select(Registration).join(Registration.event)
        .where(or_(Registration.user_id == user_id, Registration.email == normalize_email(email)))
        .order_by(Event.starts_at.desc())
    ).unique().all()


def member_registration(dbsession: Session, event_id: int, user: Any) -> Registration | None:
    """A member's registration for one event, made while logged in or earlier with their email."""
    return dbsession.scalars(
        select(Registration).where(
            Registration.event_id == event_id,
            or_(Registration.user_id == user.id, Registration.email == normalize_email(user.email)),
        ).order_by(Registration.id.desc()).limit(1)
    ).first()


def staff_registrations(dbsession: Session, event_id: int, status: RegistrationStatus | None, q: str,
                        page: int, per_page: int) -> tuple[list[Registration], int]:
    query = select(Registration).where(Registration.event_id == event_id)
    if status is not None:
        query = query.where(Registration.status == status)
    for term in _search_terms(q):
        pattern = _like(term)
        query = query.where(or_(
            folded(Registration.name).like(pattern, escape="\\"),
            Registration.email.like(pattern, escape="\\"),
            folded(Registration.organisation).like(pattern, escape="\\"),
        ))
    query = query.order_by(
        case((Registration.status == RegistrationStatus.WAITING, 1), else_=0),
        Registration.waiting_since, Registration.created_at, Registration.id,
    )
    total = dbsession.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(dbsession.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return rows, total


def registrations_by_day(dbsession: Session, event_id: int, tz: ZoneInfo) -> list[tuple[datetime.date, int]]:
    """Registrations made per local day (for the chart on the staff page)."""
    created = dbsession.scalars(
        select(Registration.created_at).where(Registration.event_id == event_id).order_by(Registration.created_at)
    )
    per_day: dict[datetime.date, int] = {}
    for moment in created:
        day = moment.astimezone(tz).date()
        per_day[day] = per_day.get(day, 0) + 1
    return sorted(per_day.items())


@dataclass
class FeedbackSummary:
    responses: int
    average: float | None
    distribution: dict[int, int]
    comments: list[Feedback]


def feedback_summary(dbsession: Session, event_id: int, latest: int = 20) -> FeedbackSummary:
    rows = dbsession.execute(
        select(Feedback.rating, func.count()).join(Feedback.registration)
        .where(Registration.event_id == event_id).group_by(Feedback.rating)
    ).all()
    distribution = {rating: 0 for rating in range(1, 6)}
    for rating, number in rows:
        distribution[rating] = number
    responses = sum(distribution.values())
    average = sum(rating * number for rating, number in distribution.items()) / responses if responses else None
    comments = dbsession.scalars(
        select(Feedback).join(Feedback.registration)
        .where(Registration.event_id == event_id, or_(Feedback.useful != "", Feedback.ideas != ""))
        .order_by(Feedback.created_at.desc()).limit(latest)
    ).all()
    return FeedbackSummary(responses, average, distribution, list(comments))


def events_using(dbsession: Session, column: Any, row_id: int) -> int:
    """How many events use a category, venue or series (those cannot be deleted)."""
    return dbsession.scalar(select(func.count()).where(column == row_id)) or 0


def skip_locked(dbsession: Session, query: Select[Any], of: Any = Registration) -> Select[Any]:
    """Rows another transaction holds are left to it (PostgreSQL; SQLite has one writer anyway)."""
    if dbsession.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=True, of=of)
    return query


@dataclass
class MonthFigures:
    events: int = 0
    registrations: int = 0
    attended: int = 0


def monthly_figures(dbsession: Session, year: int, tz: ZoneInfo) -> list[MonthFigures]:
    """For each month of a year: public events held, their registrations (not cancelled or
    rejected) and the people checked in, by the month the event started in."""
    start = local_day_start(datetime.date(year, 1, 1), tz)
    end = local_day_start(datetime.date(year + 1, 1, 1), tz)
    counted = Registration.status.in_((*ACTIVE_STATUSES, RegistrationStatus.EXPIRED))
    rows = dbsession.execute(
        select(
            Event.starts_at,
            func.count(Registration.id).filter(counted),
            func.count(Registration.checked_in_at),
        )
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(Event.status != EventStatus.DRAFT, Event.starts_at >= start, Event.starts_at < end)
        .group_by(Event.id, Event.starts_at)
    )
    months = [MonthFigures() for _ in range(12)]
    for starts_at, registrations, attended in rows:
        figures = months[starts_at.astimezone(tz).month - 1]
        figures.events += 1
        figures.registrations += registrations
        figures.attended += attended
    return months


def upcoming_with_counts(dbsession: Session, now: datetime.datetime, limit: int) -> list[tuple[Event, EventCounts]]:
    events = dbsession.scalars(
        select(Event).where(Event.status == EventStatus.PUBLISHED, Event.ends_at > now)
        .order_by(Event.starts_at, Event.id).limit(limit)
    ).unique().all()
    counts = counts_for(dbsession, [event.id for event in events])
    return [(event, counts[event.id]) for event in events]


def waiting_positions(dbsession: Session, event_id: int) -> dict[int, int]:
    """Everyone's place on an event's waiting list, in one query (registration id → 1, 2, ...)."""
    ids = dbsession.scalars(_waiting_line(event_id).with_only_columns(Registration.id))
    return {registration_id: position for position, registration_id in enumerate(ids, start=1)}


def next_in_series(dbsession: Session, event: Event, limit: int) -> Sequence[Event]:
    """The series' next public dates after this one (or its latest, when none follow)."""
    query = select(Event).where(Event.series_id == event.series_id, Event.status != EventStatus.DRAFT,
                                Event.id != event.id)
    later = dbsession.scalars(
        query.where(Event.starts_at >= event.starts_at).order_by(Event.starts_at).limit(limit)
    ).unique().all()
    if later:
        return later
    return dbsession.scalars(query.order_by(Event.starts_at.desc()).limit(limit)).unique().all()
