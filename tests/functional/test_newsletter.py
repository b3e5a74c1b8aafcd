"""The newsletter through the real app: the subscribe form, double opt-in, the "check your email"
page that says the same for every address, preferences and one-click unsubscribe (RFC 8058) from
signed links, the suppression list, the consent record of every step, the box on the event
registration form, and emails in the subscriber's language."""

import datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dimoskopio.db import utcnow
from mailing.models import (
    ConsentAction,
    ConsentRecord,
    ConsentSource,
    MailingTopic,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
    SuppressionReason,
)
from mailing.services import CONFIRMATION_RESEND_AFTER, link_token
from mailing.views import INVALID_LINK
from tests.functional.conftest import (
    csrf_token,
    link_in,
    new_client,
    queued_mail,
    switch_language,
    tampered,
    text_body,
)
from tests.functional.events_helpers import add, register

ADDRESS = "eleni@example.gr"
CONFIRM_PATH = "/newsletter/confirm/"
PREFERENCES_PATH = "/newsletter/preferences/"
CHECK_YOUR_EMAIL = "/newsletter/check-your-email"
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"

# slug: (Greek name, English name), in the order the centre lists them (`position`), which is not
# the order of their ids.
TOPICS = {
    "weekly-digest": ("Εβδομαδιαία σύνοψη", "Weekly digest"),
    "events": ("Εκδηλώσεις", "Events"),
    "calls": ("Προσκλήσεις υποβολής", "Calls for applications"),
}
INSERTED = ["events", "calls", "weekly-digest"]


@pytest.fixture(autouse=True)
def topics(dbsession: Session) -> dict[str, int]:
    """The centre's topics, by slug -> id (every test starts with empty tables)."""
    dbsession.rollback()
    positions = {slug: position for position, slug in enumerate(TOPICS, start=1)}
    rows = {slug: MailingTopic(slug=slug, name_el=TOPICS[slug][0], name_en=TOPICS[slug][1], position=positions[slug],
                               description_el=f"Περιγραφή: {TOPICS[slug][0]}",
                               description_en=f"About: {TOPICS[slug][1]}")
            for slug in INSERTED}
    for slug in INSERTED:
        dbsession.add(rows[slug])
        dbsession.flush()
    dbsession.commit()
    return {slug: topic.id for slug, topic in rows.items()}


# --- helpers ----------------------------------------------------------------------------------


def subscribe_form(client, topic_ids: list[int], email: str = ADDRESS, name: str = "Ελένη Μαρκάκη",
                   language: str | None = None, consent: bool = True, path: str = "/newsletter"):
    """The /newsletter form, filled in."""
    form = client.get(path).forms[1]
    assert "email" in form.fields, form.fields
    form["email"] = email
    form["name"] = name
    if language is not None:
        form["language"] = language
    check(form, topic_ids)
    form["consent"] = consent
    return form


def subscribe(client, topic_ids: list[int], status: int | str = 303, **values: Any):
    return subscribe_form(client, topic_ids, **values).submit(status=status)


def check(form, topic_ids: list[int]) -> None:
    wanted = {str(topic_id) for topic_id in topic_ids}
    for box in form.fields["topics"]:
        box.checked = box._value in wanted


def checked(form) -> set[int]:
    return {int(box._value) for box in form.fields["topics"] if box.checked}


def own_form(page):
    """The page's own form (not the language switch in the header)."""
    [form] = [form for form in page.forms.values() if form.action in ("", None)]
    return form


def press(page, status: int | str = 303):
    """Press the button of a page's own form (confirm, unsubscribe)."""
    return own_form(page).submit(status=status)


def subscriber_of(dbsession: Session, email: str = ADDRESS) -> Subscriber | None:
    dbsession.rollback()
    return dbsession.scalar(select(Subscriber).where(Subscriber.email == email))


def topic_ids_of(dbsession: Session, email: str = ADDRESS) -> set[int]:
    return subscriber_of(dbsession, email).topic_ids


def history(dbsession: Session, email: str = ADDRESS) -> list[ConsentRecord]:
    subscriber = subscriber_of(dbsession, email)
    return list(dbsession.scalars(select(ConsentRecord).where(ConsentRecord.subscriber_id == subscriber.id)
                                  .order_by(ConsentRecord.id)))


def actions(dbsession: Session, email: str = ADDRESS) -> list[tuple[str, str]]:
    return [(record.action.value, record.source.value) for record in history(dbsession, email)]


