"""Event journeys in a real browser: register, the waiting list, a freed seat, check-in, cancelling an event."""

import re
from email.message import EmailMessage
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dimoskopio.accounts.models import Role
from dimoskopio.mail.models import OutboxMessage
from events.models import Question, QuestionKind, Registration, RegistrationStatus
from tests.browser.conftest import add_registration, local_link, log_in, text

pytestmark = pytest.mark.browser

PRIVATE_LINK = "/events/registration/"


def formatted(message: str, locale: str = "el", **values: Any) -> str:
    """A UI string with placeholders (%(name)s), translated and filled in as the page shows it."""
    return text(message, locale) % values


def link_in(message: EmailMessage, path: str) -> str:
    body = message.get_body(("plain",)).get_content()
    return next(word for word in body.split() if path in word)


def sent(outbox: Any, dbsession: Any) -> list[tuple[str, str, EmailMessage]]:
    """Delivered mail as (template, recipient, message), oldest first; the template is looked up
    from the outbox row that the message's Message-ID names."""
    messages = outbox()
    dbsession.rollback()
    templates = {row.id: row.template for row in dbsession.scalars(select(OutboxMessage))}
    result = []
    for message in messages:
        outbox_id = int(re.fullmatch(r"<outbox-(\d+)@dimoskopio>", message["Message-ID"]).group(1))
        result.append((templates[outbox_id], message["To"], message))
    return result


def only_mail(mail: list[tuple[str, str, EmailMessage]], template: str, recipient: str) -> EmailMessage:
    found = [message for name, to, message in mail if name == template and to == recipient]
    assert len(found) == 1, f"expected one {template} to {recipient}, got {[(n, t) for n, t, _ in mail]}"
    return found[0]


def fill_registration(page: Any, name: str, email: str, role: str = "founder") -> None:
    form = page.locator("#register-form")
    form.get_by_label(text("Full name"), exact=True).fill(name)
    form.get_by_label(text("Email"), exact=True).fill(email)
    form.get_by_label(text("You are"), exact=True).select_option(role)
    form.get_by_label(
        text("I have read the privacy notice and agree that the centre keeps my registration for this event.")
    ).check()


def status_of(page: Any) -> Any:
    """The registration's status on its private page (the facts list's Status entry)."""
    return page.locator("dl.facts dd strong")


