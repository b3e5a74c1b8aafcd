"""Sending a campaign: a ledger of recipients cut into batches of up to a thousand, each batch one
Mail Send request, marked accepted only once SendGrid has taken it.

Every step is committed before the next network call, so a worker that dies at any moment leaves
the campaign where another worker can pick it up: batches not yet claimed are sent, accepted ones
are not, and a batch whose request was under way is "in doubt" until SendGrid's Event Webhook
says it took it (its events carry the batch id) or staff decide.
"""

import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any

from pyramid.request import Request
from sqlalchemy import func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from dimoskopio.db import begin_writing, utcnow
from dimoskopio.mail.services import BatchMessage, BatchRecipient, IMailer, MailDeliveryError, localized_sender
from mailing.campaign_services import (
    RenderedCampaign,
    audience,
    list_headers,
    render_campaign,
    substitutions,
)
from mailing.models import (
    BatchStatus,
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    CampaignStatus,
    CampaignTopic,
    MailingTopic,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
)
from mailing.services import LinkMaker

log = logging.getLogger(__name__)

# A worker holds a campaign (and a batch it claimed) this long without reporting back; after it,
# the worker is taken to have died. Far longer than one request with its timeout.
LEASE = datetime.timedelta(minutes=2)
MAX_BATCH_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 5
MAX_RETRY_SECONDS = 15 * 60
# A task sends for at most this long, then hands over to a fresh task (so a long throttled
# campaign does not hold a worker thread for hours).
TASK_SLICE_SECONDS = 120.0
# Waits shorter than this are slept through; longer ones are left to a scheduled task.
LONGEST_SLEEP_SECONDS = 10.0


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this."""


# --- starting ---------------------------------------------------------------------------------


def start_sending(request: Request, campaign: Campaign, now: datetime.datetime) -> int:
    """Fix the recipients (the audience at this moment) in the ledger, cut them into batches and
    queue the sending. Returns how many people it is for."""
    from mailing.tasks import send_campaign

    dbsession = request.dbsession
    # A conditional change of status, so that the scheduler and a member of staff unscheduling or
    # sending it by hand at the same moment cannot both go on.
    claimed = dbsession.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.status.in_([CampaignStatus.DRAFT, CampaignStatus.SCHEDULED]))
        .values(status=CampaignStatus.SENDING, started_at=now, scheduled_at=None, last_error=None)
        .execution_options(synchronize_session=False))
    dbsession.refresh(campaign)
    if claimed.rowcount != 1:
        raise CampaignStateError(campaign.status.value)
    people = audience(campaign).subquery()
    dbsession.execute(insert(CampaignRecipient).from_select(
        ["campaign_id", "subscriber_id", "email", "name", "status"],
        select(literal(campaign.id), people.c.id, people.c.email, people.c.name,
               literal(RecipientStatus.PENDING.value)).order_by(people.c.id),
    ))
    ids = list(dbsession.scalars(select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign.id)
                                 .order_by(CampaignRecipient.id)))
    size = request.registry.settings["mailing.batch_size"]
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        batch = CampaignBatch(campaign_id=campaign.id, size=len(chunk), next_attempt_at=now)
        dbsession.add(batch)
        dbsession.flush()
        dbsession.execute(update(CampaignRecipient)
                          .where(CampaignRecipient.campaign_id == campaign.id,
                                 CampaignRecipient.id.between(chunk[0], chunk[-1]))
                          .values(batch_id=batch.id).execution_options(synchronize_session=False))
    if not finish_if_done(dbsession, campaign.id, now):
        request.enqueue(send_campaign, campaign.id)
    dbsession.refresh(campaign)
    return len(ids)


# --- the worker's loop ------------------------------------------------------------------------


def take_lease(dbsession: Session, campaign_id: int, now: datetime.datetime) -> bool:
    """Hold the campaign for this worker; False if it is not sending or another worker has it."""
    taken = dbsession.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING,
               or_(Campaign.lease_until.is_(None), Campaign.lease_until < now))
        .values(lease_until=now + LEASE).execution_options(synchronize_session=False))
    return taken.rowcount == 1


def _renew_lease(dbsession: Session, campaign_id: int, now: datetime.datetime) -> None:
    dbsession.execute(update(Campaign).where(Campaign.id == campaign_id)
                      .values(lease_until=now + LEASE).execution_options(synchronize_session=False))


def release_lease(dbsession: Session, campaign_id: int) -> None:
    dbsession.execute(update(Campaign).where(Campaign.id == campaign_id)
                      .values(lease_until=None).execution_options(synchronize_session=False))


def claim_batch(dbsession: Session, campaign_id: int, now: datetime.datetime) -> CampaignBatch | None:
    """The next due batch, marked as being sent; None if none is due."""
    candidate = dbsession.scalar(
        select(CampaignBatch.id)
        .where(CampaignBatch.campaign_id == campaign_id, CampaignBatch.status == BatchStatus.PENDING,
               CampaignBatch.next_attempt_at <= now)
        .order_by(CampaignBatch.id).limit(1))
    if candidate is None:
        return None
    claimed = dbsession.execute(
        update(CampaignBatch)
        .where(CampaignBatch.id == candidate, CampaignBatch.status == BatchStatus.PENDING)
        .values(status=BatchStatus.SENDING, claimed_at=now, attempts=CampaignBatch.attempts + 1)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return None
    return dbsession.get(CampaignBatch, candidate, populate_existing=True)


def hold_back(dbsession: Session, campaign_id: int, until: datetime.datetime) -> None:
    """No batch of the campaign goes before `until` (the throttle's pace, or SendGrid's rate limit
    and back-off): kept in the database, so that whichever worker goes on keeps to it."""
    dbsession.execute(
        update(CampaignBatch)
        .where(CampaignBatch.campaign_id == campaign_id, CampaignBatch.status == BatchStatus.PENDING,
               CampaignBatch.next_attempt_at < until)
        .values(next_attempt_at=until).execution_options(synchronize_session=False))


def next_retry_at(dbsession: Session, campaign_id: int) -> datetime.datetime | None:
    return dbsession.scalar(select(func.min(CampaignBatch.next_attempt_at)).where(
        CampaignBatch.campaign_id == campaign_id, CampaignBatch.status == BatchStatus.PENDING))


def skip_withdrawn(dbsession: Session, batch: CampaignBatch) -> None:
    """People who unsubscribed, left the campaign's topics or were suppressed since the campaign
    started are left out."""
    still_wanted = (
        select(Subscriber.id).where(Subscriber.id == CampaignRecipient.subscriber_id,
                                    Subscriber.status == SubscriberStatus.ACTIVE)
        .exists()
    )
    campaign_topics = select(CampaignTopic.topic_id).where(CampaignTopic.campaign_id == batch.campaign_id)
    still_on_a_topic = (
        select(Subscription.id).where(Subscription.subscriber_id == CampaignRecipient.subscriber_id,
                                      Subscription.topic_id.in_(campaign_topics))
        .exists()
    )
    suppressed = select(Suppression.id).where(Suppression.email == CampaignRecipient.email).exists()
    dbsession.execute(
        update(CampaignRecipient)
        .where(CampaignRecipient.batch_id == batch.id, CampaignRecipient.status == RecipientStatus.PENDING,
               or_(~still_wanted, ~still_on_a_topic, suppressed))
        .values(status=RecipientStatus.SKIPPED).execution_options(synchronize_session=False))


@dataclass
class CampaignContent:
    """What every batch of one campaign shares, worked out once per task (plain values: the
    task commits between batches, and the rows it read are not kept past a commit)."""

    campaign_id: int
    rendered: RenderedCampaign
    links: LinkMaker
    topics: list[MailingTopic]
    categories: list[str]
    sender: str


def campaign_content(request: Request, campaign: Campaign) -> CampaignContent:
    topics = [MailingTopic(id=topic.id, slug=topic.slug, name_en=topic.name_en) for topic in campaign.topics]
    return CampaignContent(campaign_id=campaign.id, rendered=render_campaign(request, campaign),
                           links=LinkMaker(request, campaign.id), topics=topics, categories=categories(campaign),
                           sender=localized_sender(request.registry.settings, campaign.locale))


def categories(campaign: Campaign) -> list[str]:
    """SendGrid categories: the kind of mail, and the campaign, for SendGrid's own statistics."""
    names = ["newsletter", f"campaign-{campaign.id}"]
    if campaign.is_digest:
        names.append("weekly-digest")
    return names