def suppressions(dbsession: Session) -> list[tuple[str, str]]:
    dbsession.rollback()
    return [(row.email, row.reason.value) for row in dbsession.scalars(select(Suppression).order_by(Suppression.id))]


def templates_to(dbsession: Session, address: str = ADDRESS) -> list[str]:
    return [sent.template for sent in queued_mail(dbsession) if sent.recipient == address]


def add_subscriber(dbsession: Session, topic_ids: list[int], email: str = ADDRESS,
                   status: SubscriberStatus = SubscriberStatus.ACTIVE, locale: str = "el",
                   sent_minutes_ago: int = 60, name: str = "Ελένη Μαρκάκη") -> Subscriber:
    """A subscriber as if made earlier (their confirmation went out `sent_minutes_ago`)."""
    now = utcnow()
    sent = now - datetime.timedelta(minutes=sent_minutes_ago)
    return add(dbsession, Subscriber(
        email=email, name=name, locale=locale, status=status, link_salt="s" * 64,
        created_at=sent, confirmation_sent_at=sent,
        confirmed_at=sent if status == SubscriberStatus.ACTIVE else None,
        unsubscribed_at=sent if status == SubscriberStatus.UNSUBSCRIBED else None,
        subscriptions=[Subscription(topic_id=topic_id) for topic_id in topic_ids],
    ))


def path_for(registry, purpose: str, subscriber: Subscriber) -> str:
    token = link_token(registry.settings["dimoskopio.secret"], purpose, subscriber)
    return f"/newsletter/{purpose}/{token}"


def move_confirmation_back(dbsession: Session, by: datetime.timedelta, email: str = ADDRESS) -> None:
    """As if the last confirmation went out `by` earlier than it did."""
    subscriber = subscriber_of(dbsession, email)
    subscriber.confirmation_sent_at -= by
    dbsession.commit()


def error_next_to(page, field_id: str) -> str:
    error = page.html.find(id=f"{field_id}-error")
    assert error is not None, f"no error shown next to {field_id}"
    return error.text


def flash_of(page) -> str:
    notice = page.html.select_one(".notice")
    return notice.text.strip() if notice is not None else ""


def one_click(app, path: str, content_type: str = "application/x-www-form-urlencoded"):
    """A mail app's one-click unsubscribe: a POST with no cookie and no CSRF token."""
    if content_type.startswith("multipart"):
        return new_client(app).post(path, {"List-Unsubscribe": "One-Click"}, content_type=content_type)
    return new_client(app).post(path, ONE_CLICK_BODY, content_type=content_type)


# --- the subscribe form -----------------------------------------------------------------------


def test_the_newsletter_page_lists_the_topics_in_greek(testapp, topics):
    page = testapp.get("/newsletter")

    listed = [item.strong.text for item in page.html.select(".prose ul li")]
    assert listed == [greek for greek, _ in TOPICS.values()]
    assert "Περιγραφή: Εκδηλώσεις" in page.text
    form = own_form(page)
    labels = {label["for"]: label.text for label in page.html.select("fieldset label")}
    assert [labels[f"topics-{index}"] for index in range(3)] == [greek for greek, _ in TOPICS.values()]
    assert [box._value for box in form.fields["topics"]] == [str(topics[slug]) for slug in TOPICS]
    assert checked(form) == set()
    assert form["language"].value == "el"
    assert form["consent"].checked is False
    assert "Events" not in page.html.select_one("main").text


def test_the_newsletter_page_in_english_shows_english_topic_names(testapp):
    switch_language(testapp, "en")

    page = testapp.get("/newsletter")

    listed = [item.strong.text for item in page.html.select(".prose ul li")]
    assert listed == [english for _, english in TOPICS.values()]
    assert "About: Calls for applications" in page.text
    labels = [label.text for label in page.html.select("fieldset label")]
    assert labels == [english for _, english in TOPICS.values()]
    assert "Εκδηλώσεις" not in page.html.select_one("main").text
    assert own_form(page)["language"].value == "en"


