"""What became of each campaign email: SendGrid's Event Webhook reports it (processed, delivered,
opened, bounced...), and one-click unsubscribes through our own link are counted alongside.

A call is taken only with SendGrid's signature over its exact body, made minutes ago. Each event
is recorded once (SendGrid sends an event again when an answer is lost), attributed to the
campaign recipient it names only when that recipient is real, and acted upon: any event of a
batch proves SendGrid took it (which settles a batch left in doubt by a worker that died), and
bounces, drops, spam reports and unsubscribes put the address on the suppression list.
"""

import base64
import datetime
import json
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyramid.request import Request
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dimoskopio.accounts.services import normalize_email
from dimoskopio.web import row_id
from mailing import delivery, services
from mailing.models import (
    CampaignBatch,
    CampaignRecipient,
    ConsentSource,
    DeliveryEvent,
    Subscriber,
    Suppression,
    SuppressionReason,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
# A signed call older than this is refused: it may be a captured one played again.
SIGNATURE_MAX_AGE = datetime.timedelta(minutes=10)
# Clocks drift apart, but not by more than this.
SIGNATURE_MAX_CLOCK_SKEW = datetime.timedelta(minutes=5)
# Unix seconds need far fewer digits; Python refuses to parse integers of thousands of them.
TIMESTAMP_MAX_DIGITS = 12

RECORDED_EVENTS = frozenset({
    "processed", "delivered", "deferred", "bounce", "dropped", "open", "click", "spamreport", "unsubscribe",
    "group_unsubscribe",
})
SUPPRESSING_EVENTS = {
    "bounce": SuppressionReason.BOUNCED,
    "dropped": SuppressionReason.DROPPED,
    "spamreport": SuppressionReason.COMPLAINED,
    "unsubscribe": SuppressionReason.UNSUBSCRIBED,
    "group_unsubscribe": SuppressionReason.UNSUBSCRIBED,
}
# The person withdrew (through their mail app or SendGrid's own link): their subscription ends too.
UNSUBSCRIBING_EVENTS = frozenset({"spamreport", "unsubscribe", "group_unsubscribe"})
# A bounce SendGrid calls "blocked" is the receiving server refusing for now (reputation, content),
# not a mailbox that does not exist: it is kept as an event of its own, and the address stays on
# the list.
TEMPORARY_BOUNCE_TYPE = "blocked"
BLOCKED_EVENT = "blocked"

_COLUMNS = DeliveryEvent.__table__.c
SG_EVENT_ID_MAX_LENGTH = _COLUMNS.sg_event_id.type.length
EMAIL_MAX_LENGTH = _COLUMNS.email.type.length
SG_MESSAGE_ID_MAX_LENGTH = _COLUMNS.sg_message_id.type.length


# --- the signature ----------------------------------------------------------------------------


def verify_signature(public_key: str, body: bytes, signature: str | None, timestamp: str | None,
                     now: datetime.datetime) -> bool:
    """Whether SendGrid signed `body` with the key whose public half is `public_key` (base64 DER,
    as SendGrid shows it) recently: ECDSA P-256 with SHA-256 over the timestamp followed by the
    raw body. False for anything missing, malformed, forged, stale or from the future."""
    if not public_key or not signature or not timestamp or not _signed_recently(timestamp, now):
        return False
    key = _public_key(public_key)
    if key is None:
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _signed_recently(timestamp: str, now: datetime.datetime) -> bool:
    # isascii: int() would read other scripts' digits too.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_MAX_DIGITS):
        return False
    age = now.timestamp() - int(timestamp)
    return -SIGNATURE_MAX_CLOCK_SKEW.total_seconds() <= age <= SIGNATURE_MAX_AGE.total_seconds()


def _public_key(text: str) -> ec.EllipticCurvePublicKey | None:
    try:
        # Whitespace is dropped: a key pasted into an ini file or an environment variable may wrap.
        key = serialization.load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        log.error("sendgrid.webhook_public_key is not SendGrid's verification key (base64 DER, ECDSA P-256)")
        return None
    return key


# --- the events -------------------------------------------------------------------------------


def parse_events(body: bytes) -> list[dict[str, Any]] | None:
    """The events of a webhook call: a JSON list of objects; None for anything else."""
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested beyond reason
        return None
    if not isinstance(events, list) or not all(isinstance(event, dict) for event in events):
        return None
    return events


@dataclass(frozen=True)
class EventSummary:
    recorded: int
    # Reported before (SendGrid sends again when it gets no answer) or twice in the call.
    duplicates: int
    # Of a kind not recorded, or without an id or an address.
    ignored: int


@dataclass(frozen=True)
class _Reported:
    """One event as read from the payload, its values checked and cut to the columns' sizes."""

    sg_event_id: str
    event: str
    email: str
    campaign_id: int | None
    recipient_id: int | None
    batch_id: int | None
    sg_message_id: str
    reason: str
    url: str
    occurred_at: datetime.datetime

    @property
    def message_id(self) -> str | None:
        """The X-Message-Id SendGrid answered the batch's request with: what comes before the
        first dot of the event's own message id."""
        return self.sg_message_id.split(".", 1)[0] or None


def record_events(request: Request, events: list[dict[str, Any]], now: datetime.datetime) -> EventSummary:
    """Record each new event once, per recipient, and act on it: settle the batch it proves
    SendGrid took, suppress an address that bounced, was dropped or withdrew, and end the
    subscription of someone who unsubscribed or reported spam."""
    dbsession = request.dbsession
    reported: dict[str, _Reported] = {}
    ignored = duplicates = 0
    for raw in events:
        item = _read(raw, now)
        if item is None:
            ignored += 1
        elif item.sg_event_id in reported:
            duplicates += 1
        else:
            reported[item.sg_event_id] = item
    if reported:
        known = set(dbsession.scalars(select(DeliveryEvent.sg_event_id)
                                      .where(DeliveryEvent.sg_event_id.in_(reported))))
        duplicates += len(known)
        for sg_event_id in known:
            del reported[sg_event_id]
    fresh = list(reported.values())
    recipients = _recipients(dbsession, fresh)
    inserted = set(_insert_once(dbsession, [_row(item, recipients, now) for item in fresh]))
    duplicates += len(fresh) - len(inserted)
    recorded = [item for item in fresh if item.sg_event_id in inserted]
    _settle_batches(dbsession, recorded, now)
    _withdraw_addresses(request, recorded, now)
    return EventSummary(recorded=len(recorded), duplicates=duplicates, ignored=ignored)


def _read(raw: dict[str, Any], now: datetime.datetime) -> _Reported | None:
    event, sg_event_id, email = raw.get("event"), raw.get("sg_event_id"), raw.get("email")
    if not (isinstance(event, str) and event in RECORDED_EVENTS):
        return None
    if not (isinstance(sg_event_id, str) and sg_event_id and len(sg_event_id) <= SG_EVENT_ID_MAX_LENGTH):
        return None
    if not (isinstance(email, str) and email.strip()):
        return None
    if event == "bounce" and raw.get("type") == TEMPORARY_BOUNCE_TYPE:
        event = BLOCKED_EVENT
    return _Reported(
        sg_event_id=sg_event_id, event=event, email=email.strip()[:EMAIL_MAX_LENGTH],
        campaign_id=row_id(raw.get("campaign_id")), recipient_id=row_id(raw.get("recipient_id")),
        batch_id=row_id(raw.get("campaign_batch_id")),
        sg_message_id=_text(raw.get("sg_message_id"))[:SG_MESSAGE_ID_MAX_LENGTH],
        # Bounces and drops give a reason; deferrals give the receiving server's response.
        reason=_text(raw.get("reason")) or _text(raw.get("response")),
        url=_text(raw.get("url")), occurred_at=_moment(raw.get("timestamp"), now),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _moment(value: Any, now: datetime.datetime) -> datetime.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.UTC)
        except (OverflowError, ValueError, OSError):
            pass
    return now


def _recipients(dbsession: Session, items: list[_Reported]) -> dict[int, tuple[int, str]]:
    """The campaign and address of each recipient the events name (one query for them all)."""
    ids = {item.recipient_id for item in items if item.recipient_id is not None}
    if not ids:
        return {}
    rows = dbsession.execute(select(CampaignRecipient.id, CampaignRecipient.campaign_id, CampaignRecipient.email)
                             .where(CampaignRecipient.id.in_(ids)))
    return {recipient_id: (campaign_id, email) for recipient_id, campaign_id, email in rows}


def _row(item: _Reported, recipients: dict[int, tuple[int, str]], now: datetime.datetime) -> dict[str, Any]:
    campaign_id = recipient_id = None
    found = recipients.get(item.recipient_id) if item.recipient_id is not None else None
    # Only a recipient of that very campaign, at that very address, is credited: the ids come
    # back from SendGrid as we sent them, but nothing else guarantees they go together.
    if found is not None and found[0] == item.campaign_id and normalize_email(found[1]) == normalize_email(item.email):
        campaign_id, recipient_id = item.campaign_id, item.recipient_id
    return {"sg_event_id": item.sg_event_id, "event": item.event, "email": item.email, "campaign_id": campaign_id,
            "recipient_id": recipient_id, "sg_message_id": item.sg_message_id, "reason": item.reason,
            "url": item.url, "occurred_at": item.occurred_at, "received_at": now}


def _insert_once(dbsession: Session, rows: list[dict[str, Any]]) -> list[str]:
    """Insert the event rows; the sg_event_ids of those inserted. A row another request inserted
    meanwhile (SendGrid may send a call again while the first is still being answered) is left out."""
    if not rows:
        return []
    try:
        with dbsession.begin_nested():
            dbsession.execute(insert(DeliveryEvent), rows)
        return [row["sg_event_id"] for row in rows]
    except IntegrityError:
        pass
    # Some were recorded meanwhile: one at a time, to keep the others.
    inserted = []
    for row in rows:
        try:
            with dbsession.begin_nested():
                dbsession.execute(insert(DeliveryEvent), [row])
        except IntegrityError:
            continue
        inserted.append(row["sg_event_id"])
    return inserted


def _settle_batches(dbsession: Session, items: list[_Reported], now: datetime.datetime) -> None:
    """SendGrid reports nothing about mail it did not take: any event naming a batch proves the
    batch was accepted, even if the worker that sent it never heard the answer."""
    message_ids: dict[int, str | None] = {}
    for item in items:
        if item.batch_id is not None:
            message_ids.setdefault(item.batch_id, item.message_id)
    if not message_ids:
        return
    batches = dbsession.execute(select(CampaignBatch.id, CampaignBatch.campaign_id)
                                .where(CampaignBatch.id.in_(message_ids)).order_by(CampaignBatch.id)).all()
    for batch_id, campaign_id in batches:
        if delivery.record_accepted(dbsession, batch_id, message_ids[batch_id], now):
            log.info("campaign %s batch %s: accepted, as SendGrid's events show", campaign_id, batch_id)
            delivery.finish_if_done(dbsession, campaign_id, now)


def _withdraw_addresses(request: Request, items: list[_Reported], now: datetime.datetime) -> None:
    dbsession = request.dbsession
    withdrawing = [item for item in items if item.event in SUPPRESSING_EVENTS]
    if not withdrawing:
        return
    # A call carries up to about a thousand events: what is suppressed already is read once.
    suppressed = set(dbsession.scalars(select(Suppression.email).where(
        Suppression.email.in_({normalize_email(item.email) for item in withdrawing}))))
    for item in withdrawing:
        address = normalize_email(item.email)
        if address not in suppressed:
            # Suppressed first, for its own reason: unsubscribing would suppress a spam report as an unsubscribe.
            services.suppress(dbsession, address, SUPPRESSING_EVENTS[item.event], now)
            suppressed.add(address)
        if item.event in UNSUBSCRIBING_EVENTS:
            subscriber = services.find_subscriber(dbsession, address)
            if subscriber is not None:
                services.unsubscribe(request, subscriber, ConsentSource.PROVIDER, ip_address="", now=now)


# --- our own unsubscribe link -----------------------------------------------------------------


def record_campaign_unsubscribe(dbsession: Session, subscriber: Subscriber, campaign_param: str | None,
                                now: datetime.datetime) -> bool:
    """Someone unsubscribed through the link in a campaign's email (it names the campaign): the
    campaign's statistics count it as they count unsubscribes SendGrid reports. False when the
    link names no campaign this person was sent, or it was counted already."""
    campaign_id = row_id(campaign_param)
    if campaign_id is None:
        return False
    recipient_id = dbsession.scalar(select(CampaignRecipient.id).where(CampaignRecipient.campaign_id == campaign_id,
                                                                      CampaignRecipient.email == subscriber.email))
    if recipient_id is None:
        return False
    # One per recipient (the id is unique), however often they subscribe again and leave through
    # the same email.
    return bool(_insert_once(dbsession, [{
        "sg_event_id": f"local-unsubscribe-{recipient_id}", "event": "unsubscribe", "email": subscriber.email,
        "campaign_id": campaign_id, "recipient_id": recipient_id, "occurred_at": now, "received_at": now,
    }]))
