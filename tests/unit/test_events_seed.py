"""The demo events: the same seed gives the same data, and the data keeps the rules that the
services keep (seats, waiting lists, approvals, check-in, feedback, certificates)."""

import datetime
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from dimoskopio.accounts.models import User
from dimoskopio.seed import run_seeders
from events.models import (
    SEAT_HOLDING,
    Certificate,
    CertificateDesign,
    CertificateKind,
    Event,
    EventStatus,
    Feedback,
    Question,
    QuestionKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)

ATHENS = ZoneInfo("Europe/Athens")
# A year back from mid-April crosses both clock changes.
TODAY = datetime.date(2026, 4, 15)
NOW = datetime.datetime(2026, 4, 15, tzinfo=ATHENS)
SCALE = 0.3
SEED = 11
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass
class Seeded:
    events: list[Any]
    registrations: list[Any]
    feedback: list[Any]
    questions: list[Any]
    user_emails: dict[int, str]
    designs: list[Any]
    certificates: list[Any]

    def registrations_of(self, event_id: int) -> list[Any]:
        return [row for row in self.registrations if row.event_id == event_id]


def seed_and_read(app: Any, seed: int) -> Seeded:
    """Seed into a transaction, read everything back as plain rows, and roll back."""
    session = app.registry["dbsession_factory"]()
    try:
        run_seeders(app.registry, session, scale=SCALE, seed=seed, today=TODAY)
        return Seeded(
            events=session.execute(select(
                Event.id, Event.slug, Event.status, Event.capacity, Event.starts_at, Event.ends_at, Event.all_day,
                Event.created_at, Event.published_at,
            ).order_by(Event.id)).all(),
            registrations=session.execute(select(
                Registration.id, Registration.event_id, Registration.status, Registration.source,
                Registration.user_id, Registration.name, Registration.email, Registration.locale,
                Registration.answers, Registration.created_at,
                Registration.confirmed_at, Registration.waiting_since, Registration.offer_expires_at,
                Registration.cancelled_at, Registration.checked_in_at, Registration.reminder_sent_at,
                Registration.feedback_requested_at,
            ).order_by(Registration.id)).all(),
            feedback=session.execute(select(Feedback.registration_id, Feedback.rating, Feedback.created_at)).all(),
            questions=session.execute(select(
                Question.id, Question.event_id, Question.kind, Question.required, Question.choices_el,
            )).all(),
            user_emails=dict(session.execute(select(User.id, User.email)).all()),
            designs=session.execute(select(
                CertificateDesign.event_id, CertificateDesign.issuer_name, CertificateDesign.issuer_title_el,
                CertificateDesign.issuer_title_en, CertificateDesign.signature, CertificateDesign.signature_type,
            )).all(),
            certificates=session.execute(select(
                Certificate.id, Certificate.event_id, Certificate.registration_id, Certificate.recipient_name,
                Certificate.locale, Certificate.issued_at, Certificate.revoked_at, Certificate.pdf,
            ).where(Certificate.kind == CertificateKind.ATTENDANCE).order_by(Certificate.id)).all(),
        )
    finally:
        session.rollback()
        session.close()


@pytest.fixture(scope="module")
def seeded(app: Any) -> Seeded:
    return seed_and_read(app, SEED)


def test_events_are_seeded_after_the_accounts_they_use(registry):
    names = [name for _order, name, _seeder in sorted(registry["seeders"], key=lambda item: item[:2])]
    assert names.index("accounts") < names.index("events")


def test_the_same_seed_gives_the_same_events_registrations_and_certificate_holders(app, seeded):
    again = seed_and_read(app, SEED)
    assert [event.slug for event in again.events] == [event.slug for event in seeded.events]

    def registrations(data: Seeded) -> Counter[tuple[str, RegistrationStatus, str]]:
        # By slug, not id: PostgreSQL does not hand back the ids of the rolled-back first run.
        slugs = {event.id: event.slug for event in data.events}
        return Counter((slugs[row.event_id], row.status, row.email) for row in data.registrations)

    assert registrations(again) == registrations(seeded)

    def holders(data: Seeded) -> Counter[tuple[str, str, str]]:
        # The codes are drawn by `secrets` and differ; who holds a certificate does not.
        slugs = {event.id: event.slug for event in data.events}
        emails = {row.id: row.email for row in data.registrations}
        return Counter((slugs[row.event_id], emails[row.registration_id], row.recipient_name)
                       for row in data.certificates)

    assert holders(seeded)
    assert holders(again) == holders(seeded)


