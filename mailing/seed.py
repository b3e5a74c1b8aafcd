"""Demo newsletter data: the centre's lists, a few hundred subscribers in every state with their
consent records, the event registrants who ticked the newsletter box, and campaigns: two sent
(with their ledger and SendGrid's reports of deliveries, opens and clicks), one scheduled, one draft."""

import datetime
import secrets

from pyramid.config import Configurator
from sqlalchemy import exists, select

from dimoskopio.accounts.seed import random_person
from dimoskopio.db import utcnow
from dimoskopio.seed import SeedContext
from events.models import Registration
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
    MailingTopic,
    RecipientStatus,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
    SuppressionReason,
)
from mailing.services import suppress

# The lists a fresh database has from its migration; made here too when they are missing.
LISTS = (
    ("events", "Εκδηλώσεις", "Events"),
    ("calls", "Προσκλήσεις υποβολής", "Calls for applications"),
    ("startups", "Νέα των νεοφυών", "Startup news"),
    ("weekly-digest", "Εβδομαδιαία σύνοψη", "Weekly digest"),
)
SUBSCRIBERS = 250
NOTICE_VERSION = "2026-01"


def _lists(ctx: SeedContext) -> list[MailingTopic]:
    existing = {topic.slug: topic for topic in ctx.dbsession.scalars(select(MailingTopic))}
    for position, (slug, name_el, name_en) in enumerate(LISTS, start=1):
        if slug not in existing:
            existing[slug] = MailingTopic(slug=slug, name_el=name_el, name_en=name_en, position=position)
            ctx.dbsession.add(existing[slug])
    ctx.dbsession.flush()
    return sorted(existing.values(), key=lambda topic: (topic.position, topic.slug))


def _subscriber(ctx: SeedContext, name: str, email: str, topics: list[MailingTopic], source: ConsentSource,
                asked: datetime.datetime) -> None:
    roll = ctx.rng.random()
    status = (SubscriberStatus.ACTIVE if roll < 0.8 else
              SubscriberStatus.PENDING if roll < 0.9 else SubscriberStatus.UNSUBSCRIBED)
    chosen = [] if status == SubscriberStatus.UNSUBSCRIBED else topics
    confirmed = asked + datetime.timedelta(minutes=ctx.rng.randint(2, 600)) if status != SubscriberStatus.PENDING \
        else None
    person = Subscriber(email=email, name=name, locale="en" if ctx.rng.random() < 0.1 else "el", status=status,
                        link_salt=secrets.token_hex(32), created_at=asked, confirmation_sent_at=asked,
                        confirmed_at=confirmed)
    person.subscriptions = [Subscription(topic_id=topic.id, created_at=asked) for topic in chosen]
    ctx.dbsession.add(person)
    ctx.dbsession.flush()
    slugs = " ".join(sorted(topic.slug for topic in topics))
    address = f"10.0.{ctx.rng.randint(0, 255)}.{ctx.rng.randint(1, 254)}"
    records = [(ConsentAction.REQUESTED, source, asked)]
    if confirmed is not None:
        records.append((ConsentAction.CONFIRMED, source, confirmed))
    if status == SubscriberStatus.UNSUBSCRIBED:
        person.unsubscribed_at = confirmed + datetime.timedelta(days=ctx.rng.randint(5, 120))
        records.append((ConsentAction.UNSUBSCRIBED, ConsentSource.ONE_CLICK, person.unsubscribed_at))
        ctx.dbsession.add(Suppression(email=email, reason=SuppressionReason.UNSUBSCRIBED,
                                      created_at=person.unsubscribed_at))
    for action, how, when in records:
        ctx.dbsession.add(ConsentRecord(subscriber_id=person.id, action=action, source=how, created_at=when,
                                        topics="" if action == ConsentAction.UNSUBSCRIBED else slugs,
                                        ip_address=address, notice_version=NOTICE_VERSION))


def seed_mailing(ctx: SeedContext) -> None:
    topics = _lists(ctx)
    now = utcnow()
    year = datetime.timedelta(days=365)
    for _ in range(ctx.count(SUBSCRIBERS)):
        name, email = random_person(ctx)
        chosen = [topic for topic in topics if ctx.rng.random() < 0.5] or [topics[0]]
        asked = now - year * ctx.rng.random()
        _subscriber(ctx, name if ctx.rng.random() < 0.7 else "", email, chosen, ConsentSource.FORM, asked)
    events_topic = next(topic for topic in topics if topic.slug == "events")
    taken = set(ctx.dbsession.scalars(select(Subscriber.email)))
    for registration in ctx.dbsession.scalars(select(Registration).where(Registration.newsletter_opt_in)
                                              .order_by(Registration.id)):
        if registration.email not in taken:
            taken.add(registration.email)
            _subscriber(ctx, registration.name, registration.email, [events_topic],
                        ConsentSource.EVENT_REGISTRATION, registration.created_at)
    bounced = ctx.rng.sample(sorted(taken), k=min(len(taken), ctx.count(8)))
    suppressed = set(ctx.dbsession.scalars(select(Suppression.email)))
    for email in bounced:
        if email not in suppressed:
            ctx.dbsession.add(Suppression(email=email, reason=SuppressionReason.BOUNCED, created_at=now))
    seed_campaigns(ctx, topics, now)


