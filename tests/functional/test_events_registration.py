"""Registering for events through the real app: the form and its questions, the confirmation email
and the private link, the waiting list and seat offers, approval, members, refusals that keep the
data consistent, reminders, feedback and notices about cancelled or changed events."""

import pytest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.i18n import format_datetime
from dimoskopio.mail.models import OutboxMessage
from dimoskopio.tasks import task_request
from events import services
from events.display import when_text
from events.models import (
    Event,
    EventStatus,
    Feedback,
    Question,
    QuestionKind,
    RegistrationStatus,
    Venue,
)
from events.tasks import lapse_expired_offers, request_feedback, send_reminders
from events.views import INVALID_LINK, REFUSAL_MESSAGES
from tests.functional.conftest import (
    csrf_token,
    link_in,
    new_client,
    queued_mail,
    switch_language,
    tampered,
    text_body,
)
from tests.functional.events_helpers import (
    ATHENS,
    DAY,
    HOUR,
    PNG_SIGNATURE,
    REGISTRATION_PATH,
    VISITOR,
    add,
    add_registration,
    addressed_to,
    attachments,
    calendar_event,
    private_path,
    register,
    registration_form,
    registration_of,
    registrations,
)

ELENI = VISITOR["email"]


def templates_to(dbsession, address: str) -> list[str]:
    """The emails queued for one person, by template, oldest first."""
    return [sent.template for sent in queued_mail(dbsession) if sent.recipient == address]


def mail_count(dbsession) -> int:
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(OutboxMessage))


def register_as(client, event, email: str) -> None:
    register(client, event, email=email, name="Πρόσωπο")


def error_next_to(page, field_id: str) -> str:
    error = page.html.find(id=f"{field_id}-error")
    assert error is not None, f"no error shown next to {field_id}"
    return error.text


def private_page(client, outbox, address: str):
    """The private registration page, opened from the newest email to `address`."""
    [*_, newest] = addressed_to(outbox(), address)
    return client.get(private_path(newest))


def action_form(page, action: str):
    """The form of the private registration page with the button for `action` (cancel, accept, decline)."""
    return next(form for form in page.forms.values()
                if any(button.value_if_submitted() == action for button in form.fields.get("action", ())))


def act(page, action: str, status: int = 303):
    return action_form(page, action).submit("action", value=action, status=status)


def feedback_form(page):
    return next(form for form in page.forms.values() if "rating" in form.fields)


def trans(tr, message: str, **values) -> str:
    """A message of a {% trans %} block (placeholders as %(name)s) in Greek, filled in."""
    return tr(message) % values


def run(task) -> int:
    """A periodic task, run now in this process as the worker would run it."""
    return task.call_local()


# --- registering without an account -----------------------------------------------------------


