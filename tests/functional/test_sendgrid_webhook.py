"""SendGrid's Event Webhook through the real app: only calls signed with the configured key, made
minutes ago, are taken; each event is recorded once per recipient, credited to a campaign only
when its ids are real; bounces, drops, spam reports and unsubscribes suppress the address (and
end the subscription of those who withdrew); events settle a batch left in doubt. Also our own
one-click unsubscribe links, counted for the campaign whose email carried them."""

import datetime
import json
import time
import uuid

import pytest
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from mailing import webhook
from mailing.models import (
    BatchStatus,
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    CampaignStatus,
    ConsentAction,
    ConsentRecord,
    ConsentSource,
    DeliveryEvent,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
    Suppression,
)
from tests.functional.conftest import new_client
from tests.functional.test_campaign_delivery import make_campaign, make_subscribers, make_topic, start
from tests.sendgrid_server import WebhookSigner, webhook_events

ENDPOINT = "/newsletter/sendgrid/events"
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


# --- helpers ----------------------------------------------------------------------------------


def post_signed(testapp, signer: WebhookSigner, events, status: int = 200, timestamp: int | None = None):
    body = json.dumps(events).encode()
    return testapp.post(ENDPOINT, body, headers=signer.headers(body, timestamp), status=status)


def event(email: str, kind: str = "delivered", **extra):
    """An event as SendGrid reports it for mail that carried no custom arguments (or `extra` ones)."""
    return {"email": email, "timestamp": int(time.time()), "event": kind, "sg_event_id": uuid.uuid4().hex,
            "sg_message_id": f"{uuid.uuid4().hex[:22]}.filter0001.1", **extra}


def recorded(dbsession) -> list[DeliveryEvent]:
    dbsession.rollback()
    return list(dbsession.scalars(select(DeliveryEvent).order_by(DeliveryEvent.id)))


def suppressed(dbsession) -> dict[str, str]:
    dbsession.rollback()
    return {row.email: row.reason.value for row in dbsession.scalars(select(Suppression))}


def subscriber_named(dbsession, email: str) -> Subscriber:
    dbsession.rollback()
    return dbsession.scalar(select(Subscriber).where(Subscriber.email == email))


def consent_of(dbsession, email: str) -> list[tuple[str, str, str]]:
    subscriber = subscriber_named(dbsession, email)
    return [(record.action.value, record.source.value, record.ip_address) for record in dbsession.scalars(
        select(ConsentRecord).where(ConsentRecord.subscriber_id == subscriber.id).order_by(ConsentRecord.id))]


def recipients_of(dbsession, campaign_id: int) -> dict[str, CampaignRecipient]:
    dbsession.rollback()
    return {recipient.email: recipient for recipient in dbsession.scalars(
        select(CampaignRecipient).where(CampaignRecipient.campaign_id == campaign_id))}


def sent_campaign(dbsession, sendgrid, run_tasks, count: int = 3, slug: str = "events"):
    """A campaign to `count` subscribers, sent through the local SendGrid: (its id, the request)."""
    topic = make_topic(dbsession, slug=slug)
    make_subscribers(dbsession, topic, count, prefix=f"{slug}-person")
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()
    [request] = [request for request in sendgrid.accepted
                 if request.body["personalizations"][0]["custom_args"]["campaign_id"] == str(campaign_id)]
    return campaign_id, request


# --- recording --------------------------------------------------------------------------------


def test_signed_events_are_recorded_per_recipient_of_the_campaign(testapp, dbsession, sendgrid, run_tasks,
                                                                   webhook_signer):
    campaign_id, request = sent_campaign(dbsession, sendgrid, run_tasks)
    delivered = webhook_events(request, "delivered")
    clicked = webhook_events(request, "click", url="https://dimoskopio.example/events/pitch-night")[:1]
    stamp = 1_795_000_000
    opened = webhook_events(request, "open", timestamp=stamp)[:1]

    post_signed(testapp, webhook_signer, delivered + clicked + opened)

    recipients = recipients_of(dbsession, campaign_id)
    rows = recorded(dbsession)
    assert [(row.event, row.email) for row in rows] == (
        [("delivered", email) for email in sorted(recipients)]
        + [("click", "events-person0@example.org"), ("open", "events-person0@example.org")])
    for row, sent in zip(rows, delivered + clicked + opened, strict=True):
        assert row.campaign_id == campaign_id
        assert row.recipient_id == recipients[row.email].id
        assert row.sg_event_id == sent["sg_event_id"]
        assert row.sg_message_id == sent["sg_message_id"]
        assert row.sg_message_id.startswith(request.message_id + ".")
        assert row.received_at is not None
    assert rows[3].url == "https://dimoskopio.example/events/pitch-night"
    assert rows[4].occurred_at == datetime.datetime.fromtimestamp(stamp, datetime.UTC)
    assert suppressed(dbsession) == {}
    # The batch was accepted already: its message id stays as the worker recorded it.
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.ACCEPTED
    assert batch.message_id == request.message_id


