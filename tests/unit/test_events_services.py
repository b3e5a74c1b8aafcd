"""The rules of events without the web layer: seats, the waiting list, offers, decisions, slugs,
repeats across daylight saving, private links, the month grid, figures, dates as people read them
and safe Markdown. Services run in a real request (its own transaction) on the real database."""

import datetime
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.mail.models import OutboxMessage
from dimoskopio.markdown import markdown_to_text, render_markdown
from dimoskopio.tasks import run_pending_tasks, task_request
from dimoskopio.web import SLUG_PATTERN
from events import services
from events.charts import whole_number_ticks
from events.display import when_text
from events.models import (
    Category,
    Event,
    EventNotice,
    EventStatus,
    Feedback,
    Question,
    QuestionKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Series,
)
from events.services import EventFilters, RegistrantDetails, RegistrationRefused
from events.tasks import sweep_notices

ATHENS = ZoneInfo("Europe/Athens")
UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
SECRET = "unit-test-secret"


def person(number: int, **overrides: Any) -> RegistrantDetails:
    return RegistrantDetails(name=f"Συμμετέχων {number}", email=f"person{number}@example.gr", **overrides)


def athens(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    """A wall-clock time in Heraklion, as the UTC moment the database stores."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=ATHENS).astimezone(UTC)


def register_people(event_id: int, numbers: range, now: datetime.datetime, **overrides: Any) -> None:
    with task_request() as request:
        event = request.dbsession.get(Event, event_id)
        for number in numbers:
            services.register(request, event, person(number, **overrides), now)


def registration_of(request: Any, event_id: int, number: int) -> Registration:
    return request.dbsession.scalar(select(Registration).where(
        Registration.event_id == event_id, Registration.email == f"person{number}@example.gr",
    ))


def statuses(dbsession: Any, event_id: int) -> dict[int, RegistrationStatus]:
    """Each person's status by their number, as the database has it now."""
    dbsession.rollback()
    rows = dbsession.scalars(select(Registration).where(Registration.event_id == event_id))
    return {int(row.email.removeprefix("person").split("@")[0]): row.status for row in rows}


def row_of(dbsession: Any, event_id: int, number: int) -> Registration:
    dbsession.rollback()
    return dbsession.scalar(select(Registration).where(
        Registration.event_id == event_id, Registration.email == f"person{number}@example.gr",
    ))


def mail(dbsession: Any) -> list[tuple[str, str]]:
    """(template, recipient) of every queued email, oldest first."""
    dbsession.rollback()
    return [(message.template, message.recipient)
            for message in dbsession.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def add_registration(dbsession: Any, event: Event, status: RegistrationStatus, **fields: Any) -> Registration:
    dbsession.rollback()
    registration = Registration(
        event_id=event.id, name="Γιώργος Παπαδόπουλος", email=f"{secrets.token_hex(4)}@example.gr", status=status,
        link_salt=secrets.token_hex(32), checkin_code=secrets.token_hex(8), **fields,
    )
    dbsession.add(registration)
    dbsession.commit()
    return registration


@pytest.fixture
def now() -> datetime.datetime:
    return utcnow()


# --- seats and the waiting list ---------------------------------------------------------------


def test_seats_go_to_the_first_comers_and_the_rest_wait_in_line(dbsession, event_factory, now):
    event = event_factory(capacity=2)

    register_people(event.id, range(1, 5), now)

    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CONFIRMED, 2: RegistrationStatus.CONFIRMED,
        3: RegistrationStatus.WAITING, 4: RegistrationStatus.WAITING,
    }
    assert services.seats_taken(dbsession, event.id) == 2
    assert [services.waiting_position(dbsession, row_of(dbsession, event.id, number)) for number in (1, 2, 3, 4)] \
        == [None, None, 1, 2]
    confirmed = row_of(dbsession, event.id, 1)
    assert confirmed.confirmed_at == now and confirmed.waiting_since is None
    assert row_of(dbsession, event.id, 3).waiting_since == now


def test_the_waiting_line_is_ordered_by_when_people_joined_then_by_registration(dbsession, event_factory, now):
    event = event_factory(capacity=0)
    register_people(event.id, range(1, 3), now + HOUR)
    register_people(event.id, range(3, 4), now)  # joined earlier, registered (id) later

    positions = {number: services.waiting_position(dbsession, row_of(dbsession, event.id, number))
                 for number in (1, 2, 3)}

    assert positions == {3: 1, 1: 2, 2: 3}


def test_an_event_without_a_seat_limit_confirms_everyone(dbsession, event_factory, now):
    event = event_factory(capacity=None)

    register_people(event.id, range(1, 31), now)

    assert set(statuses(dbsession, event.id).values()) == {RegistrationStatus.CONFIRMED}
    counts = services.counts_for(dbsession, [event.id])[event.id]
    assert counts.confirmed == 30
    assert counts.seats_left(event) is None
    assert services.seats_left(event, 30) is None
    assert services.fill_rate(event, counts) is None


def test_the_same_email_in_any_case_gets_the_same_registration_and_no_second_seat(dbsession, event_factory, now):
    event = event_factory(capacity=5)

    with task_request() as request:
        event_row = request.dbsession.get(Event, event.id)
        first = services.register(request, event_row, person(1), now)
        again = services.register(request, event_row, RegistrantDetails(
            name="Άλλο όνομα", email="  PERSON1@Example.GR ", organisation="Άλλη εταιρεία"), now)
        assert first.created and not again.created
        assert again.registration.id == first.registration.id

    dbsession.rollback()
    [row] = services.active_registrations(dbsession, event.id)
    assert (row.name, row.email, row.organisation) == ("Συμμετέχων 1", "person1@example.gr", "")
    assert services.seats_taken(dbsession, event.id) == 1


def test_someone_who_cancelled_can_register_again_and_joins_the_end_of_the_line(dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 3), now)
    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 2), now)

    register_people(event.id, range(2, 3), now + HOUR)

    again = row_of(dbsession, event.id, 2)
    assert again.status == RegistrationStatus.WAITING
    assert again.cancelled_at is None
    assert again.waiting_since == now + HOUR
    assert len(statuses(dbsession, event.id)) == 2


def test_someone_rejected_cannot_register_again_for_the_same_event(dbsession, event_factory, now):
    event = event_factory(approval_required=True)
    register_people(event.id, range(1, 2), now)
    with task_request() as request:
        services.reject(request, registration_of(request, event.id, 1), "Μόνο για φοιτητές.")

    with task_request() as request:
        outcome = services.register(request, request.dbsession.get(Event, event.id), person(1), now)
        assert not outcome.created

    assert row_of(dbsession, event.id, 1).status == RegistrationStatus.REJECTED