def test_a_visitor_registers_and_gets_a_confirmation_with_calendar_file_qr_code_and_private_link(
        testapp, dbsession, event_factory, outbox, registry, tr):
    event = event_factory(slug="pitch-night", title_el="Βραδιά pitch", capacity=20)
    before = utcnow()

    response = register(testapp, event, newsletter=True)

    assert response.location.endswith("/events/pitch-night/registered")
    thanks = response.follow()
    assert trans(tr, "Your seat at “%(title)s” is confirmed.", title="Βραδιά pitch") in thanks.text
    [row] = registrations(dbsession, event)
    assert (row.name, row.email, row.organisation, row.role.value) == (
        "Ελένη Μαρκάκη", ELENI, "Κρητικά Ζυμαρικά ΙΚΕ", "founder")
    assert row.status == RegistrationStatus.CONFIRMED
    assert before <= row.consent_at <= utcnow()
    assert row.consent_version == registry.settings["events.privacy_notice_version"]
    assert row.newsletter_opt_in is True
    assert (row.user_id, row.locale, row.source.value) == (None, "el", "online")

    # The newsletter box asks for a newsletter confirmation too, when the events list exists.
    [message] = [message for message in outbox() if message["Subject"] == trans(
        tr, "Your seat is confirmed: %(title)s", title="Βραδιά pitch")]
    assert message["To"] == ELENI
    files = attachments(message)
    assert set(files) == {"pitch-night.ics", "check-in.png"}
    content_type, ics = files["pitch-night.ics"]
    assert content_type == "text/calendar"
    calendar, vevent = calendar_event(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(vevent["UID"]) == f"event-{event.id}@localhost"
    assert str(vevent["ATTENDEE"]) == f"mailto:{ELENI}"
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert str(vevent["ORGANIZER"]) == "mailto:no-reply@dimoskopio.example"
    content_type, png = files["check-in.png"]
    assert content_type == "image/png" and png.startswith(PNG_SIGNATURE)

    page = testapp.get(private_path(message))
    assert tr("Confirmed") in page.html.select_one(".facts").text
    assert page.html.select_one(".checkin-qr img")["src"].startswith("data:image/svg+xml")
    assert ELENI in page.text
    assert page.html.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    invitation = page.click(href=r"/event\.ics$", index=0)
    assert str(calendar_event(invitation.body)[1]["ATTENDEE"]) == f"mailto:{ELENI}"


def test_the_thank_you_page_without_a_registration_leads_back_to_the_event(testapp, event_factory):
    event = event_factory(slug="pitch-night")

    response = testapp.get("/events/pitch-night/registered", status=303)

    assert response.location.endswith(f"/events/{event.slug}")


def test_the_newsletter_is_opt_in(testapp, dbsession, event_factory):
    event = event_factory()

    register(testapp, event)

    assert registrations(dbsession, event)[0].newsletter_opt_in is False


def test_the_private_link_is_for_one_registration_only(testapp, app, event_factory, outbox):
    event = event_factory()
    register(testapp, event, email="first@example.gr", name="Πρώτη")
    register(new_client(app), event, email="second@example.gr", name="Δεύτερος")

    first_link = private_path(addressed_to(outbox(), "first@example.gr")[0])
    page = new_client(app).get(first_link)

    assert "first@example.gr" in page.text
    assert "second@example.gr" not in page.text


def test_registering_twice_takes_no_second_seat_and_emails_the_private_link_again(
        testapp, app, dbsession, event_factory, outbox, tr):
    event = event_factory(capacity=5, title_el="Βραδιά pitch")
    form = registration_form(testapp, event)
    form.submit(status=303)

    again = form.submit(status=303).follow()  # a double click, or the same person days later
    register(new_client(app), event, email=ELENI.upper(), name="Άλλο όνομα")

    [row] = registrations(dbsession, event)
    assert row.name == "Ελένη Μαρκάκη"
    assert trans(tr, "This email address is already registered for “%(title)s”, so no second seat was taken. "
                     "We have emailed the private link to the registration again: use it to see or cancel it.",
                 title="Βραδιά pitch") in again.text
    messages = outbox()
    # The link goes out again once; a third try minutes later sends nothing, so that nobody can
    # make the centre email someone over and over.
    assert [message["To"] for message in messages] == [ELENI] * 2
    assert templates_to(dbsession, ELENI) == ["registration-confirmed", "registration-link"]
    assert "check-in.png" not in attachments(messages[1])
    assert private_path(messages[1]) == private_path(messages[0])
    assert services.seats_taken(dbsession, event.id) == 1


# --- the waiting list -------------------------------------------------------------------------


def test_when_the_event_is_full_visitors_join_the_waiting_list_and_see_their_place(
        testapp, app, dbsession, event_factory, outbox, tr):
    event = event_factory(capacity=1, title_el="Βραδιά pitch")
    register_as(new_client(app), event, "first@example.gr")
    register_as(new_client(app), event, "second@example.gr")

    page = testapp.get(f"/events/{event.slug}")
    assert tr("Join the waiting list") in page.html.select_one("#register-form button").text
    response = register(testapp, event).follow()

    assert trans(tr, "The event is full, so you are on the waiting list, number %(position)s in line.",
                 position=2) in response.text
    assert [row.status for row in registrations(dbsession, event)] == [
        RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING, RegistrationStatus.WAITING]
    [message] = addressed_to(outbox(), ELENI)
    assert templates_to(dbsession, ELENI) == ["registration-waiting"]
    assert trans(tr, "“%(title)s” is full, so you are on the waiting list, number %(position)s in line.",
                 title="Βραδιά pitch", position=2) in text_body(message)
    assert "check-in.png" not in attachments(message)
    waiting_page = testapp.get(private_path(message))
    assert trans(tr, "number %(position)s in line", position=2) in waiting_page.text
    assert waiting_page.html.select_one(".checkin-qr") is None
    assert services.seats_taken(dbsession, event.id) == 1


@pytest.fixture
def full_event(app, event_factory, outbox):
    """One seat, taken by first@; second@ and third@ wait in that order. Their emails are delivered."""

    def make(**fields):
        event = event_factory(capacity=1, title_el="Βραδιά pitch", **fields)
        for address in ("first@example.gr", "second@example.gr", "third@example.gr"):
            register_as(new_client(app), event, address)
        outbox()
        return event

    return make


def test_a_cancellation_offers_the_seat_to_the_first_in_line_who_accepts_it(
        testapp, dbsession, full_event, outbox, tr):
    event = full_event()
    cancel_page = private_page(testapp, outbox, "first@example.gr")

    cancelled = act(cancel_page, "cancel").follow()

    assert tr("Cancelled") in cancelled.html.select_one(".facts").text
    assert tr("Your registration is cancelled. Thank you for letting us know.") in cancelled.text
    assert templates_to(dbsession, "first@example.gr")[-1] == "registration-cancelled"
    assert templates_to(dbsession, "second@example.gr")[-1] == "seat-offered"
    assert templates_to(dbsession, "third@example.gr") == ["registration-waiting"]
    offer = private_page(testapp, outbox, "second@example.gr")
    assert offer.html.find(id="offer-heading") is not None
    second = registration_of(dbsession, event, "second@example.gr")
    assert second.status == RegistrationStatus.OFFERED
    assert second.offer_expires_at - utcnow() > 23 * HOUR

    accepted = act(offer, "accept").follow()

    assert tr("The seat is yours. See you there!") in accepted.text
    assert accepted.html.select_one(".checkin-qr img") is not None
    assert registration_of(dbsession, event, "second@example.gr").status == RegistrationStatus.CONFIRMED
    [*_, confirmation] = addressed_to(outbox(), "second@example.gr")
    assert attachments(confirmation).keys() == {f"{event.slug}.ics", "check-in.png"}
    third = registration_of(dbsession, event, "third@example.gr")
    assert (third.status, services.waiting_position(dbsession, third)) == (RegistrationStatus.WAITING, 1)
    assert services.seats_taken(dbsession, event.id) == 1


def test_declining_an_offer_passes_the_seat_to_the_next_in_line(testapp, dbsession, full_event, outbox, tr):
    event = full_event()
    act(private_page(testapp, outbox, "first@example.gr"), "cancel")
    offer = private_page(testapp, outbox, "second@example.gr")

    declined = act(offer, "decline").follow()

    assert tr("You declined the seat. It goes to the next person in line.") in declined.text
    assert registration_of(dbsession, event, "second@example.gr").status == RegistrationStatus.CANCELLED
    assert registration_of(dbsession, event, "third@example.gr").status == RegistrationStatus.OFFERED
    assert templates_to(dbsession, "third@example.gr")[-1] == "seat-offered"


def test_a_stale_decline_after_accepting_keeps_the_seat(testapp, dbsession, full_event, outbox, tr):
    event = full_event()
    act(private_page(testapp, outbox, "first@example.gr"), "cancel")
    offer = private_page(testapp, outbox, "second@example.gr")
    act(offer, "accept")

    refused = act(offer, "decline", status=409)  # the same page, left open in another tab

    assert tr(REFUSAL_MESSAGES["no_offer"]) in refused.text
    assert registration_of(dbsession, event, "second@example.gr").status == RegistrationStatus.CONFIRMED
    assert registration_of(dbsession, event, "third@example.gr").status == RegistrationStatus.WAITING


def test_an_offer_not_accepted_in_time_passes_to_the_next_and_can_no_longer_be_accepted(
        testapp, dbsession, full_event, outbox, tr):
    event = full_event()
    act(private_page(testapp, outbox, "first@example.gr"), "cancel")
    offer = private_page(testapp, outbox, "second@example.gr")

    with task_request() as request:
        assert services.expire_offers(request, utcnow() + 25 * HOUR) == 1

    assert templates_to(dbsession, "second@example.gr")[-1] == "offer-expired"
    assert templates_to(dbsession, "third@example.gr")[-1] == "seat-offered"
    too_late = act(offer, "accept", status=409)
    assert tr(REFUSAL_MESSAGES["offer_expired"]) in too_late.text
    assert registration_of(dbsession, event, "second@example.gr").status == RegistrationStatus.EXPIRED
    assert registration_of(dbsession, event, "third@example.gr").status == RegistrationStatus.OFFERED
    assert services.seats_taken(dbsession, event.id) == 1


def test_the_worker_task_lapses_offers_whose_time_is_up(dbsession, event_factory, outbox):
    event = event_factory(capacity=1)
    lapsed = add_registration(dbsession, event, RegistrationStatus.OFFERED, email="late@example.gr",
                              waiting_since=utcnow() - 2 * DAY, offer_expires_at=utcnow() - HOUR)
    add_registration(dbsession, event, RegistrationStatus.WAITING, email="next@example.gr",
                     waiting_since=utcnow() - DAY)

    assert run(lapse_expired_offers) == 1
    assert run(lapse_expired_offers) == 0

    assert registration_of(dbsession, event, lapsed.email).status == RegistrationStatus.EXPIRED
    assert registration_of(dbsession, event, "next@example.gr").status == RegistrationStatus.OFFERED
    assert [(message["To"], sorted(attachments(message))) for message in outbox()] == [
        ("late@example.gr", []), ("next@example.gr", [])]


def test_with_automatic_promotion_the_first_in_line_gets_the_seat_at_once(testapp, dbsession, full_event, outbox):
    event = full_event(auto_promote=True)

    act(private_page(testapp, outbox, "first@example.gr"), "cancel")

    assert registration_of(dbsession, event, "second@example.gr").status == RegistrationStatus.CONFIRMED
    [*_, message] = addressed_to(outbox(), "second@example.gr")
    assert templates_to(dbsession, "second@example.gr")[-1] == "seat-confirmed"
    assert attachments(message).keys() == {f"{event.slug}.ics", "check-in.png"}
    assert registration_of(dbsession, event, "third@example.gr").status == RegistrationStatus.WAITING


# --- approval ---------------------------------------------------------------------------------


def test_registrations_for_an_approval_event_wait_for_staff_who_approve_or_reject_them(
        testapp, app, dbsession, event_factory, outbox, logged_in, tr):
    event = event_factory(approval_required=True, capacity=10)
    visitor = new_client(app)
    pending = register(visitor, event).follow()
    register_as(new_client(app), event, "other@example.gr")

    assert tr("Your registration awaits approval by the centre's staff.") in pending.text
    assert templates_to(dbsession, ELENI) == ["registration-pending"]
    eleni, other = registrations(dbsession, event)
    assert (eleni.status, other.status) == (RegistrationStatus.PENDING, RegistrationStatus.PENDING)
    assert services.seats_taken(dbsession, event.id) == 0
    logged_in(Role.STAFF)
    token = csrf_token(testapp)

    testapp.post(f"/admin/events/{event.id}/registrations/{eleni.id}/move",
                 {"csrf_token": token, "status": "confirmed", "notify": "y"}, status=303)
    testapp.post(f"/admin/events/{event.id}/registrations/{other.id}/move",
                 {"csrf_token": token, "status": "rejected", "notify": "y",
                  "reason": "Η εκδήλωση είναι για φοιτητές."}, status=303)

    assert registration_of(dbsession, event, ELENI).status == RegistrationStatus.CONFIRMED
    rejected = registration_of(dbsession, event, "other@example.gr")
    assert (rejected.status, rejected.decision_reason) == (
        RegistrationStatus.REJECTED, "Η εκδήλωση είναι για φοιτητές.")
    assert templates_to(dbsession, ELENI) == ["registration-pending", "registration-confirmed"]
    assert templates_to(dbsession, "other@example.gr") == ["registration-pending", "registration-rejected"]
    [*_, rejection] = addressed_to(outbox(), "other@example.gr")
    assert "Η εκδήλωση είναι για φοιτητές." in text_body(rejection)
    [*_, approval] = addressed_to(outbox(), ELENI)
    assert "check-in.png" in attachments(approval)
    rejected_page = visitor.get(private_path(addressed_to(outbox(), "other@example.gr")[0]))
    assert "Η εκδήλωση είναι για φοιτητές." in rejected_page.text
    assert tr("Not approved") in rejected_page.text


# --- members ----------------------------------------------------------------------------------


def test_a_member_registers_in_one_click_and_finds_it_under_my_events(
        testapp, dbsession, event_factory, logged_in, outbox, registry):
    coming = event_factory(slug="coming-up", title_el="Βραδιά pitch")
    earlier = event_factory(slug="last-month", title_el="Παλιό εργαστήριο", starts_at=utcnow() - 30 * DAY)
    member = logged_in(Role.MEMBER)
    add_registration(dbsession, earlier, email=member.email)  # made before the account existed
    form = testapp.get("/events/coming-up").forms["register-form"]
    assert not {"name", "email", "consent"} & set(form.fields)

    form.submit(status=303)

    [row] = registrations(dbsession, coming)
    assert (row.user_id, row.name, row.email, row.status) == (
        member.id, member.name, member.email, RegistrationStatus.CONFIRMED)
    assert row.consent_version == registry.settings["events.privacy_notice_version"]
    assert row.consent_at is not None
    assert [message["To"] for message in outbox()] == [member.email]
    page = testapp.get("/events/coming-up")
    assert "register-form" not in page.forms
    assert page.html.select_one('.register-box a[href="/events/my"]') is not None
    mine = testapp.get("/events/my")
    upcoming, past = mine.html.select("section.section")
    assert [link.text for link in upcoming.select(".registration-list a")] == ["Βραδιά pitch"]
    assert [link.text for link in past.select(".registration-list a")] == ["Παλιό εργαστήριο"]
    testapp.get(upcoming.select_one(".registration-list a")["href"], status=200)


def test_my_events_needs_a_login(testapp):
    response = testapp.get("/events/my", status=303)

    assert "/login" in response.location


# --- the event's own questions ----------------------------------------------------------------


@pytest.fixture
def quiz(event_factory):
    """An event that asks one question of each kind."""
    return event_factory(slug="with-questions", capacity=10, questions=[
        Question(position=1, kind=QuestionKind.TEXT, label_el="Σχολή", label_en="School", required=True),
        Question(position=2, kind=QuestionKind.LONG_TEXT, label_el="Τι περιμένετε;", required=False),
        Question(position=3, kind=QuestionKind.SINGLE_CHOICE, label_el="Επίπεδο", required=True,
                 choices_el="Αρχάριος\nΈμπειρος", choices_en="Beginner\nExperienced"),
        Question(position=4, kind=QuestionKind.MULTIPLE_CHOICE, label_el="Ενδιαφέροντα", required=False,
                 choices_el="Χρηματοδότηση\nMarketing\nΝομικά"),
        Question(position=5, kind=QuestionKind.YES_NO, label_el="Φέρνετε laptop;", required=True),
    ])


def question_fields(dbsession, event) -> dict[str, str]:
    """Each question's form field name, by its Greek label."""
    dbsession.rollback()
    event = dbsession.get(Event, event.id)
    return {question.label_el: f"question_{question.id}" for question in event.questions}


def test_answers_to_the_event_questions_are_stored(testapp, dbsession, quiz):
    names = question_fields(dbsession, quiz)
    form = registration_form(testapp, quiz)
    form[names["Σχολή"]] = "  Πολυτεχνείο Κρήτης "
    form[names["Επίπεδο"]] = "Έμπειρος"
    form.get(names["Ενδιαφέροντα"], index=0).checked = True
    form.get(names["Ενδιαφέροντα"], index=2).checked = True
    form[names["Φέρνετε laptop;"]] = "yes"

    form.submit(status=303)

    [row] = registrations(dbsession, quiz)
    ids = {label: name.removeprefix("question_") for label, name in names.items()}
    assert row.answers == {
        ids["Σχολή"]: "Πολυτεχνείο Κρήτης",
        ids["Επίπεδο"]: "Έμπειρος",
        ids["Ενδιαφέροντα"]: ["Χρηματοδότηση", "Νομικά"],
        ids["Φέρνετε laptop;"]: "yes",
    }


def test_in_english_the_questions_show_english_choices_but_store_the_greek_ones(testapp, dbsession, quiz):
    switch_language(testapp, "en")
    names = question_fields(dbsession, quiz)
    page = testapp.get(f"/events/{quiz.slug}")
    assert "School" in page.text and "Beginner" in page.text
    form = registration_form(testapp, quiz)
    form[names["Σχολή"]] = "TU Crete"
    form[names["Επίπεδο"]] = "Αρχάριος"
    form[names["Φέρνετε laptop;"]] = "no"

    form.submit(status=303)

    [row] = registrations(dbsession, quiz)
    assert row.answers[names["Επίπεδο"].removeprefix("question_")] == "Αρχάριος"
    assert row.locale == "en"


def test_required_questions_must_be_answered_and_what_was_typed_is_kept(testapp, dbsession, quiz, tr):
    names = question_fields(dbsession, quiz)
    form = registration_form(testapp, quiz)
    form[names["Τι περιμένετε;"]] = "Να γνωρίσω επενδυτές."

    response = form.submit(status=400)

    for label in ("Σχολή", "Επίπεδο", "Φέρνετε laptop;"):
        assert tr("This field is required.") in error_next_to(response, names[label]), label
    kept = response.forms["register-form"]
    assert kept["name"].value == VISITOR["name"]
    assert kept["email"].value == ELENI
    assert kept[names["Τι περιμένετε;"]].value == "Να γνωρίσω επενδυτές."
    assert kept["consent"].checked
    assert registrations(dbsession, quiz) == []
    assert mail_count(dbsession) == 0


def test_a_required_multiple_choice_question_needs_at_least_one_choice(testapp, dbsession, event_factory, tr):
    event = event_factory(questions=[Question(kind=QuestionKind.MULTIPLE_CHOICE, label_el="Θέματα", required=True,
                                              choices_el="Α\nΒ")])
    [name] = question_fields(dbsession, event).values()

    response = register(testapp, event, status=400)

    assert tr("Choose at least one.") in error_next_to(response, name)
    assert registrations(dbsession, event) == []


@pytest.mark.parametrize(("label", "bad_value"), [
    ("Επίπεδο", "Ειδικός"),
    ("Ενδιαφέροντα", "Κάτι άλλο"),
    ("Φέρνετε laptop;", "maybe"),
])
def test_an_answer_that_is_not_one_of_the_choices_is_refused(testapp, dbsession, quiz, label, bad_value):
    names = question_fields(dbsession, quiz)
    form = registration_form(testapp, quiz)
    form[names["Σχολή"]] = "ΠΚ"
    form[names["Επίπεδο"]] = "Αρχάριος"
    form[names["Φέρνετε laptop;"]] = "yes"
    fields = [(key, value) for key, value in form.submit_fields() if key != names[label]]

    response = testapp.post(form.action, [*fields, (names[label], bad_value)], status=400)

    assert error_next_to(response, names[label])
    assert registrations(dbsession, quiz) == []


@pytest.mark.parametrize(("label", "limit"), [("Σχολή", 200), ("Τι περιμένετε;", 2000)])
def test_an_over_long_answer_is_refused_and_kept_for_correction(testapp, dbsession, quiz, tr, label, limit):
    names = question_fields(dbsession, quiz)
    form = registration_form(testapp, quiz)
    typed = "α" * (limit + 1)
    form[names["Σχολή"]] = "ΠΚ"
    form[names["Επίπεδο"]] = "Αρχάριος"
    form[names["Φέρνετε laptop;"]] = "yes"
    form[names[label]] = typed

    response = form.submit(status=400)

    assert tr("Must be at most ${max} characters.", max=limit) in error_next_to(response, names[label])
    kept = response.forms["register-form"]
    assert kept[names[label]].value == typed
    assert kept[names["Επίπεδο"]].value == "Αρχάριος"
    assert registrations(dbsession, quiz) == []


# --- refusals that leave everything as it was -------------------------------------------------


@pytest.mark.parametrize("email", ["not-an-email", "eleni@", "eleni@@example.gr", "ελένη example.gr",
                                   "' OR 1=1 --", "x" * 250 + "@example.gr"])
def test_a_bad_email_is_refused_next_to_the_field_and_the_form_keeps_what_was_typed(
        testapp, dbsession, event_factory, email):
    event = event_factory()

    response = register(testapp, event, status=400, email=email)

    assert error_next_to(response, "email")
    kept = response.forms["register-form"]
    assert (kept["email"].value, kept["name"].value, kept["organisation"].value) == (
        email, VISITOR["name"], VISITOR["organisation"])
    assert registrations(dbsession, event) == []
    assert mail_count(dbsession) == 0


def test_registration_needs_consent_to_the_privacy_notice(testapp, dbsession, event_factory, tr):
    event = event_factory()

    response = register(testapp, event, status=400, consent=False)

    assert tr("This field is required.") in error_next_to(response, "consent")
    assert response.forms["register-form"]["name"].value == VISITOR["name"]
    assert registrations(dbsession, event) == []


@pytest.mark.parametrize(("field", "limit"), [("name", 120), ("organisation", 200)])
def test_over_long_details_are_refused(testapp, dbsession, event_factory, tr, field, limit):
    event = event_factory()

    response = register(testapp, event, status=400, **{field: "α" * (limit + 1)})

    assert tr("Must be at most ${max} characters.", max=limit) in error_next_to(response, field)
    assert registrations(dbsession, event) == []


def test_a_registration_without_the_csrf_token_is_refused(testapp, dbsession, event_factory, tr):
    event = event_factory()
    form = registration_form(testapp, event)
    fields = [(key, value) for key, value in form.submit_fields() if key != "csrf_token"]

    response = testapp.post(form.action, fields, status=400)

    assert tr("Your form has expired") in response.text
    assert registrations(dbsession, event) == []


@pytest.mark.parametrize(("fields", "reason"), [
    ({"registration_closes_at": utcnow() - HOUR}, "closed"),
    ({"status": EventStatus.CANCELLED}, "cancelled"),
    ({"status": EventStatus.POSTPONED}, "postponed"),
    ({"starts_at": utcnow() - 3 * HOUR, "ends_at": utcnow() - HOUR}, "past"),
    ({"starts_at": utcnow() - HOUR, "ends_at": utcnow() + HOUR}, "closed"),
    ({"registration_opens_at": utcnow() + DAY}, "not_open_yet"),
])
def test_registration_is_refused_when_it_is_not_open_and_nothing_is_stored(
        testapp, dbsession, event_factory, tr, fields, reason):
    event = event_factory(**fields)
    open_twin = event_factory()
    form = registration_form(testapp, open_twin)  # a form opened earlier, sent when it is too late

    response = testapp.post(f"/events/{event.slug}/register", form.submit_fields(), status=409)

    if reason == "not_open_yet":
        opens = format_datetime(event.registration_opens_at, "el", ATHENS, "short")
        assert trans(tr, "Registration opens %(when)s.", when=opens) in response.text
    else:
        assert tr(REFUSAL_MESSAGES[reason]) in response.text
    assert "register-form" not in response.forms
    assert registrations(dbsession, event) == []
    assert mail_count(dbsession) == 0


def test_a_form_sent_just_as_registration_closed_shows_why(testapp, dbsession, event_factory, tr):
    event = event_factory()
    form = registration_form(testapp, event)
    dbsession.rollback()
    dbsession.get(Event, event.id).registration_closes_at = utcnow() - HOUR
    dbsession.commit()

    response = form.submit(status=409)

    assert tr(REFUSAL_MESSAGES["closed"]) in response.text
    assert registrations(dbsession, event) == []


# --- the private link -------------------------------------------------------------------------


def test_a_tampered_private_link_gets_a_clear_400_page_and_changes_nothing(
        testapp, dbsession, event_factory, outbox, tr):
    event = event_factory()
    register(testapp, event)
    [message] = outbox()
    path = private_path(message)
    token = path.removeprefix(REGISTRATION_PATH)
    page = testapp.get(path)
    form_fields = action_form(page, "cancel").submit_fields("action", submit_value="cancel")
    registration_id = token.split("-")[0]

    for bad in (tampered(token), f"{int(registration_id) + 1}-{token.split('-', 1)[1]}", token[:-3],
                "x", f"{registration_id}-", f"{token}%C3%A9", "2147483648-AAAA", "9999999999-AAAA"):
        response = testapp.get(f"{REGISTRATION_PATH}{bad}", status=400)
        assert tr(INVALID_LINK) in response.text, bad
        testapp.post(f"{REGISTRATION_PATH}{bad}", form_fields, status=400)
        testapp.get(f"{REGISTRATION_PATH}{bad}/event.ics", status=400)
        testapp.get(f"{REGISTRATION_PATH}{bad}/feedback", status=400)

    assert registrations(dbsession, event)[0].status == RegistrationStatus.CONFIRMED
    assert len(outbox()) == 1


def test_cancelling_twice_gets_a_clear_message_and_the_first_cancellation_stands(
        testapp, dbsession, event_factory, outbox, tr):
    event = event_factory()
    register(testapp, event)
    page = private_page(testapp, outbox, ELENI)
    cancel_form = action_form(page, "cancel")
    cancel_form.submit("action", value="cancel", status=303)
    cancelled_at = registrations(dbsession, event)[0].cancelled_at

    again = cancel_form.submit("action", value="cancel", status=409)

    assert tr(REFUSAL_MESSAGES["already_cancelled"]) in again.text
    [row] = registrations(dbsession, event)
    assert (row.status, row.cancelled_at) == (RegistrationStatus.CANCELLED, cancelled_at)
    assert templates_to(dbsession, ELENI) == ["registration-confirmed", "registration-cancelled"]
    assert "cancel" not in [button.get("value") for button in again.html.select("button[name=action]")]


def test_an_unknown_action_on_the_private_link_is_refused(testapp, dbsession, event_factory, outbox):
    event = event_factory()
    register(testapp, event)
    page = private_page(testapp, outbox, ELENI)
    fields = action_form(page, "cancel").submit_fields("action", submit_value="cancel")

    testapp.post(page.request.path, [(key, "explode" if key == "action" else value) for key, value in fields],
                 status=400)

    assert registrations(dbsession, event)[0].status == RegistrationStatus.CONFIRMED


def test_a_registration_cannot_be_cancelled_once_the_event_is_over(testapp, dbsession, event_factory, outbox, tr):
    event = event_factory()
    register(testapp, event)
    page = private_page(testapp, outbox, ELENI)
    cancel_form = action_form(page, "cancel")
    dbsession.rollback()
    over = dbsession.get(Event, event.id)
    over.starts_at, over.ends_at = utcnow() - 3 * HOUR, utcnow() - HOUR
    dbsession.commit()

    response = cancel_form.submit("action", value="cancel", status=409)

    assert tr(REFUSAL_MESSAGES["past"]) in response.text
    assert registrations(dbsession, event)[0].status == RegistrationStatus.CONFIRMED
    assert "cancel" not in [button.get("value") for button in testapp.get(page.request.path).html.select("button")]


def test_someone_who_cancelled_can_register_again_while_seats_are_left(testapp, dbsession, event_factory, outbox):
    event = event_factory(capacity=3)
    register(testapp, event)
    act(private_page(testapp, outbox, ELENI), "cancel")

    register(testapp, event)

    [row] = registrations(dbsession, event)
    assert row.status == RegistrationStatus.CONFIRMED
    assert templates_to(dbsession, ELENI) == [
        "registration-confirmed", "registration-cancelled", "registration-confirmed"]


# --- reminders --------------------------------------------------------------------------------


def test_reminders_go_once_to_confirmed_people_of_events_starting_within_a_day(dbsession, event_factory, outbox):
    venue = add(dbsession, Venue(name="Κόμβος Καινοτομίας", address="Πλατεία Ελευθερίας 1"))
    tomorrow = event_factory(starts_at=utcnow() + 20 * HOUR, venue_id=venue.id, title_el="Αύριο")
    in_two_days = event_factory(starts_at=utcnow() + 30 * HOUR)
    called_off = event_factory(starts_at=utcnow() + 5 * HOUR, status=EventStatus.CANCELLED)
    put_off = event_factory(starts_at=utcnow() + 5 * HOUR, status=EventStatus.POSTPONED)
    under_way = event_factory(starts_at=utcnow() - HOUR, ends_at=utcnow() + HOUR)
    add_registration(dbsession, tomorrow, email="coming@example.gr", locale="en")
    for status in (RegistrationStatus.CANCELLED, RegistrationStatus.WAITING, RegistrationStatus.PENDING,
                   RegistrationStatus.OFFERED, RegistrationStatus.REJECTED, RegistrationStatus.EXPIRED):
        add_registration(dbsession, tomorrow, status, email=f"{status.value}@example.gr")
    for event in (in_two_days, called_off, put_off, under_way):
        add_registration(dbsession, event, email=f"other-{event.id}@example.gr")

    assert run(send_reminders) == 1
    assert run(send_reminders) == 0

    [reminder] = outbox()
    assert reminder["To"] == "coming@example.gr"
    assert attachments(reminder).keys() == {f"{tomorrow.slug}.ics", "check-in.png"}
    body = text_body(reminder)
    assert "Κόμβος Καινοτομίας, Πλατεία Ελευθερίας 1" in body
    assert link_in(reminder, REGISTRATION_PATH)
    assert when_text(tomorrow, "en", ATHENS) in body
    assert registration_of(dbsession, tomorrow, "coming@example.gr").reminder_sent_at is not None


def test_a_reminder_is_not_sent_again_after_the_event_is_moved(dbsession, event_factory, outbox):
    event = event_factory(starts_at=utcnow() + 10 * HOUR)
    add_registration(dbsession, event, email="coming@example.gr")
    run(send_reminders)
    dbsession.rollback()
    moved = dbsession.get(Event, event.id)
    moved.starts_at, moved.ends_at = utcnow() + 12 * HOUR, utcnow() + 14 * HOUR
    dbsession.commit()

    assert run(send_reminders) == 0
    assert len(outbox()) == 1


# --- feedback ---------------------------------------------------------------------------------


@pytest.fixture
def attended(dbsession, event_factory):
    """An event that ended three hours ago: who came, who did not."""
    event = event_factory(starts_at=utcnow() - 5 * HOUR, ends_at=utcnow() - 3 * HOUR, title_el="Βραδιά pitch")
    add_registration(dbsession, event, email="came@example.gr", checked_in_at=utcnow() - 4 * HOUR)
    add_registration(dbsession, event, email="stayed-home@example.gr")
    add_registration(dbsession, event, RegistrationStatus.CANCELLED, email="cancelled@example.gr")
    return event


def test_feedback_is_asked_once_of_the_people_who_were_checked_in(dbsession, event_factory, attended, outbox):
    just_ended = event_factory(starts_at=utcnow() - 2 * HOUR, ends_at=utcnow() - HOUR)
    long_ago = event_factory(starts_at=utcnow() - 10 * DAY, ends_at=utcnow() - 10 * DAY + 2 * HOUR)
    called_off = event_factory(starts_at=utcnow() - 5 * HOUR, ends_at=utcnow() - 3 * HOUR,
                               status=EventStatus.CANCELLED)
    for event in (just_ended, long_ago, called_off):
        add_registration(dbsession, event, checked_in_at=event.starts_at)

    assert run(request_feedback) == 1
    assert run(request_feedback) == 0

    [message] = outbox()
    assert message["To"] == "came@example.gr"
    assert link_in(message, "/feedback").endswith("/feedback")
    assert registration_of(dbsession, attended, "came@example.gr").feedback_requested_at is not None


def test_an_attendee_gives_feedback_and_can_change_it(testapp, dbsession, attended, outbox, tr):
    run(request_feedback)
    [message] = outbox()
    link = link_in(message, "/feedback")
    assert testapp.get(link.removesuffix("/feedback")).html.select_one(f'a[href="{link}"]') is not None
    form = feedback_form(testapp.get(link))
    form["rating"] = "4"
    form["useful"] = "Οι συμβουλές για τη χρηματοδότηση."
    form["ideas"] = "Περισσότερα workshops."

    saved = form.submit(status=303).follow()

    assert tr("Thank you! Your feedback helps us plan better events.") in saved.text
    again = feedback_form(testapp.get(link))
    assert again["rating"].value == "4"
    assert again["useful"].value == "Οι συμβουλές για τη χρηματοδότηση."
    again["rating"] = "5"
    again["ideas"] = ""
    again.submit(status=303)

    dbsession.rollback()
    [feedback] = dbsession.scalars(select(Feedback)).all()
    assert (feedback.rating, feedback.useful, feedback.ideas) == (5, "Οι συμβουλές για τη χρηματοδότηση.", "")
    assert feedback.registration.email == "came@example.gr"


def test_feedback_with_a_rating_out_of_range_or_too_long_is_refused_and_kept(testapp, dbsession, attended, outbox,
                                                                              tr):
    run(request_feedback)
    link = link_in(outbox()[0], "/feedback")
    form = feedback_form(testapp.get(link))
    fields = [(key, value) for key, value in form.submit_fields() if key not in ("rating", "useful")]

    out_of_range = testapp.post(link, [*fields, ("rating", "6"), ("useful", "Καλό")], status=400)
    too_long = testapp.post(link, [*fields, ("rating", "3"), ("useful", "α" * 2001)], status=400)

    assert error_next_to(out_of_range, "rating")
    assert feedback_form(out_of_range)["useful"].value == "Καλό"
    assert tr("Must be at most ${max} characters.", max=2000) in error_next_to(too_long, "useful")
    assert feedback_form(too_long)["useful"].value == "α" * 2001
    dbsession.rollback()
    assert dbsession.scalars(select(Feedback)).all() == []


def test_people_who_did_not_attend_cannot_give_feedback(testapp, dbsession, attended, tr):
    secret = testapp.app.registry.settings["dimoskopio.secret"]
    absent = registration_of(dbsession, attended, "stayed-home@example.gr")
    link = f"{REGISTRATION_PATH}{services.manage_token(secret, absent)}/feedback"

    page = testapp.get(link, status=403)
    testapp.post(link, {"csrf_token": csrf_token(testapp), "rating": "5"}, status=403)

    assert tr(REFUSAL_MESSAGES["not_attended"]) in page.text
    assert page.html.select("input[name=rating]") == []
    dbsession.rollback()
    assert dbsession.scalars(select(Feedback)).all() == []


# --- notices about cancelled or changed events ------------------------------------------------


@pytest.fixture
def crowd(dbsession, event_factory):
    """An event with someone in every status."""
    event = event_factory(capacity=1, title_el="Βραδιά pitch")
    for status in RegistrationStatus:
        add_registration(dbsession, event, status, email=f"{status.value}@example.gr")
    return event


ACTIVE = {"pending@example.gr", "confirmed@example.gr", "waiting@example.gr", "offered@example.gr"}


def test_when_staff_cancel_an_event_only_people_still_registered_are_told(
        testapp, dbsession, crowd, outbox, logged_in, tr):
    logged_in(Role.STAFF)

    testapp.post(f"/admin/events/{crowd.id}/cancel",
                 {"csrf_token": csrf_token(testapp), "message": "Λόγω καιρού."}, status=303)

    messages = outbox()
    assert {message["To"] for message in messages} == ACTIVE
    assert len(messages) == len(ACTIVE)
    assert {sent.template for sent in queued_mail(dbsession)} == {"event-cancelled"}
    assert all("Λόγω καιρού." in text_body(message) for message in messages)
    dbsession.rollback()
    assert dbsession.get(Event, crowd.id).status == EventStatus.CANCELLED
    page = testapp.get(f"/events/{crowd.slug}")
    assert tr("This event has been cancelled.") in page.text


def test_a_cancelled_event_sends_no_reminders_and_its_invitation_is_withdrawn(testapp, event_factory, outbox):
    event = event_factory(starts_at=utcnow() + 5 * HOUR)
    register(testapp, event)
    [confirmation] = outbox()

    with task_request() as request:
        services.cancel_event(request, request.dbsession.get(Event, event.id), "")

    assert [message["To"] for message in outbox()[1:]] == [ELENI]
    assert run(send_reminders) == 0
    invitation = testapp.get(private_path(confirmation) + "/event.ics")
    calendar, vevent = calendar_event(invitation.body)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(vevent["STATUS"]) == "CANCELLED"


def test_a_new_time_is_announced_to_active_registrants_with_the_old_and_new_time(dbsession, crowd, outbox):
    old_start, old_sequence = crowd.starts_at, crowd.sequence
    with task_request() as request:
        event = request.dbsession.get(Event, crowd.id)
        before = services.snapshot(event)
        event.starts_at, event.ends_at = old_start + DAY, old_start + DAY + 2 * HOUR
        request.dbsession.flush()
        assert services.record_changes(request, event, before) == ["starts_at", "ends_at"]

    messages = outbox()
    assert {message["To"] for message in messages} == ACTIVE
    assert {sent.template for sent in queued_mail(dbsession)} == {"event-changed"}
    dbsession.rollback()
    moved = dbsession.get(Event, crowd.id)
    assert moved.sequence == old_sequence + 1
    body = text_body(messages[0])
    assert when_text(moved, "el", ATHENS) in body
    old = when_text(Event(starts_at=old_start, ends_at=old_start + 2 * HOUR, all_day=False), "el", ATHENS)
    assert old in body


def test_a_new_place_is_announced_with_the_old_one(dbsession, event_factory, outbox):
    old_venue = add(dbsession, Venue(name="Βικελαία Βιβλιοθήκη", address="Πλατεία Βενιζέλου"))
    new_venue = add(dbsession, Venue(name="Κόμβος Καινοτομίας", address="Πλατεία Ελευθερίας 1"))
    event = event_factory(venue_id=old_venue.id)
    add_registration(dbsession, event, email="coming@example.gr")

    with task_request() as request:
        moved = request.dbsession.get(Event, event.id)
        before = services.snapshot(moved)
        moved.venue_id = new_venue.id
        request.dbsession.flush()
        assert services.record_changes(request, moved, before) == ["venue_id"]

    [message] = outbox()
    body = text_body(message)
    assert "Κόμβος Καινοτομίας, Πλατεία Ελευθερίας 1" in body
    assert "Βικελαία Βιβλιοθήκη, Πλατεία Βενιζέλου" in body
    assert body.index("Κόμβος Καινοτομίας") < body.index("Βικελαία Βιβλιοθήκη")


def test_a_new_title_updates_calendars_but_emails_nobody(dbsession, crowd, outbox):
    old_sequence = crowd.sequence
    with task_request() as request:
        event = request.dbsession.get(Event, crowd.id)
        before = services.snapshot(event)
        event.title_el = "Νέος τίτλος"
        request.dbsession.flush()
        assert services.record_changes(request, event, before) == []

    assert outbox() == []
    dbsession.rollback()
    assert dbsession.get(Event, crowd.id).sequence == old_sequence + 1


def test_changes_to_a_draft_email_nobody(dbsession, event_factory, outbox):
    draft = event_factory(status=EventStatus.DRAFT)
    add_registration(dbsession, draft)

    with task_request() as request:
        event = request.dbsession.get(Event, draft.id)
        before = services.snapshot(event)
        event.starts_at += DAY
        event.ends_at += DAY
        request.dbsession.flush()
        services.record_changes(request, event, before)

    assert outbox() == []


def test_a_postponement_reaches_only_active_registrants(dbsession, crowd, outbox):
    with task_request() as request:
        services.postpone_event(request, request.dbsession.get(Event, crowd.id), "Νέα ημερομηνία σύντομα.")

    assert {message["To"] for message in outbox()} == ACTIVE
    assert {sent.template for sent in queued_mail(dbsession)} == {"event-postponed"}


def test_notices_are_sent_in_each_persons_language(dbsession, event_factory, outbox):
    event = event_factory(title_el="Βραδιά pitch", title_en="Pitch night")
    add_registration(dbsession, event, email="greek@example.gr", locale="el")
    add_registration(dbsession, event, email="english@example.gr", locale="en")

    with task_request() as request:
        services.cancel_event(request, request.dbsession.get(Event, event.id), "")

    subjects = {message["To"]: message["Subject"] for message in outbox()}
    assert "Pitch night" in subjects["english@example.gr"]
    assert "Βραδιά pitch" in subjects["greek@example.gr"]


def test_a_cancelled_registration_takes_the_event_off_the_persons_calendar(
        testapp, dbsession, event_factory, outbox):
    event = event_factory()
    register(testapp, event)
    page = private_page(testapp, outbox, ELENI)
    action_form(page, "cancel").submit("action", value="cancel", status=303)

    [confirmation, cancellation] = outbox()
    private_ics = testapp.get(f"{private_path(confirmation)}/event.ics").body

    for data in (attachments(cancellation)[f"{event.slug}.ics"][1], private_ics):
        calendar, vevent = calendar_event(data)
        assert (str(calendar["METHOD"]), str(vevent["STATUS"])) == ("CANCEL", "CANCELLED")


def test_someone_not_approved_who_registers_again_hears_the_decision_not_that_they_are_registered(
        testapp, dbsession, event_factory, outbox):
    event = event_factory(approval_required=True)
    add_registration(dbsession, event, RegistrationStatus.REJECTED, email=ELENI, decision_reason="Μόνο για φοιτητές")

    register(testapp, event)

    assert templates_to(dbsession, ELENI) == ["registration-rejected"]
    assert "Μόνο για φοιτητές" in text_body(outbox()[0])


def test_the_thank_you_page_belongs_to_the_event_registered_for(testapp, event_factory):
    first = event_factory()
    other = event_factory()
    register(testapp, first)

    assert testapp.get(f"/events/{other.slug}/registered").location.endswith(f"/events/{other.slug}")
    assert testapp.get(f"/events/{first.slug}/registered").status_int == 200
