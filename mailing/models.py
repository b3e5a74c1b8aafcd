"""Newsletter subscribers, the topics they choose, the record of their consent, and the addresses
never to be mailed again."""

import datetime
import enum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from dimoskopio.db import Base, Localized, enum_column_type, utcnow
from dimoskopio.i18n import _

SLUG_MAX_LENGTH = 80
TOPIC_NAME_MAX_LENGTH = 120
CONSENT_NOTE_MAX_LENGTH = 300
TOPIC_DESCRIPTION_MAX_LENGTH = 1000


class MailingTopic(Localized, Base):
    """A list people subscribe to ("Events", "Calls for applications", "Weekly digest"...)."""

    __tablename__ = "mailing_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name_el: Mapped[str] = mapped_column(String(TOPIC_NAME_MAX_LENGTH))
    name_en: Mapped[str] = mapped_column(String(TOPIC_NAME_MAX_LENGTH), default="")
    description_el: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)


class SubscriberStatus(enum.StrEnum):
    # Asked to subscribe; nothing but the confirmation is sent until they confirm.
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


SUBSCRIBER_STATUS_LABELS = {
    SubscriberStatus.PENDING: _("Awaiting confirmation"),
    SubscriberStatus.ACTIVE: _("Subscribed"),
    SubscriberStatus.UNSUBSCRIBED: _("Unsubscribed"),
}


