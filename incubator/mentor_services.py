"""The rules of mentoring: mentor profiles and their directory, matching mentors to startups,
assignments, office-hours slots and their bookings, session notes, and the mentor's calendar.

A slot is booked by inserting a `MentorSession`; the partial unique index on booked sessions
refuses a second booking of the same slot whichever app server's request comes first, so the
check is the database's, not a read-then-write here.
"""

import base64
import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from icalendar import Event as CalendarEvent
from icalendar import vCalAddress, vText
from pyramid.request import Request
from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, selectinload

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.services import find_user_by_email
from dimoskopio.db import fold_text, folded, lock_row, utcnow
from dimoskopio.i18n import LANGUAGE_LABELS, _, centre_name, localizer_for
from dimoskopio.mail.services import send_email
from dimoskopio.rules import Refused
from events.calendar import add_timezone, calendar_of, serialize, uid_host
from events.services import unique_slug
from incubator.models import (
    SESSION_MODE_LABELS,
    Cohort,
    MentorAssignment,
    MentorExpertise,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    Startup,
    StartupFounder,
)
from incubator.services import tag_key

# Accounts of these roles are made mentors. Staff and admins are not (they would lose their work,
# and a mentor's screens are a mentor's), nor founders (a founder account is not also a mentor's).
PROMOTED_TO_MENTOR = (Role.MEMBER,)
# A slot lasts at least this long and at most this long; anything else is a typing mistake.
SLOT_MIN_MINUTES = 15
SLOT_MAX_MINUTES = 240
# Slots are published at most this far ahead (a year is already a generous plan).
SLOT_MAX_AHEAD = datetime.timedelta(days=366)
# A session's logged length (minutes).
MINUTES_MIN = 1
MINUTES_MAX = 600
# The feed shows sessions that started at most this long ago, and everything ahead.
FEED_HISTORY = datetime.timedelta(days=90)


class MentoringRefused(Refused):
    """A request the rules refuse; `reason` names which rule (the views turn it into a message)."""


# --- profiles ---------------------------------------------------------------------------------


def new_feed_token() -> str:
    """An unguessable secret for the address of a mentor's calendar feed (no personal data in it)."""
    return secrets.token_urlsafe(32)


def profile_of(dbsession: Session, user: User) -> MentorProfile | None:
    return dbsession.scalar(select(MentorProfile).where(MentorProfile.user_id == user.id))


def new_profile(dbsession: Session, user: User) -> MentorProfile:
    """A profile for the account, with an address made from its name (one no other mentor has)."""
    profile = MentorProfile(user=user, slug=unique_slug(dbsession, MentorProfile, user.name),
                            feed_token=new_feed_token(), languages="el")
    dbsession.add(profile)
    dbsession.flush()
    return profile


def make_mentor(dbsession: Session, email: str) -> MentorProfile:
    """Give the account with this email a mentor profile; a member becomes a mentor."""
    user = find_user_by_email(dbsession, email)
    if user is None:
        raise MentoringRefused("no-account")
    if profile_of(dbsession, user) is not None:
        raise MentoringRefused("already-mentor")
    if user.role == Role.FOUNDER:
        raise MentoringRefused("founder")
    if user.role not in (*PROMOTED_TO_MENTOR, Role.MENTOR):
        raise MentoringRefused("staff")
    if user.role in PROMOTED_TO_MENTOR:
        user.role = Role.MENTOR
    return new_profile(dbsession, user)


def profile_languages(profile: MentorProfile) -> list[str]:
    return [code for code in profile.languages.split(",") if code in LANGUAGE_LABELS]


def save_profile(dbsession: Session, profile: MentorProfile, values: dict[str, Any]) -> MentorProfile:
    """Store the profile form's values; expertise tags are replaced by the ones typed (in order)."""
    for name in ("headline", "bio", "availability"):
        setattr(profile, name, (values.get(name) or "").strip())
    profile.languages = ",".join(code for code in LANGUAGE_LABELS if code in values["languages"])
    profile.in_directory = bool(values.get("in_directory"))
    wanted = values["expertise"]
    kept = {tag_key(row.tag): row for row in profile.expertise}
    profile.expertise = [kept.get(tag_key(tag)) or MentorExpertise(tag=tag) for tag in wanted]
    dbsession.add(profile)
    dbsession.flush()
    return profile