def test_events_of_mail_outside_campaigns_are_recorded_without_a_campaign(testapp, dbsession, webhook_signer):
    sent = [event("someone@example.org", "processed"),
            event("someone@example.org", "deferred", response="451 4.7.1 Try again later")]
    post_signed(testapp, webhook_signer, sent)

    rows = recorded(dbsession)
    assert [(row.event, row.campaign_id, row.recipient_id) for row in rows] == [
        ("processed", None, None), ("deferred", None, None)]
    assert rows[1].reason == "451 4.7.1 Try again later"


def test_unknown_kinds_and_events_without_id_or_address_are_ignored(testapp, dbsession, webhook_signer):
    kept = event("someone@example.org")
    sent = [kept, event("someone@example.org", "group_resubscribe"), event("someone@example.org", "bounced"),
            event("someone@example.org", ["bounce"]), {**event("someone@example.org"), "sg_event_id": None},
            {**event("someone@example.org"), "sg_event_id": "x" * 101}, {**event(""), "email": 42},
            event("   ", "bounce"), {"event": "bounce"}, {}]
    post_signed(testapp, webhook_signer, sent)

    assert [row.sg_event_id for row in recorded(dbsession)] == [kept["sg_event_id"]]
    assert suppressed(dbsession) == {}


def test_long_values_are_cut_to_fit_and_odd_timestamps_fall_back_to_now(testapp, dbsession, webhook_signer):
    before = utcnow().replace(microsecond=0)
    long_address = "a" * 300 + "@example.org"
    sent = [event(long_address, sg_message_id="m" * 400, timestamp="yesterday"),
            event("someone@example.org", timestamp=10**20), event("someone@example.org", timestamp=True)]
    post_signed(testapp, webhook_signer, sent)

    rows = recorded(dbsession)
    assert len(rows) == 3
    assert rows[0].email == long_address[:254]
    assert rows[0].sg_message_id == "m" * 255
    assert all(row.occurred_at >= before for row in rows)


def test_an_event_sent_twice_is_recorded_once(testapp, dbsession, webhook_signer):
    first, second = event("someone@example.org", "bounce"), event("other@example.org")
    post_signed(testapp, webhook_signer, [first, first, second])
    assert len(recorded(dbsession)) == 2

    # SendGrid sends the call again when it hears no answer.
    post_signed(testapp, webhook_signer, [second, first, {**first, "event": "dropped"}])
    rows = recorded(dbsession)
    assert [(row.sg_event_id, row.event) for row in rows] == [(first["sg_event_id"], "bounce"),
                                                              (second["sg_event_id"], "delivered")]


def test_the_summary_counts_what_was_recorded_repeated_and_ignored(app, dbsession):
    known = event("someone@example.org")
    dbsession.add(DeliveryEvent(sg_event_id=known["sg_event_id"], event="delivered", email="someone@example.org",
                                occurred_at=utcnow()))
    dbsession.commit()
    first, second = event("someone@example.org", "open"), event("other@example.org", "click", url="https://x.example")
    events = [first, second, {**first, "event": "dropped"}, known, event("someone@example.org", "blocked")]

    with task_request() as request:
        summary = webhook.record_events(request, events, utcnow())

    assert summary == webhook.EventSummary(recorded=2, duplicates=2, ignored=1)
    # The first of an id in the call is the one kept.
    assert [(row.sg_event_id, row.event) for row in recorded(dbsession)][1:] == [
        (first["sg_event_id"], "open"), (second["sg_event_id"], "click")]
    assert suppressed(dbsession) == {}


