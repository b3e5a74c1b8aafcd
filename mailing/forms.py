"""Forms of the newsletter: subscribing, and changing one's preferences."""

from typing import Any

from pyramid.request import Request
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from dimoskopio.accounts.forms import _valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from dimoskopio.forms import Form, Length, MultiCheckboxField, Required, valid_slug
from dimoskopio.i18n import _
from mailing.models import (
    CONSENT_NOTE_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    TOPIC_DESCRIPTION_MAX_LENGTH,
    TOPIC_NAME_MAX_LENGTH,
    MailingTopic,
)

LANGUAGE_LABELS = {"el": _("Greek"), "en": _("English")}


def chosen_topics(field: Any, topics: list[MailingTopic]) -> set[int]:
    """The ids of the topics ticked in a topics field, among those offered."""
    offered = {topic.id for topic in topics}
    return {int(value) for value in field.data or () if value.isdigit() and int(value) in offered}


def _choices(request: Request, form: Form, topics: list[MailingTopic]) -> None:
    locale_name = request.locale_name
    form.topics.choices = [SelectChoice(str(topic.id), topic.localized("name", locale_name)) for topic in topics]
    form.language.choices = [SelectChoice(code, request.localizer.translate(label))
                             for code, label in LANGUAGE_LABELS.items()]


class SubscribeForm(Form):
    email = EmailField(_("Email"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), _valid_email])
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