def test_consent_and_newsletter_choice_are_recorded_with_the_time_and_notice_version(dbsession, event_factory, now):
    event = event_factory()

    register_people(event.id, range(1, 2), now, consent_version="2026-01", newsletter_opt_in=True)
    register_people(event.id, range(2, 3), now)

    consenting, other = row_of(dbsession, event.id, 1), row_of(dbsession, event.id, 2)
    assert (consenting.consent_at, consenting.consent_version, consenting.newsletter_opt_in) == (now, "2026-01", True)
    assert (other.consent_at, other.consent_version, other.newsletter_opt_in) == (None, None, False)


PAST = {"starts_at": utcnow() - 3 * HOUR, "ends_at": utcnow() - HOUR}


@pytest.mark.parametrize(("fields", "reason"), [
    ({"status": EventStatus.DRAFT}, "draft"),
    ({"status": EventStatus.CANCELLED}, "cancelled"),
    ({"status": EventStatus.POSTPONED}, "postponed"),
    (PAST, "past"),
    ({"registration_opens_at": utcnow() + DAY}, "not_open_yet"),
    ({"registration_closes_at": utcnow() - HOUR}, "closed"),
])
def test_visitors_can_register_only_while_registration_is_open(dbsession, event_factory, fields, reason):
    event = event_factory(**fields)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.register(request, request.dbsession.get(Event, event.id), person(1), utcnow())

    assert refused.value.reason == reason
    assert statuses(dbsession, event.id) == {}


@pytest.mark.parametrize(("fields", "refused_reason"), [
    ({"registration_opens_at": utcnow() + DAY}, None),
    ({"registration_closes_at": utcnow() - HOUR}, None),
    ({"status": EventStatus.POSTPONED}, None),
    ({"status": EventStatus.DRAFT}, "draft"),
    ({"status": EventStatus.CANCELLED}, "cancelled"),
    (PAST, "past"),
])
def test_staff_may_add_people_outside_the_registration_window_but_not_to_unpublished_or_past_events(
        dbsession, event_factory, fields, refused_reason):
    event = event_factory(**fields)

    try:
        with task_request() as request:
            services.register(request, request.dbsession.get(Event, event.id), person(1), utcnow(),
                              source=RegistrationSource.STAFF)
    except RegistrationRefused as error:
        assert error.reason == refused_reason
    else:
        assert refused_reason is None

    expected = {} if refused_reason else {1: RegistrationStatus.CONFIRMED}
    assert statuses(dbsession, event.id) == expected


def test_people_staff_add_to_an_approval_event_get_a_seat_without_waiting_for_approval(dbsession, event_factory, now):
    event = event_factory(approval_required=True, capacity=1)

    register_people(event.id, range(1, 2), now)
    with task_request() as request:
        event_row = request.dbsession.get(Event, event.id)
        for number in (2, 3):
            services.register(request, event_row, person(number), now, source=RegistrationSource.STAFF)

    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.PENDING, 2: RegistrationStatus.CONFIRMED, 3: RegistrationStatus.WAITING,
    }


def test_a_walk_in_is_checked_in_at_once(dbsession, event_factory, now):
    event = event_factory(registration_closes_at=now - HOUR)

    with task_request() as request:
        services.register(request, request.dbsession.get(Event, event.id), person(1), now,
                          source=RegistrationSource.WALK_IN)

    walk_in = row_of(dbsession, event.id, 1)
    assert (walk_in.status, walk_in.checked_in_at, walk_in.source) == (
        RegistrationStatus.CONFIRMED, now, RegistrationSource.WALK_IN)


def test_a_walk_in_to_a_full_event_is_refused_and_leaves_an_earlier_registration_as_it_was(
        dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 3), now)  # 1 has the seat, 2 waits
    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 2), now)
    before = row_of(dbsession, event.id, 2)
    before_state = (before.status, before.name, before.cancelled_at, before.waiting_since, before.source)

    with task_request() as request:
        # The staff screen shows the refusal and its request commits: nothing may have changed.
        with pytest.raises(RegistrationRefused) as refused:
            services.register(request, request.dbsession.get(Event, event.id),
                              RegistrantDetails(name="Αλλαγμένο όνομα", email="person2@example.gr"), now + HOUR,
                              source=RegistrationSource.WALK_IN)
        assert refused.value.reason == "full"

    after = row_of(dbsession, event.id, 2)
    assert (after.status, after.name, after.cancelled_at, after.waiting_since, after.source) == before_state
    assert statuses(dbsession, event.id) == {1: RegistrationStatus.CONFIRMED, 2: RegistrationStatus.CANCELLED}


# --- freed seats: offers and automatic promotion ----------------------------------------------


def test_a_freed_seat_is_offered_to_the_first_in_line_who_holds_it_for_the_offer_time(dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 4), now)

    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), now + HOUR)

    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CANCELLED, 2: RegistrationStatus.OFFERED, 3: RegistrationStatus.WAITING,
    }
    offered = row_of(dbsession, event.id, 2)
    assert offered.offer_expires_at == now + HOUR + 24 * HOUR
    assert offered.waiting_since == now  # their place in line is kept while the offer runs
    assert services.seats_taken(dbsession, event.id) == 1
    assert services.waiting_position(dbsession, row_of(dbsession, event.id, 3)) == 1
    assert mail(dbsession)[-1] == ("seat-offered", "person2@example.gr")


def test_the_offer_time_is_set_per_event_and_never_outlasts_the_start(dbsession, event_factory, now):
    soon = event_factory(capacity=1, offer_hours=48, starts_at=now + 10 * HOUR)
    later = event_factory(capacity=1, offer_hours=3)
    for event in (soon, later):
        register_people(event.id, range(1, 3), now)
        with task_request() as request:
            services.cancel_registration(request, registration_of(request, event.id, 1), now)

    assert row_of(dbsession, soon.id, 2).offer_expires_at == soon.starts_at
    assert row_of(dbsession, later.id, 2).offer_expires_at == now + 3 * HOUR