def reset_feed_token(dbsession: Session, profile: MentorProfile) -> None:
    """A new feed address; the old one stops working at once."""
    profile.feed_token = new_feed_token()
    dbsession.flush()


# --- the public directory ---------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    tag: str = ""
    language: str = ""


def _listed() -> Select[Any]:
    # The account is joined to filter and sort by: loaded from that join, not joined again.
    return select(MentorProfile).join(MentorProfile.user).options(contains_eager(MentorProfile.user)).where(
        MentorProfile.in_directory.is_(True), User.role == Role.MENTOR)


def directory_mentors(filters: DirectoryFilters) -> Select[Any]:
    """The mentors who chose to be listed and match the filters, by name. The search looks in
    names and headlines, whatever their case and Greek accents."""
    query = _listed().options(selectinload(MentorProfile.expertise))
    if filters.q:
        needle = fold_text(filters.q)
        query = query.where(or_(folded(User.name).contains(needle, autoescape=True),
                                folded(MentorProfile.headline).contains(needle, autoescape=True)))
    if filters.tag:
        query = query.where(MentorProfile.id.in_(
            select(MentorExpertise.mentor_id).where(folded(MentorExpertise.tag) == tag_key(filters.tag))))
    if filters.language in LANGUAGE_LABELS:
        query = query.where(MentorProfile.languages.contains(filters.language))
    return query.order_by(User.name, MentorProfile.id)


def directory_tags(dbsession: Session) -> list[str]:
    """The expertise tags of listed mentors, each once, alphabetically."""
    tags = dbsession.scalars(select(MentorExpertise.tag).where(
        MentorExpertise.mentor_id.in_(_listed().with_only_columns(MentorProfile.id))).distinct())
    unique = {tag_key(tag): tag for tag in tags}
    return sorted(unique.values(), key=tag_key)


def listed_mentor(dbsession: Session, slug: str) -> MentorProfile | None:
    """The mentor at this address if the directory lists them; None otherwise."""
    return dbsession.scalar(_listed().where(MentorProfile.slug == slug))


# --- matching and assignments -----------------------------------------------------------------


@dataclass
class Match:
    """A mentor for a startup: the needs their expertise covers (the reason), and whether they
    mentor in a language of the startup's founders."""

    mentor: MentorProfile
    shared_tags: list[str]
    language_fit: bool
    assigned: bool


def founders_languages(startup: Startup) -> set[str]:
    return {founder.user.locale for founder in startup.founders}


def rank_mentors(dbsession: Session, startup: Startup) -> list[Match]:
    """Every mentor, ranked for the startup: the most needs covered first, then those who speak
    a founder's language, then by name. Mentors covering no need come last."""
    needs = {tag_key(need.tag): need.tag for need in startup.needs}
    languages = founders_languages(startup)
    assigned = set(dbsession.scalars(select(MentorAssignment.mentor_id).where(
        MentorAssignment.startup_id == startup.id)))
    mentors = dbsession.scalars(select(MentorProfile).join(MentorProfile.user).where(User.role == Role.MENTOR)
                                .options(contains_eager(MentorProfile.user), selectinload(MentorProfile.expertise)))
    matches = []
    for mentor in mentors:
        shared = [needs[key] for key in dict.fromkeys(tag_key(row.tag) for row in mentor.expertise) if key in needs]
        matches.append(Match(mentor, sorted(shared, key=tag_key),
                             bool(languages & set(profile_languages(mentor))), mentor.id in assigned))
    matches.sort(key=lambda match: (-len(match.shared_tags), not match.language_fit,
                                    fold_text(match.mentor.user.name), match.mentor.id))
    return matches


def assign(dbsession: Session, mentor: MentorProfile, startup: Startup, by: User | None) -> MentorAssignment:
    if assignment_of(dbsession, mentor.id, startup.id) is not None:
        raise MentoringRefused("already-assigned")
    assignment = MentorAssignment(mentor=mentor, startup=startup, assigned_by_id=by.id if by else None)
    dbsession.add(assignment)
    dbsession.flush()
    return assignment


