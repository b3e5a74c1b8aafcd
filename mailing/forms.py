"""Forms of the newsletter: subscribing, and changing one's preferences."""

from typing import Any

from pyramid.request import Request
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField

from dimoskopio.accounts.forms import _valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH, NAME_MAX_LENGTH
from dimoskopio.forms import Form, Length, MultiCheckboxField, Required
from dimoskopio.i18n import _
from mailing.models import MailingTopic

LANGUAGE_LABELS = {"el": _("Greek"), "en": _("English")}


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
