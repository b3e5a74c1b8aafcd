"""The staff's newsletter screens: subscribers with search, filters and export, a subscriber's
page with its consent record, and the suppression list."""

import csv
import io
import secrets

import pytest
from sqlalchemy import select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from mailing.models import (
    ConsentRecord,
    MailingTopic,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
    SuppressionReason,
)
from tests.functional.conftest import csrf_token


@pytest.fixture
def lists(dbsession):
    dbsession.rollback()
    events = MailingTopic(slug="events", name_el="Εκδηλώσεις", name_en="Events", position=1)
    digest = MailingTopic(slug="weekly-digest", name_el="Εβδομαδιαία σύνοψη", name_en="Weekly digest", position=2)
    dbsession.add_all([events, digest])
    dbsession.flush()
    people = {}
    for email, status, topics in (
        ("eleni@example.gr", SubscriberStatus.ACTIVE, [events, digest]),
        ("nikos@example.gr", SubscriberStatus.PENDING, [events]),
        ("maria@example.gr", SubscriberStatus.UNSUBSCRIBED, []),
    ):
        person = Subscriber(email=email, name=email.split("@")[0].title(), status=status,
                            link_salt=secrets.token_hex(32), created_at=utcnow())
        person.subscriptions = [Subscription(topic_id=topic.id) for topic in topics]
        dbsession.add(person)
        people[email] = person
    dbsession.add(Suppression(email="maria@example.gr", reason=SuppressionReason.UNSUBSCRIBED))
    dbsession.commit()
    return {"events": events, "digest": digest, **people}


def test_staff_search_filter_and_export_subscribers(testapp, lists, logged_in):
    logged_in(Role.STAFF)
    page = testapp.get("/admin/newsletter/subscribers")
    assert {row.text for row in page.html.select("tbody th")} == {
        "eleni@example.gr", "nikos@example.gr", "maria@example.gr"}

    active = testapp.get("/admin/newsletter/subscribers", {"status": "active"})
    assert [row.text for row in active.html.select("tbody th")] == ["eleni@example.gr"]
    digest = testapp.get("/admin/newsletter/subscribers", {"topic": lists["digest"].id})
    assert [row.text for row in digest.html.select("tbody th")] == ["eleni@example.gr"]
    found = testapp.get("/admin/newsletter/subscribers", {"q": "NIKOS"})
    assert [row.text for row in found.html.select("tbody th")] == ["nikos@example.gr"]

    export = testapp.get("/admin/newsletter/subscribers.csv", {"topic": lists["events"].id})
    rows = list(csv.reader(io.StringIO(export.body.decode("utf-8-sig"))))
    assert sorted(row[0] for row in rows[1:]) == ["eleni@example.gr", "nikos@example.gr"]
    assert "events weekly-digest" in {row[4] for row in rows[1:]}


def test_staff_edit_topics_and_unsubscribe_with_a_consent_record(testapp, dbsession, lists, logged_in):
    logged_in(Role.STAFF)
    eleni = lists["eleni@example.gr"]
    page = testapp.get(f"/admin/newsletter/subscribers/{eleni.id}")
    form = next(form for form in page.forms.values() if "language" in form.fields)
    for checkbox in form.fields["topics"]:
        checkbox.checked = checkbox._value == str(lists["events"].id)
    form.submit(status=303)

    dbsession.rollback()
    stored = dbsession.get(Subscriber, eleni.id)
    assert stored.topic_ids == {lists["events"].id}
    assert [record.action.value for record in dbsession.scalars(select(ConsentRecord))] == ["changed"]

    page = testapp.get(f"/admin/newsletter/subscribers/{eleni.id}")
    form = next(form for form in page.forms.values() if "action" in form.fields)
    form.submit("action", status=303)
    dbsession.rollback()
    assert dbsession.get(Subscriber, eleni.id).status == SubscriberStatus.UNSUBSCRIBED
    suppressions = testapp.get("/admin/newsletter/suppressions")
    assert {row.text for row in suppressions.html.select("tbody th")} == {"eleni@example.gr", "maria@example.gr"}


def test_members_cannot_reach_the_newsletter_screens(testapp, lists, logged_in):
    logged_in(Role.MEMBER)
    for path in ("/admin/newsletter/subscribers", "/admin/newsletter/subscribers.csv",
                 f"/admin/newsletter/subscribers/{lists['eleni@example.gr'].id}", "/admin/newsletter/suppressions"):
        testapp.get(path, status=403)
    testapp.post("/admin/newsletter/suppressions/1/lift", {"csrf_token": csrf_token(testapp)}, status=403)