def test_an_event_recorded_meanwhile_by_another_call_is_left_out_the_others_kept(app, dbsession):
    """Two calls carrying the same event at once: both looked before either inserted, so the second
    meets the unique constraint, and keeps the events the first did not have."""
    now = utcnow()
    dbsession.add(DeliveryEvent(sg_event_id="taken", event="delivered", email="someone@example.org",
                                occurred_at=now))
    dbsession.commit()
    rows = [{"sg_event_id": sg_event_id, "event": "open", "email": "someone@example.org", "occurred_at": now,
             "received_at": now} for sg_event_id in ("new-1", "taken", "new-2")]

    assert webhook._insert_once(dbsession, rows) == ["new-1", "new-2"]
    dbsession.commit()
    assert [(row.sg_event_id, row.event) for row in recorded(dbsession)] == [
        ("taken", "delivered"), ("new-1", "open"), ("new-2", "open")]


# --- attribution --------------------------------------------------------------------------------


def test_forged_campaign_and_recipient_ids_are_not_credited(testapp, dbsession, webhook_signer):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    first_id = make_campaign(dbsession, topic).id
    second_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(first_id)
    start(second_id)
    first, second = recipients_of(dbsession, first_id), recipients_of(dbsession, second_id)
    person0, person1 = "person0@example.org", "person1@example.org"

    def naming(email, campaign_id, recipient_id):
        return event(email, campaign_id=str(campaign_id), recipient_id=str(recipient_id))

    sent = [
        naming("Person0@Example.org", first_id, first[person0].id),  # genuine (the case does not matter)
        naming(person0, first_id, second[person0].id),  # a recipient of another campaign
        naming(person1, first_id, first[person0].id),  # someone else's recipient id
        naming(person0, first_id, 999_999),  # no such recipient
        naming(person0, "1 OR 1=1", first[person0].id),
        naming(person0, first_id, "-1"),
        event(person0, campaign_id=first_id, recipient_id=first[person0].id),  # numbers, not the strings we send
    ]
    post_signed(testapp, webhook_signer, sent)

    rows = recorded(dbsession)
    assert len(rows) == len(sent)
    assert (rows[0].campaign_id, rows[0].recipient_id) == (first_id, first[person0].id)
    assert [(row.campaign_id, row.recipient_id) for row in rows[1:]] == [(None, None)] * (len(sent) - 1)


# --- suppression and withdrawal -----------------------------------------------------------------


def test_bounces_drops_spam_reports_and_unsubscribes_suppress_the_address(testapp, dbsession, webhook_signer):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 6)
    dbsession.commit()
    sent = [
        event("person0@example.org", "bounce", type="bounce", reason="550 5.1.1 No such user"),
        event("person1@example.org", "dropped", reason="Invalid"),
        event("person2@example.org", "spamreport"),
        event("Person3@Example.org", "unsubscribe"),
        event("person4@example.org", "group_unsubscribe"),
        event("person5@example.org", "bounce", type="blocked", reason="550 5.7.1 Blocked for spam content"),
        event("not-subscribed@example.org", "bounce", type="bounce"),
    ]
    post_signed(testapp, webhook_signer, sent)

    assert suppressed(dbsession) == {
        "person0@example.org": "bounced",
        "person1@example.org": "dropped",
        "person2@example.org": "complained",
        "person3@example.org": "unsubscribed",
        "person4@example.org": "unsubscribed",
        "not-subscribed@example.org": "bounced",
    }
    assert len(recorded(dbsession)) == len(sent)
    assert recorded(dbsession)[0].reason == "550 5.1.1 No such user"
    # Kept apart from hard bounces, so that statistics do not count it as one.
    assert [row.event for row in recorded(dbsession) if row.email == "person5@example.org"] == ["blocked"]
    # Those who withdrew are unsubscribed, with SendGrid's report as the record; a bounce or a
    # drop says nothing of the person's wishes.
    for email in ("person2@example.org", "person3@example.org", "person4@example.org"):
        subscriber = subscriber_named(dbsession, email)
        assert subscriber.status is SubscriberStatus.UNSUBSCRIBED
        assert subscriber.topic_ids == set()
        assert consent_of(dbsession, email) == [(ConsentAction.UNSUBSCRIBED.value, ConsentSource.PROVIDER.value, "")]
    for email in ("person0@example.org", "person1@example.org", "person5@example.org"):
        assert subscriber_named(dbsession, email).status is SubscriberStatus.ACTIVE
        assert consent_of(dbsession, email) == []