def assignment_of(dbsession: Session, mentor_id: int, startup_id: int) -> MentorAssignment | None:
    return dbsession.scalar(select(MentorAssignment).where(
        MentorAssignment.mentor_id == mentor_id, MentorAssignment.startup_id == startup_id))


def unassign(dbsession: Session, assignment: MentorAssignment) -> None:
    """End the assignment. Sessions already booked stand: they were agreed while it held."""
    dbsession.delete(assignment)
    dbsession.flush()


def mentor_assignments(dbsession: Session, mentor: MentorProfile) -> list[MentorAssignment]:
    return list(dbsession.scalars(
        select(MentorAssignment).join(MentorAssignment.startup).where(MentorAssignment.mentor_id == mentor.id)
        .options(contains_eager(MentorAssignment.startup).selectinload(Startup.cohort)).order_by(Startup.name)))


def startup_assignments(dbsession: Session, startup: Startup) -> list[MentorAssignment]:
    return list(dbsession.scalars(
        select(MentorAssignment).join(MentorAssignment.mentor).join(MentorProfile.user)
        .where(MentorAssignment.startup_id == startup.id)
        .options(contains_eager(MentorAssignment.mentor).contains_eager(MentorProfile.user))
        .order_by(User.name)))


@dataclass(frozen=True)
class CohortMentor:
    mentor: MentorProfile
    startups: list[Startup]


def unassigned_startups(dbsession: Session, mentor: MentorProfile) -> list[Startup]:
    """The startups the mentor is not assigned to yet, by name."""
    assigned = select(MentorAssignment.startup_id).where(MentorAssignment.mentor_id == mentor.id)
    return list(dbsession.scalars(select(Startup).where(Startup.id.not_in(assigned)).order_by(Startup.name)))


def cohort_mentors(dbsession: Session, cohort: Cohort) -> list[CohortMentor]:
    """The mentors assigned to the cohort's startups, by name, each with those startups."""
    rows = dbsession.execute(
        select(MentorProfile, Startup).join(MentorAssignment, MentorAssignment.mentor_id == MentorProfile.id)
        .join(Startup, Startup.id == MentorAssignment.startup_id).join(MentorProfile.user)
        .options(contains_eager(MentorProfile.user))
        .where(Startup.cohort_id == cohort.id).order_by(User.name, MentorProfile.id, Startup.name))
    found: dict[int, CohortMentor] = {}
    for mentor, startup in rows:
        found.setdefault(mentor.id, CohortMentor(mentor, [])).startups.append(startup)
    return list(found.values())


def assigned_startup(dbsession: Session, mentor: MentorProfile, startup_id: int) -> Startup | None:
    """The startup with this id if the mentor is assigned to it; None for any other."""
    return dbsession.scalar(select(Startup).join(MentorAssignment, MentorAssignment.startup_id == Startup.id)
                            .where(MentorAssignment.mentor_id == mentor.id, Startup.id == startup_id))


@dataclass
class MentorSummary:
    mentor: MentorProfile
    startups: int
    minutes: int


def mentors_with_counts(dbsession: Session) -> list[MentorSummary]:
    """Every mentor profile, by name, with how many startups they are assigned to and the
    minutes of mentoring they logged."""
    assigned = (select(MentorAssignment.mentor_id, func.count().label("startups"))
                .group_by(MentorAssignment.mentor_id).subquery())
    logged = (select(OfficeHourSlot.mentor_id, func.sum(MentorSession.minutes_logged).label("minutes"))
              .join(MentorSession, MentorSession.slot_id == OfficeHourSlot.id)
              .where(held_sessions())
              .group_by(OfficeHourSlot.mentor_id).subquery())
    rows = dbsession.execute(
        select(MentorProfile, func.coalesce(assigned.c.startups, 0), func.coalesce(logged.c.minutes, 0))
        .join(MentorProfile.user).options(contains_eager(MentorProfile.user))
        .outerjoin(assigned, assigned.c.mentor_id == MentorProfile.id)
        .outerjoin(logged, logged.c.mentor_id == MentorProfile.id)
        .order_by(User.name, MentorProfile.id))
    return [MentorSummary(mentor, int(startups), int(minutes)) for mentor, startups, minutes in rows]


# --- office-hours slots -----------------------------------------------------------------------