def test_a_topic_without_an_english_name_shows_its_greek_one_in_english(testapp, dbsession):
    dbsession.add(MailingTopic(slug="startups", name_el="Νέα των νεοφυών", name_en="", position=9))
    dbsession.commit()
    switch_language(testapp, "en")

    page = testapp.get("/newsletter")

    assert [label.text for label in page.html.select("fieldset label")][-1] == "Νέα των νεοφυών"


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"email": ""}, "email", "This field is required."),
    ({"email": "   "}, "email", "This field is required."),
    ({"email": "eleni@"}, "email", "Enter a valid email address, like name@example.com."),
    ({"email": "eleni example.gr"}, "email", "Enter a valid email address, like name@example.com."),
    ({"topics": []}, "topics", "This field is required."),
    ({"consent": False}, "consent", "This field is required."),
])
def test_a_subscription_with_a_mistake_is_refused_next_to_the_field_keeping_what_was_typed(
        change, field, message, testapp, dbsession, topics, tr):
    values = {"email": ADDRESS, "topics": [topics["calls"], topics["weekly-digest"]], "consent": True}
    values.update(change)

    page = subscribe(testapp, values.pop("topics"), status=400, name="Ελένη Μαρκάκη", language="en", **values)

    assert tr(message) in error_next_to(page, field)
    assert page.html.select_one(".error-summary") is not None
    form = own_form(page)
    assert form["email"].value == values["email"]
    assert form["name"].value == "Ελένη Μαρκάκη"
    assert form["language"].value == "en"
    assert checked(form) == set(change.get("topics", [topics["calls"], topics["weekly-digest"]]))
    assert form["consent"].checked is values["consent"]
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert queued_mail(dbsession) == []


def test_a_topic_that_does_not_exist_is_refused(testapp, dbsession, topics):
    form = subscribe_form(testapp, [topics["events"]])
    fields = [*form.submit_fields(), ("topics", "999999")]

    page = testapp.post("/newsletter", fields, status=400)

    assert "999999" in error_next_to(page, "topics")
    assert subscriber_of(dbsession) is None


def test_the_form_is_refused_without_its_csrf_token(testapp, dbsession, topics):
    form = subscribe_form(testapp, [topics["events"]])
    fields = [(name, value) for name, value in form.submit_fields() if name != "csrf_token"]

    testapp.post("/newsletter", fields, status=400)

    assert subscriber_of(dbsession) is None
    assert queued_mail(dbsession) == []


def test_subscribing_asks_to_confirm_by_email_in_the_chosen_language_and_records_the_request(
        testapp, dbsession, outbox, topics, registry, tr):
    before = utcnow()

    response = subscribe(testapp, [topics["weekly-digest"], topics["events"]], email="  Eleni@Example.GR ",
                         language="en")

    assert response.status_int == 303
    assert response.location.endswith(CHECK_YOUR_EMAIL)
    page = response.follow()
    assert tr("Check your email") in page.html.h1.text
    [message] = outbox()
    assert templates_to(dbsession) == ["newsletter-confirm"]
    assert message["To"] == ADDRESS
    assert message["Subject"] == "Confirm your subscription to our newsletter"
    body = text_body(message)
    assert "Hello Ελένη Μαρκάκη," in body
    assert "- Events" in body and "- Weekly digest" in body
    assert body.index("- Weekly digest") < body.index("- Events")  # the centre's order
    assert "Calls for applications" not in body and "Εκδηλώσεις" not in body
    html = message.get_body(("html",)).get_content()
    assert "Events" in html and "Weekly digest" in html and "Calls for applications" not in html
    link = link_in(message, CONFIRM_PATH)
    assert f"http://localhost{link}" in body
    assert link.startswith(CONFIRM_PATH) and len(link) > len(CONFIRM_PATH) + 10

    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.PENDING
    assert (subscriber.name, subscriber.locale) == ("Ελένη Μαρκάκη", "en")
    assert subscriber.topic_ids == {topics["events"], topics["weekly-digest"]}
    assert before <= subscriber.confirmation_sent_at <= utcnow()
    assert subscriber.confirmed_at is None
    [record] = history(dbsession)
    assert (record.action, record.source) == (ConsentAction.REQUESTED, ConsentSource.FORM)
    assert record.topics == "events weekly-digest"
    assert record.ip_address == "127.0.0.1"
    assert record.notice_version == registry.settings["events.privacy_notice_version"]
    assert before <= record.created_at <= utcnow()


def test_the_confirmation_link_is_on_the_public_address_whatever_host_the_request_named(
        app, dbsession, outbox, topics):
    client = new_client(app)
    client.extra_environ = {**client.extra_environ, "HTTP_HOST": "attacker.example"}

    subscribe(client, [topics["events"]])

    [message] = outbox()
    assert "attacker.example" not in text_body(message)
    assert f"http://localhost{CONFIRM_PATH}" in text_body(message)


def test_the_consent_record_keeps_the_connection_address_not_a_header_the_visitor_typed(
        app, dbsession, topics):
    """X-Forwarded-For is anyone's to write; the record keeps the connection's REMOTE_ADDR."""
    client = new_client(app)
    client.extra_environ = {**client.extra_environ, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}

    subscribe(client, [topics["events"]])

    [record] = history(dbsession)
    assert record.ip_address == "127.0.0.1"