class Subscriber(Base):
    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    locale: Mapped[str] = mapped_column(String(5), default="el")
    status: Mapped[SubscriberStatus] = mapped_column(enum_column_type(SubscriberStatus, "subscriber_status"),
                                                     default=SubscriberStatus.PENDING)
    # Salts the signatures of the person's links; a new one revokes the links already sent.
    link_salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    confirmation_sent_at: Mapped[datetime.datetime | None]
    confirmed_at: Mapped[datetime.datetime | None]
    unsubscribed_at: Mapped[datetime.datetime | None]

    subscriptions: Mapped[list["Subscription"]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan", lazy="selectin")

    @property
    def topic_ids(self) -> set[int]:
        return {subscription.topic_id for subscription in self.subscriptions}


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "topic_id", name="uq_subscriptions_subscriber_topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")
    topic_id: Mapped[int] = mapped_column(ForeignKey("mailing_topics.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class ConsentSource(enum.StrEnum):
    FORM = "form"
    EVENT_REGISTRATION = "event_registration"
    IMPORT = "import"
    PREFERENCES = "preferences"
    ONE_CLICK = "one_click"
    # SendGrid reported that the person unsubscribed or marked a campaign as spam.
    PROVIDER = "provider"


class ConsentAction(enum.StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    CHANGED = "changed"
    UNSUBSCRIBED = "unsubscribed"


CONSENT_SOURCE_LABELS = {
    ConsentSource.FORM: _("Newsletter form"),
    ConsentSource.EVENT_REGISTRATION: _("Event registration"),
    ConsentSource.IMPORT: _("Import"),
    ConsentSource.PREFERENCES: _("Preferences"),
    ConsentSource.ONE_CLICK: _("One-click unsubscribe"),
    ConsentSource.PROVIDER: _("Reported by SendGrid"),
}

CONSENT_ACTION_LABELS = {
    ConsentAction.REQUESTED: _("Asked to subscribe"),
    ConsentAction.CONFIRMED: _("Confirmed"),
    ConsentAction.CHANGED: _("Changed topics"),
    ConsentAction.UNSUBSCRIBED: _("Unsubscribed"),
}


class ConsentRecord(Base):
    """What the person agreed to or withdrew, when, how, from where, under which notice. Kept
    after they unsubscribe: it is the proof either way."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    subscriber: Mapped[Subscriber] = relationship()
    action: Mapped[ConsentAction] = mapped_column(enum_column_type(ConsentAction, "consent_action"))
    source: Mapped[ConsentSource] = mapped_column(enum_column_type(ConsentSource, "consent_source"))
    # The topics as they stood after this step (slugs), so that the record reads on its own.
    topics: Mapped[str] = mapped_column(Text, default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    notice_version: Mapped[str] = mapped_column(String(40), default="")
    # Where consent given elsewhere was recorded (an import's "sign-up sheet, Startup Weekend").
    note: Mapped[str] = mapped_column(String(CONSENT_NOTE_MAX_LENGTH), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class SuppressionReason(enum.StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    # SendGrid refused to deliver (an invalid address, or one on its own suppression lists).
    DROPPED = "dropped"


SUPPRESSION_REASON_LABELS = {
    SuppressionReason.UNSUBSCRIBED: _("Unsubscribed"),
    SuppressionReason.BOUNCED: _("Bounced"),
    SuppressionReason.COMPLAINED: _("Reported as spam"),
    SuppressionReason.DROPPED: _("Dropped by SendGrid"),
}


class Suppression(Base):
    """An address campaigns never mail again."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(enum_column_type(SuppressionReason, "suppression_reason"))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


# --- campaigns --------------------------------------------------------------------------------

CAMPAIGN_SUBJECT_MAX_LENGTH = 200
CAMPAIGN_PREHEADER_MAX_LENGTH = 200
CAMPAIGN_BODY_MAX_LENGTH = 100_000


class CampaignStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    # Staff paused it, or SendGrid refused a batch (see `last_error`); resuming picks up there.
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.DRAFT: _("Draft"),
    CampaignStatus.SCHEDULED: _("Scheduled"),
    CampaignStatus.SENDING: _("Sending"),
    CampaignStatus.PAUSED: _("Paused"),
    CampaignStatus.SENT: _("Sent"),
    CampaignStatus.CANCELLED: _("Cancelled"),
}


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(CAMPAIGN_SUBJECT_MAX_LENGTH))
    preheader: Mapped[str] = mapped_column(String(CAMPAIGN_PREHEADER_MAX_LENGTH), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The language it is written in: its footer and links speak it.
    locale: Mapped[str] = mapped_column(String(5), default="el")
    # Only subscribers who chose this language; None for everyone.
    audience_locale: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[CampaignStatus] = mapped_column(enum_column_type(CampaignStatus, "campaign_status"),
                                                  default=CampaignStatus.DRAFT, index=True)
    in_archive: Mapped[bool] = mapped_column(default=False)
    is_digest: Mapped[bool] = mapped_column(default=False)
    scheduled_at: Mapped[datetime.datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime.datetime | None]
    finished_at: Mapped[datetime.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The worker sending it holds it until then, so that two workers never send it side by side.
    lease_until: Mapped[datetime.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    topics: Mapped[list[MailingTopic]] = relationship(secondary="campaign_topics", lazy="selectin",
                                                      order_by="MailingTopic.position")
    segments: Mapped[list["CampaignSegment"]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", lazy="selectin",
        order_by="CampaignSegment.id")


class CampaignTopic(Base):
    __tablename__ = "campaign_topics"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("mailing_topics.id", ondelete="CASCADE"), primary_key=True)


class SegmentKind(enum.StrEnum):
    EVENT_REGISTERED = "event_registered"
    EVENT_ATTENDED = "event_attended"
    CATEGORY_REGISTERED = "category_registered"
    CATEGORY_ATTENDED = "category_attended"
    FOUNDERS = "founders"
    COHORT_FOUNDERS = "cohort_founders"
    MENTORS = "mentors"


SEGMENT_KIND_LABELS = {
    SegmentKind.EVENT_REGISTERED: _("Registered for the event"),
    SegmentKind.EVENT_ATTENDED: _("Attended the event"),
    SegmentKind.CATEGORY_REGISTERED: _("Registered for an event of the category"),
    SegmentKind.CATEGORY_ATTENDED: _("Attended an event of the category"),
    SegmentKind.FOUNDERS: _("Founders"),
    SegmentKind.COHORT_FOUNDERS: _("Founders of the cohort's startups"),
    SegmentKind.MENTORS: _("Mentors"),
}


class CampaignSegment(Base):
    """People from the centre's own records; the campaign goes to the subscribers among them."""

    __tablename__ = "campaign_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    campaign: Mapped[Campaign] = relationship(back_populates="segments")
    kind: Mapped[SegmentKind] = mapped_column(enum_column_type(SegmentKind, "segment_kind"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("event_categories.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))


class BatchStatus(enum.StrEnum):
    PENDING = "pending"
    # Claimed by a worker, whose request to SendGrid may be under way.
    SENDING = "sending"
    ACCEPTED = "accepted"
    # SendGrid refused it (400, 413...): not retried by itself; staff see the error.
    FAILED = "failed"
    # The worker stopped during the request: SendGrid may or may not have taken it. Settled by
    # the Event Webhook (its `processed` events name the batch) or, without one, by staff.
    IN_DOUBT = "in_doubt"


class CampaignBatch(Base):
    """Up to a thousand recipients sent in one Mail Send request."""

    __tablename__ = "campaign_batches"
    __table_args__ = (Index("ix_campaign_batches_campaign_status", "campaign_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    status: Mapped[BatchStatus] = mapped_column(enum_column_type(BatchStatus, "campaign_batch_status"),
                                                default=BatchStatus.PENDING)
    size: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime.datetime | None]
    accepted_at: Mapped[datetime.datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)


class RecipientStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Unsubscribed or suppressed after the campaign started: left out.
    SKIPPED = "skipped"


class CampaignRecipient(Base):
    """The ledger: one row per person a campaign is for, marked sent only once SendGrid took it."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "email", name="uq_campaign_recipients_campaign_email"),
        Index("ix_campaign_recipients_campaign_status", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int | None] = mapped_column(ForeignKey("subscribers.id", ondelete="SET NULL"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_batches.id", ondelete="SET NULL"),
                                                 index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    status: Mapped[RecipientStatus] = mapped_column(enum_column_type(RecipientStatus, "campaign_recipient_status"),
                                                    default=RecipientStatus.PENDING)
    message_id: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime.datetime | None]


class DeliveryEvent(Base):
    """One event SendGrid's Event Webhook reported (delivered, open, bounce...)."""

    __tablename__ = "delivery_events"
    __table_args__ = (Index("ix_delivery_events_campaign_event", "campaign_id", "event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sg_event_id: Mapped[str] = mapped_column(String(100), unique=True)
    event: Mapped[str] = mapped_column(String(20))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("campaign_recipients.id", ondelete="CASCADE"),
                                                     index=True)
    sg_message_id: Mapped[str] = mapped_column(String(255), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    occurred_at: Mapped[datetime.datetime]
    received_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class DigestMode(enum.StrEnum):
    OFF = "off"
    DRAFT = "draft"
    SEND = "send"


DIGEST_MODE_LABELS = {
    DigestMode.OFF: _("Off"),
    DigestMode.DRAFT: _("Draft it every week for staff to review and send"),
    DigestMode.SEND: _("Draft and send it every week"),
}


class MailingSettings(Base):
    """Settings staff change on screen (one row)."""

    __tablename__ = "mailing_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_mode: Mapped[DigestMode] = mapped_column(enum_column_type(DigestMode, "digest_mode"),
                                                    default=DigestMode.DRAFT)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