def slot_refusal(dbsession: Session, mentor: MentorProfile, starts_at: datetime.datetime,
                 ends_at: datetime.datetime, now: datetime.datetime) -> str | None:
    """Why a new slot may not be published: it starts in the past ("past"), too far ahead
    ("too-far"), ends before it starts or lasts an absurd time ("length"), or overlaps another
    slot of the mentor that is not withdrawn ("overlap"); None when it may."""
    if starts_at <= now:
        return "past"
    if starts_at > now + SLOT_MAX_AHEAD:
        return "too-far"
    minutes = (ends_at - starts_at).total_seconds() / 60
    if not SLOT_MIN_MINUTES <= minutes <= SLOT_MAX_MINUTES:
        return "length"
    overlapping = select(OfficeHourSlot.id).where(
        OfficeHourSlot.mentor_id == mentor.id, OfficeHourSlot.withdrawn_at.is_(None),
        OfficeHourSlot.starts_at < ends_at, OfficeHourSlot.ends_at > starts_at)
    return "overlap" if dbsession.scalar(overlapping) is not None else None


def publish_slot(dbsession: Session, mentor: MentorProfile, values: dict[str, Any],
                 now: datetime.datetime) -> OfficeHourSlot:
    refusal = slot_refusal(dbsession, mentor, values["starts_at"], values["ends_at"], now)
    if refusal is not None:
        raise MentoringRefused(refusal)
    slot = OfficeHourSlot(mentor=mentor, starts_at=values["starts_at"], ends_at=values["ends_at"],
                          mode=values["mode"], location=values["location"].strip())
    dbsession.add(slot)
    dbsession.flush()
    return slot


def booking_of(dbsession: Session, slot: OfficeHourSlot) -> MentorSession | None:
    return dbsession.scalar(select(MentorSession).where(
        MentorSession.slot_id == slot.id, MentorSession.status == MentorSessionStatus.BOOKED))


def mentor_slots(dbsession: Session, mentor: MentorProfile, now: datetime.datetime) -> list[
        tuple[OfficeHourSlot, MentorSession | None]]:
    """The mentor's slots that have not ended and are not withdrawn, soonest first, each with its booking."""
    slots = list(dbsession.scalars(select(OfficeHourSlot).where(
        OfficeHourSlot.mentor_id == mentor.id, OfficeHourSlot.withdrawn_at.is_(None), OfficeHourSlot.ends_at > now)
        .order_by(OfficeHourSlot.starts_at)))
    bookings = _bookings_by_slot(dbsession, [slot.id for slot in slots])
    return [(slot, bookings.get(slot.id)) for slot in slots]


def _bookings_by_slot(dbsession: Session, slot_ids: list[int]) -> dict[int, MentorSession]:
    if not slot_ids:
        return {}
    sessions = dbsession.scalars(select(MentorSession).where(
        MentorSession.slot_id.in_(slot_ids), MentorSession.status == MentorSessionStatus.BOOKED)
        .options(selectinload(MentorSession.startup)))
    return {session.slot_id: session for session in sessions}


def withdraw_slot(request: Request, slot: OfficeHourSlot, now: datetime.datetime) -> MentorSession | None:
    """Take a slot back; its booking, if any, is cancelled and the startup's founders told.
    Returns that cancelled booking.

    The slot's row lock is taken first, so a booking made meanwhile is either committed (and
    cancelled here) or waits and then finds the slot withdrawn; the booking's own lock then keeps
    a move or cancellation of it in flight from being overwritten."""
    lock_row(request.dbsession, slot)
    if slot.withdrawn_at is not None:
        raise MentoringRefused("withdrawn")
    if slot.starts_at <= now:
        raise MentoringRefused("started")
    slot.withdrawn_at = now
    booking = booking_of(request.dbsession, slot)
    if booking is not None:
        lock_row(request.dbsession, booking)
        if booking.slot_id != slot.id or booking.status != MentorSessionStatus.BOOKED:
            booking = None  # moved to another slot or cancelled while we waited
    if booking is not None:
        _cancel(booking, slot.mentor.user, "", now)
        request.dbsession.flush()
        notify(request, booking, "session-cancelled", include_mentor=False)
    request.dbsession.flush()
    return booking


# --- bookings ---------------------------------------------------------------------------------