# --- double opt-in ----------------------------------------------------------------------------


def test_opening_the_confirmation_link_changes_nothing_and_pressing_its_button_confirms(
        testapp, app, dbsession, outbox, topics, registry, tr):
    subscribe(testapp, [topics["calls"]])
    link = link_in(outbox()[0], CONFIRM_PATH)
    browser = new_client(app)  # the email is often opened elsewhere

    page = browser.get(link)

    assert tr("Yes, confirm my subscription") in page.text
    assert ADDRESS in page.text
    assert page.html.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert subscriber_of(dbsession).status == SubscriberStatus.PENDING
    assert actions(dbsession) == [("requested", "form")]

    before = utcnow()
    response = press(page)

    assert PREFERENCES_PATH in response.location
    preferences = response.follow()
    assert tr("Thank you! Your subscription is confirmed.") in flash_of(preferences)
    assert checked(own_form(preferences)) == {topics["calls"]}
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert before <= subscriber.confirmed_at <= utcnow()
    records = history(dbsession)
    assert [(record.action, record.source) for record in records] == [
        (ConsentAction.REQUESTED, ConsentSource.FORM), (ConsentAction.CONFIRMED, ConsentSource.FORM)]
    confirmed = records[1]
    assert (confirmed.topics, confirmed.ip_address) == ("calls", "127.0.0.1")
    assert confirmed.notice_version == registry.settings["events.privacy_notice_version"]
    assert len(outbox()) == 1  # confirming sends nothing


def test_confirming_twice_is_harmless(testapp, dbsession, outbox, topics, tr):
    subscribe(testapp, [topics["calls"]])
    link = link_in(outbox()[0], CONFIRM_PATH)
    page = testapp.get(link)
    press(page)
    confirmed_at = subscriber_of(dbsession).confirmed_at

    again = press(page).follow()  # the old page's button, pressed again

    assert PREFERENCES_PATH in again.request.path
    assert subscriber_of(dbsession).confirmed_at == confirmed_at
    assert actions(dbsession) == [("requested", "form"), ("confirmed", "form")]
    reopened = testapp.get(link)
    assert tr("Your subscription is confirmed already.") in reopened.text
    assert tr("Yes, confirm my subscription") not in reopened.text


def test_an_old_confirmation_link_does_not_claim_to_confirm_after_the_person_unsubscribed(
        testapp, app, dbsession, registry, topics, tr):
    """Someone who unsubscribed since is told so, offered no button, and never thanked."""
    subscriber = add_subscriber(dbsession, [topics["calls"]], status=SubscriberStatus.PENDING)
    confirm_path = path_for(registry, "confirm", subscriber)
    one_click(app, path_for(registry, "unsubscribe", subscriber))

    page = testapp.get(confirm_path)
    assert tr("This address is unsubscribed, so this link no longer confirms anything.") in page.text
    assert [form for form in page.forms.values() if form.action in ("", None)] == [], "no button to press"
    response = testapp.post(confirm_path, {"csrf_token": csrf_token(testapp)}, status=303).follow()

    assert subscriber_of(dbsession).status == SubscriberStatus.UNSUBSCRIBED
    assert tr("Thank you! Your subscription is confirmed.") not in response.text


# --- no enumeration, no spam ------------------------------------------------------------------


def test_an_address_already_subscribed_gets_the_same_page_and_a_note_with_its_preferences_link(
        testapp, app, dbsession, outbox, topics, tr):
    add_subscriber(dbsession, [topics["calls"]], name="Ελένη")
    stranger = subscribe(new_client(app), [topics["events"]], email="someone-new@example.gr")

    response = subscribe(testapp, [topics["events"], topics["weekly-digest"]], name="Άλλο όνομα", language="en")

    assert response.location == stranger.location
    assert response.follow().html.select_one("main").text == stranger.follow().html.select_one("main").text
    assert templates_to(dbsession) == ["newsletter-already"]
    [message] = [message for message in outbox() if message["To"] == ADDRESS]
    assert message["Subject"] == tr("You already receive our newsletter")
    assert CONFIRM_PATH not in text_body(message)
    page = testapp.get(link_in(message, PREFERENCES_PATH))
    assert ADDRESS in page.text
    assert checked(own_form(page)) == {topics["calls"]}
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert (subscriber.name, subscriber.locale) == ("Ελένη", "el")
    assert subscriber.topic_ids == {topics["calls"]}
    assert actions(dbsession) == []