def test_a_year_behind_and_three_months_ahead(seeded):
    assert len(seeded.events) == round(200 * SCALE)
    starts = [event.starts_at for event in seeded.events]
    assert min(starts) >= NOW - datetime.timedelta(days=366)
    assert max(starts) <= NOW + datetime.timedelta(days=100)
    assert any(event.ends_at <= NOW for event in seeded.events)
    assert any(event.starts_at > NOW for event in seeded.events)
    assert {event.status for event in seeded.events} >= {EventStatus.PUBLISHED, EventStatus.DRAFT}
    assert all(event.published_at is not None for event in seeded.events if event.status != EventStatus.DRAFT)


def test_times_are_aware_utc_and_events_end_after_they_start(seeded):
    moments = [value for row in seeded.events + seeded.registrations + seeded.feedback
               for value in row if isinstance(value, datetime.datetime)]
    assert moments
    assert all(moment.utcoffset() == datetime.timedelta(0) for moment in moments)
    assert all(event.ends_at > event.starts_at for event in seeded.events)
    for event in seeded.events:
        if event.all_day:
            assert event.starts_at.astimezone(ATHENS).time() == datetime.time(0, 0)
            assert event.ends_at.astimezone(ATHENS).time() == datetime.time(0, 0)
    # Nothing happened after the seed's "today" began (offers expire later), and no event runs across it.
    happened = [value for row in seeded.registrations for name, value in row._mapping.items()
                if isinstance(value, datetime.datetime) and name != "offer_expires_at"]
    assert all(moment <= NOW for moment in happened + [row.created_at for row in seeded.feedback])
    assert not any(event.starts_at < NOW < event.ends_at for event in seeded.events)


def test_slugs_are_unique_url_words_and_not_the_names_of_pages(seeded):
    slugs = [event.slug for event in seeded.events]
    assert len(set(slugs)) == len(slugs)
    assert all(SLUG.match(slug) for slug in slugs)
    assert not set(slugs) & {"calendar", "past", "series", "registration", "my", "new"}


def test_no_event_is_overbooked_and_only_full_events_have_a_waiting_list(seeded):
    waiting_lists = 0
    for event in seeded.events:
        rows = seeded.registrations_of(event.id)
        taken = sum(row.status in SEAT_HOLDING for row in rows)
        waiting = [row for row in rows if row.status == RegistrationStatus.WAITING]
        if event.capacity is not None:
            assert taken <= event.capacity, event.slug
        if waiting:
            waiting_lists += 1
            assert event.capacity is not None and taken == event.capacity, event.slug
            assert all(row.waiting_since is not None for row in waiting)
    assert waiting_lists > 0


def test_drafts_have_no_registrations(seeded):
    drafts = {event.id for event in seeded.events if event.status == EventStatus.DRAFT}
    assert drafts
    assert not [row for row in seeded.registrations if row.event_id in drafts]


def test_statuses_carry_their_moments(seeded):
    upcoming = {event.id for event in seeded.events if event.starts_at > NOW}
    by_status = Counter(row.status for row in seeded.registrations)
    assert by_status[RegistrationStatus.CONFIRMED] > by_status[RegistrationStatus.CANCELLED] > 0
    for row in seeded.registrations:
        if row.status == RegistrationStatus.CONFIRMED:
            assert row.confirmed_at is not None
        if row.status in (RegistrationStatus.CANCELLED, RegistrationStatus.REJECTED):
            assert row.cancelled_at is not None
        if row.status == RegistrationStatus.PENDING:
            assert row.event_id in upcoming
        if row.status == RegistrationStatus.OFFERED:
            assert row.event_id in upcoming and row.offer_expires_at > NOW


def test_check_ins_only_for_confirmed_people_at_events_that_took_place(seeded):
    took_place = {event.id: event for event in seeded.events
                  if event.status == EventStatus.PUBLISHED and event.ends_at <= NOW}
    checked_in = [row for row in seeded.registrations if row.checked_in_at is not None]
    assert checked_in
    for row in checked_in:
        assert row.event_id in took_place
        assert row.status == RegistrationStatus.CONFIRMED
        assert row.checked_in_at < took_place[row.event_id].ends_at
    confirmed = [row for row in seeded.registrations
                 if row.event_id in took_place and row.status == RegistrationStatus.CONFIRMED]
    assert 0.5 < len(checked_in) / len(confirmed) < 0.9