def batch_message(request: Request, content: CampaignContent, batch: CampaignBatch) -> BatchMessage:
    dbsession = request.dbsession
    rows = dbsession.execute(
        select(CampaignRecipient.id, Subscriber)
        .join(Subscriber, Subscriber.id == CampaignRecipient.subscriber_id)
        .where(CampaignRecipient.batch_id == batch.id, CampaignRecipient.status == RecipientStatus.PENDING)
        .order_by(CampaignRecipient.id)).all()
    campaign_id = str(content.campaign_id)
    recipients = []
    for recipient_id, subscriber in rows:
        values = substitutions(content.links, subscriber)
        theirs = subscriber.topic_ids
        topic = next((topic for topic in content.topics if topic.id in theirs), None)
        recipients.append(BatchRecipient(
            email=subscriber.email, name=subscriber.name, substitutions=values,
            headers=list_headers(request, content.links.unsubscribe_url(subscriber), topic),
            custom_args={"campaign_id": campaign_id, "recipient_id": str(recipient_id)},
        ))
    rendered = content.rendered
    return BatchMessage(sender=content.sender, subject=rendered.subject, text=rendered.text, html=rendered.html,
                        categories=content.categories,
                        custom_args={"campaign_batch_id": str(batch.id)}, recipients=recipients)


