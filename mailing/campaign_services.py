"""Campaigns: what they say (Markdown with merge fields, in the centre's email layout), whom they
reach (topics and segments, within consent and the suppression list), and staff's changes to them."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape
from pyramid.request import Request
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, lazyload

from dimoskopio.accounts.models import Role, User
from dimoskopio.db import page_of
from dimoskopio.i18n import TRANSLATION_DOMAIN, _, centre_name, localizer_for
from dimoskopio.mail.services import (
    BatchMessage,
    BatchRecipient,
    IMailer,
    email_renderer,
    localized_sender,
    personalize,
)
from dimoskopio.markdown import markdown_to_text, render_markdown
from events.models import ACTIVE_STATUSES, Category, Event, Registration, RegistrationStatus
from incubator.models import Cohort, Startup, StartupFounder
from mailing.models import (
    Campaign,
    CampaignRecipient,
    CampaignSegment,
    CampaignStatus,
    MailingTopic,
    RecipientStatus,
    SegmentKind,
    Subscriber,
    SubscriberStatus,
    Subscription,
    Suppression,
)
from mailing.services import LinkMaker

# --- content ----------------------------------------------------------------------------------

# The merge fields a campaign may use, and the token each becomes in the message SendGrid gets;
# every recipient's personalization replaces the tokens with their own values. A name goes into
# the HTML part escaped, so it has a token of its own there.
TEXT_TOKENS = {"first_name": "%first-name%", "name": "%full-name%"}
HTML_TOKENS = {"first_name": "%first-name.html%", "name": "%full-name.html%"}
# Links are laid out by Markdown as the addresses they stand for, which Markdown and the HTML
# cleaner leave alone, and become tokens afterwards.
LINK_PLACEHOLDERS = {
    "preferences_url": ("https://merge.invalid/preferences", "%preferences-url%"),
    "unsubscribe_url": ("https://merge.invalid/unsubscribe", "%unsubscribe-url%"),
}
MERGE_FIELDS = (*TEXT_TOKENS, *LINK_PLACEHOLDERS)

# Longest text a campaign's subject or body may render to, and the largest number a `*` or `**`
# in it may make: staff text must not be able to make the server build gigabytes.
MAX_RENDERED_LENGTH = 500_000
MAX_OPERAND = 10_000


class CampaignSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        numbers = [value for value in (left, right) if isinstance(value, int | float)]
        sequences = [value for value in (left, right) if isinstance(value, str | list | tuple)]
        too_large = any(abs(value) > MAX_OPERAND for value in numbers) or (
            operator == "*" and sequences and numbers and len(sequences[0]) * numbers[0] > MAX_RENDERED_LENGTH)
        if too_large:
            raise SecurityError(f"{operator} with so large a number is not allowed here")
        return super().call_binop(context, operator, left, right)


_sandbox = CampaignSandbox(undefined=StrictUndefined, autoescape=False)


class CampaignTemplateError(ValueError):
    """The body or subject is not a valid template: `message` says why and where."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _expand(source: str) -> str:
    values = {**TEXT_TOKENS, **{field: url for field, (url, _token) in LINK_PLACEHOLDERS.items()}}
    try:
        rendered = _sandbox.from_string(source).render(values)
    except TemplateSyntaxError as error:
        raise CampaignTemplateError(error.message or str(error), error.lineno) from error
    except TemplateError as error:
        raise CampaignTemplateError(str(error)) from error
    except Exception as error:
        # Staff's expressions can fail in any way Python can ({{ 1/0 }}, a filter given the wrong
        # arguments): each is a mistake in the text to show next to it, not a server error.
        raise CampaignTemplateError(f"{type(error).__name__}: {error}") from error
    if len(rendered) > MAX_RENDERED_LENGTH:
        raise CampaignTemplateError(f"the text would be {len(rendered):,} characters long, "
                                    f"more than the {MAX_RENDERED_LENGTH:,} allowed")
    return rendered


def _links_to_tokens(text: str) -> str:
    for url, token in LINK_PLACEHOLDERS.values():
        text = text.replace(url, token)
    return text


