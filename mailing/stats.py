"""A campaign's statistics: how many people it reached, opened and clicked it, left or complained,
and when, from the ledger and the events SendGrid's Event Webhook reported."""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from sqlalchemy import ColumnElement, case, distinct, func, select
from sqlalchemy.orm import Session

from mailing.models import Campaign, CampaignRecipient, DeliveryEvent, RecipientStatus

# SendGrid's event names, by the outcome they count towards.
OUTCOME_EVENTS = {
    "delivered": ("delivered",),
    # SendGrid refused to try ("dropped") or the receiving server refused ("bounce").
    "bounced": ("bounce", "dropped"),
    "opened": ("open",),
    "clicked": ("click",),
    "unsubscribed": ("unsubscribe", "group_unsubscribe"),
    "complaints": ("spamreport",),
}
TIMELINE_EVENTS = ("delivered", "open", "click")
# Up to three days of events read best hour by hour; anything longer, day by day.
HOURLY_SPAN_LIMIT = datetime.timedelta(hours=72)
TOP_LINKS_LIMIT = 10


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class CampaignFigures:
    """Distinct people per outcome. Rates are fractions: of the people sent to, except opens and
    clicks, which are of the people it was delivered to (only a delivered message can be opened)."""

    sent: int
    delivered: int
    bounced: int
    opened: int
    clicked: int
    unsubscribed: int
    complaints: int

    @property
    def delivery_rate(self) -> float | None:
        return _share(self.delivered, self.sent)

    @property
    def bounce_rate(self) -> float | None:
        return _share(self.bounced, self.sent)

    @property
    def unsubscribe_rate(self) -> float | None:
        return _share(self.unsubscribed, self.sent)

    @property
    def complaint_rate(self) -> float | None:
        return _share(self.complaints, self.sent)

    @property
    def open_rate(self) -> float | None:
        return _share(self.opened, self.delivered)

    @property
    def click_rate(self) -> float | None:
        return _share(self.clicked, self.delivered)


def _people_with(events: Sequence[str]) -> ColumnElement[int]:
    # People by their row in the ledger: the webhook files an event under a campaign only with the
    # recipient it names (an address may come back from SendGrid spelled in another case).
    return func.count(distinct(case((DeliveryEvent.event.in_(events), DeliveryEvent.recipient_id))))


def campaign_figures(dbsession: Session, campaign_id: int) -> CampaignFigures:
    """Every figure in one query."""
    sent = (select(func.count()).select_from(CampaignRecipient)
            .where(CampaignRecipient.campaign_id == campaign_id, CampaignRecipient.status == RecipientStatus.SENT)
            .scalar_subquery())
    counted = [event for events in OUTCOME_EVENTS.values() for event in events]
    row = dbsession.execute(
        select(sent, *(_people_with(events) for events in OUTCOME_EVENTS.values()))
        .select_from(DeliveryEvent)
        .where(DeliveryEvent.campaign_id == campaign_id, DeliveryEvent.event.in_(counted))
    ).one()
    return CampaignFigures(row[0], *row[1:])


# --- over time --------------------------------------------------------------------------------


@dataclass
class TimeBucket:
    """One hour or one day, starting at `start` (local time)."""

    start: datetime.datetime
    delivered: int = 0
    opened: int = 0
    clicked: int = 0


@dataclass(frozen=True)
class Timeline:
    hourly: bool
    buckets: list[TimeBucket]

    @property
    def largest(self) -> int:
        return max((max(bucket.delivered, bucket.opened, bucket.clicked) for bucket in self.buckets), default=0)

    def labels(self, locale_name: str) -> list[str]:
        """Each bucket as the reader's language writes a day ("30/11" in Greek), with the hour if
        hourly."""
        if self.hourly:
            return [f"{babel_dates.format_skeleton('Md', bucket.start, locale=locale_name)} {bucket.start:%H:%M}"
                    for bucket in self.buckets]
        return [babel_dates.format_skeleton("MMMd", bucket.start, locale=locale_name) for bucket in self.buckets]