def _open_slots(now: datetime.datetime) -> Select[Any]:
    """The open slots: future, not withdrawn, not booked; soonest first."""
    booked = select(MentorSession.slot_id).where(MentorSession.status == MentorSessionStatus.BOOKED)
    return (select(OfficeHourSlot)
            .where(OfficeHourSlot.starts_at > now, OfficeHourSlot.withdrawn_at.is_(None),
                   OfficeHourSlot.id.not_in(booked))
            .order_by(OfficeHourSlot.starts_at, OfficeHourSlot.id))


def bookable_slots(dbsession: Session, startup: Startup, now: datetime.datetime) -> list[OfficeHourSlot]:
    """The open slots of the mentors assigned to the startup, soonest first."""
    return list(dbsession.scalars(
        _open_slots(now)
        .join(MentorAssignment, MentorAssignment.mentor_id == OfficeHourSlot.mentor_id)
        .where(MentorAssignment.startup_id == startup.id)
        .options(selectinload(OfficeHourSlot.mentor))))


def startup_slot(dbsession: Session, startup: Startup, slot_id: int) -> OfficeHourSlot | None:
    """The slot with this id if its mentor is assigned to the startup; None for any other slot."""
    return dbsession.scalar(select(OfficeHourSlot).join(
        MentorAssignment, MentorAssignment.mentor_id == OfficeHourSlot.mentor_id)
        .where(MentorAssignment.startup_id == startup.id, OfficeHourSlot.id == slot_id))


def _open_refusal(slot: OfficeHourSlot, now: datetime.datetime) -> str | None:
    if slot.withdrawn_at is not None:
        return "withdrawn"
    if slot.starts_at <= now:
        return "past"
    return None


def booking_refusal(dbsession: Session, slot: OfficeHourSlot, now: datetime.datetime) -> str | None:
    """Why the slot cannot be booked now ("withdrawn", "past" or "taken"); None when it is open.
    For showing the booking page only: the booking itself relies on the unique index."""
    refusal = _open_refusal(slot, now)
    if refusal is None and booking_of(dbsession, slot) is not None:
        return "taken"
    return refusal


def _take(dbsession: Session, change: Callable[[], None]) -> None:
    """Make the change that takes a slot inside a savepoint (beginning one flushes what is pending,
    so the change must come after): a slot booked meanwhile (the unique index) is "taken", and the
    rest of the transaction stays usable."""
    try:
        with dbsession.begin_nested():
            change()
            dbsession.flush()
    except IntegrityError:
        raise MentoringRefused("taken") from None


def book(request: Request, startup: Startup, slot: OfficeHourSlot, by: User, topic: str,
         now: datetime.datetime) -> MentorSession:
    """Book the slot for the startup; the mentor and the startup's founders get an invitation.
    Decided under the slot's row lock, so a withdrawal in flight is waited for and then refuses it."""
    lock_row(request.dbsession, slot)
    refusal = _open_refusal(slot, now)
    if refusal is not None:
        raise MentoringRefused(refusal)
    session = MentorSession(slot=slot, startup=startup, booked_by_id=by.id, topic=topic.strip(),
                            status=MentorSessionStatus.BOOKED, booked_at=now)
    _take(request.dbsession, lambda: request.dbsession.add(session))
    notify(request, session, "session-booked")
    return session


def _cancel(session: MentorSession, by: User, reason: str, now: datetime.datetime) -> None:
    session.status = MentorSessionStatus.CANCELLED
    session.cancelled_at = now
    session.cancelled_by_id = by.id
    session.cancel_reason = reason.strip()
    session.sequence += 1


def change_refusal(session: MentorSession, now: datetime.datetime) -> str | None:
    """Why the booking may no longer be cancelled or moved ("cancelled", "started"), or None."""
    if session.status != MentorSessionStatus.BOOKED:
        return "cancelled"
    if session.slot.starts_at <= now:
        return "started"
    return None


def cancel(request: Request, session: MentorSession, by: User, reason: str, now: datetime.datetime) -> None:
    """Cancel a booking that has not started; the slot is open again, and both sides are told.
    Decided under the booking's row lock, on what a cancellation or move in flight left."""
    lock_row(request.dbsession, session)
    if refusal := change_refusal(session, now):
        raise MentoringRefused(refusal)
    _cancel(session, by, reason, now)
    request.dbsession.flush()
    notify(request, session, "session-cancelled")


