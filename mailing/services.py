"""The rules of newsletter consent: double opt-in, signed links to confirm and to change one's
preferences, unsubscribing (one topic, or everything in one click), and the suppression list.

Nothing but the confirmation is sent to an address until its owner confirms; every step is
recorded with its source, IP address and privacy notice version.
"""

import csv
import datetime
import enum
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pyramid.request import Request
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import NAME_MAX_LENGTH
from dimoskopio.accounts.services import is_valid_email, normalize_email
from dimoskopio.db import fold_text, folded, page_of
from dimoskopio.forms import FORBIDDEN_CHARACTERS
from dimoskopio.mail import send_email
from dimoskopio.signing import read_row_token, row_signature, row_token, signatures_match
from events.services import slug_taken
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

# A confirmation is sent again at most this often, however often the form is sent for an address.
CONFIRMATION_RESEND_AFTER = datetime.timedelta(minutes=10)
# A confirmation link works this long after it was sent.
CONFIRMATION_LIFETIME = datetime.timedelta(days=7)
# Event registrants who tick the newsletter box are offered this topic.
EVENTS_TOPIC = "events"
# The weekly digest goes to this topic.
DIGEST_TOPIC = "weekly-digest"
# Topics the application finds by their short names, which therefore cannot change.
FIXED_TOPICS = frozenset({EVENTS_TOPIC, DIGEST_TOPIC})


def topics(dbsession: Session) -> list[MailingTopic]:
    return list(dbsession.scalars(select(MailingTopic).order_by(MailingTopic.position, MailingTopic.id)))


def topic_subscriber_counts(dbsession: Session) -> dict[int, int]:
    """Subscribed people (confirmed, not unsubscribed) per topic."""
    return dict(dbsession.execute(
        select(Subscription.topic_id, func.count()).join(Subscriber)
        .where(Subscriber.status == SubscriberStatus.ACTIVE).group_by(Subscription.topic_id)).all())


def topic_slug_refusal(dbsession: Session, topic: MailingTopic | None, slug: str) -> str | None:
    """Why a topic may not take this short name: another has it ("taken"), or it is a list the
    application finds by its name ("fixed": the events list, the weekly digest); None when it may."""
    if topic is not None and topic.slug in FIXED_TOPICS and slug != topic.slug:
        return "fixed"
    return "taken" if slug_taken(dbsession, MailingTopic, slug, topic.id if topic is not None else None) else None


def save_topic(dbsession: Session, topic: MailingTopic, values: dict[str, Any]) -> MailingTopic:
    for name in ("slug", "name_el", "name_en", "description_el", "description_en"):
        setattr(topic, name, (values.get(name) or "").strip())
    topic.position = values.get("position") or 0
    dbsession.add(topic)
    return topic


def topics_by_id(dbsession: Session, ids: list[int]) -> list[MailingTopic]:
    if not ids:
        return []
    return list(dbsession.scalars(select(MailingTopic).where(MailingTopic.id.in_(ids))
                                  .order_by(MailingTopic.position, MailingTopic.id)))


# --- signed links ---------------------------------------------------------------------------


def _signature(secret: str, purpose: str, subscriber: Subscriber) -> str:
    return row_signature(secret, "newsletter", purpose, subscriber.id, subscriber.email, subscriber.link_salt)


def link_token(secret: str, purpose: str, subscriber: Subscriber) -> str:
    return row_token(subscriber.id, _signature(secret, purpose, subscriber))


def subscriber_for_token(dbsession: Session, secret: str, purpose: str, token: str) -> Subscriber | None:
    """The subscriber a link names, or None for a tampered or revoked one."""
    parsed = read_row_token(token)
    if parsed is None:
        return None
    subscriber = dbsession.get(Subscriber, parsed[0])
    if subscriber is None or not signatures_match(parsed[1], _signature(secret, purpose, subscriber)):
        return None
    return subscriber


_SLOT = "SLOT"