def test_feedback_only_from_people_who_were_checked_in(seeded):
    registrations = {row.id: row for row in seeded.registrations}
    assert seeded.feedback
    for feedback in seeded.feedback:
        registration = registrations[feedback.registration_id]
        assert registration.checked_in_at is not None
        assert registration.feedback_requested_at is not None
        assert registration.feedback_requested_at < feedback.created_at <= NOW
        assert 1 <= feedback.rating <= 5


def test_registrations_come_before_the_event_except_at_the_door(seeded):
    events = {event.id: event for event in seeded.events}
    for row in seeded.registrations:
        event = events[row.event_id]
        assert event.published_at <= row.created_at <= NOW
        if row.source == RegistrationSource.WALK_IN:
            assert row.checked_in_at == row.created_at
        else:
            assert row.created_at < event.starts_at


def test_answers_fit_the_questions_of_their_event(seeded):
    questions: dict[int, dict[str, Any]] = {}
    for question in seeded.questions:
        questions.setdefault(question.event_id, {})[str(question.id)] = question
    assert questions
    for row in seeded.registrations:
        asked = questions.get(row.event_id, {})
        assert set(row.answers) <= set(asked)
        if row.source == RegistrationSource.WALK_IN:
            continue
        for key, question in asked.items():
            if question.required:
                assert key in row.answers
            if key not in row.answers:
                continue
            choices = question.choices_el.splitlines()
            value = row.answers[key]
            if question.kind == QuestionKind.YES_NO:
                assert value in ("yes", "no")
            elif question.kind == QuestionKind.SINGLE_CHOICE:
                assert value in choices
            elif question.kind == QuestionKind.MULTIPLE_CHOICE:
                assert value and set(value) <= set(choices)
            else:
                assert isinstance(value, str) and value


def test_members_register_with_their_account_and_everyone_else_at_example_domains(seeded):
    with_account = [row for row in seeded.registrations if row.user_id is not None]
    assert 0.2 < len(with_account) / len(seeded.registrations) < 0.5
    assert all(seeded.user_emails[row.user_id] == row.email for row in with_account)
    assert all("example" in row.email.rpartition("@")[2].split(".") for row in seeded.registrations)
    pairs = [(row.event_id, row.email) for row in seeded.registrations]
    assert len(set(pairs)) == len(pairs)


def took_place(seeded: Seeded) -> list[Any]:
    return [event for event in seeded.events if event.status == EventStatus.PUBLISHED and event.ends_at <= NOW]


def test_every_event_that_took_place_has_a_signed_certificate_design(seeded):
    assert {design.event_id for design in seeded.designs} == {event.id for event in took_place(seeded)}
    for design in seeded.designs:
        assert design.issuer_name and design.issuer_title_el and design.issuer_title_en
        assert design.signature_type == "image/png"
        assert design.signature.startswith(b"\x89PNG\r\n\x1a\n")


def test_certificates_stand_for_the_people_checked_in_at_the_two_latest_events_only(seeded):
    with_attendees = {row.event_id for row in seeded.registrations if row.checked_in_at is not None}
    latest = sorted((event for event in took_place(seeded) if event.id in with_attendees),
                    key=lambda event: (event.ends_at, event.id))[-2:]
    assert len(latest) == 2
    checked_in = {row.id: row for row in seeded.registrations
                  if row.event_id in {event.id for event in latest} and row.checked_in_at is not None}
    assert sorted(row.registration_id for row in seeded.certificates) == sorted(checked_in)
    ends = {event.id: event.ends_at for event in latest}
    for certificate in seeded.certificates:
        registration = checked_in[certificate.registration_id]
        assert certificate.event_id == registration.event_id
        assert certificate.recipient_name == registration.name
        assert certificate.locale == registration.locale
        assert certificate.revoked_at is None
        assert ends[certificate.event_id] <= certificate.issued_at <= NOW


def test_each_certificate_is_a_one_page_pdf_that_names_its_holder(seeded):
    assert seeded.certificates
    for certificate in seeded.certificates:
        reader = PdfReader(io.BytesIO(certificate.pdf))
        assert len(reader.pages) == 1
        text = " ".join(reader.pages[0].extract_text().split())
        assert certificate.recipient_name in text