def test_register_with_errors_then_confirmed_with_the_private_link(page, axe, event_factory, outbox, dbsession,
                                                                  live_server):
    event = event_factory(capacity=20)
    page.goto(f"/events/{event.slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title_el)
    form = page.locator("#register-form")
    expect(form).to_be_visible()
    axe(page)

    # Only a mistyped email: each problem is told next to its field, and what was typed is kept.
    email = form.get_by_label(text("Email"), exact=True)
    email.fill("eleni@example")
    form.get_by_label(text("You are"), exact=True).select_option("researcher")
    form.get_by_role("button", name=text("Register")).click()
    expect(page.get_by_role("alert")).to_contain_text(text("Please correct the following:"))
    name = form.get_by_label(text("Full name"), exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(text("This field is required."))
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("eleni@example")
    expect(form.get_by_label(text("You are"), exact=True)).to_have_value("researcher")
    axe(page)

    fill_registration(page, "Ελένη Μαρκάκη", "eleni@example.gr")
    form.get_by_role("button", name=text("Register")).click()
    expect(page).to_have_url(re.compile(rf"/events/{event.slug}/registered$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Thank you!"))
    expect(page.locator("main").get_by_role("status")).to_contain_text(
        formatted("Your seat at “%(title)s” is confirmed.", title=event.title_el)
    )
    axe(page)

    mail = sent(outbox, dbsession)
    assert [(template, to) for template, to, _ in mail] == [("registration-confirmed", "eleni@example.gr")]
    link = link_in(mail[0][2], PRIVATE_LINK)
    assert link.startswith("http")
    page.goto(local_link(link, live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Your registration"))
    expect(status_of(page)).to_have_text(text("Confirmed"))
    expect(page.get_by_role("img", name=text("Check-in QR code"))).to_be_visible()
    axe(page)


def test_register_answering_the_event_questions(page, axe, event_factory, dbsession):
    event = event_factory()
    dbsession.add_all([
        Question(event_id=event.id, position=1, kind=QuestionKind.SINGLE_CHOICE, required=True,
                 label_el="Πώς μάθατε για εμάς;", choices_el="Φίλοι\nΔιαδίκτυο"),
        Question(event_id=event.id, position=2, kind=QuestionKind.MULTIPLE_CHOICE,
                 label_el="Τι σας ενδιαφέρει;", choices_el="Χρηματοδότηση\nΟμάδα"),
        Question(event_id=event.id, position=3, kind=QuestionKind.YES_NO, label_el="Χρειάζεστε διερμηνεία;"),
    ])
    dbsession.commit()
    response = page.goto(f"/events/{event.slug}")
    assert response is not None and response.ok, f"the event page answered {response and response.status}"
    fill_registration(page, "Ελένη Μαρκάκη", "eleni@example.gr")
    form = page.locator("#register-form")
    form.get_by_role("button", name=text("Register")).click()
    how = form.get_by_role("group", name="Πώς μάθατε για εμάς;")
    # The group is described by its error message (next to it, in the field).
    expect(how).to_have_accessible_description(re.compile(r"\S"))
    axe(page)

    how.get_by_label("Διαδίκτυο").check()
    form.get_by_role("group", name="Τι σας ενδιαφέρει;").get_by_label("Ομάδα").check()
    form.get_by_role("group", name="Χρειάζεστε διερμηνεία;").get_by_label(text("No")).check()
    form.get_by_role("button", name=text("Register")).click()
    expect(page).to_have_url(re.compile(r"/registered$"))

    dbsession.rollback()
    answers = dbsession.scalar(select(Registration.answers).where(Registration.event_id == event.id))
    assert sorted(answers.values(), key=str) == [["Ομάδα"], "no", "Διαδίκτυο"]


def test_full_event_waiting_list_then_a_freed_seat_is_offered_and_accepted(new_page, axe, event_factory, outbox,
                                                                          dbsession, live_server):
    event = event_factory(capacity=1)
    first, second = new_page(), new_page()

    first.goto(f"/events/{event.slug}")
    fill_registration(first, "Ελένη Μαρκάκη", "eleni@example.gr")
    first.locator("#register-form").get_by_role("button", name=text("Register")).click()
    expect(first).to_have_url(re.compile(r"/registered$"))

    # The event is now full: the form offers the waiting list instead.
    second.goto(f"/events/{event.slug}")
    expect(second.locator(".register-box")).to_contain_text(text("Full: waiting list open"))
    fill_registration(second, "Νίκος Ψαράκης", "nikos@example.gr", role="student")
    second.locator("#register-form").get_by_role("button", name=text("Join the waiting list")).click()
    expect(second).to_have_url(re.compile(r"/registered$"))
    expect(second.locator("main").get_by_role("status")).to_contain_text(
        formatted("The event is full, so you are on the waiting list, number %(position)s in line.", position=1)
    )
    axe(second)

    mail = sent(outbox, dbsession)
    first_link = link_in(only_mail(mail, "registration-confirmed", "eleni@example.gr"), PRIVATE_LINK)
    only_mail(mail, "registration-waiting", "nikos@example.gr")
    already_sent = len(mail)

    # The first visitor cancels from the private link in their email.
    first.goto(local_link(first_link, live_server))
    danger = first.locator("details.danger-zone")
    cancel = danger.get_by_role("button", name=text("Yes, cancel my registration"))
    expect(cancel).to_be_hidden()
    danger.get_by_text(text("Cancel my registration"), exact=True).click()
    cancel.click()
    expect(first.get_by_role("status").filter(
        has_text=text("Your registration is cancelled. Thank you for letting us know."))).to_be_visible()
    expect(status_of(first)).to_have_text(text("Cancelled"))

    # The freed seat is offered to the first in line, by email.
    mail = sent(outbox, dbsession)[already_sent:]
    only_mail(mail, "registration-cancelled", "eleni@example.gr")
    offer = only_mail(mail, "seat-offered", "nikos@example.gr")
    assert event.title_el in offer["Subject"]
    second.goto(local_link(link_in(offer, PRIVATE_LINK), live_server))
    expect(status_of(second)).to_have_text(text("Seat offered"))
    expect(second.get_by_role("heading", name=text("A seat is waiting for you"))).to_be_visible()
    axe(second)

    second.get_by_role("button", name=text("Accept the seat")).click()
    expect(second.get_by_role("status").filter(has_text=text("The seat is yours. See you there!"))).to_be_visible()
    expect(status_of(second)).to_have_text(text("Confirmed"))
    expect(second.get_by_role("button", name=text("Accept the seat"))).to_have_count(0)
    expect(second.get_by_role("img", name=text("Check-in QR code"))).to_be_visible()

    dbsession.rollback()
    statuses = dict(dbsession.execute(
        select(Registration.email, Registration.status).where(Registration.event_id == event.id)
    ).all())
    assert statuses == {"eleni@example.gr": RegistrationStatus.CANCELLED,
                        "nikos@example.gr": RegistrationStatus.CONFIRMED}
    assert ("registration-confirmed", "nikos@example.gr") in [
        (template, to) for template, to, _ in sent(outbox, dbsession)[already_sent:]
    ]


def test_staff_check_in_from_the_list_and_by_qr_code(page, axe, event_factory, user_factory, dbsession):
    event = event_factory()
    add_registration(dbsession, event, "Ελένη Μαρκάκη", "eleni@example.gr")
    add_registration(dbsession, event, "Νίκος Ψαράκης", "nikos@example.gr", organisation="Κρητική Ζύμη")
    nikos_code = dbsession.scalar(select(Registration.checkin_code).where(Registration.email == "nikos@example.gr"))
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)

    page.goto(f"/admin/events/{event.id}/check-in")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Check-in"))
    people = page.locator(".checkin-list > li")
    expect(people).to_have_count(2)
    axe(page)

    search = page.get_by_role("search")
    search.get_by_label(text("Name or email")).fill("μαρκακη")  # accents and case do not matter
    search.get_by_role("button", name=text("Find")).click()
    expect(page).to_have_url(re.compile(r"/check-in\?q="))
    expect(people).to_have_count(1)
    expect(people).to_contain_text("Ελένη Μαρκάκη")

    people.get_by_role("button", name=f"{text('Check in')} Ελένη Μαρκάκη").click()
    expect(page.get_by_role("status").filter(
        has_text=text("${name} is checked in.").replace("${name}", "Ελένη Μαρκάκη"))).to_be_visible()
    # Back on the same search, the person is marked as in, with the way to undo it.
    expect(page.get_by_label(text("Name or email"))).to_have_value("μαρκακη")
    expect(people).to_have_count(1)
    expect(people).to_have_class(re.compile(r"\bchecked-in\b"))
    expect(people.get_by_role("button", name=f"{text('Undo')} Ελένη Μαρκάκη")).to_be_visible()
    expect(page.locator(".checkin-count")).to_contain_text(
        formatted("%(checked)s of %(confirmed)s checked in", checked=1, confirmed=2)
    )
    axe(page)

    # The QR code on a confirmation leads staff straight to that person.
    page.goto(f"/admin/events/check-in/{nikos_code}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Νίκος Ψαράκης")
    page.get_by_role("button", name=text("Check in")).click()
    expect(page.locator("main .notice-success").last).to_be_visible()
    expect(page.get_by_role("button", name=text("Check in"))).to_have_count(0)
    axe(page)

    dbsession.rollback()
    checked = dict(dbsession.execute(
        select(Registration.email, Registration.checked_in_by_id).where(Registration.event_id == event.id)
    ).all())
    assert checked == {"eleni@example.gr": staff.id, "nikos@example.gr": staff.id}


def test_staff_cancel_an_event_and_everyone_registered_is_emailed(page, axe, event_factory, user_factory, outbox,
                                                                  dbsession):
    event = event_factory(capacity=1)
    add_registration(dbsession, event, "Ελένη Μαρκάκη", "eleni@example.gr")
    add_registration(dbsession, event, "Νίκος Ψαράκης", "nikos@example.gr", status=RegistrationStatus.WAITING)
    add_registration(dbsession, event, "Άννα Λαμπράκη", "anna@example.gr", status=RegistrationStatus.CANCELLED)
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)

    page.goto(f"/admin/events/{event.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title_el)
    expect(page.get_by_role("table", name=text("Registrations")).get_by_role("row")).to_have_count(4)
    axe(page)

    danger = page.locator("details.danger-zone")
    message = danger.get_by_label(text("Message to the people registered"))
    expect(message).to_be_hidden()
    danger.get_by_text(text("Cancel or postpone the event"), exact=True).click()

    # A message over the limit (past the textarea's own maxlength): the error shows in the open
    # danger zone, what was typed is kept, and the event stays as it was.
    message.evaluate("textarea => textarea.removeAttribute('maxlength')")
    message.fill("Ω" * 1001)
    danger.get_by_role("button", name=text("Cancel and tell everyone")).click()
    expect(danger).to_have_attribute("open", "")
    expect(message).to_have_attribute("aria-invalid", "true")
    expect(message).to_have_value("Ω" * 1001)
    expect(page.locator(".event-staff-meta .badge")).to_have_text(text("Published"))
    axe(page)

    message.fill("Ο χώρος δεν είναι διαθέσιμος. Συγγνώμη για την αναστάτωση.")
    danger.get_by_role("button", name=text("Cancel and tell everyone")).click()

    expect(page).to_have_url(re.compile(rf"/admin/events/{event.id}$"))
    expect(page.get_by_role("status").filter(
        has_text=text("The event is cancelled. Everyone registered is being emailed."))).to_be_visible()
    expect(page.locator(".event-staff-meta .badge")).to_have_text(text("Cancelled"))
    expect(page.locator("details.danger-zone")).to_have_count(0)

    mail = sent(outbox, dbsession)
    assert sorted((template, to) for template, to, _ in mail) == [
        ("event-cancelled", "eleni@example.gr"), ("event-cancelled", "nikos@example.gr"),
    ]
    for _template, _to, notice in mail:
        assert "Ο χώρος δεν είναι διαθέσιμος." in notice.get_body(("plain",)).get_content()

    page.goto(f"/events/{event.slug}")
    expect(page.locator(".event-page .notice-error")).to_have_text(text("This event has been cancelled."))
