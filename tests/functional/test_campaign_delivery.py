"""Campaign delivery through a local SendGrid: batches, the ledger, retries, refusals, throttling,
and headers every recipient must get."""

import datetime
import email
import email.policy
import secrets
import time

from sqlalchemy import func, select

from dimoskopio.db import utcnow
from dimoskopio.mail.services import IMailer, MailDeliveryError
from dimoskopio.signing import read_row_token
from dimoskopio.tasks import huey, task_request
from mailing import delivery
from mailing.models import (
    BatchStatus,
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    CampaignStatus,
    MailingTopic,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
    SuppressionReason,
)
from mailing.services import subscriber_for_token
from mailing.tasks import sweep_campaigns


def make_topic(dbsession, slug="events", name_en="Events"):
    topic = MailingTopic(slug=slug, name_el="Εκδηλώσεις", name_en=name_en)
    dbsession.add(topic)
    dbsession.flush()
    return topic


def make_subscribers(dbsession, topic, count, status=SubscriberStatus.ACTIVE, locale="el", prefix="person"):
    people = []
    for number in range(count):
        subscriber = Subscriber(email=f"{prefix}{number}@example.org", name=f"Μαρία Παπαδάκη {number}",
                                locale=locale, status=status, link_salt=secrets.token_hex(8))
        subscriber.subscriptions.append(Subscription(topic_id=topic.id))
        people.append(subscriber)
    dbsession.add_all(people)
    dbsession.flush()
    return people


def make_campaign(dbsession, topic, **overrides):
    values = {"subject": "Νέα του μήνα, {{ first_name }}",
              "preheader": "Τι έρχεται",
              "body": "Γεια σου {{ first_name }}!\n\n[Οι προτιμήσεις σου]({{ preferences_url }})",
              "locale": "el"}
    campaign = Campaign(**{**values, **overrides})
    campaign.topics = [topic]
    dbsession.add(campaign)
    dbsession.flush()
    return campaign


def start(campaign_id):
    with task_request() as request:
        campaign = request.dbsession.get(Campaign, campaign_id)
        return delivery.start_sending(request, campaign, utcnow())


def reload(dbsession, model, row_id):
    dbsession.rollback()
    dbsession.expire_all()
    return dbsession.get(model, row_id)


def statuses(dbsession, campaign_id):
    dbsession.rollback()
    return dict(dbsession.execute(select(CampaignRecipient.status, func.count())
                                  .where(CampaignRecipient.campaign_id == campaign_id)
                                  .group_by(CampaignRecipient.status)).all())


def test_campaign_goes_out_in_batches_of_at_most_a_thousand_each_recipient_once(
        app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2300)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()

    assert start(campaign_id) == 2300
    run_tasks()

    assert [len(request.recipients) for request in sendgrid.accepted] == [1000, 1000, 300]
    addresses = sendgrid.delivered_addresses()
    assert len(addresses) == len(set(addresses)) == 2300
    campaign = reload(dbsession, Campaign, campaign_id)
    assert campaign.status is CampaignStatus.SENT
    assert campaign.finished_at is not None
    assert statuses(dbsession, campaign_id) == {RecipientStatus.SENT: 2300}
    message_ids = {request.message_id for request in sendgrid.accepted}
    stored = set(dbsession.scalars(select(CampaignRecipient.message_id).where(
        CampaignRecipient.campaign_id == campaign_id)))
    assert stored == message_ids


