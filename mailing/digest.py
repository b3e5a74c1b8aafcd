"""The weekly digest: every Monday morning, a campaign of the next two weeks' events for the
"Weekly digest" topic, drafted for staff to review or, if they chose so, sent at once."""

import datetime
import enum
import functools
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dimoskopio.config import AVAILABLE_LOCALES
from dimoskopio.db import page_of
from dimoskopio.i18n import TRANSLATION_DOMAIN, _, localizer_for
from events.display import when_text
from events.models import Event, EventStatus
from events.services import local_day_start, local_timezone
from mailing.delivery import start_sending
from mailing.models import (
    CAMPAIGN_PREHEADER_MAX_LENGTH,
    Campaign,
    DigestMode,
    MailingSettings,
    MailingTopic,
    Subscriber,
    SubscriberStatus,
    Subscription,
)
from mailing.services import DIGEST_TOPIC

DIGEST_DAYS = 14
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 7
# Beyond this many the message is too long to read; its closing link leads to the full calendar.
DIGEST_MAX_EVENTS = 50
SETTINGS_ID = 1


# --- settings ---------------------------------------------------------------------------------


def mailing_settings(dbsession: Session, for_update: bool = False) -> MailingSettings:
    """The one row of settings, created with the defaults the first time it is needed.
    `for_update` holds it until the transaction ends (PostgreSQL; SQLite has one writer anyway)."""
    query = select(MailingSettings).where(MailingSettings.id == SETTINGS_ID)
    if for_update:
        query = query.with_for_update()
    found = dbsession.scalar(query)
    if found is not None:
        return found
    try:
        with dbsession.begin_nested():
            found = MailingSettings(id=SETTINGS_ID)
            dbsession.add(found)
    except IntegrityError:
        # Another transaction created it meanwhile.
        found = dbsession.scalar(query)
    return found


def save_digest_mode(dbsession: Session, mode: DigestMode) -> None:
    mailing_settings(dbsession).digest_mode = mode


# --- which events, which week -----------------------------------------------------------------


def digest_topic(dbsession: Session) -> MailingTopic | None:
    return dbsession.scalar(select(MailingTopic).where(MailingTopic.slug == DIGEST_TOPIC))


def digest_days(now: datetime.datetime, tz: ZoneInfo) -> tuple[datetime.date, datetime.date]:
    """The first and last local day the digest drafted at `now` covers."""
    today = now.astimezone(tz).date()
    return today, today + datetime.timedelta(days=DIGEST_DAYS - 1)


def digest_events(dbsession: Session, now: datetime.datetime, tz: ZoneInfo) -> list[Event]:
    """Published events starting from now to the end of the digest's last day, in start order."""
    _first, last = digest_days(now, tz)
    end = local_day_start(last + datetime.timedelta(days=1), tz)
    return list(dbsession.scalars(
        select(Event).where(Event.status == EventStatus.PUBLISHED, Event.starts_at >= now, Event.starts_at < end)
        .order_by(Event.starts_at, Event.id).limit(DIGEST_MAX_EVENTS)).unique())


def this_weeks_digest(dbsession: Session, now: datetime.datetime, tz: ZoneInfo) -> Campaign | None:
    """The digest already created in the local ISO week (Monday to Sunday) of `now`, if any."""
    today = now.astimezone(tz).date()
    monday = today - datetime.timedelta(days=today.weekday())
    return dbsession.scalar(
        select(Campaign).where(Campaign.is_digest.is_(True),
                               Campaign.created_at >= local_day_start(monday, tz),
                               Campaign.created_at < local_day_start(monday + datetime.timedelta(days=7), tz))
        .order_by(Campaign.id).limit(1))


def digest_is_due(now: datetime.datetime, tz: ZoneInfo) -> bool:
    """Monday, 07:00 to 07:59 at the centre, whatever the offset from UTC that day."""
    local = now.astimezone(tz)
    return local.weekday() == DIGEST_WEEKDAY and local.hour == DIGEST_HOUR


# --- the message ------------------------------------------------------------------------------

# Characters that make Markdown out of plain text anywhere on a line, and those that do at its
# start (headings, quotes, lists, rules, fences).
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<])")
_MARKDOWN_LINE_START = re.compile(r"^([#>+=~-])")
_MARKDOWN_ORDERED_LIST = re.compile(r"^(\d+)([.)])")


def markdown_literal(text: str) -> str:
    """Staff-written text as one line of the campaign's source that shows exactly that text.

    Campaign bodies are templates (merge fields) and then Markdown, so a title like "{{ 7*7 }}"
    or "[Win](https://example.com)" must be neither: the template's delimiters are written as
    expressions that output them, after Markdown's characters are escaped."""
    line = " ".join(text.split())
    line = _MARKDOWN_INLINE.sub(r"\\\1", line)
    line = _MARKDOWN_LINE_START.sub(r"\\\1", line)
    line = _MARKDOWN_ORDERED_LIST.sub(r"\1\\\2", line)
    return line.replace("{", '{{ "{" }}')


def _place(event: Event, online: str) -> str:
    places = [event.venue.name] if event.venue is not None else []
    if event.online_url:
        places.append(online)
    return " · ".join(places)


@dataclass(frozen=True)
class DigestContent:
    subject: str
    preheader: str
    body: str