def test_with_automatic_promotion_a_freed_seat_goes_straight_to_the_first_in_line(dbsession, event_factory, now):
    event = event_factory(capacity=1, auto_promote=True)
    register_people(event.id, range(1, 4), now)

    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), now + HOUR)

    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CANCELLED, 2: RegistrationStatus.CONFIRMED, 3: RegistrationStatus.WAITING,
    }
    promoted = row_of(dbsession, event.id, 2)
    assert (promoted.confirmed_at, promoted.waiting_since, promoted.offer_expires_at) == (now + HOUR, None, None)
    assert mail(dbsession)[-1] == ("seat-confirmed", "person2@example.gr")


@pytest.mark.parametrize("auto_promote", [False, True])
def test_raising_the_capacity_hands_the_new_seats_to_the_line_in_order(dbsession, event_factory, now, auto_promote):
    event = event_factory(capacity=1, auto_promote=auto_promote)
    register_people(event.id, range(1, 5), now)

    with task_request() as request:
        event_row = request.dbsession.get(Event, event.id)
        event_row.capacity = 3
        request.dbsession.flush()  # as the staff screen does: the lock reloads the event
        services.lock_seats(request, event_row)
        moved = services.fill_free_seats(request, event_row, now)
        assert [registration.email for registration in moved] == ["person2@example.gr", "person3@example.gr"]

    given = RegistrationStatus.CONFIRMED if auto_promote else RegistrationStatus.OFFERED
    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CONFIRMED, 2: given, 3: given, 4: RegistrationStatus.WAITING,
    }
    template = "seat-confirmed" if auto_promote else "seat-offered"
    assert [sent for sent in mail(dbsession) if sent[0] == template] == [
        (template, "person2@example.gr"), (template, "person3@example.gr"),
    ]


def test_removing_the_limit_gives_everyone_waiting_a_seat_without_a_deadline(dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 4), now)

    with task_request() as request:
        event_row = request.dbsession.get(Event, event.id)
        event_row.capacity = None
        assert len(services.fill_free_seats(request, event_row, now)) == 2

    # With no limit there is nothing to hold for anyone: seats, not offers that could lapse.
    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CONFIRMED, 2: RegistrationStatus.CONFIRMED, 3: RegistrationStatus.CONFIRMED,
    }


@pytest.mark.parametrize("change", ["cancelled", "postponed", "started"])
def test_no_seat_is_handed_out_once_an_event_is_cancelled_postponed_or_under_way(
        dbsession, event_factory, now, change):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 3), now)

    with task_request() as request:
        event_row = request.dbsession.get(Event, event.id)
        event_row.capacity = 2
        if change == "started":
            assert services.fill_free_seats(request, event_row, event_row.starts_at + HOUR) == []
        else:
            event_row.status = EventStatus(change)
            assert services.fill_free_seats(request, event_row, now) == []

    assert statuses(dbsession, event.id)[2] == RegistrationStatus.WAITING


def test_cancelling_a_place_on_the_waiting_list_frees_no_seat(dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 4), now)

    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 2), now)

    assert statuses(dbsession, event.id) == {
        1: RegistrationStatus.CONFIRMED, 2: RegistrationStatus.CANCELLED, 3: RegistrationStatus.WAITING,
    }
    assert services.waiting_position(dbsession, row_of(dbsession, event.id, 3)) == 1
    assert not any(template == "seat-offered" for template, _ in mail(dbsession))


# --- offers: accepted, lapsed, passed on ------------------------------------------------------


@pytest.fixture
def offered(dbsession, event_factory, now):
    """An event of one seat: person 1 cancelled, person 2 is offered the seat, person 3 waits."""
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 4), now)
    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), now)
    return event


def test_an_offer_accepted_in_time_confirms_the_seat(dbsession, offered, now):
    with task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 2), now + 23 * HOUR)

    accepted = row_of(dbsession, offered.id, 2)
    assert (accepted.status, accepted.confirmed_at, accepted.offer_expires_at, accepted.waiting_since) == (
        RegistrationStatus.CONFIRMED, now + 23 * HOUR, None, None)


def test_accepting_an_offer_twice_is_harmless(dbsession, offered, now):
    for _ in range(2):
        with task_request() as request:
            services.accept_offer(request, registration_of(request, offered.id, 2), now + HOUR)

    assert statuses(dbsession, offered.id)[2] == RegistrationStatus.CONFIRMED
    assert row_of(dbsession, offered.id, 2).confirmed_at == now + HOUR


def test_only_someone_offered_a_seat_can_accept_one(dbsession, offered, now):
    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 3), now)

    assert refused.value.reason == "no_offer"
    assert statuses(dbsession, offered.id)[3] == RegistrationStatus.WAITING


def test_an_unanswered_offer_lapses_and_the_seat_passes_to_the_next_in_line(dbsession, offered, now):
    with task_request() as request:
        assert services.expire_offers(request, now + 23 * HOUR) == 0
    assert statuses(dbsession, offered.id)[2] == RegistrationStatus.OFFERED

    with task_request() as request:
        assert services.expire_offers(request, now + 24 * HOUR) == 1

    assert statuses(dbsession, offered.id) == {
        1: RegistrationStatus.CANCELLED, 2: RegistrationStatus.EXPIRED, 3: RegistrationStatus.OFFERED,
    }
    assert row_of(dbsession, offered.id, 2).offer_expires_at is None
    assert row_of(dbsession, offered.id, 3).offer_expires_at == now + 48 * HOUR
    emails = [("seat-offered", "person2@example.gr"), ("offer-expired", "person2@example.gr"),
              ("seat-offered", "person3@example.gr")]
    assert mail(dbsession) == emails

    with task_request() as request:
        assert services.expire_offers(request, now + 25 * HOUR) == 0
    assert mail(dbsession) == emails


def test_an_offer_cannot_be_accepted_once_its_time_is_up_whether_or_not_it_was_lapsed_yet(dbsession, offered, now):
    with pytest.raises(RegistrationRefused) as before_lapse, task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 2), now + 24 * HOUR)
    with task_request() as request:
        services.expire_offers(request, now + 24 * HOUR)
    with pytest.raises(RegistrationRefused) as after_lapse, task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 2), now + 25 * HOUR)

    assert before_lapse.value.reason == after_lapse.value.reason == "offer_expired"
    assert statuses(dbsession, offered.id)[2] == RegistrationStatus.EXPIRED
    assert services.seats_taken(dbsession, offered.id) == 1


