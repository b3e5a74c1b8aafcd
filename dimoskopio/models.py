"""Every package's models, imported so that the metadata (and Alembic) sees all tables."""

from dimoskopio.accounts.models import LoginSession, User
from dimoskopio.db import Base
from dimoskopio.mail.models import OutboxMessage
from events.models import (
    CalendarChange,
    CalendarEntry,
    CalendarFeed,
    CalendarKey,
    Category,
    Event,
    EventNotice,
    Feedback,
    Question,
    Registration,
    Series,
    Topic,
    Venue,
)
from mailing.models import ConsentRecord, MailingTopic, Subscriber, Subscription, Suppression

metadata = Base.metadata

__all__ = [
    "CalendarChange",
    "CalendarEntry",
    "CalendarFeed",
    "CalendarKey",
    "Category",
    "ConsentRecord",
    "Event",
    "EventNotice",
    "Feedback",
    "LoginSession",
    "MailingTopic",
    "OutboxMessage",
    "Question",
    "Registration",
    "Series",
    "Subscriber",
    "Subscription",
    "Suppression",
    "Topic",
    "User",
    "Venue",
    "metadata",
]