class LinkMaker:
    """A newsletter email's personal links (confirm, preferences, one-click unsubscribe), on the
    public base URL; the routes are resolved once, not once per person of a campaign."""

    ROUTES = {"confirm": "mailing.confirm", "preferences": "mailing.preferences", "unsubscribe": "mailing.unsubscribe"}

    def __init__(self, request: Request, campaign_id: int | None = None) -> None:
        self.secret = request.registry.settings["dimoskopio.secret"]
        self.templates = {purpose: request.public_url(route, token=_SLOT) for purpose, route in self.ROUTES.items()}
        if campaign_id:
            # Credits the unsubscribe to the campaign in its statistics (the token alone proves who).
            self.templates["unsubscribe"] += f"?campaign={campaign_id}"

    def url(self, purpose: str, subscriber: Subscriber) -> str:
        return self.templates[purpose].replace(_SLOT, link_token(self.secret, purpose, subscriber))

    def preferences_url(self, subscriber: Subscriber) -> str:
        return self.url("preferences", subscriber)

    def unsubscribe_url(self, subscriber: Subscriber) -> str:
        return self.url("unsubscribe", subscriber)

    def prefix(self, purpose: str) -> str:
        """What every person's link of this kind starts with (before their token)."""
        return self.templates[purpose].split(_SLOT)[0]


def links(request: Request, subscriber: Subscriber) -> dict[str, str]:
    """Every link a newsletter email carries for this person."""
    maker = LinkMaker(request)
    return {f"{purpose}_url": maker.url(purpose, subscriber) for purpose in LinkMaker.ROUTES}


# --- consent ----------------------------------------------------------------------------------


def topic_slugs(dbsession: Session) -> dict[int, str]:
    return dict(dbsession.execute(select(MailingTopic.id, MailingTopic.slug)).all())


def _record(request: Request, subscriber: Subscriber, action: ConsentAction, source: ConsentSource,
            ip_address: str, now: datetime.datetime, note: str = "", slugs: dict[int, str] | None = None) -> None:
    """A step of the person's consent, under the current privacy notice, with their topics as
    they stand after it. `slugs` (topic id to short name) saves a query per row in an import."""
    slugs = slugs if slugs is not None else topic_slugs(request.dbsession)
    request.dbsession.add(ConsentRecord(
        subscriber=subscriber, action=action, source=source, ip_address=ip_address[:45],
        topics=" ".join(sorted(slugs[topic_id] for topic_id in subscriber.topic_ids if topic_id in slugs)),
        notice_version=request.registry.settings["events.privacy_notice_version"], note=note, created_at=now,
    ))


def consent_history(dbsession: Session, subscriber_id: int) -> list[ConsentRecord]:
    return list(dbsession.scalars(select(ConsentRecord).where(ConsentRecord.subscriber_id == subscriber_id)
                                  .order_by(ConsentRecord.id)))


def _set_topics(subscriber: Subscriber, topic_ids: set[int], now: datetime.datetime) -> None:
    subscriber.subscriptions = [
        *(subscription for subscription in subscriber.subscriptions if subscription.topic_id in topic_ids),
        *(Subscription(topic_id=topic_id, created_at=now) for topic_id in sorted(topic_ids - subscriber.topic_ids)),
    ]


def find_subscriber(dbsession: Session, email: str) -> Subscriber | None:
    return dbsession.scalar(select(Subscriber).where(Subscriber.email == normalize_email(email)))


def request_subscription(request: Request, email: str, name: str, locale_name: str, topic_ids: set[int],
                         source: ConsentSource, ip_address: str, now: datetime.datetime) -> Subscriber:
    """Someone asked to subscribe this address: it is recorded as pending and its owner is asked
    to confirm. An address already subscribed gets a note with its preferences link instead, so
    that the form says the same whoever's address is typed into it."""
    dbsession = request.dbsession
    subscriber = find_subscriber(dbsession, email)
    if subscriber is None:
        subscriber = Subscriber(email=normalize_email(email), name=name, locale=locale_name,
                                link_salt=secrets.token_hex(32), created_at=now)
        try:
            with dbsession.begin_nested():
                dbsession.add(subscriber)
        except IntegrityError:  # the same address sent twice at once
            subscriber = find_subscriber(dbsession, email)
    if subscriber.status == SubscriberStatus.ACTIVE:
        _send(request, subscriber, "newsletter-already", now)
        return subscriber
    if not _may_send(subscriber, now):
        # A confirmation went out moments ago and lists what its button confirms: that stays as it was.
        return subscriber
    if source == ConsentSource.EVENT_REGISTRATION:
        topic_ids = topic_ids | subscriber.topic_ids
    subscriber.status = SubscriberStatus.PENDING
    subscriber.name = name or subscriber.name
    subscriber.locale = locale_name
    # Links in earlier confirmations would confirm what they listed, not this: they stop working.
    subscriber.link_salt = secrets.token_hex(32)
    _set_topics(subscriber, topic_ids, now)
    _record(request, subscriber, ConsentAction.REQUESTED, source, ip_address, now)
    _send(request, subscriber, "newsletter-confirm", now)
    return subscriber