def reschedule_choices(dbsession: Session, session: MentorSession, now: datetime.datetime) -> list[OfficeHourSlot]:
    """The open future slots of the session's mentor that the booking may move to (none once the
    mentor is no longer assigned to the startup)."""
    if assignment_of(dbsession, session.slot.mentor_id, session.startup_id) is None:
        return []
    return list(dbsession.scalars(_open_slots(now).where(OfficeHourSlot.mentor_id == session.slot.mentor_id)))


def reschedule(request: Request, session: MentorSession, slot_id: int, now: datetime.datetime) -> None:
    """Move the booking to another open slot of the same mentor in one step: the same session row
    (so calendars keep its UID) points at the new slot, freeing the old one; a slot booked
    meanwhile is refused by the unique index. Both sides get the updated invitation.
    Decided under the new slot's row lock (a withdrawal in flight is waited for), then the
    booking's (a cancellation or move in flight is waited for): slot first, as withdrawing takes them."""
    slot = request.dbsession.get(OfficeHourSlot, slot_id)
    if slot is None or slot.mentor_id != session.slot.mentor_id:
        raise MentoringRefused("other-mentor")
    lock_row(request.dbsession, slot)
    lock_row(request.dbsession, session)
    if refusal := change_refusal(session, now):
        raise MentoringRefused(refusal)
    if slot.id == session.slot_id:
        raise MentoringRefused("other-mentor")
    if assignment_of(request.dbsession, slot.mentor_id, session.startup_id) is None:
        raise MentoringRefused("not-assigned")
    refusal = _open_refusal(slot, now)
    if refusal is not None:
        raise MentoringRefused(refusal)

    def move() -> None:
        session.slot = slot
        session.sequence += 1

    _take(request.dbsession, move)
    notify(request, session, "session-rescheduled")


def _sessions_with_slot() -> Select[Any]:
    """Sessions joined to their slot, which the one join fills (no second join of the slot, which
    is loaded joined otherwise), so queries may filter and sort on `OfficeHourSlot`."""
    return select(MentorSession).join(MentorSession.slot).options(contains_eager(MentorSession.slot))


def startup_sessions(dbsession: Session, startup: Startup, mentor: MentorProfile | None = None) -> list[MentorSession]:
    """The startup's sessions (with one mentor, if given), the latest first; cancelled ones too."""
    query = (_sessions_with_slot().where(MentorSession.startup_id == startup.id)
             .options(contains_eager(MentorSession.slot).selectinload(OfficeHourSlot.mentor)))
    if mentor is not None:
        query = query.where(OfficeHourSlot.mentor_id == mentor.id)
    return list(dbsession.scalars(query.order_by(OfficeHourSlot.starts_at.desc(), MentorSession.id.desc())))


def mentor_sessions(dbsession: Session, mentor: MentorProfile) -> list[MentorSession]:
    """The mentor's sessions, the latest first; cancelled ones too."""
    return list(dbsession.scalars(
        _sessions_with_slot().where(OfficeHourSlot.mentor_id == mentor.id)
        .options(selectinload(MentorSession.startup))
        .order_by(OfficeHourSlot.starts_at.desc(), MentorSession.id.desc())))


def held_sessions() -> Any:
    """The condition on MentorSession for a session that counts towards mentor hours (the one
    definition of the KPI dashboards, the impact report and the mentors' totals): it was not
    cancelled and its mentor logged its time. Its hours are the sum of `minutes_logged`."""
    return (MentorSession.status == MentorSessionStatus.BOOKED) & MentorSession.minutes_logged.is_not(None)


def logged_minutes(sessions: list[MentorSession]) -> int:
    """The mentor hours (in minutes) of sessions already loaded: `held_sessions`, in Python."""
    return sum(session.minutes_logged or 0 for session in sessions if session.status == MentorSessionStatus.BOOKED)


def mentors_slot(dbsession: Session, mentor: MentorProfile, slot_id: int) -> OfficeHourSlot | None:
    """The mentor's own slot with this id; None for anyone else's (whether it exists or not)."""
    return dbsession.scalar(select(OfficeHourSlot).where(OfficeHourSlot.id == slot_id,
                                                         OfficeHourSlot.mentor_id == mentor.id))