SENT_CAMPAIGNS = (
    # (days ago, subject, topic slug)
    (40, "Τα νέα του Δημοσκοπίου: φθινόπωρο με εργαστήρια και pitch nights", "events"),
    (12, "Ανοιχτή πρόσκληση για την ομάδα εκκόλαψης 2027", "calls"),
)
CAMPAIGN_BODY = """Γεια σου {{ first_name }},

{intro}

- **Εργαστήριο Business Model Canvas**: κάθε Τρίτη στο Δημοσκόπιο
- **Pitch night**: παρουσιάσεις νεοφυών ομάδων σε επενδυτές από την Κρήτη και την Αθήνα
- **Ώρες γραφείου με μέντορες**: κλείσε ραντεβού μέσα από την πλατφόρμα

Δες όλες τις εκδηλώσεις στο ημερολόγιο του κέντρου.

[Άλλαξε τα θέματα που σε ενδιαφέρουν]({{ preferences_url }})
"""


def _sent_campaign(ctx: SeedContext, topic: MailingTopic, subject: str, sent_at: datetime.datetime) -> None:
    campaign = Campaign(subject=subject, preheader="Ό,τι έρχεται στο Δημοσκόπιο", locale="el", in_archive=True,
                        body=CAMPAIGN_BODY.replace("{intro}", subject + "."), topics=[topic],
                        status=CampaignStatus.SENT, created_at=sent_at - datetime.timedelta(days=2),
                        started_at=sent_at, finished_at=sent_at + datetime.timedelta(seconds=40))
    ctx.dbsession.add(campaign)
    ctx.dbsession.flush()
    people = ctx.dbsession.scalars(
        select(Subscriber).join(Subscription).where(Subscription.topic_id == topic.id,
                                                    Subscriber.status == SubscriberStatus.ACTIVE,
                                                    ~exists().where(Suppression.email == Subscriber.email))
        .order_by(Subscriber.id)).all()
    batch = CampaignBatch(campaign_id=campaign.id, status=BatchStatus.ACCEPTED, size=len(people), attempts=1,
                          claimed_at=sent_at, accepted_at=sent_at, message_id=secrets.token_hex(11))
    ctx.dbsession.add(batch)
    ctx.dbsession.flush()
    for person in people:
        recipient = CampaignRecipient(campaign_id=campaign.id, subscriber_id=person.id, batch_id=batch.id,
                                      email=person.email, name=person.name, status=RecipientStatus.SENT,
                                      message_id=batch.message_id, sent_at=sent_at)
        ctx.dbsession.add(recipient)
        ctx.dbsession.flush()
        _reports(ctx, campaign, recipient, sent_at)


def _reports(ctx: SeedContext, campaign: Campaign, recipient: CampaignRecipient, sent_at: datetime.datetime) -> None:
    """What SendGrid's Event Webhook would have reported about one recipient."""
    def report(event: str, after: datetime.timedelta, **fields: str) -> None:
        ctx.dbsession.add(DeliveryEvent(
            sg_event_id=secrets.token_hex(16), event=event, email=recipient.email, campaign_id=campaign.id,
            recipient_id=recipient.id, sg_message_id=f"{recipient.message_id}.filter0001", occurred_at=sent_at + after,
            **fields))

    report("processed", datetime.timedelta(seconds=ctx.rng.randint(1, 30)))
    if ctx.rng.random() < 0.03:
        report("bounce", datetime.timedelta(minutes=ctx.rng.randint(1, 20)), reason="550 5.1.1 mailbox unavailable")
        suppress(ctx.dbsession, recipient.email, SuppressionReason.BOUNCED, sent_at)
        return
    report("delivered", datetime.timedelta(minutes=ctx.rng.randint(1, 20)))
    if ctx.rng.random() < 0.45:
        opened = datetime.timedelta(hours=ctx.rng.expovariate(1 / 14))
        report("open", opened)
        if ctx.rng.random() < 0.25:
            report("click", opened + datetime.timedelta(minutes=ctx.rng.randint(1, 10)),
                   url="https://dimoskopio.heraklion.gr/events")
    if ctx.rng.random() < 0.01:
        report("unsubscribe", datetime.timedelta(hours=ctx.rng.randint(1, 48)))


def seed_campaigns(ctx: SeedContext, topics: list[MailingTopic], now: datetime.datetime) -> None:
    by_slug = {topic.slug: topic for topic in topics}
    for days, subject, slug in SENT_CAMPAIGNS:
        _sent_campaign(ctx, by_slug[slug], subject, now - datetime.timedelta(days=days, hours=-9))
    ctx.dbsession.add(Campaign(
        subject="Heraklion Startup Weekend: οι εγγραφές άνοιξαν", preheader="54 ώρες, μία ιδέα, μία ομάδα",
        body=CAMPAIGN_BODY.replace("{intro}", "Οι εγγραφές για το Heraklion Startup Weekend άνοιξαν."),
        locale="el", in_archive=True, topics=[by_slug["events"]], status=CampaignStatus.SCHEDULED,
        scheduled_at=now + datetime.timedelta(days=5)))
    ctx.dbsession.add(Campaign(
        subject="Ιστορίες νεοφυών: τι έκαναν οι απόφοιτοι του 2025", body=CAMPAIGN_BODY.replace(
            "{intro}", "Τι κάνουν σήμερα οι ομάδες που αποφοίτησαν πέρσι."),
        locale="el", topics=[by_slug["startups"]]))


def includeme(config: Configurator) -> None:
    # After the events seeder (order 20): registrants who opted in become subscribers.
    config.add_seeder("mailing", seed_mailing, order=30)