def test_declining_an_offer_passes_the_seat_on_at_once(dbsession, offered, now):
    with task_request() as request:
        services.decline_offer(request, registration_of(request, offered.id, 2), now + HOUR)

    assert statuses(dbsession, offered.id) == {
        1: RegistrationStatus.CANCELLED, 2: RegistrationStatus.CANCELLED, 3: RegistrationStatus.OFFERED,
    }


@pytest.mark.parametrize("number", [1, 3])
def test_only_an_offer_can_be_declined(dbsession, offered, now, number):
    with task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 2), now)
    before = statuses(dbsession, offered.id)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.decline_offer(request, registration_of(request, offered.id, 2 if number == 1 else number), now)

    assert refused.value.reason == "no_offer"
    assert statuses(dbsession, offered.id) == before


# --- cancelling -------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [
    (RegistrationStatus.CANCELLED, "already_cancelled"),
    (RegistrationStatus.EXPIRED, "already_cancelled"),
    (RegistrationStatus.REJECTED, "rejected"),
])
def test_a_registration_that_is_no_longer_active_cannot_be_cancelled(dbsession, event_factory, status, reason):
    event = event_factory()
    registration = add_registration(dbsession, event, status)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.cancel_registration(request, request.dbsession.get(Registration, registration.id), utcnow())

    assert refused.value.reason == reason


def test_cancelling_twice_is_refused_and_the_first_cancellation_stands(dbsession, event_factory, now):
    event = event_factory(capacity=1)
    register_people(event.id, range(1, 3), now)
    with task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), now)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), now + HOUR)

    assert refused.value.reason == "already_cancelled"
    assert row_of(dbsession, event.id, 1).cancelled_at == now
    assert statuses(dbsession, event.id)[2] == RegistrationStatus.OFFERED  # one offer, not two seats


def test_a_registration_cannot_be_cancelled_after_the_event(dbsession, event_factory, now):
    event = event_factory()
    register_people(event.id, range(1, 2), now)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.cancel_registration(request, registration_of(request, event.id, 1), event.ends_at)

    assert refused.value.reason == "past"
    assert statuses(dbsession, event.id) == {1: RegistrationStatus.CONFIRMED}


# --- approval ---------------------------------------------------------------------------------


def test_registrations_for_an_approval_event_wait_for_staff_and_hold_no_seat(dbsession, event_factory, now):
    event = event_factory(approval_required=True, capacity=1)

    register_people(event.id, range(1, 4), now)

    assert set(statuses(dbsession, event.id).values()) == {RegistrationStatus.PENDING}
    assert services.seats_taken(dbsession, event.id) == 0


def test_approved_people_get_a_seat_while_there_is_one_then_a_place_in_line(dbsession, event_factory, now):
    event = event_factory(approval_required=True, capacity=1)
    register_people(event.id, range(1, 3), now)

    with task_request() as request:
        for number in (2, 1):
            services.approve(request, registration_of(request, event.id, number), now + HOUR)

    assert statuses(dbsession, event.id) == {1: RegistrationStatus.WAITING, 2: RegistrationStatus.CONFIRMED}
    assert row_of(dbsession, event.id, 2).confirmed_at == now + HOUR
    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.approve(request, registration_of(request, event.id, 2), now)
    assert refused.value.reason == "not_pending"


def test_a_rejection_keeps_its_reason_and_only_applies_to_undecided_or_waiting_people(dbsession, event_factory, now):
    event = event_factory(approval_required=True, capacity=1)
    register_people(event.id, range(1, 2), now)

    with task_request() as request:
        services.reject(request, registration_of(request, event.id, 1), "Η εκδήλωση είναι μόνο για φοιτητές.")
    rejected = row_of(dbsession, event.id, 1)
    assert (rejected.status, rejected.decision_reason, rejected.cancelled_at) == (
        RegistrationStatus.REJECTED, "Η εκδήλωση είναι μόνο για φοιτητές.", None)

    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.reject(request, registration_of(request, event.id, 1), "Ξανά")
    assert refused.value.reason == "not_pending"


# --- feedback ---------------------------------------------------------------------------------


def test_only_people_who_were_checked_in_can_give_feedback(dbsession, event_factory):
    event = event_factory(starts_at=utcnow() - 3 * HOUR, ends_at=utcnow() - HOUR)
    came = add_registration(dbsession, event, RegistrationStatus.CONFIRMED, checked_in_at=utcnow() - 2 * HOUR)
    stayed_home = add_registration(dbsession, event, RegistrationStatus.CONFIRMED)

    with pytest.raises(RegistrationRefused) as refused:
        services.save_feedback(dbsession, stayed_home, 5, "", "", utcnow())
    services.save_feedback(dbsession, came, 3, "  Η δικτύωση. ", "", utcnow())
    services.save_feedback(dbsession, came, 4, "Η δικτύωση.", "Περισσότερα εργαστήρια.", utcnow())
    dbsession.commit()

    assert refused.value.reason == "not_attended"
    [feedback] = dbsession.scalars(select(Feedback)).all()
    assert (feedback.registration_id, feedback.rating, feedback.useful, feedback.ideas) == (
        came.id, 4, "Η δικτύωση.", "Περισσότερα εργαστήρια.")


# --- when registration is open ----------------------------------------------------------------

NOW = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def event_at(**fields: Any) -> Event:
    values = {"status": EventStatus.PUBLISHED, "starts_at": NOW + DAY, "ends_at": NOW + DAY + 2 * HOUR,
              "registration_opens_at": None, "registration_closes_at": None, **fields}
    return Event(**values)


@pytest.mark.parametrize(("fields", "state"), [
    ({}, "open"),
    ({"registration_opens_at": NOW - HOUR, "registration_closes_at": NOW + HOUR}, "open"),
    ({"registration_opens_at": NOW}, "open"),
    ({"status": EventStatus.DRAFT}, "draft"),
    ({"status": EventStatus.CANCELLED}, "cancelled"),
    ({"status": EventStatus.CANCELLED, "starts_at": NOW - 3 * HOUR, "ends_at": NOW - HOUR}, "cancelled"),
    ({"status": EventStatus.POSTPONED}, "postponed"),
    ({"starts_at": NOW - 3 * HOUR, "ends_at": NOW - HOUR}, "past"),
    ({"starts_at": NOW - 2 * HOUR, "ends_at": NOW}, "past"),
    ({"starts_at": NOW - HOUR, "ends_at": NOW + HOUR}, "closed"),
    ({"starts_at": NOW, "ends_at": NOW + HOUR}, "closed"),
    ({"registration_closes_at": NOW}, "closed"),
    ({"registration_closes_at": NOW - HOUR}, "closed"),
    ({"registration_opens_at": NOW + HOUR}, "not_open_yet"),
])
def test_registration_state_at_each_moment_of_an_event(fields, state):
    assert services.registration_state(event_at(**fields), NOW) == state


