"""Forms of the events package: registration, feedback and the staff screens."""

import datetime
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pyramid.request import Request
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FileField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from dimoskopio.accounts.forms import valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from dimoskopio.forms import (
    MARKDOWN_HINT,
    Form,
    ImageUpload,
    Length,
    MultiCheckboxField,
    Required,
    plausible_year,
    translated_choices,
    valid_slug,
    web_address,
)
from dimoskopio.i18n import _
from events.models import (
    ANSWER_MAX_LENGTH,
    ATTENDEE_ROLE_LABELS,
    CERTIFICATE_HEADING_MAX_LENGTH,
    CERTIFICATE_STATEMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    EVENT_LANGUAGE_LABELS,
    FEEDBACK_TEXT_MAX_LENGTH,
    MAX_EVENT_HOURS,
    ORGANISATION_MAX_LENGTH,
    QUESTION_KIND_LABELS,
    REGISTRATION_STATUS_LABELS,
    REVOKE_REASON_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    AttendeeRole,
    Question,
    QuestionKind,
    RegistrationStatus,
)

MAX_CAPACITY = 100_000
MAX_OFFER_HOURS = 24 * 14
MAX_REPEATS = 52
REASON_MAX_LENGTH = 1000



# --- registration -----------------------------------------------------------------------------