def founder_session(dbsession: Session, startup: Startup, session_id: int) -> MentorSession | None:
    return dbsession.scalar(select(MentorSession).where(
        MentorSession.id == session_id, MentorSession.startup_id == startup.id))


def mentors_session(dbsession: Session, mentor: MentorProfile, session_id: int) -> MentorSession | None:
    return dbsession.scalar(_sessions_with_slot().where(
        MentorSession.id == session_id, OfficeHourSlot.mentor_id == mentor.id))


def notes_refusal(session: MentorSession, now: datetime.datetime) -> str | None:
    """Why notes may not be written yet: the session was cancelled, or has not started; None when they may."""
    if session.status != MentorSessionStatus.BOOKED:
        return "cancelled"
    if session.slot.starts_at > now:
        return "not-started"
    return None


def save_notes(session: MentorSession, notes: str, minutes: int, now: datetime.datetime) -> None:
    refusal = notes_refusal(session, now)
    if refusal is not None:
        raise MentoringRefused(refusal)
    session.notes = notes.strip()
    session.notes_at = now
    session.minutes_logged = minutes


# --- what staff's startup page shows ----------------------------------------------------------


@dataclass
class StartupMentoring:
    """A startup's mentoring at a glance: its mentors, the best matches not yet assigned, its sessions."""

    assignments: list[MentorAssignment]
    suggestions: list[Match]
    sessions: list[MentorSession] = field(default_factory=list)
    minutes: int = 0


SUGGESTIONS_SHOWN = 3


def startup_mentoring(dbsession: Session, startup: Startup) -> StartupMentoring:
    sessions = startup_sessions(dbsession, startup)
    suggestions = [match for match in rank_mentors(dbsession, startup) if match.shared_tags and not match.assigned]
    return StartupMentoring(startup_assignments(dbsession, startup), suggestions[:SUGGESTIONS_SHOWN],
                            sessions, logged_minutes(sessions))


# --- invitations (iCalendar) and emails -------------------------------------------------------


def session_uid(request: Request, session: MentorSession) -> str:
    """Stable for the booking's whole life, rescheduled or cancelled."""
    return f"mentor-session-{session.id}@{uid_host(request)}"


def _address(user: User) -> vCalAddress:
    address = vCalAddress(f"mailto:{user.email}")
    address.params["cn"] = vText(user.name)
    return address


def session_vevent(request: Request, session: MentorSession, locale_name: str,
                   stamp: datetime.datetime) -> CalendarEvent:
    """The session as calendars show it: times in UTC, the mentor organizing, the founders attending."""
    localizer = localizer_for(locale_name)
    slot = session.slot
    mentor = slot.mentor.user
    component = CalendarEvent()
    component.add("uid", session_uid(request, session))
    component.add("dtstamp", stamp)
    component.add("sequence", session.sequence)
    component.add("dtstart", slot.starts_at.astimezone(datetime.UTC))
    component.add("dtend", slot.ends_at.astimezone(datetime.UTC))
    component.add("summary", localizer.translate(_("Office hours: ${mentor} and ${startup}",
                                                   mapping={"mentor": mentor.name, "startup": session.startup.name})))
    description = [session.topic, localizer.translate(SESSION_MODE_LABELS[slot.mode])]
    if session.status == MentorSessionStatus.CANCELLED and session.cancel_reason:
        description.append(session.cancel_reason)
    component.add("description", "\n\n".join(part for part in description if part))
    if slot.location:
        component.add("location", slot.location)
    if slot.meeting_link:
        component.add("url", slot.meeting_link)
    component.add("organizer", _address(mentor))
    for founder in session.startup.founders:
        attendee = _address(founder.user)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        component.add("attendee", attendee)
    cancelled = session.status == MentorSessionStatus.CANCELLED
    component.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return component


def session_method(session: MentorSession) -> str:
    """The invitation's iTIP method (RFC 5546): a REQUEST while booked, a CANCEL once cancelled."""
    return "CANCEL" if session.status == MentorSessionStatus.CANCELLED else "REQUEST"