def _may_send(subscriber: Subscriber, now: datetime.datetime) -> bool:
    sent = subscriber.confirmation_sent_at
    return sent is None or now - sent >= CONFIRMATION_RESEND_AFTER


def _send(request: Request, subscriber: Subscriber, template: str, now: datetime.datetime) -> None:
    """One confirmation (or reminder of the preferences link) per address every few minutes."""
    if not _may_send(subscriber, now):
        return
    subscriber.confirmation_sent_at = now
    request.dbsession.flush()
    send_email(request, template, subscriber.email, {
        "subscriber": subscriber,
        "topics": topics_by_id(request.dbsession, sorted(subscriber.topic_ids)),
        **links(request, subscriber),
    }, locale_name=subscriber.locale)


def confirmation_expired(subscriber: Subscriber, now: datetime.datetime) -> bool:
    sent = subscriber.confirmation_sent_at
    return subscriber.status == SubscriberStatus.PENDING and sent is not None and now - sent > CONFIRMATION_LIFETIME


def confirm(request: Request, subscriber: Subscriber, ip_address: str, now: datetime.datetime) -> bool:
    """The owner confirmed: the subscription starts. False when there was nothing to confirm, or
    the link is too old (they subscribe again and get a fresh one)."""
    if subscriber.status != SubscriberStatus.PENDING or confirmation_expired(subscriber, now):
        return False
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    # Asking again and confirming is a new consent that outweighs an earlier unsubscribe, and
    # proves the mailbox works again after a bounce. A spam complaint stays until staff lift it.
    request.dbsession.execute(delete(Suppression).where(
        Suppression.email == subscriber.email,
        Suppression.reason.in_([SuppressionReason.UNSUBSCRIBED, SuppressionReason.BOUNCED])))
    # Confirmed the way it was asked for (the form, the registration box).
    asked = request.dbsession.scalar(
        select(ConsentRecord.source).where(ConsentRecord.subscriber_id == subscriber.id,
                                           ConsentRecord.action == ConsentAction.REQUESTED)
        .order_by(ConsentRecord.id.desc()).limit(1))
    _record(request, subscriber, ConsentAction.CONFIRMED, asked or ConsentSource.FORM, ip_address, now)
    return True


def change_preferences(request: Request, subscriber: Subscriber, topic_ids: set[int], locale_name: str,
                       ip_address: str, now: datetime.datetime) -> None:
    """New topics and language; no topics left means unsubscribed from everything. Someone
    unsubscribed subscribes again through the form (and confirms), not here."""
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return
    if not topic_ids:
        unsubscribe(request, subscriber, ConsentSource.PREFERENCES, ip_address, now)
        return
    subscriber.locale = locale_name
    _set_topics(subscriber, topic_ids, now)
    _record(request, subscriber, ConsentAction.CHANGED, ConsentSource.PREFERENCES, ip_address, now)


def unsubscribe(request: Request, subscriber: Subscriber, source: ConsentSource, ip_address: str,
                now: datetime.datetime) -> bool:
    """Off every topic, and on the suppression list so no campaign mails the address again.
    False when the person had unsubscribed already (a second click changes nothing)."""
    if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
        return False
    subscriber.status = SubscriberStatus.UNSUBSCRIBED
    subscriber.unsubscribed_at = now
    _set_topics(subscriber, set(), now)
    suppress(request.dbsession, subscriber.email, SuppressionReason.UNSUBSCRIBED, now)
    _record(request, subscriber, ConsentAction.UNSUBSCRIBED, source, ip_address, now)
    return True


def suppress(dbsession: Session, email: str, reason: SuppressionReason, now: datetime.datetime) -> None:
    email = normalize_email(email)
    if dbsession.scalar(select(Suppression.id).where(Suppression.email == email)) is not None:
        return
    try:
        with dbsession.begin_nested():
            dbsession.add(Suppression(email=email, reason=reason, created_at=now))
    except IntegrityError:  # suppressed meanwhile by another request
        pass


def is_suppressed(dbsession: Session, email: str) -> bool:
    return dbsession.scalar(select(Suppression.id).where(Suppression.email == normalize_email(email))) is not None


