"""Events, what they are grouped by, where they happen, and the people who register."""

import datetime
import decimal
import enum
import itertools
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    insert,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, User
from dimoskopio.db import Base, Localized, enum_column_type, utcnow
from dimoskopio.i18n import _

SLUG_MAX_LENGTH = 80
TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 300
DESCRIPTION_MAX_LENGTH = 20_000
SHORT_TEXT_MAX_LENGTH = 200
URL_MAX_LENGTH = 500
ANSWER_MAX_LENGTH = 2000
ORGANISATION_MAX_LENGTH = 200



class Category(Localized, Base):
    __tablename__ = "event_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name_el: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    name_en: Mapped[str | None] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    position: Mapped[int] = mapped_column(default=0)


class Topic(Localized, Base):
    __tablename__ = "event_topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    name_el: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    name_en: Mapped[str | None] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    address: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    latitude: Mapped[decimal.Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[decimal.Decimal | None] = mapped_column(Numeric(9, 6))
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Series(Localized, Base):
    """Events that belong together, like "Startup Mondays"."""

    __tablename__ = "event_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    title_el: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    title_en: Mapped[str | None] = mapped_column(String(TITLE_MAX_LENGTH))
    description_el: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


EVENT_STATUS_LABELS = {
    EventStatus.DRAFT: _("Draft"),
    EventStatus.PUBLISHED: _("Published"),
    EventStatus.CANCELLED: _("Cancelled"),
    EventStatus.POSTPONED: _("Postponed"),
}


class EventLanguage(enum.StrEnum):
    GREEK = "el"
    ENGLISH = "en"
    BOTH = "el-en"


EVENT_LANGUAGE_LABELS = {
    EventLanguage.GREEK: _("Greek"),
    EventLanguage.ENGLISH: _("English"),
    EventLanguage.BOTH: _("Greek and English"),
}

# A fixed hour count that certificates state; zero means "not stated".
MAX_EVENT_HOURS = decimal.Decimal("999.9")

event_topics = Table(
    "event_topic_links",
    Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    # Indexed on its own for the topic filter (the primary key starts with the event).
    Column("topic_id", ForeignKey("event_topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Event(Localized, Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        Index("ix_events_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX_LENGTH), unique=True)
    title_el: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    title_en: Mapped[str | None] = mapped_column(String(TITLE_MAX_LENGTH))
    summary_el: Mapped[str] = mapped_column(String(SUMMARY_MAX_LENGTH), default="")
    summary_en: Mapped[str | None] = mapped_column(String(SUMMARY_MAX_LENGTH))
    description_el: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("event_categories.id", ondelete="SET NULL"),
                                                    index=True)
    category: Mapped[Category | None] = relationship(lazy="joined")
    topics: Mapped[list[Topic]] = relationship(secondary=event_topics, lazy="selectin",
                                               order_by=Topic.name_el)
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id", ondelete="SET NULL"), index=True)
    venue: Mapped[Venue | None] = relationship(lazy="joined")
    online_url: Mapped[str | None] = mapped_column(String(URL_MAX_LENGTH))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("event_series.id", ondelete="SET NULL"),
                                                  index=True)
    series: Mapped[Series | None] = relationship(lazy="joined")
    organiser: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    speakers: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime.datetime] = mapped_column(index=True)
    # For all-day events: midnight (local time) after the last day, so the end is exclusive.
    ends_at: Mapped[datetime.datetime]
    all_day: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int | None]
    registration_opens_at: Mapped[datetime.datetime | None]
    registration_closes_at: Mapped[datetime.datetime | None]
    approval_required: Mapped[bool] = mapped_column(default=False)
    # True: a freed seat goes straight to the first in line; False: it is offered to them first.
    auto_promote: Mapped[bool] = mapped_column(default=False)
    offer_hours: Mapped[int] = mapped_column(default=24)
    hours: Mapped[decimal.Decimal | None] = mapped_column(Numeric(4, 1))
    language: Mapped[EventLanguage] = mapped_column(enum_column_type(EventLanguage, "event_language"),
                                                    default=EventLanguage.GREEK)
    status: Mapped[EventStatus] = mapped_column(enum_column_type(EventStatus, "event_status"),
                                                default=EventStatus.DRAFT)
    # Raised whenever the time, place, title or status changes, so calendars replace their copy.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime.datetime | None]

    questions: Mapped[list["Question"]] = relationship(
        back_populates="event", order_by="Question.position, Question.id", cascade="all, delete-orphan",
    )

    @property
    def is_online(self) -> bool:
        return bool(self.online_url)

    @property
    def is_in_person(self) -> bool:
        return self.venue is not None

    @property
    def is_public(self) -> bool:
        return self.status != EventStatus.DRAFT

    @property
    def speaker_list(self) -> list[str]:
        return [line.strip() for line in self.speakers.splitlines() if line.strip()]

    @property
    def partner_list(self) -> list[str]:
        return [line.strip() for line in self.partners.splitlines() if line.strip()]

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug}>"