@dataclass(frozen=True)
class RenderedCampaign:
    """The message with merge tokens, the same for every recipient."""

    subject: str
    text: str
    html: str


def check_template(source: str) -> None:
    """Raise CampaignTemplateError if `source` would not render."""
    _expand(source)


def render_campaign(request: Request, campaign: Campaign) -> RenderedCampaign:
    body = _expand(campaign.body)
    subject = " ".join(_expand(campaign.subject).split())
    content_html = str(render_markdown(body))
    context = {
        "subject": subject,
        "preheader": campaign.preheader,
        "content_html": Markup(content_html),  # noqa: S704 - sanitized by render_markdown
        "content_text": markdown_to_text(body),
        "preferences_url": LINK_PLACEHOLDERS["preferences_url"][0],
        "unsubscribe_url": LINK_PLACEHOLDERS["unsubscribe_url"][0],
        "archive_url": request.public_url("mailing.archive_item", id=campaign.id) if campaign.in_archive else "",
    }
    rendered = email_renderer(request).render("campaign", campaign.locale, {
        "centre_name": _centre_name(request, campaign.locale),
        "base_url": request.registry.settings["dimoskopio.base_url"],
        **context,
    })
    html = rendered.html
    # Everywhere in the HTML part (the subject is in its <title> too), a name is put in escaped.
    for field, token in TEXT_TOKENS.items():
        html = html.replace(token, HTML_TOKENS[field])
    return RenderedCampaign(subject=_links_to_tokens(rendered.subject), text=_links_to_tokens(rendered.text),
                            html=_links_to_tokens(html))


def _centre_name(request: Request, locale_name: str) -> str:
    return centre_name(request.registry.settings, localizer_for(locale_name))


def first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def substitutions(links: LinkMaker, subscriber: Subscriber) -> dict[str, str]:
    given = first_name(subscriber.name)
    return {
        TEXT_TOKENS["first_name"]: given,
        TEXT_TOKENS["name"]: subscriber.name,
        HTML_TOKENS["first_name"]: str(escape(given)),
        HTML_TOKENS["name"]: str(escape(subscriber.name)),
        LINK_PLACEHOLDERS["preferences_url"][1]: links.preferences_url(subscriber),
        LINK_PLACEHOLDERS["unsubscribe_url"][1]: links.unsubscribe_url(subscriber),
    }