class RegistrationForm(Form):
    name = StringField(_("Full name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    email = EmailField(
        _("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email],
        description=_("Your confirmation and your private link to manage the registration go here."),
    )
    organisation = StringField(_("Organisation (optional)"), validators=[Length(max=ORGANISATION_MAX_LENGTH)])
    role = SelectField(_("You are"), validators=[Required()])
    consent = BooleanField(
        _("I have read the privacy notice and agree that the centre keeps my registration for this event."),
        validators=[Required()],
    )
    newsletter = BooleanField(_("Send me the centre's newsletter about events and calls (optional)."))

    def __init__(self, request: Request, questions: Sequence[Question], **kwargs: Any) -> None:
        self.questions = list(questions)
        super().__init__(request, **kwargs)
        self.role.choices = translated_choices(request, ATTENDEE_ROLE_LABELS)

    def answers(self) -> dict[str, Any]:
        """The answers as stored: choices by their Greek text, yes/no as "yes"/"no"."""
        answers: dict[str, Any] = {}
        for question in self.questions:
            value = self[question_field_name(question)].data
            if value in (None, "", []):
                continue
            answers[str(question.id)] = value.strip() if isinstance(value, str) else value
        return answers


class MemberRegistrationForm(RegistrationForm):
    """A logged-in member: name and email come from the account; consent is the button itself."""

    name = None
    email = None
    consent = None


def question_field_name(question: Question) -> str:
    return f"question_{question.id}"


def _question_field(question: Question, locale_name: str) -> Any:
    label = question.localized("label", locale_name)
    checks: list[Any] = [Required()] if question.required else [Optional()]
    if question.kind == QuestionKind.TEXT:
        return StringField(label, validators=[*checks, Length(max=SHORT_TEXT_MAX_LENGTH)])
    if question.kind == QuestionKind.LONG_TEXT:
        return TextAreaField(label, validators=[*checks, Length(max=ANSWER_MAX_LENGTH)])
    if question.kind == QuestionKind.YES_NO:
        return RadioField(label, choices=[SelectChoice("yes", _("Yes")), SelectChoice("no", _("No"))],
                          validators=checks)
    choices = [SelectChoice(value, text) for value, text in question.choices(locale_name)]
    if question.kind == QuestionKind.SINGLE_CHOICE:
        return RadioField(label, choices=choices, validators=checks)
    multiple_checks: list[Any] = (
        [validators_at_least_one] if question.required else [Optional()]
    )
    return MultiCheckboxField(label, choices=choices, validators=multiple_checks)


def validators_at_least_one(form: Form, field: Any) -> None:
    if not field.data:
        raise ValidationError(_("Choose at least one."))


def registration_form(request: Request, questions: Sequence[Question], member: bool) -> RegistrationForm:
    """The registration form of one event, with its own questions after the standard fields."""
    base = MemberRegistrationForm if member else RegistrationForm
    form_class = type("EventRegistrationForm", (base,), {
        question_field_name(question): _question_field(question, request.locale_name) for question in questions
    })
    form = form_class(request, questions)
    for field in form:
        if field.type == "RadioField" and field.name.startswith("question_"):
            # Yes and No are translated; the staff's own choices stay as they wrote them.
            field.choices = [replace(choice, label=form._translate(choice.label)) for choice in field.choices]
    return form


class FeedbackForm(Form):
    rating = RadioField(
        _("How useful was the event for you?"),
        choices=[SelectChoice(str(value)) for value in range(1, 6)],
        validators=[Required()],
        description=_("1 = not at all, 5 = very useful"),
    )
    useful = TextAreaField(_("What was most useful?"), validators=[Length(max=FEEDBACK_TEXT_MAX_LENGTH)])
    ideas = TextAreaField(_("Ideas for future events"), validators=[Length(max=FEEDBACK_TEXT_MAX_LENGTH)])


# --- staff ------------------------------------------------------------------------------------



class EventForm(Form):
    title_el = StringField(_("Title (Greek)"), validators=[Required(), Length(max=TITLE_MAX_LENGTH)])
    title_en = StringField(_("Title (English, optional)"), validators=[Length(max=TITLE_MAX_LENGTH)])
    slug = StringField(
        _("Web address"), validators=[Length(max=SLUG_MAX_LENGTH), valid_slug],
        description=_("The last part of the event's address. Left empty, it is made from the title."),
    )
    summary_el = TextAreaField(_("Summary (Greek)"), validators=[Length(max=SUMMARY_MAX_LENGTH)])
    summary_en = TextAreaField(_("Summary (English, optional)"), validators=[Length(max=SUMMARY_MAX_LENGTH)])
    description_el = TextAreaField(
        _("Description (Greek)"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
        description=MARKDOWN_HINT,
    )
    description_en = TextAreaField(_("Description (English, optional)"),
                                   validators=[Length(max=DESCRIPTION_MAX_LENGTH)])
    category_id = SelectField(_("Category"), coerce=int, validators=[Optional()])
    topic_ids = MultiCheckboxField(_("Topics"), coerce=int, validators=[Optional()])
    venue_id = SelectField(_("Venue"), coerce=int, validators=[Optional()])
    online_url = URLField(
        _("Online link (optional)"), validators=[Length(max=URL_MAX_LENGTH), web_address],
        description=_("For online or hybrid events: the address where people join."),
    )
    series_id = SelectField(_("Series"), coerce=int, validators=[Optional()])
    organiser = StringField(_("Organiser"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])
    partners = TextAreaField(_("Partners"), validators=[Length(max=ANSWER_MAX_LENGTH)],
                             description=_("One per line."))
    speakers = TextAreaField(_("Speakers"), validators=[Length(max=ANSWER_MAX_LENGTH)],
                             description=_("One per line."))
    starts_at = DateTimeLocalField(_("Starts"), validators=[Required(), plausible_year], format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField(_("Ends"), validators=[Required(), plausible_year], format="%Y-%m-%dT%H:%M")
    all_day = BooleanField(_("All-day event (only the dates count)"))
    capacity = IntegerField(
        _("Seats"), validators=[Optional(), NumberRange(min=0, max=MAX_CAPACITY)],
        description=_("Leave empty for no limit."),
    )
    registration_opens_at = DateTimeLocalField(
        _("Registration opens"), validators=[Optional(), plausible_year], format="%Y-%m-%dT%H:%M",
        description=_("Leave empty to open registration when the event is published."),
    )
    registration_closes_at = DateTimeLocalField(
        _("Registration closes"), validators=[Optional(), plausible_year], format="%Y-%m-%dT%H:%M",
        description=_("Leave empty to close registration when the event starts."),
    )
    approval_required = BooleanField(_("Registrations need staff approval"))
    auto_promote = BooleanField(
        _("Give freed seats straight to the waiting list"),
        description=_("Otherwise the next person is offered the seat and must accept it in time."),
    )
    offer_hours = IntegerField(_("Hours to accept an offered seat"),
                               validators=[Required(), NumberRange(min=1, max=MAX_OFFER_HOURS)], default=24)
    hours = DecimalField(
        _("Hours of attendance"), places=1, validators=[Optional(), NumberRange(min=0, max=MAX_EVENT_HOURS)],
        description=_("Printed on certificates of attendance."),
    )
    language = SelectField(_("Language of the event"), validators=[Required()])

    def __init__(self, request: Request, choices: dict[str, list[SelectChoice]], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        none = SelectChoice(0, request.localizer.translate(_("None")))
        self.category_id.choices = [none, *choices["categories"]]
        self.venue_id.choices = [none, *choices["venues"]]
        self.series_id.choices = [none, *choices["series"]]
        self.topic_ids.choices = choices["topics"]
        self.language.choices = translated_choices(request, EVENT_LANGUAGE_LABELS)
        self.starts_at.description = request.localizer.translate(
            _("Local time (${zone}).", mapping={"zone": request.registry.settings["dimoskopio.timezone"]})
        )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        starts, ends = self.starts_at.data, self.ends_at.data
        if starts and ends:
            if self.all_day.data and ends.date() < starts.date():
                self.ends_at.errors.append(self._translate(_("The last day cannot be before the first.")))
                valid = False
            elif not self.all_day.data and ends <= starts:
                self.ends_at.errors.append(self._translate(_("The end must be after the start.")))
                valid = False
        opens, closes = self.registration_opens_at.data, self.registration_closes_at.data
        if opens and closes and closes <= opens:
            self.registration_closes_at.errors.append(
                self._translate(_("Registration must close after it opens."))
            )
            valid = False
        return valid


REPEAT_PATTERN_LABELS = {
    "weekly": _("Every week"),
    "biweekly": _("Every two weeks"),
    "monthly": _("Every month"),
}


class RepeatForm(Form):
    pattern = SelectField(_("Repeat"), validators=[Required()])
    count = IntegerField(_("How many more dates"), validators=[Required(), NumberRange(min=1, max=MAX_REPEATS)])

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.pattern.choices = [SelectChoice(value, request.localizer.translate(label))
                                for value, label in REPEAT_PATTERN_LABELS.items()]


class ReasonForm(Form):
    message = TextAreaField(
        _("Message to the people registered"), validators=[Length(max=REASON_MAX_LENGTH)],
        description=_("Included in the email everyone registered receives."),
    )


class QuestionForm(Form):
    kind = SelectField(_("Kind of answer"), validators=[Required()])
    label_el = StringField(_("Question (Greek)"), validators=[Required(), Length(max=TITLE_MAX_LENGTH)])
    label_en = StringField(_("Question (English, optional)"), validators=[Length(max=TITLE_MAX_LENGTH)])
    required = BooleanField(_("An answer is required"))
    choices_el = TextAreaField(_("Choices (Greek)"), validators=[Length(max=ANSWER_MAX_LENGTH)],
                               description=_("For choice questions: one per line."))
    choices_en = TextAreaField(_("Choices (English, optional)"), validators=[Length(max=ANSWER_MAX_LENGTH)],
                               description=_("In the same order as the Greek ones."))
    position = IntegerField(_("Order"), validators=[Optional(), NumberRange(min=0, max=1000)], default=0)

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.kind.choices = translated_choices(request, QUESTION_KIND_LABELS)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        greek = [line for line in (self.choices_el.data or "").splitlines() if line.strip()]
        english = [line for line in (self.choices_en.data or "").splitlines() if line.strip()]
        if self.kind.data in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE) and len(greek) < 2:
            self.choices_el.errors.append(self._translate(_("Give at least two choices, one per line.")))
            valid = False
        if english and len(english) != len(greek):
            self.choices_en.errors.append(self._translate(_("Give as many English choices as Greek ones.")))
            valid = False
        return valid


class StaffRegistrationForm(Form):
    name = StringField(_("Full name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email])
    organisation = StringField(_("Organisation (optional)"), validators=[Length(max=ORGANISATION_MAX_LENGTH)])
    role = SelectField(_("Role"), validators=[Required()], default=AttendeeRole.OTHER.value)
    locale = SelectField(_("Language for emails"), default="el", validators=[Required()],
                         choices=[SelectChoice("el", "Ελληνικά"), SelectChoice("en", "English")])
    walk_in = BooleanField(_("Walk-in: check in now"))
    notify = BooleanField(_("Email the confirmation"), default=True)

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.role.choices = translated_choices(request, ATTENDEE_ROLE_LABELS)


STAFF_MOVES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.CANCELLED,
    RegistrationStatus.REJECTED,
)


class MoveForm(Form):
    status = SelectField(_("Move to"), validators=[Required()])
    reason = TextAreaField(_("Reason (sent to the person when not approved)"),
                           validators=[Length(max=REASON_MAX_LENGTH)])
    notify = BooleanField(_("Email the person"), default=True)

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        translate = request.localizer.translate
        self.status.choices = [SelectChoice(status.value, translate(REGISTRATION_STATUS_LABELS[status]))
                               for status in STAFF_MOVES]


class TaxonomyForm(Form):
    """Categories and topics."""

    name_el = StringField(_("Name (Greek)"), validators=[Required(), Length(max=SHORT_TEXT_MAX_LENGTH)])
    name_en = StringField(_("Name (English, optional)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])
    slug = StringField(_("Web address"), validators=[Length(max=SLUG_MAX_LENGTH), valid_slug],
                       description=_("Used in feed and filter addresses. Left empty, it is made from the name."))


class CategoryForm(TaxonomyForm):
    position = IntegerField(_("Order"), validators=[Optional(), NumberRange(min=0, max=1000)], default=0)


class SeriesForm(Form):
    title_el = StringField(_("Title (Greek)"), validators=[Required(), Length(max=TITLE_MAX_LENGTH)])
    title_en = StringField(_("Title (English, optional)"), validators=[Length(max=TITLE_MAX_LENGTH)])
    slug = StringField(_("Web address"), validators=[Length(max=SLUG_MAX_LENGTH), valid_slug],
                       description=_("Left empty, it is made from the title."))
    description_el = TextAreaField(_("Description (Greek)"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)])
    description_en = TextAreaField(_("Description (English, optional)"),
                                   validators=[Length(max=DESCRIPTION_MAX_LENGTH)])


class VenueForm(Form):
    name = StringField(_("Name"), validators=[Required(), Length(max=SHORT_TEXT_MAX_LENGTH)])
    address = StringField(_("Address"), validators=[Required(), Length(max=SHORT_TEXT_MAX_LENGTH)])
    latitude = DecimalField(_("Latitude"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)],
                            description=_("For the map link, e.g. 35.3387"))
    longitude = DecimalField(_("Longitude"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)],
                             description=_("e.g. 25.1442"))
    accessibility_notes = TextAreaField(
        _("Accessibility"), validators=[Length(max=ANSWER_MAX_LENGTH)],
        description=_("Step-free access, lifts, accessible toilets, hearing loop..."),
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if (self.latitude.data is None) != (self.longitude.data is None):
            self.longitude.errors.append(self._translate(_("Give both coordinates or neither.")))
            valid = False
        return valid


def local_naive(value: datetime.datetime | None, tz: Any) -> datetime.datetime | None:
    """A stored UTC time as the wall-clock time a datetime-local input shows."""
    return value.astimezone(tz).replace(tzinfo=None) if value else None


# --- certificates -----------------------------------------------------------------------------

SIGNATURE_MAX_BYTES = 300 * 1024


class CertificateDesignForm(Form):
    heading_el = StringField(_("Heading (Greek)"), validators=[Length(max=CERTIFICATE_HEADING_MAX_LENGTH)],
                             description=_("Leave empty for “Certificate of attendance”."))
    heading_en = StringField(_("Heading (English)"), validators=[Length(max=CERTIFICATE_HEADING_MAX_LENGTH)])
    statement_el = TextAreaField(_("Text under the name (Greek)"),
                                 validators=[Length(max=CERTIFICATE_STATEMENT_MAX_LENGTH)],
                                 description=_("Leave empty for “attended the event”. The event's title, "
                                               "dates, hours and place follow it."))
    statement_en = TextAreaField(_("Text under the name (English)"),
                                 validators=[Length(max=CERTIFICATE_STATEMENT_MAX_LENGTH)])
    issuer_name = StringField(_("Signed by"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    issuer_title_el = StringField(_("Their title (Greek)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])
    issuer_title_en = StringField(_("Their title (English)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])
    signature = FileField(_("Signature image"), validators=[
                              ImageUpload(SIGNATURE_MAX_BYTES, _("Upload the signature as a PNG or JPEG image."))],
                          description=_("A PNG or JPEG of at most 300 KB, ideally on a transparent or white "
                                        "background. Leave empty to keep the current one."))
    remove_signature = BooleanField(_("Remove the signature image"))


class IssueCertificatesForm(Form):
    email_attendees = BooleanField(_("Email each attendee a link to their certificate"), default=True)


class RevokeCertificateForm(Form):
    reason = TextAreaField(_("Reason"), validators=[Required(), Length(max=REVOKE_REASON_MAX_LENGTH)],
                           description=_("Shown on the verification page."))


class ReissueCertificateForm(Form):
    name = StringField(_("Name on the new certificate"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