def test_sending_the_form_again_for_a_pending_address_sends_no_second_email_for_ten_minutes(
        testapp, app, dbsession, outbox, topics):
    subscribe(testapp, [topics["events"]])

    again = subscribe(new_client(app), [topics["events"]])

    assert again.location.endswith(CHECK_YOUR_EMAIL)
    assert templates_to(dbsession) == ["newsletter-confirm"]
    assert subscriber_of(dbsession).status == SubscriberStatus.PENDING

    move_confirmation_back(dbsession, CONFIRMATION_RESEND_AFTER - datetime.timedelta(minutes=1))
    subscribe(new_client(app), [topics["events"]])
    assert templates_to(dbsession) == ["newsletter-confirm"]

    move_confirmation_back(dbsession, datetime.timedelta(minutes=2))
    subscribe(new_client(app), [topics["events"]])
    assert templates_to(dbsession) == ["newsletter-confirm", "newsletter-confirm"]
    first, second = outbox()
    # The second confirmation lists what is asked now; the first one's link no longer confirms.
    testapp.get(link_in(first, CONFIRM_PATH), status=400)
    testapp.get(link_in(second, CONFIRM_PATH), status=200)


def test_what_a_pending_person_confirms_is_what_their_email_listed(testapp, app, dbsession, outbox, topics):
    """Typing the address again while no new confirmation may be sent changes nothing: the
    button in the email confirms what the email listed."""
    subscribe(testapp, [topics["events"]], language="el")
    [message] = outbox()
    assert "- Εκδηλώσεις" in text_body(message)

    subscribe(new_client(app), [topics["calls"]], language="en", name="Κάποιος άλλος")  # no new email
    assert templates_to(dbsession) == ["newsletter-confirm"]
    page = testapp.get(link_in(message, CONFIRM_PATH), status="*")

    if page.status_int != 400:  # a fix may instead revoke the first email's link
        press(page)
        subscriber = subscriber_of(dbsession)
        assert subscriber.status == SubscriberStatus.ACTIVE
        assert (subscriber.topic_ids, subscriber.locale) == ({topics["events"]}, "el")
        assert history(dbsession)[-1].topics == "events"


def test_a_subscribed_address_gets_at_most_one_note_every_ten_minutes(testapp, app, dbsession, topics):
    add_subscriber(dbsession, [topics["calls"]])

    for _ in range(3):
        subscribe(new_client(app), [topics["events"]])

    assert templates_to(dbsession) == ["newsletter-already"]


# --- preferences --------------------------------------------------------------------------------


