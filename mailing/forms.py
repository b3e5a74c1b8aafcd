"""Forms of the newsletter: subscribing, changing one's preferences, and the staff's screens
(subscribers, topics, campaigns)."""

import datetime
import re
from typing import Any

from jinja2 import UndefinedError
from pyramid.request import Request
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FileField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from dimoskopio.accounts.forms import valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from dimoskopio.accounts.services import is_valid_email, normalize_email
from dimoskopio.forms import (
    Form,
    Length,
    MultiCheckboxField,
    Required,
    plausible_year,
    translated_choices,
    valid_slug,
)
from dimoskopio.i18n import LANGUAGE_LABELS, _, format_date
from events.forms import local_naive
from events.models import Category, Event
from events.services import from_local
from incubator.models import Cohort
from mailing.campaign_services import (
    MERGE_FIELDS,
    TEST_SEND_MAX_ADDRESSES,
    CampaignTemplateError,
    SegmentChoice,
    check_template,
)
from mailing.models import (
    CAMPAIGN_BODY_MAX_LENGTH,
    CAMPAIGN_PREHEADER_MAX_LENGTH,
    CAMPAIGN_SUBJECT_MAX_LENGTH,
    CONSENT_NOTE_MAX_LENGTH,
    DIGEST_MODE_LABELS,
    SLUG_MAX_LENGTH,
    TOPIC_DESCRIPTION_MAX_LENGTH,
    TOPIC_NAME_MAX_LENGTH,
    Campaign,
    MailingTopic,
    SegmentKind,
)


def chosen_topics(field: Any, topics: list[MailingTopic]) -> set[int]:
    """The ids of the topics ticked in a topics field, among those offered."""
    offered = {topic.id for topic in topics}
    return {int(value) for value in field.data or () if value.isdigit() and int(value) in offered}


def _choices(request: Request, form: Form, topics: list[MailingTopic]) -> None:
    locale_name = request.locale_name
    form.topics.choices = [SelectChoice(str(topic.id), topic.localized("name", locale_name)) for topic in topics]
    form.language.choices = translated_choices(request, LANGUAGE_LABELS)