def test_a_second_report_changes_nothing_more(testapp, dbsession, webhook_signer):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 1)
    dbsession.commit()
    post_signed(testapp, webhook_signer, [event("person0@example.org", "spamreport")])
    post_signed(testapp, webhook_signer, [event("person0@example.org", "unsubscribe"),
                                          event("person0@example.org", "bounce", type="bounce")])

    assert suppressed(dbsession) == {"person0@example.org": "complained"}
    assert len(consent_of(dbsession, "person0@example.org")) == 1
    assert len(recorded(dbsession)) == 3


# --- settling a batch in doubt ------------------------------------------------------------------


def test_a_batch_in_doubt_is_settled_by_its_processed_events(testapp, dbsession, sendgrid, run_tasks,
                                                            webhook_signer):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 3)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    # SendGrid takes the request but answers after the mailer stopped waiting (2 seconds).
    sendgrid.delay_seconds = 2.5
    start(campaign_id)
    run_tasks()
    [request] = sendgrid.received
    deadline = time.monotonic() + 5
    while not request.message_id and time.monotonic() < deadline:
        time.sleep(0.05)
    assert request.status == 202
    dbsession.rollback()
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.IN_DOUBT
    assert dbsession.get(Campaign, campaign_id).status is CampaignStatus.SENDING
    assert {recipient.status for recipient in recipients_of(dbsession, campaign_id).values()} == {
        RecipientStatus.PENDING}

    post_signed(testapp, webhook_signer, webhook_events(request, "processed"))

    dbsession.rollback()
    batch = dbsession.get(CampaignBatch, batch.id)
    assert batch.status is BatchStatus.ACCEPTED
    assert batch.message_id == request.message_id
    assert batch.accepted_at is not None
    for recipient in recipients_of(dbsession, campaign_id).values():
        assert recipient.status is RecipientStatus.SENT
        assert recipient.message_id == request.message_id
        assert recipient.sent_at is not None
    campaign = dbsession.get(Campaign, campaign_id)
    assert campaign.status is CampaignStatus.SENT
    assert campaign.finished_at is not None
    run_tasks()
    assert len(sendgrid.received) == 1


def test_events_naming_an_unknown_batch_settle_nothing(testapp, dbsession, webhook_signer):
    post_signed(testapp, webhook_signer, [event("someone@example.org", "processed", campaign_batch_id="4242"),
                                          event("someone@example.org", "processed", campaign_batch_id="abc")])
    assert len(recorded(dbsession)) == 2


# --- refusals -----------------------------------------------------------------------------------


@pytest.fixture
def payload() -> bytes:
    return json.dumps([event("someone@example.org", "bounce", type="bounce")]).encode()


def refused(testapp, dbsession, body: bytes, headers: dict[str, str], status: int = 403):
    response = testapp.post(ENDPOINT, body, headers=headers, status=status)
    assert recorded(dbsession) == []
    assert suppressed(dbsession) == {}
    return response


def test_an_unsigned_call_is_refused(testapp, dbsession, webhook_signer, payload, tr):
    response = refused(testapp, dbsession, payload, {"Content-Type": "application/json"})
    assert response.text == tr("The signature is missing, wrong or too old.")
    signature_only = {key: value for key, value in webhook_signer.headers(payload).items()
                      if key != webhook.TIMESTAMP_HEADER}
    refused(testapp, dbsession, payload, signature_only)


def test_a_changed_body_is_refused(testapp, dbsession, webhook_signer, payload):
    headers = webhook_signer.headers(payload)
    refused(testapp, dbsession, payload.replace(b"someone@", b"victim@"), headers)


def test_a_call_signed_with_another_key_is_refused(testapp, dbsession, webhook_signer, payload):
    refused(testapp, dbsession, payload, WebhookSigner().headers(payload))


def test_a_stale_call_is_refused(testapp, dbsession, webhook_signer, payload):
    too_old = int(time.time() - webhook.SIGNATURE_MAX_AGE.total_seconds()) - 60
    refused(testapp, dbsession, payload, webhook_signer.headers(payload, too_old))


def test_a_call_from_the_future_is_refused(testapp, dbsession, webhook_signer, payload):
    too_early = int(time.time() + webhook.SIGNATURE_MAX_CLOCK_SKEW.total_seconds()) + 60
    refused(testapp, dbsession, payload, webhook_signer.headers(payload, too_early))