def test_the_preferences_link_shows_the_topics_and_language(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"], topics["weekly-digest"]], locale="en")

    page = testapp.get(path_for(registry, "preferences", subscriber))

    form = own_form(page)
    assert checked(form) == {topics["events"], topics["weekly-digest"]}
    assert form["language"].value == "en"
    assert ADDRESS in page.text
    assert page.html.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert tr("Your subscription is not confirmed yet: press the button in the email we sent.") not in page.text


def test_changing_topics_and_language_saves_them_and_records_the_change(
        testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"], topics["weekly-digest"]])
    path = path_for(registry, "preferences", subscriber)
    form = own_form(testapp.get(path))
    check(form, [topics["calls"], topics["events"]])
    form["language"] = "en"

    response = form.submit(status=303)

    assert response.location.endswith(path)
    page = response.follow()
    assert tr("Your preferences are saved.") in flash_of(page)
    assert checked(own_form(page)) == {topics["calls"], topics["events"]}
    assert own_form(page)["language"].value == "en"
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert (subscriber.topic_ids, subscriber.locale) == ({topics["calls"], topics["events"]}, "en")
    [record] = history(dbsession)
    assert (record.action, record.source, record.topics) == (ConsentAction.CHANGED, ConsentSource.PREFERENCES,
                                                             "calls events")
    assert record.ip_address == "127.0.0.1"
    assert suppressions(dbsession) == []


def test_clearing_every_topic_unsubscribes(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    form = own_form(testapp.get(path_for(registry, "preferences", subscriber)))
    check(form, [])

    page = form.submit(status=303).follow()

    assert tr("You are unsubscribed. We will not email you again.") in flash_of(page)
    assert tr("This address is unsubscribed: we send it no newsletter.") in page.text
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subscriber.unsubscribed_at is not None
    assert subscriber.topic_ids == set()
    assert suppressions(dbsession) == [(ADDRESS, "unsubscribed")]
    [record] = history(dbsession)
    assert (record.action, record.source, record.topics) == (ConsentAction.UNSUBSCRIBED,
                                                             ConsentSource.PREFERENCES, "")


def test_a_pending_subscriber_who_changes_topics_is_not_told_they_are_unsubscribed(
        testapp, dbsession, registry, topics, tr):
    """Only unsubscribing says "unsubscribed"; a pending person's saved topics are just saved."""
    subscriber = add_subscriber(dbsession, [topics["events"]], status=SubscriberStatus.PENDING)
    page = testapp.get(path_for(registry, "preferences", subscriber))
    assert tr("Your subscription is not confirmed yet: press the button in the email we sent.") in page.text
    form = own_form(page)
    check(form, [topics["calls"]])

    after = form.submit(status=303).follow()

    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.PENDING
    assert subscriber.topic_ids == {topics["calls"]}
    assert tr("You are unsubscribed. We will not email you again.") not in flash_of(after)
    assert tr("Your preferences are saved.") in flash_of(after)


def test_an_unsubscribed_person_does_not_end_up_unsubscribed_with_topics(
        testapp, app, dbsession, registry, topics):
    """An unsubscribed person's preferences page has no topics to tick, and a crafted POST is
    refused: they subscribe again through the form and confirm."""
    subscriber = add_subscriber(dbsession, [topics["events"]])
    one_click(app, path_for(registry, "unsubscribe", subscriber))
    preferences = path_for(registry, "preferences", subscriber_of(dbsession))
    page = testapp.get(preferences)
    assert [form for form in page.forms.values() if form.action in ("", None)] == [], "no topics to tick"

    testapp.post(preferences, {"csrf_token": csrf_token(testapp), "topics": str(topics["calls"]),
                               "language": "el"}, status=409)

    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert subscriber.topic_ids == set()
    assert [record.action for record in history(dbsession)] == [ConsentAction.UNSUBSCRIBED]


def test_a_link_someone_changed_or_meant_for_another_page_is_refused(
        testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    other = add_subscriber(dbsession, [topics["calls"]], email="other@example.gr")
    good = path_for(registry, "preferences", subscriber).rsplit("/", 1)[1]
    subscriber_id, signature = good.split("-", 1)
    refused = [
        tampered(good),
        good[:-1],
        f"{other.id}-{signature}",
        f"0-{signature}",
        f"{subscriber_id}-",
        subscriber_id,
        f"{subscriber_id}-{signature[:-1]}%C3%A9",
        f"%D9%A3-{signature}",  # an Arabic-Indic digit three
        f"{'9' * 40}-{signature}",
        f"{2**31}-{signature}",
        path_for(registry, "confirm", subscriber).rsplit("/", 1)[1],
        path_for(registry, "unsubscribe", subscriber).rsplit("/", 1)[1],
    ]

    for bad in refused:
        response = testapp.get(f"{PREFERENCES_PATH}{bad}", status=400)
        assert tr(INVALID_LINK) in response.text, bad
    preferences_token = good
    for purpose in ("confirm", "unsubscribe"):
        response = testapp.get(f"/newsletter/{purpose}/{preferences_token}", status=400)
        assert tr(INVALID_LINK) in response.text, purpose
    assert testapp.get(f"{PREFERENCES_PATH}{good}").status_int == 200


def test_a_refused_link_changes_nothing_when_posted(app, testapp, dbsession, registry, topics):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    path = path_for(registry, "preferences", subscriber)
    form = own_form(testapp.get(path))
    check(form, [])
    form.action = tampered(path)

    form.submit(status=400)
    new_client(app).post(tampered(path_for(registry, "unsubscribe", subscriber)), ONE_CLICK_BODY,
                         content_type="application/x-www-form-urlencoded", status=400)

    assert subscriber_of(dbsession).status == SubscriberStatus.ACTIVE
    assert actions(dbsession) == []


def test_a_new_link_salt_revokes_the_links_already_sent(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    old = path_for(registry, "preferences", subscriber)
    subscriber = subscriber_of(dbsession)
    subscriber.link_salt = "t" * 64
    dbsession.commit()

    assert tr(INVALID_LINK) in testapp.get(old, status=400).text
    assert testapp.get(path_for(registry, "preferences", subscriber_of(dbsession))).status_int == 200


# --- one-click unsubscribe (RFC 8058) -------------------------------------------------------------


def test_opening_the_unsubscribe_link_only_shows_the_page(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]])

    page = testapp.get(path_for(registry, "unsubscribe", subscriber))
    testapp.head(path_for(registry, "unsubscribe", subscriber))

    assert tr("Yes, unsubscribe me") in page.text
    assert ADDRESS in page.text
    assert page.html.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert subscriber_of(dbsession).status == SubscriberStatus.ACTIVE
    assert subscriber_of(dbsession).topic_ids == {topics["events"]}
    assert suppressions(dbsession) == []
    assert actions(dbsession) == []


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_one_click_post_unsubscribes_at_once_without_cookie_or_csrf_token(
        content_type, app, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"], topics["calls"]])
    path = path_for(registry, "unsubscribe", subscriber)
    before = utcnow()

    response = one_click(app, path, content_type)

    assert response.status_int == 200
    assert tr("%(email)s is unsubscribed. We will not email it again.") % {"email": ADDRESS} in response.text
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.UNSUBSCRIBED
    assert before <= subscriber.unsubscribed_at <= utcnow()
    assert subscriber.topic_ids == set()
    assert suppressions(dbsession) == [(ADDRESS, "unsubscribed")]
    [record] = history(dbsession)
    assert (record.action, record.source) == (ConsentAction.UNSUBSCRIBED, ConsentSource.ONE_CLICK)
    assert (record.topics, record.ip_address) == ("", "127.0.0.1")

    again = one_click(app, path, content_type)

    assert again.status_int == 200
    assert len(history(dbsession)) == 1
    assert suppressions(dbsession) == [(ADDRESS, "unsubscribed")]
    assert subscriber_of(dbsession).unsubscribed_at == subscriber.unsubscribed_at


def test_the_unsubscribe_page_button_unsubscribes(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]])

    page = press(testapp.get(path_for(registry, "unsubscribe", subscriber)), status=200)

    assert tr("Yes, unsubscribe me") not in page.text
    assert subscriber_of(dbsession).status == SubscriberStatus.UNSUBSCRIBED
    assert actions(dbsession) == [("unsubscribed", "one_click")]
    reopened = testapp.get(path_for(registry, "unsubscribe", subscriber_of(dbsession)))
    assert tr("Yes, unsubscribe me") not in reopened.text


def test_subscribing_again_after_unsubscribing_and_confirming_lifts_the_unsubscribe_suppression(
        testapp, app, dbsession, outbox, registry, topics):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    one_click(app, path_for(registry, "unsubscribe", subscriber))
    assert suppressions(dbsession) == [(ADDRESS, "unsubscribed")]

    subscribe(testapp, [topics["calls"]])

    assert subscriber_of(dbsession).status == SubscriberStatus.PENDING
    assert suppressions(dbsession) == [(ADDRESS, "unsubscribed")]  # until they confirm
    [message] = outbox()
    assert templates_to(dbsession) == ["newsletter-confirm"]
    press(testapp.get(link_in(message, CONFIRM_PATH)))

    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert subscriber.unsubscribed_at is None
    assert subscriber.topic_ids == {topics["calls"]}
    assert suppressions(dbsession) == []
    assert actions(dbsession) == [("unsubscribed", "one_click"), ("requested", "form"), ("confirmed", "form")]


def test_confirming_lifts_a_bounce_but_not_a_spam_complaint(testapp, dbsession, outbox, topics):
    """A confirmation pressed from the mailbox proves it works again; a complaint stays."""
    add(dbsession, Suppression(email=ADDRESS, reason=SuppressionReason.BOUNCED))
    add(dbsession, Suppression(email="nikos@example.gr", reason=SuppressionReason.COMPLAINED))

    subscribe(testapp, [topics["calls"]])
    subscribe(testapp, [topics["calls"]], email="nikos@example.gr")
    for message in outbox():
        press(testapp.get(link_in(message, CONFIRM_PATH)))

    assert subscriber_of(dbsession).status == SubscriberStatus.ACTIVE
    assert suppressions(dbsession) == [("nikos@example.gr", "complained")]


def test_unsubscribing_an_address_that_bounced_keeps_the_one_suppression(app, dbsession, registry, topics):
    subscriber = add_subscriber(dbsession, [topics["events"]])
    add(dbsession, Suppression(email=ADDRESS, reason=SuppressionReason.BOUNCED))

    one_click(app, path_for(registry, "unsubscribe", subscriber))

    assert subscriber_of(dbsession).status == SubscriberStatus.UNSUBSCRIBED
    assert suppressions(dbsession) == [(ADDRESS, "bounced")]
    assert actions(dbsession) == [("unsubscribed", "one_click")]


# --- the box on the event registration form --------------------------------------------------------


def test_a_registrant_who_ticks_the_newsletter_box_is_asked_to_confirm_the_events_topic(
        testapp, dbsession, event_factory, outbox, registry, topics):
    event = event_factory()

    register(testapp, event, newsletter=True)

    assert templates_to(dbsession) == ["registration-confirmed", "newsletter-confirm"]
    subscriber = subscriber_of(dbsession)
    assert subscriber.status == SubscriberStatus.PENDING
    assert (subscriber.name, subscriber.locale) == ("Ελένη Μαρκάκη", "el")
    assert subscriber.topic_ids == {topics["events"]}
    [record] = history(dbsession)
    assert (record.action, record.source, record.topics) == (
        ConsentAction.REQUESTED, ConsentSource.EVENT_REGISTRATION, "events")
    assert record.ip_address == "127.0.0.1"
    assert record.notice_version == registry.settings["events.privacy_notice_version"]
    newsletter = [message for message in outbox() if CONFIRM_PATH in text_body(message)]
    assert [message["To"] for message in newsletter] == [ADDRESS]
    assert "- Εκδηλώσεις" in text_body(newsletter[0])

    press(testapp.get(link_in(newsletter[0], CONFIRM_PATH)))

    assert subscriber_of(dbsession).status == SubscriberStatus.ACTIVE


def test_a_subscriber_who_ticks_the_box_gets_the_events_topic_without_another_confirmation(
        testapp, dbsession, event_factory, topics):
    add_subscriber(dbsession, [topics["weekly-digest"]])

    register(testapp, event_factory(), newsletter=True)

    assert templates_to(dbsession) == ["registration-confirmed"]
    subscriber = subscriber_of(dbsession)
    assert subscriber.topic_ids == {topics["weekly-digest"], topics["events"]}
    [record] = history(dbsession)
    assert (record.action, record.source) == (ConsentAction.CHANGED, ConsentSource.EVENT_REGISTRATION)


def test_a_confirmation_link_expires_after_a_week(testapp, dbsession, registry, topics, tr):
    subscriber = add_subscriber(dbsession, [topics["events"]], status=SubscriberStatus.PENDING,
                                sent_minutes_ago=8 * 24 * 60)
    path = path_for(registry, "confirm", subscriber)

    page = testapp.get(path)
    assert tr("This confirmation link has expired.") in page.text
    testapp.post(path, {"csrf_token": csrf_token(testapp)}, status=303)

    assert subscriber_of(dbsession).status == SubscriberStatus.PENDING


def test_a_registrant_who_leaves_the_box_empty_is_not_subscribed(testapp, dbsession, event_factory):
    register(testapp, event_factory())

    assert subscriber_of(dbsession) is None
    assert templates_to(dbsession) == ["registration-confirmed"]


def test_without_an_events_topic_the_box_only_records_the_wish(testapp, dbsession, event_factory):
    dbsession.execute(delete(MailingTopic).where(MailingTopic.slug == "events"))
    dbsession.commit()

    register(testapp, event_factory(), newsletter=True)

    assert subscriber_of(dbsession) is None
    assert templates_to(dbsession) == ["registration-confirmed"]


# --- languages -----------------------------------------------------------------------------------


def test_a_greek_subscription_is_confirmed_in_greek(testapp, dbsession, outbox, topics, tr):
    switch_language(testapp, "en")  # the page in English, the emails chosen in Greek

    subscribe(testapp, [topics["calls"], topics["events"]], language="el")

    [message] = outbox()
    assert message["Subject"] == tr("Confirm your subscription to our newsletter")
    assert message["Subject"] == "Επιβεβαιώστε την εγγραφή σας στο newsletter μας"
    body = text_body(message)
    assert "- Εκδηλώσεις" in body and "- Προσκλήσεις υποβολής" in body
    assert "Events" not in body and "Calls for applications" not in body
    assert tr("If it was not you, ignore this email: without confirmation we send nothing else.") in body
    assert tr("Confirm your subscription") in body
    assert "Confirm your subscription" not in body
    assert subscriber_of(dbsession).locale == "el"
    assert [sent.locale for sent in queued_mail(dbsession)] == ["el"]


def test_the_note_to_a_subscribed_address_is_in_their_language_not_the_page_s(
        testapp, dbsession, outbox, topics):
    add_subscriber(dbsession, [topics["calls"]], locale="en")

    subscribe(testapp, [topics["calls"]], language="el")

    [message] = outbox()
    assert message["Subject"] == "You already receive our newsletter"
    assert subscriber_of(dbsession).locale == "en"
