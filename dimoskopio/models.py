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
from incubator.models import Cohort, Startup, StartupFounder, StartupStatusChange
from mailing.models import (
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    CampaignSegment,
    CampaignTopic,
    ConsentRecord,
    DeliveryEvent,
    MailingSettings,
    MailingTopic,
    Subscriber,
    Subscription,
    Suppression,
)

metadata = Base.metadata

__all__ = [
    "CalendarChange",
    "CalendarEntry",
    "CalendarFeed",
    "CalendarKey",
    "Campaign",
    "CampaignBatch",
    "CampaignRecipient",
    "CampaignSegment",
    "CampaignTopic",
    "Category",
    "Cohort",
    "ConsentRecord",
    "DeliveryEvent",
    "Event",
    "EventNotice",
    "Feedback",
    "LoginSession",
    "MailingSettings",
    "MailingTopic",
    "OutboxMessage",
    "Question",
    "Registration",
    "Series",
    "Startup",
    "StartupFounder",
    "StartupStatusChange",
    "Subscriber",
    "Subscription",
    "Suppression",
    "Topic",
    "User",
    "Venue",
    "metadata",
]