def record_accepted(dbsession: Session, batch_id: int, message_id: str | None, now: datetime.datetime,
                    recipient_ids: list[int] | None = None) -> bool:
    """SendGrid took the batch: it and its recipients (those of the request, when known) are sent.
    False if it was settled already (the webhook's events can come before the worker hears)."""
    settled = dbsession.execute(
        update(CampaignBatch)
        .where(CampaignBatch.id == batch_id,
               CampaignBatch.status.in_([BatchStatus.SENDING, BatchStatus.IN_DOUBT, BatchStatus.PENDING]))
        .values(status=BatchStatus.ACCEPTED, accepted_at=now, message_id=message_id, last_error=None)
        .execution_options(synchronize_session=False))
    if settled.rowcount != 1:
        return False
    recipients = update(CampaignRecipient).where(CampaignRecipient.batch_id == batch_id,
                                                 CampaignRecipient.status == RecipientStatus.PENDING)
    if recipient_ids is not None:
        recipients = recipients.where(CampaignRecipient.id.in_(recipient_ids))
    dbsession.execute(recipients.values(status=RecipientStatus.SENT, message_id=message_id, sent_at=now)
                      .execution_options(synchronize_session=False))
    return True


def retry_delay_seconds(attempts: int, retry_after: int | None) -> int:
    if retry_after is not None:
        return min(max(retry_after, 1), MAX_RETRY_SECONDS)
    return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)


def record_failure(dbsession: Session, batch_id: int, error: MailDeliveryError, now: datetime.datetime) -> None:
    batch = dbsession.get(CampaignBatch, batch_id, populate_existing=True)
    if batch.status is not BatchStatus.SENDING:
        return
    batch.last_error = str(error)[:2000]
    if error.uncertain:
        batch.status = BatchStatus.IN_DOUBT
    elif error.transient and batch.attempts < MAX_BATCH_ATTEMPTS:
        batch.status = BatchStatus.PENDING
        batch.next_attempt_at = now + datetime.timedelta(seconds=retry_delay_seconds(batch.attempts,
                                                                                      error.retry_after))
        # A rate limit or an outage holds for every request, not for this batch alone.
        hold_back(dbsession, batch.campaign_id, batch.next_attempt_at)
    else:
        # A refusal (400, 413...) is not tried again by itself: the same request would fail the
        # same way. The campaign stops, with the error for staff to read, unless staff stopped it
        # for good meanwhile.
        batch.status = BatchStatus.FAILED
        dbsession.execute(
            update(Campaign).where(Campaign.id == batch.campaign_id, Campaign.status == CampaignStatus.SENDING)
            .values(status=CampaignStatus.PAUSED, last_error=batch.last_error)
            .execution_options(synchronize_session=False))


# Batches with someone still to reach (or whose fate is unknown).
UNFINISHED = (BatchStatus.PENDING, BatchStatus.SENDING, BatchStatus.FAILED, BatchStatus.IN_DOUBT)


def _nothing_left(campaign_id: Any) -> Any:
    return ~select(CampaignBatch.id).where(CampaignBatch.campaign_id == campaign_id,
                                           CampaignBatch.status.in_(UNFINISHED)).exists()


def finish_if_done(dbsession: Session, campaign_id: int, now: datetime.datetime) -> bool:
    """A sending campaign with nothing left to send is sent; True if this made it so."""
    finished = dbsession.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.status == CampaignStatus.SENDING, _nothing_left(campaign_id))
        .values(status=CampaignStatus.SENT, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False))
    return finished.rowcount == 1