def _hour_start(moment: datetime.datetime, tz: ZoneInfo) -> datetime.datetime:
    """The start of the local hour `moment` falls in, as a UTC instant (so that the two hours
    called 03:00 on the night the clocks go back stay two buckets)."""
    return moment.astimezone(tz).replace(minute=0, second=0, microsecond=0).astimezone(datetime.UTC)


def bucket_events(started_at: datetime.datetime | None,
                  events: Iterable[tuple[str, int | None, datetime.datetime]], tz: ZoneInfo) -> Timeline:
    """Count (event, recipient id, occurred_at) rows per local hour or day from the campaign's
    start to the last event, empty buckets included. An open counts once per person, at their
    first: mail apps open a message again each time it is shown."""
    events = sorted(events, key=lambda row: row[2])
    if not events:
        return Timeline(hourly=True, buckets=[])
    first = min(events[0][2], started_at) if started_at is not None else events[0][2]
    last = events[-1][2]
    hourly = last - first <= HOURLY_SPAN_LIMIT
    buckets: dict[object, TimeBucket] = {}
    if hourly:
        hour, end = _hour_start(first, tz), _hour_start(last, tz)
        while hour <= end:
            buckets[hour] = TimeBucket(hour.astimezone(tz))
            hour += datetime.timedelta(hours=1)
    else:
        day, end_day = first.astimezone(tz).date(), last.astimezone(tz).date()
        while day <= end_day:
            buckets[day] = TimeBucket(datetime.datetime.combine(day, datetime.time(), tzinfo=tz))
            day += datetime.timedelta(days=1)
    opened_already: set[int | None] = set()
    for event, recipient_id, moment in events:
        bucket = buckets[_hour_start(moment, tz) if hourly else moment.astimezone(tz).date()]
        if event == "delivered":
            bucket.delivered += 1
        elif event == "click":
            bucket.clicked += 1
        elif event == "open" and recipient_id not in opened_already:
            opened_already.add(recipient_id)
            bucket.opened += 1
    return Timeline(hourly=hourly, buckets=list(buckets.values()))


def timeline(dbsession: Session, campaign_id: int, tz: ZoneInfo) -> Timeline:
    """Deliveries, first opens and clicks per local hour (or day, for a long span)."""
    started_at = dbsession.scalar(select(Campaign.started_at).where(Campaign.id == campaign_id))
    rows = dbsession.execute(
        select(DeliveryEvent.event, DeliveryEvent.recipient_id, DeliveryEvent.occurred_at)
        .where(DeliveryEvent.campaign_id == campaign_id, DeliveryEvent.event.in_(TIMELINE_EVENTS))
        .order_by(DeliveryEvent.occurred_at, DeliveryEvent.id)
    ).all()
    return bucket_events(started_at, rows, tz)


# --- links ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkClicks:
    url: str
    clicks: int
    people: int
    # Everyone's own preferences or unsubscribe link, counted together under their common start.
    personal: bool = False

    @property
    def openable(self) -> bool:
        return self.url.startswith(("https://", "http://"))


def top_links(dbsession: Session, campaign_id: int, personal_prefixes: Sequence[str] = (),
              limit: int = TOP_LINKS_LIMIT) -> list[LinkClicks]:
    """The most clicked links, with how many people clicked each. Links that differ per person
    (their start given in `personal_prefixes`) are one row each, and no one's token is shown."""
    url = DeliveryEvent.url
    link = case(*((url.startswith(prefix, autoescape=True), prefix) for prefix in personal_prefixes),
                else_=url) if personal_prefixes else url
    clicks = (select(link.label("link"), DeliveryEvent.recipient_id)
              .where(DeliveryEvent.campaign_id == campaign_id, DeliveryEvent.event == "click", url != "")
              .subquery())
    rows = dbsession.execute(
        select(clicks.c.link, func.count(), func.count(distinct(clicks.c.recipient_id)))
        .group_by(clicks.c.link).order_by(func.count().desc(), clicks.c.link).limit(limit))
    return [LinkClicks(url, number, people, personal=url in personal_prefixes) for url, number, people in rows]
