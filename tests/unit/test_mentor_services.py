"""Mentoring rules below the web layer: slot limits, session states, and the demo data."""

import datetime
import itertools

import pytest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.seed import run_seeders
from incubator import mentor_services as mentoring
from incubator.models import (
    MentorAssignment,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    SessionMode,
    Startup,
)
from tests.functional.test_incubator_staff import make_startup
from tests.functional.test_mentors import make_mentor, make_session, make_slot

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def _slot(starts_at: datetime.datetime, status: MentorSessionStatus = MentorSessionStatus.BOOKED) -> MentorSession:
    slot = OfficeHourSlot(starts_at=starts_at, ends_at=starts_at + HOUR)
    return MentorSession(slot=slot, status=status)


@pytest.mark.parametrize(("mode", "location", "link"), [
    (SessionMode.ONLINE, "https://meet.example.gr/anna", "https://meet.example.gr/anna"),
    (SessionMode.ONLINE, "http://meet.example.gr/anna", "http://meet.example.gr/anna"),
    (SessionMode.ONLINE, "httpmeet.example.gr", None),
    (SessionMode.ONLINE, "javascript:alert(1)", None),
    (SessionMode.IN_PERSON, "https://maps.example.gr/room", None),
    (SessionMode.IN_PERSON, "Δημοσκόπιο, αίθουσα 1", None),
])
def test_a_slot_has_a_meeting_link_only_online_with_a_web_address(mode, location, link):
    assert OfficeHourSlot(mode=mode, location=location).meeting_link == link


def test_sessions_split_into_booked_ones_ahead_soonest_first_and_the_rest():
    later, sooner = _slot(NOW + 5 * HOUR), _slot(NOW + HOUR)
    held = _slot(NOW - HOUR)
    cancelled_ahead = _slot(NOW + 2 * HOUR, MentorSessionStatus.CANCELLED)

    ahead, rest = mentoring.split_sessions([later, held, cancelled_ahead, sooner], NOW)

    assert ahead == [sooner, later]
    assert rest == [held, cancelled_ahead]


def test_notes_may_be_written_once_a_booked_session_has_started():
    assert mentoring.notes_refusal(_slot(NOW + HOUR), NOW) == "not-started"
    assert mentoring.notes_refusal(_slot(NOW), NOW) is None
    assert mentoring.notes_refusal(_slot(NOW - HOUR, MentorSessionStatus.CANCELLED), NOW) == "cancelled"
    with pytest.raises(mentoring.MentoringRefused):
        mentoring.save_notes(_slot(NOW + HOUR), "Σημειώσεις", 30, NOW)


def test_slot_limits_and_overlaps(dbsession):
    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    now = utcnow()
    existing = make_slot(dbsession, mentor, datetime.timedelta(days=2))
    start = existing.starts_at

    def refusal(starts_at: datetime.datetime, minutes: int) -> str | None:
        return mentoring.slot_refusal(dbsession, mentor, starts_at, starts_at + datetime.timedelta(minutes=minutes),
                                      now)

    assert refusal(now - HOUR, 60) == "past"
    assert refusal(now + datetime.timedelta(days=400), 60) == "too-far"
    assert refusal(start + 2 * HOUR, 14) == "length"
    assert refusal(start + 2 * HOUR, 241) == "length"
    assert refusal(start + 2 * HOUR, 15) is None
    assert refusal(start + 2 * HOUR, 240) is None
    assert refusal(start + datetime.timedelta(minutes=30), 60) == "overlap"
    assert refusal(start - datetime.timedelta(minutes=30), 60) == "overlap"
    # Back to back is fine.
    assert refusal(start + HOUR, 60) is None
    assert refusal(start - HOUR, 60) is None
    other = make_mentor(dbsession, "Άλλος", "other@example.gr")
    assert mentoring.slot_refusal(dbsession, other, start, start + HOUR, now) is None
    dbsession.rollback()
    dbsession.get(OfficeHourSlot, existing.id).withdrawn_at = now
    dbsession.commit()
    assert refusal(start, 60) is None, "a withdrawn slot's time is free again"


def test_logged_minutes_count_held_sessions_only(dbsession):
    mentor = make_mentor(dbsession, "Άννα Λιοδάκη", "anna@example.gr")
    startup = make_startup(dbsession)
    held = make_session(dbsession, make_slot(dbsession, mentor, -3 * HOUR), startup, minutes_logged=45)
    make_session(dbsession, make_slot(dbsession, mentor, -5 * HOUR), startup, minutes_logged=30,
                 status=MentorSessionStatus.CANCELLED)

    assert mentoring.logged_minutes(mentoring.mentor_sessions(dbsession, mentor)) == 45
    [summary] = mentoring.mentors_with_counts(dbsession)
    assert (summary.mentor.id, summary.minutes, summary.startups) == (mentor.id, 45, 0)
    assert held.minutes_logged == 45


def test_the_demo_has_mentors_with_matching_assignments_held_sessions_and_open_times(app, dbsession):
    dbsession.rollback()
    run_seeders(app.registry, dbsession, scale=0.2)
    dbsession.commit()
    now = utcnow()

    assert dbsession.scalar(select(func.count()).select_from(MentorProfile)) >= 2
    assert dbsession.scalar(select(func.count()).select_from(MentorProfile).where(
        MentorProfile.in_directory.is_(True))) >= 1
    for startup in dbsession.scalars(select(Startup)):
        assert 2 <= len(startup.needs) <= 4, startup.name
    assigned = set(dbsession.execute(select(MentorAssignment.mentor_id, MentorAssignment.startup_id)).all())
    assert assigned
    for session in dbsession.scalars(select(MentorSession)):
        assert (session.slot.mentor_id, session.startup_id) in assigned
        if session.status == MentorSessionStatus.BOOKED and session.slot.starts_at < now:
            assert session.notes and 1 <= session.minutes_logged <= 600
    assert mentoring.logged_minutes(list(dbsession.scalars(select(MentorSession)))) > 0
    future_open = [slot for slot in dbsession.scalars(select(OfficeHourSlot).where(OfficeHourSlot.starts_at > now))
                   if mentoring.booking_of(dbsession, slot) is None]
    assert future_open
    # No mentor's slots overlap.
    slots = sorted(dbsession.scalars(select(OfficeHourSlot)), key=lambda slot: (slot.mentor_id, slot.starts_at))
    for first, second in itertools.pairwise(slots):
        if first.mentor_id == second.mentor_id:
            assert first.ends_at <= second.starts_at
    assert all(profile.user.role == Role.MENTOR for profile in dbsession.scalars(select(MentorProfile)))