class QuestionKind(enum.StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    YES_NO = "yes_no"


QUESTION_KIND_LABELS = {
    QuestionKind.TEXT: _("Short text"),
    QuestionKind.LONG_TEXT: _("Long text"),
    QuestionKind.SINGLE_CHOICE: _("One choice"),
    QuestionKind.MULTIPLE_CHOICE: _("Several choices"),
    QuestionKind.YES_NO: _("Yes or no"),
}

CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


class Question(Localized, Base):
    """A question the event asks of everyone who registers."""

    __tablename__ = "event_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    event: Mapped[Event] = relationship(back_populates="questions")
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column_type(QuestionKind, "question_kind"))
    label_el: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    label_en: Mapped[str | None] = mapped_column(String(TITLE_MAX_LENGTH))
    required: Mapped[bool] = mapped_column(default=False)
    # One choice per line; the Greek text is what an answer stores.
    choices_el: Mapped[str] = mapped_column(Text, default="")
    choices_en: Mapped[str | None] = mapped_column(Text)

    def choices(self, locale_name: str) -> list[tuple[str, str]]:
        """(stored value, label) pairs in the reader's language."""
        values = [line.strip() for line in self.choices_el.splitlines() if line.strip()]
        labels = [line.strip() for line in (self.choices_en or "").splitlines() if line.strip()]
        if locale_name == "el" or len(labels) != len(values):
            labels = values
        return list(zip(values, labels, strict=True))


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    OFFERED = "offered"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    EXPIRED = "expired"


REGISTRATION_STATUS_LABELS = {
    RegistrationStatus.PENDING: _("Awaiting approval"),
    RegistrationStatus.CONFIRMED: _("Confirmed"),
    RegistrationStatus.WAITING: _("On the waiting list"),
    RegistrationStatus.OFFERED: _("Seat offered"),
    RegistrationStatus.CANCELLED: _("Cancelled"),
    RegistrationStatus.REJECTED: _("Not approved"),
    RegistrationStatus.EXPIRED: _("Offer expired"),
}

# Statuses that hold one of the event's seats.
SEAT_HOLDING = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)
# Statuses of people who still expect to come (and hear about changes).
ACTIVE_STATUSES = (
    RegistrationStatus.PENDING,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.OFFERED,
)


class AttendeeRole(enum.StrEnum):
    STUDENT = "student"
    FOUNDER = "founder"
    EMPLOYEE = "employee"
    RESEARCHER = "researcher"
    FREELANCER = "freelancer"
    PUBLIC_SECTOR = "public_sector"
    INVESTOR = "investor"
    OTHER = "other"


ATTENDEE_ROLE_LABELS = {
    AttendeeRole.STUDENT: _("Student"),
    AttendeeRole.FOUNDER: _("Founder or co-founder"),
    AttendeeRole.EMPLOYEE: _("Employee"),
    AttendeeRole.RESEARCHER: _("Researcher"),
    AttendeeRole.FREELANCER: _("Freelancer"),
    AttendeeRole.PUBLIC_SECTOR: _("Public sector"),
    AttendeeRole.INVESTOR: _("Investor"),
    AttendeeRole.OTHER: _("Other"),
}