def subscribe_from_registration(request: Request, email: str, name: str, locale_name: str, ip_address: str,
                                now: datetime.datetime) -> Subscriber | None:
    """An event registrant ticked the newsletter box: asked to confirm, for the events topic."""
    topic = request.dbsession.scalar(select(MailingTopic).where(MailingTopic.slug == EVENTS_TOPIC))
    if topic is None:
        return None
    subscriber = find_subscriber(request.dbsession, email)
    if subscriber is not None and subscriber.status == SubscriberStatus.ACTIVE:
        # Confirmed already: the box adds the events list, and the record says where from.
        if topic.id not in subscriber.topic_ids:
            _set_topics(subscriber, subscriber.topic_ids | {topic.id}, now)
            _record(request, subscriber, ConsentAction.CHANGED, ConsentSource.EVENT_REGISTRATION, ip_address, now)
        return subscriber
    return request_subscription(request, email, name, locale_name, {topic.id}, ConsentSource.EVENT_REGISTRATION,
                                ip_address, now)


def client_address(request: Request) -> str:
    """The address the connection came from. Not X-Forwarded-For, which anyone can write: behind
    a proxy, the server is told to trust it (waitress `trusted_proxy`, gunicorn
    `forwarded_allow_ips`) and sets the remote address itself."""
    return request.remote_addr or ""




# --- staff ------------------------------------------------------------------------------------

SUBSCRIBERS_PER_PAGE = 50


@dataclass
class SubscriberFilters:
    q: str = ""
    status: SubscriberStatus | None = None
    topic_id: int | None = None


def _filtered(filters: SubscriberFilters) -> Select[Any]:
    query = select(Subscriber)
    if filters.q:
        # Like the other staff searches: Greek accents and case aside, and % or _ taken as typed.
        query = query.where(or_(func.lower(Subscriber.email).contains(filters.q.lower(), autoescape=True),
                                folded(Subscriber.name).contains(fold_text(filters.q), autoescape=True)))
    if filters.status is not None:
        query = query.where(Subscriber.status == filters.status)
    if filters.topic_id is not None:
        query = query.where(Subscriber.id.in_(
            select(Subscription.subscriber_id).where(Subscription.topic_id == filters.topic_id)))
    return query


def subscribers_page(dbsession: Session, filters: SubscriberFilters, page: int) -> tuple[list[Subscriber], int]:
    """One page of the subscribers the filters find, newest first, and how many they find."""
    query = _filtered(filters).order_by(Subscriber.created_at.desc(), Subscriber.id.desc())
    return page_of(dbsession, query, page, SUBSCRIBERS_PER_PAGE)


def all_subscribers(dbsession: Session, filters: SubscriberFilters) -> Iterator[Subscriber]:
    """Every subscriber the filters find, in batches (the export of a large list)."""
    yield from dbsession.scalars(_filtered(filters).order_by(Subscriber.id).execution_options(yield_per=500))


def status_counts(dbsession: Session) -> dict[SubscriberStatus, int]:
    counts = dict(dbsession.execute(select(Subscriber.status, func.count()).group_by(Subscriber.status)).all())
    return {status: counts.get(status, 0) for status in SubscriberStatus}


def staff_edit(request: Request, subscriber: Subscriber, name: str, locale_name: str, topic_ids: set[int],
               now: datetime.datetime) -> None:
    """Staff correct a name or language, or the topics at the person's request (recorded as a
    change from the preferences, by staff, from the staff member's address)."""
    subscriber.name = name
    subscriber.locale = locale_name
    # Topics change for subscribed people only: a pending person confirms what their email listed,
    # and someone unsubscribed subscribes again themselves.
    if subscriber.status == SubscriberStatus.ACTIVE and subscriber.topic_ids != topic_ids:
        change_preferences(request, subscriber, topic_ids, locale_name, client_address(request), now)


def suppressions_page(dbsession: Session, q: str, page: int) -> tuple[list[Suppression], int]:
    query = select(Suppression)
    if q:
        query = query.where(func.lower(Suppression.email).contains(q.lower(), autoescape=True))
    return page_of(dbsession, query.order_by(Suppression.created_at.desc(), Suppression.id.desc()), page,
                   SUBSCRIBERS_PER_PAGE)


# --- import -----------------------------------------------------------------------------------

IMPORT_MAX_ROWS = 20_000
IMPORT_LOOKUP_CHUNK = 500