def invitation(request: Request, session: MentorSession, locale_name: str) -> bytes:
    """The session as an email attachment, with its `session_method`."""
    return serialize(calendar_of(session_method(session),
                                 [session_vevent(request, session, locale_name, utcnow())]))


def notify(request: Request, session: MentorSession, template: str, include_mentor: bool = True) -> None:
    """Email the session's news with its invitation to the startup's founders (and the mentor),
    each in their own language, with a link to where they manage it."""
    mentor = session.slot.mentor.user
    recipients = [(founder.user, request.public_url("incubator.office_hours"))
                  for founder in session.startup.founders]
    if include_mentor:
        recipients.insert(0, (mentor, request.public_url("mentoring.session", id=session.id)))
    method = session_method(session)
    for user, link in recipients:
        send_email(
            request, template, user.email,
            {"session": session, "slot": session.slot, "mentor": mentor, "startup": session.startup,
             "name": user.name, "link": link, "for_mentor": user.id == mentor.id,
             "mode": SESSION_MODE_LABELS[session.slot.mode]},
            locale_name=user.locale,
            attachments=[{
                "filename": "office-hours.ics",
                "content_type": f"text/calendar; charset=utf-8; method={method}",
                "content_base64": base64.b64encode(invitation(request, session, user.locale)).decode(),
            }],
        )


def feed_sessions(dbsession: Session, mentor: MentorProfile, now: datetime.datetime) -> list[MentorSession]:
    return list(dbsession.scalars(
        _sessions_with_slot()
        .where(OfficeHourSlot.mentor_id == mentor.id, OfficeHourSlot.starts_at >= now - FEED_HISTORY)
        .options(selectinload(MentorSession.startup).selectinload(Startup.founders).selectinload(StartupFounder.user))
        .order_by(OfficeHourSlot.starts_at, MentorSession.id)))


def mentor_by_feed_token(dbsession: Session, token: str) -> MentorProfile | None:
    if not token or len(token) > 64:
        return None
    return dbsession.scalar(select(MentorProfile).where(MentorProfile.feed_token == token))


def build_feed(request: Request, mentor: MentorProfile, locale_name: str, now: datetime.datetime) -> bytes:
    """The mentor's sessions from FEED_HISTORY ago onward. Cancelled ones stay, as STATUS:CANCELLED,
    so that a calendar that already shows them removes them (a cancelled session whose slot was
    re-booked appears twice then: once cancelled, once booked by the other startup)."""
    from events.feeds import calendar_header

    localizer = localizer_for(locale_name)
    calendar = calendar_header(
        request,
        localizer.translate(_("My office hours at ${centre}", mapping={
            "centre": centre_name(request.registry.settings, localizer)})),
        localizer.translate(_("The mentoring sessions startups booked with you.")))
    for session in feed_sessions(request.dbsession, mentor, now):
        # Stamped with the booking's last change, so an unchanged feed keeps its ETag.
        stamp = max(filter(None, (session.booked_at, session.cancelled_at, session.notes_at)))
        calendar.add_component(session_vevent(request, session, locale_name, stamp))
    add_timezone(request, calendar)
    return serialize(calendar)


# --- what mentors' and founders' pages show ---------------------------------------------------


def split_sessions(sessions: list[MentorSession], now: datetime.datetime) -> tuple[
        list[MentorSession], list[MentorSession]]:
    """Booked sessions still ahead (soonest first), and the held or cancelled rest (latest first)."""
    ahead = [session for session in sessions if change_refusal(session, now) is None]
    return sorted(ahead, key=lambda session: session.slot.starts_at), [
        session for session in sessions if session not in ahead]


@dataclass
class FounderMentoring:
    """A startup's mentors, the times it may book with them, and its sessions, for its founders."""

    startup: Startup
    assignments: list[MentorAssignment]
    slots: list[OfficeHourSlot]
    upcoming: list[MentorSession]
    past: list[MentorSession]


def founder_mentoring(dbsession: Session, startup: Startup, now: datetime.datetime) -> FounderMentoring:
    upcoming, past = split_sessions(startup_sessions(dbsession, startup), now)
    return FounderMentoring(startup, startup_assignments(dbsession, startup),
                            bookable_slots(dbsession, startup, now), upcoming, past)