class RegistrationSource(enum.StrEnum):
    ONLINE = "online"
    STAFF = "staff"
    WALK_IN = "walk_in"


class Registration(Base):
    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "email", name="uq_registrations_event_email"),
        Index("ix_registrations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    event: Mapped[Event] = relationship(lazy="joined")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    # Indexed on its own too: "My events" finds a member's earlier registrations by email.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), index=True)
    organisation: Mapped[str] = mapped_column(String(ORGANISATION_MAX_LENGTH), default="")
    role: Mapped[AttendeeRole] = mapped_column(enum_column_type(AttendeeRole, "attendee_role"),
                                               default=AttendeeRole.OTHER)
    locale: Mapped[str] = mapped_column(String(5), default="el")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[RegistrationStatus] = mapped_column(enum_column_type(RegistrationStatus, "registration_status"))
    source: Mapped[RegistrationSource] = mapped_column(
        enum_column_type(RegistrationSource, "registration_source"), default=RegistrationSource.ONLINE,
    )
    # Salts the private link's signature; drawing a new one revokes the links already sent.
    link_salt: Mapped[str] = mapped_column(String(64), unique=True)
    # What the check-in QR code carries; useless without a staff login.
    checkin_code: Mapped[str] = mapped_column(String(32), unique=True)
    consent_at: Mapped[datetime.datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(40))
    newsletter_opt_in: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime.datetime | None]
    # The waiting-list order: when the person joined it (kept if they are offered a seat).
    waiting_since: Mapped[datetime.datetime | None]
    offer_expires_at: Mapped[datetime.datetime | None] = mapped_column(index=True)
    cancelled_at: Mapped[datetime.datetime | None]
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    checked_in_at: Mapped[datetime.datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reminder_sent_at: Mapped[datetime.datetime | None]
    feedback_requested_at: Mapped[datetime.datetime | None]
    # When the private link was last sent again (registering twice); limits how often.
    link_resent_at: Mapped[datetime.datetime | None]

    feedback: Mapped["Feedback | None"] = relationship(back_populates="registration", uselist=False)

    @property
    def holds_seat(self) -> bool:
        return self.status in SEAT_HOLDING

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Registration {self.id} event={self.event_id} {self.status.value}>"


FEEDBACK_TEXT_MAX_LENGTH = 2000


class Feedback(Base):
    """What an attendee thought of an event."""

    __tablename__ = "event_feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"),
                                                 unique=True)
    registration: Mapped[Registration] = relationship(back_populates="feedback")
    rating: Mapped[int]
    useful: Mapped[str] = mapped_column(Text, default="")
    ideas: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class EventNotice(Base):
    """A notice to everyone registered (cancelled, postponed, moved), recorded in the transaction
    that decided it, so that it is sent even if queueing its task fails; `sent_at` marks it done."""

    __tablename__ = "event_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    template: Mapped[str] = mapped_column(String(40))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime.datetime | None] = mapped_column(index=True)
    recipients: Mapped[int] = mapped_column(default=0)


class CalendarChange(Base):
    """One row per flush that changed what public calendar feeds show (events, venues,
    categories, topics, series): the newest id is the feeds' generation, and a cached feed of an
    older generation is rebuilt. Append-only, so that concurrent changes never wait on each other."""

    __tablename__ = "calendar_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    changed_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A built public feed, shared by every app server until the calendar changes."""

    __tablename__ = "calendar_feeds"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # The calendar state it was built from (see events.feeds.generation) and the day.
    generation: Mapped[str] = mapped_column(String(80))
    # Read only for a full response: a 304 needs just the validators.
    body: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    etag: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime.datetime]


class CalendarKey(Base):
    """The secret behind one person's personal feed link (by email); a new salt revokes the link."""

    __tablename__ = "calendar_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)