def list_headers(request: Request, unsubscribe_url: str, topic: MailingTopic | None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, and RFC 2919's List-Id for the topic it was sent under."""
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if topic is not None:
        host = urlsplit(request.registry.settings["dimoskopio.base_url"]).hostname or "localhost"
        headers["List-Id"] = f'"{_list_label(topic)}" <{topic.slug}.{host}>'
    return headers


def _list_label(topic: MailingTopic) -> str:
    """The list's name for mail apps: its English name if plain ASCII (headers go out as they are),
    else its short name."""
    name = topic.name_en
    if name and name.isascii() and name.isprintable() and not set(name) & set('"\\'):
        return name
    return topic.slug


@dataclass(frozen=True)
class Preview:
    subject: str
    text: str
    html: str


def preview(request: Request, campaign: Campaign, subscriber: Subscriber) -> Preview:
    """The message exactly as this subscriber would get it."""
    rendered = render_campaign(request, campaign)
    values = substitutions(LinkMaker(request, campaign.id), subscriber)
    return Preview(personalize(rendered.subject, values), personalize(rendered.text, values),
                   personalize(rendered.html, values))


TEST_SEND_MAX_ADDRESSES = 10


def send_test(request: Request, campaign: Campaign, addresses: list[str]) -> str | None:
    """Send the campaign now to a few staff addresses, marked as a test, with links that work
    only as samples (they name no subscriber)."""
    rendered = render_campaign(request, campaign)
    sample = Subscriber(id=0, email="", name="", link_salt="test")
    links = LinkMaker(request, None)
    recipients = []
    for address in addresses:
        values = substitutions(links, sample)
        recipients.append(BatchRecipient(email=address, name="", substitutions=values,
                                         headers=list_headers(request, links.unsubscribe_url(sample), None),
                                         custom_args={"campaign_test": str(campaign.id)}))
    prefix = localizer_for(campaign.locale).translate(_("Test"), domain=TRANSLATION_DOMAIN)
    batch = BatchMessage(
        sender=localized_sender(request.registry.settings, campaign.locale),
        subject=f"[{prefix}] {rendered.subject}", text=rendered.text, html=rendered.html,
        categories=["newsletter-test"], custom_args={"campaign_test": str(campaign.id)}, recipients=recipients,
    )
    return request.registry.getUtility(IMailer).send_batch(batch)


# --- audience ---------------------------------------------------------------------------------


def _segment_emails(segment: CampaignSegment) -> Select[Any]:
    kind = segment.kind
    if kind in (SegmentKind.FOUNDERS, SegmentKind.MENTORS):
        role = Role.FOUNDER if kind is SegmentKind.FOUNDERS else Role.MENTOR
        return select(func.lower(User.email)).where(User.role == role, User.is_active.is_(True))
    if kind is SegmentKind.COHORT_FOUNDERS:
        return (select(func.lower(User.email)).join(StartupFounder, StartupFounder.user_id == User.id)
                .join(Startup, Startup.id == StartupFounder.startup_id)
                .where(Startup.cohort_id == segment.cohort_id, User.is_active.is_(True)))
    query = select(Registration.email)
    if kind in (SegmentKind.EVENT_REGISTERED, SegmentKind.EVENT_ATTENDED):
        query = query.where(Registration.event_id == segment.event_id)
    else:
        query = query.join(Event, Event.id == Registration.event_id).where(Event.category_id == segment.category_id)
    if kind in (SegmentKind.EVENT_ATTENDED, SegmentKind.CATEGORY_ATTENDED):
        return query.where(Registration.checked_in_at.is_not(None))
    # Registered: still expected, or came (a past event's confirmed seats).
    return query.where(Registration.status.in_([*ACTIVE_STATUSES, RegistrationStatus.CONFIRMED]))


def audience(campaign: Campaign) -> Select[Any]:
    """Subscribers the campaign reaches: confirmed, on one of its topics, among its segments (if
    it has any), in its language (if it keeps to one), and not suppressed. One row each."""
    topic_ids = [topic.id for topic in campaign.topics]
    query = select(Subscriber.id, Subscriber.email, Subscriber.name).where(
        Subscriber.status == SubscriberStatus.ACTIVE,
        exists().where(Subscription.subscriber_id == Subscriber.id, Subscription.topic_id.in_(topic_ids)),
        ~exists().where(Suppression.email == Subscriber.email),
    )
    if campaign.audience_locale:
        query = query.where(Subscriber.locale == campaign.audience_locale)
    if campaign.segments:
        query = query.where(or_(*(Subscriber.email.in_(_segment_emails(segment)) for segment in campaign.segments)))
    return query


def audience_count(dbsession: Session, campaign: Campaign) -> int:
    if not campaign.topics:
        return 0
    return dbsession.scalar(select(func.count()).select_from(audience(campaign).subquery())) or 0


# --- staff ------------------------------------------------------------------------------------


@dataclass
class SegmentChoice:
    kind: SegmentKind
    event_id: int | None = None
    category_id: int | None = None
    cohort_id: int | None = None


def _segment_key(segment: CampaignSegment | SegmentChoice) -> tuple[Any, ...]:
    return segment.kind, segment.event_id, segment.category_id, segment.cohort_id


def save_campaign(dbsession: Session, campaign: Campaign, values: dict[str, Any], topics: list[MailingTopic],
                  segments: list[SegmentChoice]) -> Campaign:
    """Store a draft's content and audience. The caller has checked the templates render."""
    for field in ("subject", "preheader", "body", "locale", "audience_locale", "in_archive"):
        setattr(campaign, field, values[field])
    campaign.topics = topics
    wanted = {_segment_key(choice) for choice in segments}
    campaign.segments = [segment for segment in campaign.segments if _segment_key(segment) in wanted]
    have = {_segment_key(segment) for segment in campaign.segments}
    for kind, event_id, category_id, cohort_id in sorted(wanted - have, key=str):
        campaign.segments.append(CampaignSegment(kind=kind, event_id=event_id, category_id=category_id,
                                                 cohort_id=cohort_id))
    if campaign.id is None:
        dbsession.add(campaign)
    dbsession.flush()
    return campaign


def schedule(campaign: Campaign, when: datetime.datetime) -> None:
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = when


def unschedule(campaign: Campaign) -> None:
    campaign.status = CampaignStatus.DRAFT
    campaign.scheduled_at = None


def due_scheduled(dbsession: Session, now: datetime.datetime) -> list[int]:
    return list(dbsession.scalars(select(Campaign.id).where(
        Campaign.status == CampaignStatus.SCHEDULED, Campaign.scheduled_at <= now).order_by(Campaign.scheduled_at)))


def duplicate(dbsession: Session, campaign: Campaign, user_id: int | None) -> Campaign:
    copy = Campaign(subject=campaign.subject, preheader=campaign.preheader, body=campaign.body,
                    locale=campaign.locale, audience_locale=campaign.audience_locale,
                    in_archive=campaign.in_archive, topics=list(campaign.topics), created_by_id=user_id,
                    segments=[CampaignSegment(kind=segment.kind, event_id=segment.event_id,
                                              category_id=segment.category_id, cohort_id=segment.cohort_id)
                              for segment in campaign.segments])
    dbsession.add(copy)
    dbsession.flush()
    return copy


def delete_draft(dbsession: Session, campaign: Campaign) -> None:
    dbsession.delete(campaign)


CAMPAIGNS_PER_PAGE = 30


def campaigns_page(dbsession: Session, status: CampaignStatus | None, page: int) -> tuple[list[Campaign], int]:
    query = select(Campaign)
    if status is not None:
        query = query.where(Campaign.status == status)
    return page_of(dbsession, query.order_by(Campaign.created_at.desc(), Campaign.id.desc()), page,
                   CAMPAIGNS_PER_PAGE)


def archived(dbsession: Session, page: int, per_page: int = 20) -> tuple[list[Campaign], int]:
    """Sent campaigns staff chose to publish, newest first."""
    query = select(Campaign).where(Campaign.in_archive.is_(True), Campaign.status == CampaignStatus.SENT)
    return page_of(dbsession, query.order_by(Campaign.finished_at.desc(), Campaign.id.desc()), page, per_page)


# --- staff screens and the public archive -----------------------------------------------------

# The events offered as segments: the most recent by start time (the list stays usable), plus
# any a campaign already names.
SEGMENT_EVENT_CHOICES = 300


def segment_events(dbsession: Session, keep_ids: Iterable[int]) -> list[Event]:
    """Events staff may choose as segments, newest first."""
    plain = lazyload("*")
    events = list(dbsession.scalars(select(Event).options(plain)
                                    .order_by(Event.starts_at.desc(), Event.id.desc()).limit(SEGMENT_EVENT_CHOICES)))
    missing = set(keep_ids) - {event.id for event in events}
    if missing:
        events += dbsession.scalars(select(Event).options(plain).where(Event.id.in_(missing))
                                    .order_by(Event.starts_at.desc(), Event.id.desc()))
    return events


def segment_categories(dbsession: Session) -> list[Category]:
    return list(dbsession.scalars(select(Category).order_by(Category.position, Category.id)))


@dataclass(frozen=True)
class SegmentSummary:
    """A segment as staff read it: its kind and the event or category it names."""

    kind: SegmentKind
    event: Event | None
    category: Category | None
    cohort: Cohort | None


def segment_summaries(dbsession: Session, campaign: Campaign) -> list[SegmentSummary]:
    event_ids = {segment.event_id for segment in campaign.segments if segment.event_id is not None}
    category_ids = {segment.category_id for segment in campaign.segments if segment.category_id is not None}
    events = {event.id: event for event in dbsession.scalars(
        select(Event).options(lazyload("*")).where(Event.id.in_(event_ids)))} if event_ids else {}
    categories = {category.id: category for category in dbsession.scalars(
        select(Category).where(Category.id.in_(category_ids)))} if category_ids else {}
    cohort_ids = {segment.cohort_id for segment in campaign.segments if segment.cohort_id is not None}
    cohorts = {cohort.id: cohort for cohort in dbsession.scalars(
        select(Cohort).where(Cohort.id.in_(cohort_ids)))} if cohort_ids else {}
    return [SegmentSummary(segment.kind, events.get(segment.event_id), categories.get(segment.category_id),
                           cohorts.get(segment.cohort_id)) for segment in campaign.segments]


def sent_counts(dbsession: Session, campaign_ids: list[int]) -> dict[int, int]:
    """How many people each campaign reached (SendGrid took their message)."""
    if not campaign_ids:
        return {}
    return dict(dbsession.execute(
        select(CampaignRecipient.campaign_id, func.count())
        .where(CampaignRecipient.campaign_id.in_(campaign_ids), CampaignRecipient.status == RecipientStatus.SENT)
        .group_by(CampaignRecipient.campaign_id)).all())


# What staff may do with a campaign in each state; the pages show only these, the views refuse
# the rest.
CAMPAIGN_ACTIONS = {
    CampaignStatus.DRAFT: frozenset({"edit", "send", "duplicate", "delete"}),
    CampaignStatus.SCHEDULED: frozenset({"edit", "send", "unschedule", "cancel", "duplicate"}),
    CampaignStatus.SENDING: frozenset({"pause", "cancel", "duplicate"}),
    CampaignStatus.PAUSED: frozenset({"resume", "cancel", "duplicate"}),
    CampaignStatus.SENT: frozenset({"duplicate"}),
    CampaignStatus.CANCELLED: frozenset({"duplicate"}),
}


def allowed_actions(campaign: Campaign) -> frozenset[str]:
    actions = CAMPAIGN_ACTIONS[campaign.status]
    if campaign.status is CampaignStatus.SENT:
        # A sent campaign may be taken off the public archive (or put back) at any time.
        actions |= {"unpublish" if campaign.in_archive else "publish"}
    return actions


def set_in_archive(campaign: Campaign, shown: bool) -> None:
    campaign.in_archive = shown


def send_refusal(dbsession: Session, campaign: Campaign) -> str | None:
    """Why the campaign cannot go out now: "state" (it is not a draft or scheduled) or "nobody"
    (nobody is in its audience); None when it can."""
    if "send" not in allowed_actions(campaign):
        return "state"
    if audience_count(dbsession, campaign) == 0:
        return "nobody"
    return None


def schedule_refusal(campaign: Campaign, when: datetime.datetime, now: datetime.datetime) -> str | None:
    """Why the campaign cannot be scheduled for `when`: "state" or "past"; None when it can."""
    if "send" not in allowed_actions(campaign):
        return "state"
    if when <= now:
        return "past"
    return None


def first_in_audience(dbsession: Session, campaign: Campaign) -> Subscriber | None:
    """Someone the campaign would reach, to preview it as them."""
    if not campaign.topics:
        return None
    people = audience(campaign).subquery()
    return dbsession.scalar(select(Subscriber).join(people, people.c.id == Subscriber.id)
                            .order_by(Subscriber.id).limit(1))


def _blank_merge_fields(request: Request, text: str) -> str:
    """Merge fields as the public sees them: nobody's name, links to the newsletter page."""
    blank = {token: "" for token in (*TEXT_TOKENS.values(), *HTML_TOKENS.values())}
    blank |= {url: request.route_url("mailing.index") for url, _token in LINK_PLACEHOLDERS.values()}
    return personalize(text, blank)


def is_archived(campaign: Campaign) -> bool:
    """Whether the public archive shows the campaign: sent, and staff chose to publish it."""
    return campaign.in_archive and campaign.status is CampaignStatus.SENT


def archive_subject(request: Request, campaign: Campaign) -> str:
    return " ".join(_blank_merge_fields(request, _expand(campaign.subject)).split())


def archive_content(request: Request, campaign: Campaign) -> Markup:
    """The campaign's content for its public archive page, without the email's layout and footer
    (which speak to a subscriber) and without personal data."""
    html = _blank_merge_fields(request, str(render_markdown(_expand(campaign.body))))
    return Markup(html)  # noqa: S704 - sanitized by render_markdown; the merge values are plain URLs