class SubscribeForm(Form):
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email])
    name = StringField(_("Name (optional)"), validators=[Length(max=NAME_MAX_LENGTH)])
    language = SelectField(_("Language of the emails"), validators=[Required()])
    topics = MultiCheckboxField(_("What would you like to receive?"), validators=[Required()])
    consent = BooleanField(
        _("I have read the privacy notice and agree that the centre emails me about the topics I chose. "
          "I can unsubscribe at any time from a link in every email."),
        validators=[Required()],
    )

    def __init__(self, request: Request, topics: list[MailingTopic], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        _choices(request, self, topics)
        if request.method != "POST":
            self.language.data = request.locale_name


class PreferencesForm(Form):
    language = SelectField(_("Language of the emails"), validators=[Required()])
    topics = MultiCheckboxField(_("Topics"), description=_("Clear them all to unsubscribe from everything."))

    def __init__(self, request: Request, topics: list[MailingTopic], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        _choices(request, self, topics)


class StaffSubscriberForm(Form):
    name = StringField(_("Name"), validators=[Length(max=NAME_MAX_LENGTH)])
    language = SelectField(_("Language of the emails"), validators=[Required()])
    topics = MultiCheckboxField(_("Topics"), description=_("Change them only at the person's request. "
                                                          "Clearing them all unsubscribes the person."))

    def __init__(self, request: Request, topics: list[MailingTopic], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        _choices(request, self, topics)


IMPORT_MAX_BYTES = 900 * 1024


def _csv_upload(form: Form, field: Any) -> None:
    upload = field.data
    if upload is None or not hasattr(upload, "file"):
        raise ValidationError(_("Choose a CSV file."))
    data = upload.file.read(IMPORT_MAX_BYTES + 1)
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError(_("The file must be at most ${size} KB.", mapping={"size": IMPORT_MAX_BYTES // 1024}))
    field.data = data


class ImportForm(Form):
    file = FileField(_("CSV file"), validators=[_csv_upload],
                     description=_("UTF-8, with a header row. Columns: email (required), name and language "
                                   "(el or en) (optional)."))
    topics = MultiCheckboxField(_("Topics they agreed to"), validators=[Required()])
    note = StringField(_("Where they gave their consent"), validators=[Required(), Length(max=CONSENT_NOTE_MAX_LENGTH)],
                       description=_("For example: sign-up sheet at Startup Weekend, 12 October 2026. "
                                     "It is kept in each person's consent record."))
    confirm = BooleanField(_("Import them now (without this, only check the file and show the report)"))

    def __init__(self, request: Request, topics: list[MailingTopic], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.topics.choices = [SelectChoice(str(topic.id), topic.localized("name", request.locale_name))
                               for topic in topics]


class TopicForm(Form):
    slug = StringField(_("Short name in addresses"), validators=[Required(), Length(max=SLUG_MAX_LENGTH), valid_slug],
                       description=_("Lower-case Latin letters, digits and hyphens, like startup-news. "
                                     "It names the list in email headers (List-Id)."))
    name_el = StringField(_("Name (Greek)"), validators=[Required(), Length(max=TOPIC_NAME_MAX_LENGTH)])
    name_en = StringField(_("Name (English)"), validators=[Length(max=TOPIC_NAME_MAX_LENGTH)])
    description_el = TextAreaField(_("Description (Greek)"), validators=[Length(max=TOPIC_DESCRIPTION_MAX_LENGTH)])
    description_en = TextAreaField(_("Description (English)"), validators=[Length(max=TOPIC_DESCRIPTION_MAX_LENGTH)])
    position = IntegerField(_("Order on the form"), validators=[Optional(), NumberRange(min=0, max=1000)], default=0)



# --- campaigns --------------------------------------------------------------------------------

# What each merge field becomes, for the help next to the message; the keys are MERGE_FIELDS.
MERGE_FIELD_HELP = {
    "first_name": _("The person's first name (empty when they gave no name)."),
    "name": _("The person's full name (empty when they gave no name)."),
    "preferences_url": _("The address of the person's page to change their topics or language."),
    "unsubscribe_url": _("The address that unsubscribes the person at once."),
}
AUDIENCE_LANGUAGE_LABELS = {
    "": _("Everyone, whatever language they chose"),
    "el": _("Only those who chose Greek"),
    "en": _("Only those who chose English"),
}
# Event and category segments: the form field of each kind.
SEGMENT_FIELDS = {
    SegmentKind.EVENT_REGISTERED: "events_registered",
    SegmentKind.EVENT_ATTENDED: "events_attended",
    SegmentKind.CATEGORY_REGISTERED: "categories_registered",
    SegmentKind.CATEGORY_ATTENDED: "categories_attended",
}
SEGMENT_LIST_SIZE = 8


def _renders(form: Form, field: Any) -> None:
    """The subject or message must be a template that renders (sandboxed, known fields only)."""
    try:
        check_template(field.data or "")
    except CampaignTemplateError as error:
        problem = error.message
        if isinstance(error.__cause__, UndefinedError):
            fields = ", ".join(f"{{{{ {name} }}}}" for name in MERGE_FIELDS)
            problem = form.request.localizer.translate(_("${problem}. The merge fields are: ${fields}",
                                                         mapping={"problem": problem, "fields": fields}))
        if error.line:
            raise ValidationError(_("There is an error on line ${line}: ${problem}",
                                    mapping={"line": error.line, "problem": problem})) from error
        raise ValidationError(_("There is an error: ${problem}", mapping={"problem": problem})) from error


def _no_merge_fields(form: Form, field: Any) -> None:
    if field.data and ("{{" in field.data or "{%" in field.data):
        raise ValidationError(_("Merge fields work in the subject and the message, not here."))


class CampaignForm(Form):
    subject = StringField(_("Subject"), validators=[Required(), Length(max=CAMPAIGN_SUBJECT_MAX_LENGTH), _renders])
    preheader = StringField(_("Preheader (optional)"),
                            validators=[Length(max=CAMPAIGN_PREHEADER_MAX_LENGTH), _no_merge_fields],
                            description=_("The short line mail apps show after the subject. Plain text."))
    body = TextAreaField(_("Message"), validators=[Required(), Length(max=CAMPAIGN_BODY_MAX_LENGTH), _renders],
                         description=_("Markdown: **bold**, *italic*, ## headings, lists with -, links as "
                                       "[text](https://...). Merge fields are listed below."),
                         render_kw={"rows": 18})
    locale = SelectField(_("Written in"), validators=[Required()],
                         description=_("Its footer and links speak this language."))
    audience_locale = SelectField(_("Send to"))
    topics = MultiCheckboxField(_("Topics"), validators=[Required()],
                                description=_("It goes to the confirmed subscribers of any of these topics."))
    events_registered = SelectMultipleField(_("Registered for one of these events"), coerce=int,
                                            render_kw={"size": SEGMENT_LIST_SIZE})
    events_attended = SelectMultipleField(_("Attended one of these events"), coerce=int,
                                          render_kw={"size": SEGMENT_LIST_SIZE})
    categories_registered = SelectMultipleField(_("Registered for an event of one of these categories"), coerce=int,
                                                render_kw={"size": SEGMENT_LIST_SIZE})
    categories_attended = SelectMultipleField(_("Attended an event of one of these categories"), coerce=int,
                                              render_kw={"size": SEGMENT_LIST_SIZE})
    founders = BooleanField(_("Founders of the incubator's startups"))
    cohort_founders = SelectMultipleField(_("Founders of the startups of one of these cohorts"), coerce=int,
                                          render_kw={"size": SEGMENT_LIST_SIZE})
    mentors = BooleanField(_("Mentors"))
    in_archive = BooleanField(_("Publish it in the public archive once it is sent"),
                              description=_("Without anyone's name or personal links."))

    def __init__(self, request: Request, topics: list[MailingTopic], events: list[Event],
                 categories: list[Category], cohorts: list[Cohort], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        locale_name = request.locale_name
        self.offered_topics = topics
        self.topics.choices = [SelectChoice(str(topic.id), topic.localized("name", locale_name)) for topic in topics]
        self.locale.choices = translated_choices(request, LANGUAGE_LABELS)
        self.audience_locale.choices = translated_choices(request, AUDIENCE_LANGUAGE_LABELS)
        timezone = request.registry["timezone"]
        event_choices = [SelectChoice(event.id, f"{format_date(event.starts_at, locale_name, timezone, 'medium')} · "
                                                f"{event.localized('title', locale_name)}") for event in events]
        self.events_registered.choices = self.events_attended.choices = event_choices
        category_choices = [SelectChoice(category.id, category.localized("name", locale_name))
                            for category in categories]
        self.categories_registered.choices = self.categories_attended.choices = category_choices
        self.cohort_founders.choices = [SelectChoice(cohort.id, cohort.name) for cohort in cohorts]
        if request.method != "POST":
            self.locale.data = locale_name

    def fill(self, campaign: Campaign) -> None:
        """Show a stored campaign."""
        for name in ("subject", "preheader", "body", "locale", "in_archive"):
            getattr(self, name).data = getattr(campaign, name)
        self.audience_locale.data = campaign.audience_locale or ""
        self.topics.data = [str(topic.id) for topic in campaign.topics]
        for kind, field_name in SEGMENT_FIELDS.items():
            getattr(self, field_name).data = [segment.event_id or segment.category_id
                                              for segment in campaign.segments if segment.kind is kind]
        self.cohort_founders.data = [segment.cohort_id for segment in campaign.segments
                                     if segment.kind is SegmentKind.COHORT_FOUNDERS]
        kinds = {segment.kind for segment in campaign.segments}
        self.founders.data = SegmentKind.FOUNDERS in kinds
        self.mentors.data = SegmentKind.MENTORS in kinds

    def values(self) -> dict[str, Any]:
        return {
            "subject": self.subject.data.strip(),
            "preheader": (self.preheader.data or "").strip(),
            "body": self.body.data,
            "locale": self.locale.data,
            "audience_locale": self.audience_locale.data or None,
            "in_archive": bool(self.in_archive.data),
        }

    def chosen_topics(self) -> list[MailingTopic]:
        chosen = chosen_topics(self.topics, self.offered_topics)
        return [topic for topic in self.offered_topics if topic.id in chosen]

    def segments(self) -> list[SegmentChoice]:
        choices = []
        for kind in (SegmentKind.EVENT_REGISTERED, SegmentKind.EVENT_ATTENDED):
            choices += [SegmentChoice(kind, event_id=event_id) for event_id in getattr(self, SEGMENT_FIELDS[kind]).data]
        for kind in (SegmentKind.CATEGORY_REGISTERED, SegmentKind.CATEGORY_ATTENDED):
            choices += [SegmentChoice(kind, category_id=category_id)
                        for category_id in getattr(self, SEGMENT_FIELDS[kind]).data]
        if self.founders.data:
            choices.append(SegmentChoice(SegmentKind.FOUNDERS))
        choices += [SegmentChoice(SegmentKind.COHORT_FOUNDERS, cohort_id=cohort_id)
                    for cohort_id in self.cohort_founders.data]
        if self.mentors.data:
            choices.append(SegmentChoice(SegmentKind.MENTORS))
        return choices


class SendNowForm(Form):
    confirm = BooleanField(validators=[InputRequired(message=_("Tick the box to confirm that it goes out now."))])

    def show_recipients(self, count: int) -> None:
        """Say in the confirmation how many people it goes to."""
        self.confirm.label.text = self.request.localizer.translate(
            _("Yes, send it now. Recipients: ${count}", mapping={"count": count}))


class ScheduleForm(Form):
    send_at = DateTimeLocalField(_("Send it on"), validators=[Required(), plausible_year], format="%Y-%m-%dT%H:%M")

    def __init__(self, request: Request, scheduled_at: datetime.datetime | None = None, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.timezone = request.registry["timezone"]
        self.send_at.description = request.localizer.translate(
            _("Local time (${zone}).", mapping={"zone": request.registry.settings["dimoskopio.timezone"]}))
        if scheduled_at is not None and not self.send_at.raw_data:
            self.send_at.data = local_naive(scheduled_at, self.timezone)

    def when(self) -> datetime.datetime:
        """The chosen wall-clock time at the centre, in UTC."""
        return from_local(self.send_at.data, self.timezone)


ADDRESS_SEPARATORS = re.compile(r"[\s,;]+")


def parse_addresses(raw: str | None) -> list[str]:
    """The addresses typed, one each, in the order given."""
    return list(dict.fromkeys(normalize_email(part) for part in ADDRESS_SEPARATORS.split(raw or "") if part))


def _valid_test_addresses(form: Form, field: Any) -> None:
    addresses = parse_addresses(field.data)
    invalid = [address for address in addresses if not is_valid_email(address)]
    if invalid:
        raise ValidationError(_("These are not valid email addresses: ${addresses}",
                                mapping={"addresses": ", ".join(invalid)}))
    if len(addresses) > TEST_SEND_MAX_ADDRESSES:
        raise ValidationError(_("Send a test to at most ${count} addresses.",
                                mapping={"count": TEST_SEND_MAX_ADDRESSES}))


class SendTestForm(Form):
    addresses = TextAreaField(_("Send a test to"), render_kw={"rows": 3},
                              validators=[Required(), Length(max=TEST_SEND_MAX_ADDRESSES * (EMAIL_MAX_LENGTH + 2)),
                                          _valid_test_addresses],
                              description=_("Up to ${count} addresses, separated by commas or on separate lines. "
                                            "The subject is marked as a test; its links name nobody.",
                                            mapping={"count": TEST_SEND_MAX_ADDRESSES}))

    def addresses_list(self) -> list[str]:
        return parse_addresses(self.addresses.data)


class DigestForm(Form):
    mode = RadioField(_("Every Monday at 07:00, local time"), validators=[Required()])

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.mode.choices = [SelectChoice(mode.value, request.localizer.translate(label))
                             for mode, label in DIGEST_MODE_LABELS.items()]
