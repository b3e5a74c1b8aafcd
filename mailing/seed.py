"""Demo newsletter data: the centre's lists, a few hundred subscribers in every state with their
consent records, and the event registrants who ticked the newsletter box."""

import datetime
import secrets

from pyramid.config import Configurator
from sqlalchemy import select

from dimoskopio.accounts.seed import random_person
from dimoskopio.db import utcnow
from dimoskopio.seed import SeedContext
from events.models import Registration
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


def includeme(config: Configurator) -> None:
    # After the events seeder (order 20): registrants who opted in become subscribers.
    config.add_seeder("mailing", seed_mailing, order=30)
