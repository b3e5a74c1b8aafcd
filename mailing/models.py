"""Newsletter subscribers, the topics they choose, the record of their consent, and the addresses
never to be mailed again."""

import datetime
import enum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
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


SUPPRESSION_REASON_LABELS = {
    SuppressionReason.UNSUBSCRIBED: _("Unsubscribed"),
    SuppressionReason.BOUNCED: _("Bounced"),
    SuppressionReason.COMPLAINED: _("Reported as spam"),
}


class Suppression(Base):
    """An address campaigns never mail again."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    reason: Mapped[SuppressionReason] = mapped_column(enum_column_type(SuppressionReason, "suppression_reason"))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