def test_importing_a_csv_checks_every_row_first_then_adds_only_who_may_be_added(testapp, dbsession, lists,
                                                                                 logged_in, tr):
    logged_in(Role.STAFF)
    data = ("email;name;language\n"
            "new@example.gr;Νέα Συνδρομήτρια;en\n"
            "not-an-address;Κάποιος;el\n"
            "NEW@example.gr;Ξανά;el\n"
            "maria@example.gr;Μαρία;el\n"
            "eleni@example.gr;Ελένη;el\n").encode()

    def send(confirm):
        page = testapp.get("/admin/newsletter/import")
        form = next(form for form in page.forms.values() if "note" in form.fields)
        form["file"] = ("people.csv", data, "text/csv")
        form["note"] = "Φύλλο εγγραφής, Startup Weekend 12/10/2026"
        form["confirm"] = confirm
        for checkbox in form.fields["topics"]:
            checkbox.checked = checkbox._value == str(lists["digest"].id)
        return form.submit(status=200)

    checked = send(False)
    results = [cell.text for cell in checked.html.select("tbody td:nth-of-type(2)")]
    assert results == [tr(message) for message in (
        "added", "not a valid email address", "appears earlier in the file", "on the suppression list: not added",
        "already subscribed to these topics")]
    dbsession.rollback()
    assert dbsession.scalar(select(Subscriber).where(Subscriber.email == "new@example.gr")) is None

    send(True)
    dbsession.rollback()
    added = dbsession.scalar(select(Subscriber).where(Subscriber.email == "new@example.gr"))
    assert (added.status, added.locale, added.topic_ids) == (SubscriberStatus.ACTIVE, "en", {lists["digest"].id})
    [record] = dbsession.scalars(select(ConsentRecord).where(ConsentRecord.subscriber_id == added.id)).all()
    assert (record.source.value, record.note) == ("import", "Φύλλο εγγραφής, Startup Weekend 12/10/2026")
    maria = dbsession.scalar(select(Subscriber).where(Subscriber.email == "maria@example.gr"))
    assert maria.status == SubscriberStatus.UNSUBSCRIBED, "the suppression list wins over an import"


def topic_form(page):
    return next(form for form in page.forms.values() if "name_el" in form.fields)


def test_staff_add_and_rename_topics_that_then_appear_on_the_subscribe_form(testapp, dbsession, lists, logged_in,
                                                                           tr):
    logged_in(Role.STAFF)
    form = topic_form(testapp.get("/admin/newsletter/topics/new"))
    form["name_el"] = "Ευκαιρίες χρηματοδότησης"
    form["slug"] = "Funding News"
    refused = form.submit(status=400)
    assert tr("Use lower-case Latin letters, digits and hyphens, like startup-night-2027.") in refused.text
    form = topic_form(refused)
    form["slug"] = "events"
    taken = form.submit(status=400)
    assert tr("Another topic has this short name.") in taken.text
    form = topic_form(taken)
    form["slug"] = "funding"
    form.submit(status=303)

    topics = testapp.get("/admin/newsletter/topics")
    assert "Ευκαιρίες χρηματοδότησης" in topics.text
    assert "Ευκαιρίες χρηματοδότησης" in testapp.get("/newsletter").text
    events_page = testapp.get(f"/admin/newsletter/topics/{lists['events'].id}")
    form = topic_form(events_page)
    form["name_el"] = "Εκδηλώσεις και εργαστήρια"
    form.submit(status=303)
    dbsession.rollback()
    assert dbsession.get(MailingTopic, lists["events"].id).name_el == "Εκδηλώσεις και εργαστήρια"


def import_page(testapp, data: bytes, lists, confirm=True):
    page = testapp.get("/admin/newsletter/import")
    form = next(form for form in page.forms.values() if "note" in form.fields)
    form["file"] = ("people.csv", data, "text/csv")
    form["note"] = "Λίστα της εκδήλωσης"
    form["confirm"] = confirm
    for checkbox in form.fields["topics"]:
        checkbox.checked = checkbox._value == str(lists["events"].id)
    return form


def test_an_import_refuses_broken_quotes_and_control_characters_and_activates_pending_people(
        testapp, dbsession, lists, logged_in, tr):
    logged_in(Role.STAFF)
    broken = import_page(testapp, b'email,name\nnew@example.gr,"Broken\nother@example.gr,Name\n', lists)
    refused = broken.submit(status=400)
    assert tr("The file has a quotation mark that is never closed, so its rows cannot be told apart. "
              "Correct it in your spreadsheet and save it as CSV again.") in refused.text

    data = "email,name\nnul@example.gr,Bad\x00Name\nnikos@example.gr,Νίκος\n".encode()
    report = import_page(testapp, data, lists).submit(status=200)
    results = [cell.text for cell in report.html.select("tbody td:nth-of-type(2)")]
    assert results == [tr("not a valid email address"), tr("added")]
    dbsession.rollback()
    nikos = dbsession.scalar(select(Subscriber).where(Subscriber.email == "nikos@example.gr"))
    assert nikos.status == SubscriberStatus.ACTIVE, "the import's consent confirms a pending request"
    assert dbsession.scalar(select(Subscriber).where(Subscriber.email == "nul@example.gr")) is None


def test_staff_take_an_address_off_the_suppression_list(testapp, dbsession, lists, logged_in):
    logged_in(Role.STAFF)
    page = testapp.get("/admin/newsletter/suppressions")
    [form] = [form for form in page.forms.values() if form.action.endswith("/lift")]
    form.submit(status=303)

    dbsession.rollback()
    assert dbsession.scalars(select(Suppression)).all() == []
    maria = dbsession.scalar(select(Subscriber).where(Subscriber.email == "maria@example.gr"))
    assert maria.status == SubscriberStatus.UNSUBSCRIBED, "lifting subscribes nobody"


@pytest.mark.parametrize("slug", ["events", "weekly-digest"])
def test_the_topics_the_application_finds_by_name_keep_their_short_names(testapp, dbsession, lists, logged_in, tr,
                                                                         slug):
    logged_in(Role.STAFF)
    topic_id = lists["events" if slug == "events" else "digest"].id
    form = topic_form(testapp.get(f"/admin/newsletter/topics/{topic_id}"))
    form["slug"] = "renamed"
    refused = form.submit(status=400)
    assert tr("The application finds this topic by its short name (event registrations, the weekly digest): it "
              "cannot change.") in refused.text
    dbsession.rollback()
    assert dbsession.get(MailingTopic, topic_id).slug == slug