# --- slugs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "slug"), [
    ("Εργαστήριο Επιχειρηματικότητας 2027", "ergastirio-epicheirimatikotitas-2027"),
    ("Ψηφιακός μετασχηματισμός: Ηράκλειο & Ευρώπη", "psifiakos-metaschimatismos-irakleio-evropi"),
    ("Γυναικεία επιχειρηματικότητα — Αύγουστος", "gynaikeia-epicheirimatikotita-avgoustos"),
    ("Startup_Night v2.0", "startup-night-v2-0"),
    ("  !!! ", "event"),
])
def test_slugs_are_made_from_greek_titles_in_latin_letters(title, slug):
    assert services.slugify(title) == slug
    assert SLUG_PATTERN.match(services.slugify(title))


def test_a_long_title_makes_a_slug_within_the_limit_that_does_not_end_in_a_hyphen():
    slug = services.slugify("Συνάντηση " * 20)

    assert len(slug) <= services.SLUG_MAX_LENGTH
    assert SLUG_PATTERN.match(slug)


def test_a_slug_in_use_gets_the_next_free_number(dbsession, event_factory):
    first = event_factory(slug="vradia-pitch")
    assert services.unique_slug(dbsession, Event, "Βραδιά pitch") == "vradia-pitch-2"
    event_factory(slug="vradia-pitch-2")
    event_factory(slug="vradia-pitch-extra")

    assert services.unique_slug(dbsession, Event, "Βραδιά pitch") == "vradia-pitch-3"
    assert services.unique_slug(dbsession, Event, "Βραδιά pitch", exclude_id=first.id) == "vradia-pitch"
    assert services.unique_slug(dbsession, Event, "Άλλη βραδιά") == "alli-vradia"


@pytest.mark.parametrize("reserved", sorted(services.RESERVED_SLUGS))
def test_events_never_get_a_slug_that_names_another_page_under_events(dbsession, reserved):
    assert services.unique_slug(dbsession, Event, reserved) == f"{reserved}-2"
    assert services.unique_slug(dbsession, Category, reserved) == reserved


# --- repeats ----------------------------------------------------------------------------------


def test_weekly_and_fortnightly_repeats():
    first = datetime.date(2027, 2, 22)

    assert services.repeat_dates(first, "weekly", 3) == [
        datetime.date(2027, 2, 22), datetime.date(2027, 3, 1), datetime.date(2027, 3, 8)]
    assert services.repeat_dates(first, "biweekly", 3) == [
        datetime.date(2027, 2, 22), datetime.date(2027, 3, 8), datetime.date(2027, 3, 22)]


def test_monthly_repeats_keep_the_day_of_the_month_and_skip_months_without_it():
    assert services.repeat_dates(datetime.date(2026, 11, 15), "monthly", 3) == [
        datetime.date(2026, 11, 15), datetime.date(2026, 12, 15), datetime.date(2027, 1, 15)]
    assert services.repeat_dates(datetime.date(2027, 1, 31), "monthly", 5) == [
        datetime.date(2027, 1, 31), datetime.date(2027, 3, 31), datetime.date(2027, 5, 31),
        datetime.date(2027, 7, 31), datetime.date(2027, 8, 31)]
    assert services.repeat_dates(datetime.date(2026, 12, 30), "monthly", 3) == [
        datetime.date(2026, 12, 30), datetime.date(2027, 1, 30), datetime.date(2027, 3, 30)]
    assert len(services.repeat_dates(datetime.date(2027, 8, 31), "monthly", 53)) == 53


@pytest.mark.parametrize(("first_start", "expected_utc_hours"), [
    # The clocks go forward on the last Sunday of March (28 March 2027): 18:00 is 16:00 UTC, then 15:00.
    (athens(2027, 3, 21, 18), [15, 15]),
    # And back on the last Sunday of October (31 October 2027): 15:00 UTC, then 16:00.
    (athens(2027, 10, 24, 18), [16, 16]),
])
def test_repeats_keep_the_local_time_across_the_daylight_saving_change(
        dbsession, event_factory, first_start, expected_utc_hours):
    dbsession.rollback()
    series = Series(slug="startup-mondays", title_el="Startup Δευτέρες")
    dbsession.add(series)
    dbsession.commit()
    event = event_factory(starts_at=first_start, ends_at=first_start + 2 * HOUR, series_id=series.id,
                          title_el="Startup Δευτέρα", capacity=30, auto_promote=True,
                          registration_closes_at=first_start - HOUR,
                          questions=[Question(kind=QuestionKind.TEXT, label_el="Πού σπουδάζεις;", required=True)])

    with task_request() as request:
        copies = services.create_repeats(request.dbsession, request.dbsession.get(Event, event.id), "weekly", 2,
                                         ATHENS)
        copy_ids = [copy.id for copy in copies]

    dbsession.rollback()
    copies = [dbsession.get(Event, copy_id) for copy_id in copy_ids]
    assert [copy.starts_at.astimezone(ATHENS).replace(tzinfo=None) for copy in copies] == [
        first_start.astimezone(ATHENS).replace(tzinfo=None) + datetime.timedelta(weeks=weeks) for weeks in (1, 2)]
    assert [copy.starts_at.hour for copy in copies] == expected_utc_hours
    assert all(copy.ends_at - copy.starts_at == 2 * HOUR for copy in copies)
    assert {copy.status for copy in copies} == {EventStatus.DRAFT}
    assert {copy.series_id for copy in copies} == {series.id}
    assert {(copy.capacity, copy.auto_promote, copy.title_el) for copy in copies} == {(30, True, "Startup Δευτέρα")}
    assert [[(question.label_el, question.required) for question in copy.questions] for copy in copies] == [
        [("Πού σπουδάζεις;", True)]] * 2
    assert len({event.slug, *(copy.slug for copy in copies)}) == 3


# --- private links ----------------------------------------------------------------------------


@pytest.fixture
def registration(dbsession, event_factory):
    event = event_factory()
    register_people(event.id, range(1, 3), utcnow())
    return row_of(dbsession, event.id, 1)


def test_a_management_token_names_its_registration(dbsession, registration):
    token = services.manage_token(SECRET, registration)

    assert token.startswith(f"{registration.id}-")
    assert services.registration_for_token(dbsession, SECRET, token).id == registration.id