class CalendarEntry(Base):
    """One event's VEVENT as public feeds write it, kept until anything it shows changes (the
    fingerprint), so that rebuilding a feed after one edit serializes one event, not all."""

    __tablename__ = "calendar_entries"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)


CERTIFICATE_HEADING_MAX_LENGTH = 120
CERTIFICATE_STATEMENT_MAX_LENGTH = 600
REVOKE_REASON_MAX_LENGTH = 500


class CertificateDesign(Base):
    """How an event's certificates read, within the template: the staff's heading and statement
    (the template's own wording where empty) and who signs them."""

    __tablename__ = "certificate_designs"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    heading_el: Mapped[str] = mapped_column(String(CERTIFICATE_HEADING_MAX_LENGTH), default="")
    heading_en: Mapped[str] = mapped_column(String(CERTIFICATE_HEADING_MAX_LENGTH), default="")
    statement_el: Mapped[str] = mapped_column(Text, default="")
    statement_en: Mapped[str] = mapped_column(Text, default="")
    issuer_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="")
    issuer_title_el: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    issuer_title_en: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH), default="")
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    signature_type: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CertificateKind(enum.StrEnum):
    ATTENDANCE = "attendance"
    GRADUATION = "graduation"


class Certificate(Base):
    """One issued certificate: who it names and what it says as printed, its PDF, and whether it
    still stands. A person has at most one standing certificate per event; re-issuing revokes the
    old one and points the new one at it."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("uq_certificates_registration_standing", "registration_id", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
        # Who was ever certified, and an event's counts, answered from the indexes alone: SQLite
        # reaches the columns stored after a PDF only by reading through it.
        Index("ix_certificates_registration_id", "registration_id"),
        Index("ix_certificates_event_revoked", "event_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the QR code and the verification page carry: unguessable, and no personal data.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column_type(CertificateKind, "certificate_kind"),
                                                  default=CertificateKind.ATTENDANCE)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    event: Mapped[Event | None] = relationship(lazy="joined")
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    registration: Mapped[Registration | None] = relationship()
    # As printed, so that later edits of the event or the registration do not change what it says.
    recipient_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    title: Mapped[str] = mapped_column(String(TITLE_MAX_LENGTH))
    period: Mapped[str] = mapped_column(String(SHORT_TEXT_MAX_LENGTH))
    locale: Mapped[str] = mapped_column(String(5), default="el")
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    issued_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    emailed_at: Mapped[datetime.datetime | None]
    revoked_at: Mapped[datetime.datetime | None]
    revoke_reason: Mapped[str] = mapped_column(String(REVOKE_REASON_MAX_LENGTH), default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))

    @property
    def number(self) -> str:
        """The number printed on it: the year of issue and a serial."""
        return f"{self.issued_at.year}-{self.id:06d}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None


class CertificateRun(Base):
    """Staff asked for an event's certificates: the worker issues them in batches, committing each
    (so the staff page shows progress, and a restart resumes without issuing anything twice)."""

    __tablename__ = "certificate_runs"
    __table_args__ = (
        Index("uq_certificate_runs_event_running", "event_id", unique=True,
              sqlite_where=text("finished_at IS NULL"), postgresql_where=text("finished_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    email_attendees: Mapped[bool] = mapped_column(default=False)
    total: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    # Moved by every batch: a run not touched for a while lost its task, and is resumed.
    touched_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime.datetime | None]


# What public calendar feeds show; a flush that changes any of these starts a new calendar state.
CALENDAR_MODELS = (Event, Venue, Category, Topic, Series)


@event.listens_for(Session, "after_flush")
def _note_calendar_change(session: Session, flush_context: Any) -> None:
    """Record, in the same transaction, that feeds built before this flush are out of date."""
    for instance in itertools.chain(session.new, session.deleted, session.dirty):
        if isinstance(instance, CALENDAR_MODELS) and (
            instance in session.new or instance in session.deleted or session.is_modified(instance)
        ):
            session.execute(insert(CalendarChange).values(changed_at=utcnow()))
            return