def test_a_call_a_few_minutes_old_is_taken(testapp, dbsession, webhook_signer, payload):
    testapp.post(ENDPOINT, payload, headers=webhook_signer.headers(payload, int(time.time()) - 300))
    assert len(recorded(dbsession)) == 1


def test_without_a_configured_key_the_endpoint_takes_nothing(testapp, dbsession, registry, payload, tr):
    assert registry.settings["sendgrid.webhook_public_key"] == ""
    response = refused(testapp, dbsession, payload, WebhookSigner().headers(payload))
    assert response.text == tr("The SendGrid Event Webhook is not enabled.")


@pytest.mark.parametrize("body", [b'{"event": "bounce"}', b"[1, 2]", b'[{"event": "open"}, "x"]', b"not json",
                                  b"\xff\xfe", b"[" * 100_000, b""])
def test_a_signed_body_that_is_not_a_list_of_events_is_a_bad_request(testapp, dbsession, webhook_signer, body):
    refused(testapp, dbsession, body, webhook_signer.headers(body), status=400)


def test_only_posts_are_taken(testapp, webhook_signer):
    testapp.get(ENDPOINT, status=404)


# --- our own one-click unsubscribe ----------------------------------------------------------------


def unsubscribe_links(request) -> dict[str, str]:
    """Each recipient's one-click unsubscribe address, from the List-Unsubscribe header SendGrid got."""
    return {personalization["to"][0]["email"]:
            personalization["headers"]["List-Unsubscribe"].strip("<>").replace("http://localhost", "")
            for personalization in request.body["personalizations"]}


def test_a_one_click_unsubscribe_from_a_campaign_email_counts_for_the_campaign_once(
        app, testapp, dbsession, sendgrid, run_tasks):
    campaign_id, request = sent_campaign(dbsession, sendgrid, run_tasks)
    link = unsubscribe_links(request)["events-person0@example.org"]
    assert link.endswith(f"?campaign={campaign_id}")

    testapp.get(link)
    testapp.head(link)
    assert recorded(dbsession) == []
    assert subscriber_named(dbsession, "events-person0@example.org").status is SubscriberStatus.ACTIVE

    new_client(app).post(link, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")
    new_client(app).post(link, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")

    recipient = recipients_of(dbsession, campaign_id)["events-person0@example.org"]
    [row] = recorded(dbsession)
    assert (row.event, row.email, row.campaign_id, row.recipient_id, row.sg_event_id) == (
        "unsubscribe", "events-person0@example.org", campaign_id, recipient.id, f"local-unsubscribe-{recipient.id}")
    assert row.occurred_at is not None

    # Subscribed again later, and gone again through the same old email: still counted once.
    subscriber = subscriber_named(dbsession, "events-person0@example.org")
    subscriber.status = SubscriberStatus.ACTIVE
    dbsession.commit()
    new_client(app).post(link, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")
    assert subscriber_named(dbsession, "events-person0@example.org").status is SubscriberStatus.UNSUBSCRIBED
    assert len(recorded(dbsession)) == 1


def test_the_unsubscribe_page_button_counts_for_the_campaign_too(testapp, dbsession, sendgrid, run_tasks):
    campaign_id, request = sent_campaign(dbsession, sendgrid, run_tasks)
    page = testapp.get(unsubscribe_links(request)["events-person1@example.org"])
    [form] = [form for form in page.forms.values() if form.action in ("", None)]
    form.submit()

    [row] = recorded(dbsession)
    assert (row.event, row.campaign_id, row.email) == ("unsubscribe", campaign_id, "events-person1@example.org")


def test_an_unsubscribe_link_naming_no_campaign_of_the_person_counts_for_none(app, dbsession, sendgrid,
                                                                              run_tasks):
    _campaign_id, request = sent_campaign(dbsession, sendgrid, run_tasks, count=4)
    other_id, _other = sent_campaign(dbsession, sendgrid, run_tasks, count=1, slug="calls")
    links = unsubscribe_links(request)
    plain = {email: link.split("?")[0] for email, link in links.items()}
    for email, query in zip(sorted(plain), ["", "?campaign=abc", f"?campaign={other_id}", "?campaign=" + "9" * 40],
                            strict=True):
        new_client(app).post(plain[email] + query, ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")
        assert subscriber_named(dbsession, email).status is SubscriberStatus.UNSUBSCRIBED

    assert recorded(dbsession) == []