@dataclass(frozen=True)
class SendingOutcome:
    """How a task's turn at a campaign ended: `resume_at` is when another task should go on."""

    batches: int
    resume_at: datetime.datetime | None = None


def send_campaign_batches(request: Request, campaign_id: int) -> SendingOutcome:
    """Send due batches until the campaign is done, paused, or this task's slice is over.
    Commits after every step (the caller's transaction is begun again each time)."""
    dbsession = request.dbsession
    rate = request.registry.settings["mailing.messages_per_second"]
    if not take_lease(dbsession, campaign_id, utcnow()):
        return SendingOutcome(0)
    _commit(request)
    mailer = request.registry.getUtility(IMailer)
    content = campaign_content(request, dbsession.get(Campaign, campaign_id))
    started = time.monotonic()
    sent = 0
    while True:
        if dbsession.scalar(select(Campaign.status).where(Campaign.id == campaign_id)) is not CampaignStatus.SENDING:
            release_lease(dbsession, campaign_id)
            return SendingOutcome(sent)
        if time.monotonic() - started > TASK_SLICE_SECONDS:
            release_lease(dbsession, campaign_id)
            return SendingOutcome(sent, utcnow())
        now = utcnow()
        batch = claim_batch(dbsession, campaign_id, now)
        if batch is None:
            retry_at = None if finish_if_done(dbsession, campaign_id, now) else next_retry_at(dbsession, campaign_id)
            if retry_at is not None and (retry_at - now).total_seconds() <= LONGEST_SLEEP_SECONDS:
                request.tm.commit()
                time.sleep(max((retry_at - now).total_seconds(), 0.0))
                _begin(request)
                _renew_lease(dbsession, campaign_id, utcnow())
                continue
            release_lease(dbsession, campaign_id)
            return SendingOutcome(sent, retry_at)
        skip_withdrawn(dbsession, batch)
        message = batch_message(request, content, batch)
        batch_id = batch.id
        if not message.recipients:
            record_accepted(dbsession, batch_id, None, now)
            finish_if_done(dbsession, campaign_id, now)
            continue
        # The claim is committed before the request: whatever happens next, no other worker
        # sends this batch.
        request.tm.commit()
        try:
            message_id = mailer.send_batch(message)
        except Exception as error:
            _begin(request)
            if not isinstance(error, MailDeliveryError):
                log.exception("unexpected error sending batch %s of campaign %s", batch_id, campaign_id)
                error = MailDeliveryError(f"{type(error).__name__}: {error}", transient=True, uncertain=True)
            log.warning("campaign %s batch %s: %s", campaign_id, batch_id, error)
            record_failure(dbsession, batch_id, error, utcnow())
        else:
            _begin(request)
            accepted_at = utcnow()
            record_accepted(dbsession, batch_id, message_id, accepted_at,
                            [int(recipient.custom_args["recipient_id"]) for recipient in message.recipients])
            sent += 1
            if rate > 0:
                hold_back(dbsession, campaign_id,
                          accepted_at + datetime.timedelta(seconds=len(message.recipients) / rate))
            # In the same commit as the last acceptance: a worker stopping right after it
            # leaves no campaign "sending" with nothing left to send.
            finish_if_done(dbsession, campaign_id, accepted_at)
        _renew_lease(dbsession, campaign_id, utcnow())
        _commit(request)


def _begin(request: Request) -> None:
    request.tm.begin()
    # Each step reads, then writes: on SQLite it holds the write lock from its start, so that
    # another process writing in between cannot make it fail half-way (it waits instead).
    begin_writing(request.dbsession)


def _commit(request: Request) -> None:
    request.tm.commit()
    _begin(request)


# --- sweeps, staff decisions ------------------------------------------------------------------


def mark_abandoned_in_doubt(dbsession: Session, now: datetime.datetime) -> int:
    """Batches claimed by a worker that vanished mid-request: SendGrid may have taken them."""
    result = dbsession.execute(
        update(CampaignBatch)
        .where(CampaignBatch.status == BatchStatus.SENDING, CampaignBatch.claimed_at < now - LEASE)
        .values(status=BatchStatus.IN_DOUBT,
                last_error="The worker stopped while this batch was being sent.")
        .execution_options(synchronize_session=False))
    return result.rowcount