def test_each_personalization_has_its_merge_data_headers_and_ids(app, dbsession, registry, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    people = make_subscribers(dbsession, topic, 3)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()

    [request] = sendgrid.accepted
    body = request.body
    assert request.headers["Authorization"] == "Bearer SG.test-key"
    assert body["categories"] == ["newsletter", f"campaign-{campaign_id}"]
    assert "Γεια σου %first-name%!" in body["content"][0]["value"]
    assert "%first-name.html%" in body["content"][1]["value"]
    assert body["subject"] == "Νέα του μήνα, %first-name%"
    for personalization, person in zip(body["personalizations"], people, strict=True):
        assert personalization["to"] == [{"email": person.email, "name": person.name}]
        values = personalization["substitutions"]
        assert values["%first-name%"] == "Μαρία"
        unsubscribe = personalization["headers"]["List-Unsubscribe"]
        assert unsubscribe.startswith("<http://localhost/newsletter/unsubscribe/")
        assert unsubscribe.endswith(f"?campaign={campaign_id}>")
        assert personalization["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert personalization["headers"]["List-Id"] == '"Events" <events.localhost>'
        token = unsubscribe.split("/unsubscribe/")[1].split("?")[0]
        assert subscriber_for_token(dbsession, registry.settings["dimoskopio.secret"], "unsubscribe",
                                    token).id == person.id
        assert read_row_token(values["%preferences-url%"].rsplit("/", 1)[1]) is not None
        args = personalization["custom_args"]
        assert set(args) == {"campaign_id", "recipient_id"}
        assert args["campaign_id"] == str(campaign_id)
        assert "@" not in "".join(args.values())
    assert set(body["custom_args"]) == {"campaign_batch_id"}


def test_unsubscribed_and_suppressed_people_are_never_mailed(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    active = make_subscribers(dbsession, topic, 4)
    make_subscribers(dbsession, topic, 2, status=SubscriberStatus.PENDING, prefix="pending")
    make_subscribers(dbsession, topic, 2, status=SubscriberStatus.UNSUBSCRIBED, prefix="gone")
    other = make_topic(dbsession, slug="calls", name_en="Calls")
    make_subscribers(dbsession, other, 2, prefix="other-topic")
    dbsession.add(Suppression(email=active[0].email, reason=SuppressionReason.BOUNCED))
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()

    assert start(campaign_id) == 3
    run_tasks()
    assert sorted(sendgrid.delivered_addresses()) == sorted(person.email for person in active[1:])


def test_people_who_leave_after_the_start_are_skipped(app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 2
    topic = make_topic(dbsession)
    people = make_subscribers(dbsession, topic, 4)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    leaving = dbsession.get(Subscriber, people[3].id)
    leaving.status = SubscriberStatus.UNSUBSCRIBED
    dbsession.add(Suppression(email=people[2].email, reason=SuppressionReason.COMPLAINED))
    dbsession.commit()
    run_tasks()

    assert sorted(sendgrid.delivered_addresses()) == sorted(person.email for person in people[:2])
    assert statuses(dbsession, campaign_id) == {RecipientStatus.SENT: 2, RecipientStatus.SKIPPED: 2}
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENT


def test_rate_limit_and_server_errors_are_retried_after_waiting(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 5)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    sendgrid.answer_next(429, {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0",
                               "X-RateLimit-Reset": str(int(time.time()) + 1)})
    sendgrid.answer_next(503)
    start(campaign_id)
    began = time.monotonic()
    run_tasks()

    assert [request.status for request in sendgrid.received] == [429, 503, 202]
    # Waited for X-RateLimit-Reset before the second attempt.
    assert time.monotonic() - began >= 0.9
    assert len(sendgrid.delivered_addresses()) == 5
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.ACCEPTED
    assert batch.attempts == 3


def test_a_refused_batch_is_not_retried_blindly_and_staff_see_why(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 3)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    sendgrid.answer_next(400, body=b'{"errors":[{"message":"The from address does not match a verified Sender"}]}')
    start(campaign_id)
    run_tasks()

    assert len(sendgrid.received) == 1
    campaign = reload(dbsession, Campaign, campaign_id)
    assert campaign.status is CampaignStatus.PAUSED
    assert "verified Sender" in campaign.last_error
    assert statuses(dbsession, campaign_id) == {RecipientStatus.PENDING: 3}
    run_tasks()
    assert len(sendgrid.received) == 1

    with task_request() as request:
        delivery.resume(request, request.dbsession.get(Campaign, campaign_id), utcnow())
    run_tasks()
    assert len(sendgrid.accepted) == 1
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENT


def test_too_large_a_request_is_refused_and_recorded(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    sendgrid.answer_next(413, body=b'{"errors":[{"message":"payload too large"}]}')
    start(campaign_id)
    run_tasks()
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.FAILED
    assert "413" in batch.last_error


def test_throttle_keeps_to_the_messages_per_second_setting(app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 10
    settings["mailing.messages_per_second"] = 20.0
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 40)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    began = time.monotonic()
    run_tasks()

    # Four batches of ten at twenty a second: the last may go no sooner than 1.5 s after the first.
    assert len(sendgrid.accepted) == 4
    assert time.monotonic() - began >= 1.5


def test_pause_stops_between_batches_and_resume_goes_on(app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 5
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 15)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    with task_request() as request:
        delivery.pause(request.dbsession.get(Campaign, campaign_id))
    run_tasks()
    assert sendgrid.received == []
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.PAUSED

    with task_request() as request:
        delivery.resume(request, request.dbsession.get(Campaign, campaign_id), utcnow())
    run_tasks()
    assert len(sendgrid.delivered_addresses()) == 15
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENT


def test_cancel_leaves_the_rest_unsent(app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 5
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 10)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    with task_request() as request:
        delivery.cancel(request.dbsession, request.dbsession.get(Campaign, campaign_id), utcnow())
    run_tasks()
    assert sendgrid.received == []
    assert statuses(dbsession, campaign_id) == {RecipientStatus.PENDING: 10}


def test_a_timeout_leaves_the_batch_in_doubt_never_resent_by_itself(app, dbsession, registry, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 3)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    sendgrid.delay_seconds = 1.0
    registry.getUtility(IMailer).timeout = 0.3
    start(campaign_id)
    run_tasks()
    sendgrid.delay_seconds = 0
    time.sleep(1.0)

    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.IN_DOUBT
    # The server did take it: sending it again would mail everyone twice.
    assert len(sendgrid.accepted) == 1
    sweep_campaigns.call_local()
    run_tasks()
    assert len(sendgrid.received) == 1
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENDING


def test_a_worker_that_died_mid_request_leaves_its_batch_in_doubt(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 3)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    huey.flush()  # the worker took the task...
    with task_request() as request:  # ...claimed the batch, and died before sending or recording
        delivery.take_lease(request.dbsession, campaign_id, utcnow())
        delivery.claim_batch(request.dbsession, campaign_id, utcnow())
    later = utcnow() + delivery.LEASE + datetime.timedelta(seconds=1)
    with task_request() as request:
        assert delivery.mark_abandoned_in_doubt(request.dbsession, later) == 1
        assert delivery.campaigns_to_resume(request.dbsession, later) == []
    run_tasks()
    assert sendgrid.received == []
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    assert batch.status is BatchStatus.IN_DOUBT


def test_sandbox_setting_reaches_every_campaign_request(app, dbsession, registry, sendgrid, run_tasks):
    registry.getUtility(IMailer).sandbox = True
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()
    [request] = sendgrid.accepted
    assert request.body["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_the_file_backend_writes_one_personal_message_per_recipient(app, dbsession, mail_dir, run_tasks):
    """Development has no SendGrid: each person's message is written out, merged as SendGrid would."""
    topic = make_topic(dbsession)
    people = make_subscribers(dbsession, topic, 2)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()

    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(mail_dir.glob("batch-*.eml"))]
    assert [message["To"].addresses[0].addr_spec for message in messages] == [person.email for person in people]
    assert messages[0]["Subject"] == "Νέα του μήνα, Μαρία"
    assert messages[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = messages[0].get_body(("plain",)).get_content()
    assert "Γεια σου Μαρία!" in text
    assert "%" not in text
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENT


def test_the_throttle_holds_whichever_worker_goes_on(app, dbsession, settings, sendgrid, run_tasks):
    """A throttled campaign waits in the database, so the sweep that takes over from a task that
    stopped to wait does not send sooner."""
    settings["mailing.batch_size"] = 10
    settings["mailing.messages_per_second"] = 0.5
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 40)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()
    for _ in range(3):
        sweep_campaigns.call_local()
        run_tasks()
    assert len(sendgrid.received) == 1
    batches = dbsession.scalars(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id,
                                                            CampaignBatch.status == BatchStatus.PENDING)).all()
    assert len(batches) == 3
    assert min(batch.next_attempt_at for batch in batches) >= utcnow() + datetime.timedelta(seconds=15)


def test_a_rate_limit_holds_every_batch_not_only_the_one_refused(app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 2
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 6)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    sendgrid.answer_next(429, {"X-RateLimit-Reset": str(int(time.time()) + 1)})
    start(campaign_id)
    run_tasks()

    assert [request.status for request in sendgrid.received] == [429, 202, 202, 202]
    assert sendgrid.received[1].at - sendgrid.received[0].at >= 0.5
    assert len(set(sendgrid.delivered_addresses())) == 6


def test_the_sweep_finishes_a_campaign_whose_worker_stopped_after_its_last_batch(app, dbsession, sendgrid):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    huey.flush()
    with task_request() as request:  # the batch was accepted and recorded, then the worker died
        batch = request.dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
        delivery.record_accepted(request.dbsession, batch.id, "abc", utcnow())
        request.dbsession.get(Campaign, campaign_id).lease_until = utcnow() - datetime.timedelta(seconds=1)
    sweep_campaigns.call_local()
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.SENT


def test_people_who_leave_the_campaigns_topics_after_the_start_are_skipped(
        app, dbsession, settings, sendgrid, run_tasks):
    settings["mailing.batch_size"] = 2
    topic = make_topic(dbsession)
    other = make_topic(dbsession, slug="calls", name_en="Calls")
    people = make_subscribers(dbsession, topic, 4)
    for person in people:
        person.subscriptions.append(Subscription(topic_id=other.id))
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    leaving = dbsession.get(Subscriber, people[3].id)
    leaving.subscriptions = [kept for kept in leaving.subscriptions if kept.topic_id == other.id]
    dbsession.commit()
    run_tasks()
    assert sorted(sendgrid.delivered_addresses()) == sorted(person.email for person in people[:3])
    assert statuses(dbsession, campaign_id) == {RecipientStatus.SENT: 3, RecipientStatus.SKIPPED: 1}


def test_a_refusal_does_not_undo_a_cancel_made_while_the_request_was_under_way(app, dbsession, sendgrid):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    with task_request() as request:
        batch = delivery.claim_batch(request.dbsession, campaign_id, utcnow())
        batch_id = batch.id
        delivery.cancel(request.dbsession, request.dbsession.get(Campaign, campaign_id), utcnow())
    with task_request() as request:
        refusal = MailDeliveryError("SendGrid answered 400", transient=False)
        delivery.record_failure(request.dbsession, batch_id, refusal, utcnow())
    assert reload(dbsession, Campaign, campaign_id).status is CampaignStatus.CANCELLED


def test_a_name_is_escaped_everywhere_in_the_html_part(app, dbsession, sendgrid, run_tasks):
    topic = make_topic(dbsession)
    [person] = make_subscribers(dbsession, topic, 1)
    person.name = "</title><h1>Χ</h1> Παπαδάκη"
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_tasks()
    [request] = sendgrid.accepted
    html = request.body["content"][1]["value"]
    assert "%first-name%" not in html and "%first-name.html%" in html
    values = request.body["personalizations"][0]["substitutions"]
    assert values["%first-name.html%"] == "&lt;/title&gt;&lt;h1&gt;Χ&lt;/h1&gt;"