def test_a_management_token_is_refused_when_any_part_of_it_is_changed(dbsession, registration):
    token = services.manage_token(SECRET, registration)
    raw_id, signature = token.split("-", 1)
    other = dbsession.scalar(select(Registration).where(Registration.id != registration.id))
    changed_letter = signature[:5] + ("B" if signature[5] == "A" else "A") + signature[6:]

    for bad in (
        f"{raw_id}-{changed_letter}",
        f"{other.id}-{signature}",
        f"{raw_id}-{signature[:-1]}",
        f"{raw_id}-",
        f"-{signature}",
        signature,
        f"{raw_id}{signature}",
        f"0{raw_id}x-{signature}",
        f"99999999999-{signature}",
        f"2147483648-{signature}",
        f"{raw_id}-{signature[:-1]}é",
        f"{raw_id}-{signature}\u00a0",
        f"٣-{signature}",
    ):
        assert services.registration_for_token(dbsession, SECRET, bad) is None, bad
    assert services.registration_for_token(dbsession, "another-secret", token) is None


# --- the month grid ---------------------------------------------------------------------------


def test_the_month_grid_starts_on_monday_and_puts_each_event_on_every_day_it_happens(dbsession, event_factory):
    workshops = Category(slug="workshops", name_el="Εργαστήρια")
    dbsession.add(workshops)
    dbsession.commit()
    hackathon = event_factory(title_el="Hackathon", starts_at=athens(2027, 3, 30, 10), ends_at=athens(2027, 4, 2, 17),
                              category_id=workshops.id)
    expo = event_factory(title_el="Έκθεση", starts_at=athens(2027, 4, 5), ends_at=athens(2027, 4, 7), all_day=True)
    late = event_factory(title_el="Βραδιά", starts_at=athens(2027, 4, 10, 23, 30), ends_at=athens(2027, 4, 10, 23, 50))
    cancelled = event_factory(starts_at=athens(2027, 4, 20, 18), status=EventStatus.CANCELLED)
    event_factory(starts_at=athens(2027, 4, 21, 18), status=EventStatus.DRAFT)
    event_factory(starts_at=athens(2027, 5, 3, 18))  # the day after the grid ends
    event_factory(starts_at=athens(2027, 3, 28, 18))  # the day before it starts

    weeks = services.month_grid(dbsession, 2027, 4, ATHENS)

    days = [cell for week in weeks for cell in week]
    assert len(weeks) == 5 and all(len(week) == 7 for week in weeks)
    assert all(week[0].day.weekday() == 0 for week in weeks)
    assert (days[0].day, days[-1].day) == (datetime.date(2027, 3, 29), datetime.date(2027, 5, 2))
    assert [cell.in_month for cell in days[:4]] == [False, False, False, True]
    on_day = {cell.day: [event.id for event in cell.events] for cell in days if cell.events}
    assert on_day == {
        datetime.date(2027, 3, 30): [hackathon.id],
        datetime.date(2027, 3, 31): [hackathon.id],
        datetime.date(2027, 4, 1): [hackathon.id],
        datetime.date(2027, 4, 2): [hackathon.id],
        datetime.date(2027, 4, 5): [expo.id],
        datetime.date(2027, 4, 6): [expo.id],
        datetime.date(2027, 4, 10): [late.id],
        datetime.date(2027, 4, 20): [cancelled.id],
    }

    filtered = services.month_grid(dbsession, 2027, 4, ATHENS, EventFilters(category="workshops"))
    assert {event.id for week in filtered for cell in week for event in cell.events} == {hackathon.id}


def test_the_month_grid_of_a_month_that_starts_on_monday(dbsession):
    weeks = services.month_grid(dbsession, 2027, 2, ATHENS)

    assert weeks[0][0].day == datetime.date(2027, 2, 1)
    assert weeks[-1][-1].day == datetime.date(2027, 2, 28)
    assert all(cell.in_month for week in weeks for cell in week)


# --- figures ----------------------------------------------------------------------------------


def test_monthly_figures_count_public_events_live_registrations_and_attendance_by_local_month(
        dbsession, event_factory):
    new_year = event_factory(starts_at=athens(2027, 1, 1, 0, 30))  # still 2026 in UTC
    march = event_factory(starts_at=athens(2027, 3, 15, 18), status=EventStatus.CANCELLED)
    event_factory(starts_at=athens(2027, 3, 20, 18), status=EventStatus.DRAFT)
    event_factory(starts_at=athens(2028, 1, 1, 0, 30))  # next year's January
    event_factory(starts_at=athens(2026, 12, 31, 23, 0))  # last year's December
    checked_in = {"checked_in_at": athens(2027, 1, 1, 0, 40)}
    for status, fields in [
        (RegistrationStatus.CONFIRMED, checked_in), (RegistrationStatus.CONFIRMED, checked_in),
        (RegistrationStatus.CONFIRMED, {}), (RegistrationStatus.WAITING, {}), (RegistrationStatus.EXPIRED, {}),
        (RegistrationStatus.CANCELLED, {}), (RegistrationStatus.REJECTED, {}),
    ]:
        add_registration(dbsession, new_year, status, **fields)
    add_registration(dbsession, march, RegistrationStatus.PENDING)

    months = services.monthly_figures(dbsession, 2027, ATHENS)

    assert len(months) == 12
    assert (months[0].events, months[0].registrations, months[0].attended) == (1, 5, 2)
    assert (months[2].events, months[2].registrations, months[2].attended) == (1, 1, 0)
    assert sum(month.events for month in months) == 2


# --- counts -----------------------------------------------------------------------------------


def test_counts_for_many_events_take_one_query(dbsession, engine, event_factory):
    full, empty = event_factory(capacity=3), event_factory(capacity=None)
    for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED,
                   RegistrationStatus.WAITING, RegistrationStatus.PENDING, RegistrationStatus.CANCELLED,
                   RegistrationStatus.REJECTED, RegistrationStatus.EXPIRED):
        add_registration(dbsession, full, status)
    add_registration(dbsession, full, RegistrationStatus.CONFIRMED, checked_in_at=utcnow())
    add_registration(dbsession, full, RegistrationStatus.CANCELLED, checked_in_at=utcnow())
    dbsession.rollback()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        counts = services.counts_for(dbsession, [full.id, empty.id])
        nothing = services.counts_for(dbsession, [])
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)

    assert len([statement for statement in statements if "registrations" in statement]) == 1
    assert nothing == {}
    got = counts[full.id]
    assert (got.confirmed, got.offered, got.waiting, got.pending, got.cancelled, got.rejected, got.expired,
            got.checked_in) == (3, 1, 1, 1, 2, 1, 1, 2)
    assert (got.taken, got.active, got.seats_left(full)) == (4, 6, 0)
    assert counts[empty.id] == services.EventCounts()
    assert counts[empty.id].seats_left(empty) is None