def digest_content(request: Request, events: list[Event], locale_name: str, now: datetime.datetime) -> DigestContent:
    tz = local_timezone(request)
    # The campaign's language, not that of whoever pressed the button.
    translate = functools.partial(localizer_for(locale_name).translate, domain=TRANSLATION_DOMAIN)
    first, last = digest_days(now, tz)
    dates = babel_dates.format_interval(first, last, "MMMd", locale=locale_name)
    subject = translate(_("Events of the next two weeks · ${dates}", mapping={"dates": dates}))
    parts = [translate(_("These are the events of ${dates}. Each event's page tells more and how to take part.",
                         mapping={"dates": dates}))]
    online = translate(_("Online"))
    for event in events:
        title = markdown_literal(event.localized("title", locale_name))
        parts.append(f"### [{title}]({request.public_url('events.detail', slug=event.slug)})")
        facts = [when_text(event, locale_name, tz), _place(event, online)]
        parts.append(markdown_literal(" · ".join(fact for fact in facts if fact)))
        summary = event.localized("summary", locale_name)
        if summary.strip():
            parts.append(markdown_literal(summary))
    parts.append(f"[{translate(_('All upcoming events'))}]({request.public_url('events.index')})")
    preheader = " · ".join(event.localized("title", locale_name) for event in events)
    if len(preheader) > CAMPAIGN_PREHEADER_MAX_LENGTH:
        preheader = preheader[:CAMPAIGN_PREHEADER_MAX_LENGTH - 1].rstrip() + "…"
    return DigestContent(subject=subject, preheader=preheader, body="\n\n".join(parts))


# --- drafting and sending ---------------------------------------------------------------------


class DigestRefusal(enum.StrEnum):
    NO_TOPIC = "no_topic"
    ALREADY_DRAFTED = "already_drafted"
    NO_EVENTS = "no_events"


@dataclass(frozen=True)
class DigestAttempt:
    campaigns: list[Campaign] = field(default_factory=list)
    refusal: DigestRefusal | None = None


def digest_languages(dbsession: Session, topic: MailingTopic, default_locale: str) -> list[str]:
    """The languages the topic's confirmed subscribers read, the centre's first; the centre's
    alone while the topic has no one."""
    read = set(dbsession.scalars(
        select(Subscriber.locale).distinct().join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.topic_id == topic.id, Subscriber.status == SubscriberStatus.ACTIVE)))
    languages = sorted(read & set(AVAILABLE_LOCALES), key=lambda code: (code != default_locale, code))
    return languages or [default_locale]


def attempt_digest(request: Request, now: datetime.datetime) -> DigestAttempt:
    """Draft this week's digest, one campaign per language its readers chose, or say why not:
    there is no digest topic, this week's is drafted already, or no event is coming (an empty
    digest is not sent)."""
    dbsession = request.dbsession
    tz = local_timezone(request)
    topic = digest_topic(dbsession)
    if topic is None:
        return DigestAttempt(refusal=DigestRefusal.NO_TOPIC)
    # Held until commit, so that the weekly task and a member of staff cannot both draft one.
    mailing_settings(dbsession, for_update=True)
    if this_weeks_digest(dbsession, now, tz) is not None:
        return DigestAttempt(refusal=DigestRefusal.ALREADY_DRAFTED)
    events = digest_events(dbsession, now, tz)
    if not events:
        return DigestAttempt(refusal=DigestRefusal.NO_EVENTS)
    languages = digest_languages(dbsession, topic, request.registry.settings["dimoskopio.default_locale"])
    user = request.user
    campaigns = []
    for locale_name in languages:
        content = digest_content(request, events, locale_name, now)
        campaign = Campaign(subject=content.subject, preheader=content.preheader, body=content.body,
                            locale=locale_name, audience_locale=locale_name if len(languages) > 1 else None,
                            is_digest=True, in_archive=True, topics=[topic],
                            created_by_id=user.id if user is not None else None, created_at=now)
        dbsession.add(campaign)
        campaigns.append(campaign)
    dbsession.flush()
    return DigestAttempt(campaigns=campaigns)


def draft_digest(request: Request, now: datetime.datetime) -> list[Campaign]:
    """This week's digest as new draft campaigns (one per language); none if there is nothing to draft."""
    return attempt_digest(request, now).campaigns


def run_digest(request: Request, now: datetime.datetime) -> list[Campaign]:
    """What the weekly task does, as staff set it: nothing, draft the digest, or draft and send it."""
    mode = mailing_settings(request.dbsession).digest_mode
    if mode is DigestMode.OFF:
        return []
    campaigns = draft_digest(request, now)
    if mode is DigestMode.SEND:
        for campaign in campaigns:
            start_sending(request, campaign, now)
    return campaigns


def run_weekly_digest(request: Request, now: datetime.datetime) -> list[Campaign]:
    """The weekly task's turn: it runs every hour on Mondays and acts at 07:00 local time only."""
    if not digest_is_due(now, local_timezone(request)):
        return []
    return run_digest(request, now)


# --- staff ------------------------------------------------------------------------------------

DIGESTS_PER_PAGE = 20


def digest_campaigns(dbsession: Session, page: int) -> tuple[list[Campaign], int]:
    """The digests drafted so far, newest first."""
    query = select(Campaign).where(Campaign.is_digest.is_(True))
    return page_of(dbsession, query.order_by(Campaign.created_at.desc(), Campaign.id.desc()), page,
                   DIGESTS_PER_PAGE)