def campaigns_to_resume(dbsession: Session, now: datetime.datetime) -> list[int]:
    """Sending campaigns no worker holds (it died, or its task was lost) with batches due."""
    due = select(CampaignBatch.id).where(CampaignBatch.campaign_id == Campaign.id,
                                         CampaignBatch.status == BatchStatus.PENDING,
                                         CampaignBatch.next_attempt_at <= now).exists()
    return list(dbsession.scalars(select(Campaign.id).where(
        Campaign.status == CampaignStatus.SENDING,
        or_(Campaign.lease_until.is_(None), Campaign.lease_until < now), due)))


def finish_abandoned(dbsession: Session, now: datetime.datetime) -> None:
    """Sending campaigns no worker holds and nothing is left to send of (its worker stopped right
    after the last batch, or the webhook settled the last batch in doubt)."""
    dbsession.execute(
        update(Campaign)
        .where(Campaign.status == CampaignStatus.SENDING,
               or_(Campaign.lease_until.is_(None), Campaign.lease_until < now), _nothing_left(Campaign.id))
        .values(status=CampaignStatus.SENT, finished_at=now, lease_until=None)
        .execution_options(synchronize_session=False))


def pause(campaign: Campaign) -> None:
    if campaign.status is not CampaignStatus.SENDING:
        raise CampaignStateError(campaign.status.value)
    campaign.status = CampaignStatus.PAUSED


def resume(request: Request, campaign: Campaign, now: datetime.datetime) -> None:
    """Go on from where it stopped; batches SendGrid refused are tried once more."""
    from mailing.tasks import send_campaign

    if campaign.status is not CampaignStatus.PAUSED:
        raise CampaignStateError(campaign.status.value)
    request.dbsession.execute(
        update(CampaignBatch)
        .where(CampaignBatch.campaign_id == campaign.id, CampaignBatch.status == BatchStatus.FAILED)
        .values(status=BatchStatus.PENDING, attempts=0, next_attempt_at=now)
        .execution_options(synchronize_session=False))
    campaign.status = CampaignStatus.SENDING
    campaign.last_error = None
    campaign.lease_until = None
    request.enqueue(send_campaign, campaign.id)


def cancel(dbsession: Session, campaign: Campaign, now: datetime.datetime) -> None:
    """Stop for good: whoever was not sent yet is not sent."""
    if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING, CampaignStatus.PAUSED):
        raise CampaignStateError(campaign.status.value)
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = now
    campaign.scheduled_at = None


def settle_in_doubt(request: Request, campaign: Campaign, batch: CampaignBatch, was_sent: bool,
                    now: datetime.datetime) -> None:
    """Staff's decision on a batch nobody knows the fate of: count it as sent, or send it again."""
    from mailing.tasks import send_campaign

    if batch.status is not BatchStatus.IN_DOUBT or batch.campaign_id != campaign.id:
        raise CampaignStateError(batch.status.value)
    if was_sent:
        record_accepted(request.dbsession, batch.id, None, now)
        finish_if_done(request.dbsession, campaign.id, now)
        return
    batch.status = BatchStatus.PENDING
    batch.attempts = 0
    batch.next_attempt_at = now
    if campaign.status is CampaignStatus.SENDING:
        request.enqueue(send_campaign, campaign.id)


# --- progress ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int
    sent: int
    skipped: int
    pending: int
    in_doubt_batches: int

    @property
    def percent(self) -> int:
        done = self.sent + self.skipped
        return round(100 * done / self.total) if self.total else 100

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "sent": self.sent, "skipped": self.skipped, "pending": self.pending,
                "in_doubt_batches": self.in_doubt_batches, "percent": self.percent}


def progress(dbsession: Session, campaign_id: int) -> Progress:
    counts = dict(dbsession.execute(select(CampaignRecipient.status, func.count())
                                    .where(CampaignRecipient.campaign_id == campaign_id)
                                    .group_by(CampaignRecipient.status)).all())
    in_doubt = dbsession.scalar(select(func.count()).where(CampaignBatch.campaign_id == campaign_id,
                                                           CampaignBatch.status == BatchStatus.IN_DOUBT)) or 0
    return Progress(total=sum(counts.values()), sent=counts.get(RecipientStatus.SENT, 0),
                    skipped=counts.get(RecipientStatus.SKIPPED, 0), pending=counts.get(RecipientStatus.PENDING, 0),
                    in_doubt_batches=in_doubt)


def problem_batches(dbsession: Session, campaign_id: int) -> list[CampaignBatch]:
    return list(dbsession.scalars(select(CampaignBatch).where(
        CampaignBatch.campaign_id == campaign_id,
        CampaignBatch.status.in_([BatchStatus.FAILED, BatchStatus.IN_DOUBT])).order_by(CampaignBatch.id)))