# --- dates as people read them ----------------------------------------------------------------


# English ranges (CLDR) set the dash between thin spaces.
DASH = "\u2009\u2013\u2009"


def timed(start: datetime.datetime, end: datetime.datetime, all_day: bool = False) -> Event:
    return Event(starts_at=start, ends_at=end, all_day=all_day)


@pytest.mark.parametrize(("event", "greek", "english"), [
    # Stored in UTC, shown in Heraklion time (UTC+2 in December).
    (timed(datetime.datetime(2026, 12, 7, 16, tzinfo=UTC), datetime.datetime(2026, 12, 7, 18, tzinfo=UTC)),
     "Δευτέρα 7 Δεκεμβρίου 2026, 18:00–20:00", f"Monday, December 7, 2026, 18:00{DASH}20:00"),
    # Summer time: UTC+3.
    (timed(athens(2027, 6, 14, 9, 30), athens(2027, 6, 14, 13)),
     "Δευτέρα 14 Ιουνίου 2027, 09:30–13:00", f"Monday, June 14, 2027, 09:30{DASH}13:00"),
    (timed(athens(2026, 12, 7, 18), athens(2026, 12, 9, 20)),
     "Δευ 7 Δεκ 2026, 18:00 – Τετ 9 Δεκ 2026, 20:00", "Mon, Dec 7, 2026, 18:00 – Wed, Dec 9, 2026, 20:00"),
    (timed(athens(2026, 12, 7), athens(2026, 12, 8), all_day=True),
     "Δευτέρα 7 Δεκεμβρίου 2026", "Monday, December 7, 2026"),
    (timed(athens(2026, 12, 7), athens(2026, 12, 10), all_day=True),
     "Δευ 07 Δεκ – Τετ 09 Δεκ 2026", f"Mon, Dec 7{DASH}Wed, Dec 9, 2026"),
    (timed(athens(2026, 12, 30), athens(2027, 1, 2), all_day=True),
     "Τετ 30 Δεκ 2026 – Παρ 1 Ιαν 2027", f"Wed, Dec 30, 2026{DASH}Fri, Jan 1, 2027"),
])
def test_when_an_event_happens_reads_naturally_in_greek_and_english(event, greek, english):
    assert when_text(event, "el", ATHENS) == greek
    assert when_text(event, "en", ATHENS) == english


# --- Markdown ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", [
    "<script>alert(1)</script>",
    "Κείμενο <img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">κλικ</a>',
    "<iframe src='https://evil.example'></iframe>",
    "<b onclick=\"steal()\">έντονα</b>",
])
def test_raw_html_in_markdown_is_shown_as_text_never_as_markup(source):
    html = str(render_markdown(source))

    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "<b" not in html
    assert "<a" not in html
    assert "&lt;" in html


@pytest.mark.parametrize("link", [
    "[κλικ](javascript:alert(1))",
    "[κλικ](JaVaScRiPt:alert(1))",
    "[κλικ](data:text/html;base64,PHNjcmlwdD4=)",
    "[κλικ](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
])
def test_markdown_links_to_scripts_or_data_are_dropped(link):
    html = str(render_markdown(link))

    assert "href" not in html and "<a" not in html


def test_markdown_keeps_its_formatting_and_safe_links_open_without_the_opener():
    html = str(render_markdown("**Έντονα** και *πλάγια*\n\n- ένα\n- δύο\n\n[Δήμος](https://www.heraklion.gr) "
                               "![εικόνα](https://example.gr/a.png)"))

    assert "<strong>Έντονα</strong>" in html and "<em>πλάγια</em>" in html
    assert "<ul>" in html and "<li>δύο</li>" in html
    assert '<a href="https://www.heraklion.gr" rel="noopener noreferrer nofollow">Δήμος</a>' in html
    assert "<img" not in html


def test_feedback_opens_when_the_event_is_over(dbsession, event_factory):
    event = event_factory(starts_at=utcnow() - HOUR, ends_at=utcnow() + HOUR)
    present = add_registration(dbsession, event, RegistrationStatus.CONFIRMED, checked_in_at=utcnow() - HOUR)

    with pytest.raises(RegistrationRefused) as refused:
        services.save_feedback(dbsession, present, 5, "", "", utcnow())
    services.save_feedback(dbsession, present, 5, "", "", event.ends_at)

    assert refused.value.reason == "not_over"


def test_offers_on_a_cancelled_event_lapse_quietly_and_cannot_be_accepted(dbsession, offered, now):
    with task_request() as request:
        request.dbsession.get(Event, offered.id).status = EventStatus.CANCELLED
    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.accept_offer(request, registration_of(request, offered.id, 2), now + HOUR)
    before = mail(dbsession)

    with task_request() as request:
        assert services.expire_offers(request, now + 24 * HOUR) == 1

    assert refused.value.reason == "cancelled"
    assert statuses(dbsession, offered.id)[2] == RegistrationStatus.EXPIRED
    assert mail(dbsession) == before, "nobody hears that a seat at a cancelled event went to someone else"


def test_an_all_day_repeat_keeps_its_days_and_its_registration_window_across_the_clock_change(
        dbsession, event_factory):
    # All day on Saturday 20 March 2027; the clocks go forward on Sunday 28 March.
    event = event_factory(all_day=True, starts_at=athens(2027, 3, 20), ends_at=athens(2027, 3, 21),
                          registration_opens_at=athens(2027, 3, 1, 9), registration_closes_at=athens(2027, 3, 19, 12))

    with task_request() as request:
        [copy] = services.create_repeats(request.dbsession, request.dbsession.get(Event, event.id), "weekly", 1,
                                         ATHENS)
        copy_id = copy.id

    dbsession.rollback()
    copy = dbsession.get(Event, copy_id)
    local = [moment.astimezone(ATHENS).replace(tzinfo=None) for moment in (
        copy.starts_at, copy.ends_at, copy.registration_opens_at, copy.registration_closes_at)]
    assert local == [datetime.datetime(2027, 3, 27), datetime.datetime(2027, 3, 28),
                     datetime.datetime(2027, 3, 8, 9), datetime.datetime(2027, 3, 26, 12)]
    assert services.last_day(copy, ATHENS) == datetime.date(2027, 3, 27)