class ImportOutcome(enum.StrEnum):
    ADDED = "added"
    TOPICS_ADDED = "topics_added"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    SUPPRESSED = "suppressed"


@dataclass
class ImportLine:
    line: int
    email: str
    outcome: ImportOutcome


@dataclass
class ImportReport:
    lines: list[ImportLine]
    error: str = ""

    def count(self, outcome: ImportOutcome) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


def read_import(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """The rows of an uploaded CSV (UTF-8, with or without a BOM; comma or semicolon), with
    their line numbers, keyed by the lower-case header; or an error to show instead."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "encoding"
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = []
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        if "email" not in header:
            return [], "no_email_column"
        for cells in reader:
            if any("\n" in cell or "\r" in cell for cell in cells):
                # A stray quote swallows the lines after it: refused rather than misread.
                return [], "broken_quotes"
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, {name: cell.strip() for name, cell in zip(header, cells, strict=False)}))
            if len(rows) > IMPORT_MAX_ROWS:
                return [], "too_many_rows"
    except csv.Error:
        return [], "broken_quotes"
    return rows, ""


def import_subscribers(request: Request, rows: list[tuple[int, dict[str, str]]], topic_ids: set[int],
                       note: str, apply: bool, now: datetime.datetime) -> ImportReport:
    """People who consented elsewhere (a sign-up sheet, an earlier list), each row checked and
    reported. They join as subscribed, with an import consent record carrying `note`; nobody on
    the suppression list is added back, and nobody twice. With `apply` false, only the report."""
    dbsession = request.dbsession
    # Only the file's addresses are looked up (in chunks a database takes as parameters), not
    # every subscriber the centre has.
    addresses = sorted({normalize_email(row.get("email", "")) for _number, row in rows})
    suppressed: set[str] = set()
    existing: dict[str, Subscriber] = {}
    for start in range(0, len(addresses), IMPORT_LOOKUP_CHUNK):
        chunk = addresses[start:start + IMPORT_LOOKUP_CHUNK]
        suppressed |= set(dbsession.scalars(select(Suppression.email).where(Suppression.email.in_(chunk))))
        existing |= {subscriber.email: subscriber
                     for subscriber in dbsession.scalars(select(Subscriber).where(Subscriber.email.in_(chunk)))}
    slugs = topic_slugs(dbsession)
    address = client_address(request)
    seen: set[str] = set()
    lines = []
    for number, row in rows:
        email = normalize_email(row.get("email", ""))
        if not is_valid_email(email) or any(FORBIDDEN_CHARACTERS.search(value) for value in row.values()):
            outcome = ImportOutcome.INVALID
        elif email in seen:
            outcome = ImportOutcome.DUPLICATE
        elif email in suppressed:
            outcome = ImportOutcome.SUPPRESSED
        elif email in existing and existing[email].status == SubscriberStatus.ACTIVE:
            subscriber = existing[email]
            outcome = ImportOutcome.UNCHANGED if topic_ids <= subscriber.topic_ids else ImportOutcome.TOPICS_ADDED
            if apply and outcome == ImportOutcome.TOPICS_ADDED:
                _set_topics(subscriber, subscriber.topic_ids | topic_ids, now)
                _record(request, subscriber, ConsentAction.CONFIRMED, ConsentSource.IMPORT, address, now, note, slugs)
        else:
            outcome = ImportOutcome.ADDED
            if apply:
                locale_name = row.get("language", "").lower()
                subscriber = existing.get(email) or Subscriber(email=email, link_salt=secrets.token_hex(32),
                                                               created_at=now)
                subscriber.name = row.get("name", "")[:NAME_MAX_LENGTH] or subscriber.name
                subscriber.locale = locale_name if locale_name in ("el", "en") else "el"
                subscriber.status = SubscriberStatus.ACTIVE
                subscriber.confirmed_at = now
                subscriber.unsubscribed_at = None
                dbsession.add(subscriber)
                _set_topics(subscriber, topic_ids, now)
                _record(request, subscriber, ConsentAction.CONFIRMED, ConsentSource.IMPORT, address, now, note, slugs)
        seen.add(email)
        lines.append(ImportLine(number, email or row.get("email", ""), outcome))
    return ImportReport(lines)




def lift_suppression(dbsession: Session, suppression: Suppression) -> None:
    """Staff take an address off the list (a complaint made by mistake, a mailbox fixed). The
    person is not subscribed by it: they subscribe and confirm themselves."""
    dbsession.delete(suppression)