def test_an_evening_that_ends_at_midnight_takes_place_on_one_day(event_factory):
    event = event_factory(starts_at=athens(2027, 5, 14, 21), ends_at=athens(2027, 5, 15, 0))

    assert services.last_day(event, ATHENS) == datetime.date(2027, 5, 14)


def test_a_new_date_for_a_postponed_event_is_emailed_to_everyone_registered(dbsession, event_factory, now):
    event = event_factory(capacity=5)
    register_people(event.id, range(1, 3), now)
    with task_request() as request:
        postponed = request.dbsession.get(Event, event.id)
        postponed.status = EventStatus.POSTPONED
        before = services.snapshot(postponed)
        postponed.starts_at += 14 * DAY
        postponed.ends_at += 14 * DAY
        assert services.record_changes(request, postponed, before) == ["starts_at", "ends_at"]
    run_pending_tasks()

    assert [entry for entry in mail(dbsession) if entry[0] == "event-changed"] == [
        ("event-changed", "person1@example.gr"), ("event-changed", "person2@example.gr")]


@pytest.mark.parametrize(("largest", "ticks"), [(0, [0, 1]), (3, [0, 1, 2, 3]), (12, [0, 3, 6, 9, 12])])
def test_chart_axes_count_in_whole_numbers(largest, ticks):
    assert whole_number_ticks(largest) == ticks


def test_postponing_sends_open_offers_back_to_the_waiting_list_in_their_place(dbsession, offered, now):
    with task_request() as request:
        services.postpone_event(request, request.dbsession.get(Event, offered.id), "")

    assert statuses(dbsession, offered.id) == {
        1: RegistrationStatus.CANCELLED, 2: RegistrationStatus.WAITING, 3: RegistrationStatus.WAITING,
    }
    assert services.waiting_position(dbsession, row_of(dbsession, offered.id, 2)) == 1

    with task_request() as request:
        services.publish(request, request.dbsession.get(Event, offered.id), now)
    assert statuses(dbsession, offered.id)[2] == RegistrationStatus.OFFERED


def test_an_offered_seat_cannot_be_sent_back_to_the_waiting_list(dbsession, offered, now):
    with pytest.raises(RegistrationRefused) as refused, task_request() as request:
        services.move_registration(request, registration_of(request, offered.id, 2), RegistrationStatus.WAITING, now)

    assert refused.value.reason == "not_allowed"


def test_a_new_start_makes_the_reminder_due_again(dbsession, event_factory, now):
    event = event_factory(capacity=5)
    register_people(event.id, range(1, 2), now)
    with task_request() as request:
        registration_of(request, event.id, 1).reminder_sent_at = now
    with task_request() as request:
        moved = request.dbsession.get(Event, event.id)
        before = services.snapshot(moved)
        moved.starts_at += 7 * DAY
        moved.ends_at += 7 * DAY
        services.record_changes(request, moved, before)

    assert row_of(dbsession, event.id, 1).reminder_sent_at is None


def test_a_notice_whose_task_was_lost_is_sent_by_the_sweep_once(dbsession, event_factory, now):
    event = event_factory(capacity=5)
    register_people(event.id, range(1, 3), now)
    with task_request() as request:
        services.cancel_event(request, request.dbsession.get(Event, event.id), "Λόγω καιρού.")
    huey_queue_lost = [template for template, _ in mail(dbsession) if template == "event-cancelled"]
    assert huey_queue_lost == [], "the notice's task has not run"

    dbsession.rollback()
    dbsession.execute(sa.update(EventNotice).values(created_at=utcnow() - services.NOTICE_GRACE * 2))
    dbsession.commit()
    for _ in range(2):
        sweep_notices.call_local()

    assert [entry for entry in mail(dbsession) if entry[0] == "event-cancelled"] == [
        ("event-cancelled", "person1@example.gr"), ("event-cancelled", "person2@example.gr")]
    [notice] = dbsession.scalars(select(EventNotice)).all()
    assert (notice.recipients, notice.sent_at is not None) == (2, True)


def test_repeating_an_event_outside_any_series_groups_the_dates_in_a_new_one(dbsession, event_factory):
    event = event_factory(title_el="Καφές με μέντορες", starts_at=athens(2027, 5, 3, 10),
                          ends_at=athens(2027, 5, 3, 12))

    with task_request() as request:
        copies = services.create_repeats(request.dbsession, request.dbsession.get(Event, event.id), "monthly", 2,
                                         ATHENS)
        copy_ids = [copy.id for copy in copies]

    dbsession.rollback()
    series = dbsession.scalars(select(Series)).one()
    assert (series.slug, series.title_el) == ("kafes-me-mentores", "Καφές με μέντορες")
    assert {dbsession.get(Event, event_id).series_id for event_id in [event.id, *copy_ids]} == {series.id}


def test_a_private_link_expires_long_after_its_event(dbsession, event_factory):
    event = event_factory(starts_at=utcnow() - 3 * DAY, ends_at=utcnow() - 2 * DAY)
    registration = add_registration(dbsession, event, RegistrationStatus.CONFIRMED)
    token = services.manage_token(SECRET, registration)
    expiry = event.ends_at + services.LINK_LIFETIME_AFTER_EVENT

    assert services.registration_for_token(dbsession, SECRET, token, expiry) is not None
    assert services.registration_for_token(dbsession, SECRET, token, expiry + HOUR) is None


def test_markdown_becomes_plain_text_without_its_inline_markup():
    source = "## Πρόγραμμα\n\n- το **πρόβλημα** και *λίγο* `κώδικα`\n- [η λύση](https://example.org)\n- snake_case_name"

    assert markdown_to_text(source) == (
        "Πρόγραμμα\n\n- το πρόβλημα και λίγο κώδικα\n- η λύση (https://example.org)\n- snake_case_name")


def test_markdown_to_text_shows_escaped_characters_as_themselves():
    assert markdown_to_text(r"Βραδιά \*όχι έντονα\* \[όχι σύνδεσμος\](x) a\\b \# όχι τίτλος") == (
        r"Βραδιά *όχι έντονα* [όχι σύνδεσμος](x) a\b # όχι τίτλος")
