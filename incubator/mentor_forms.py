"""Forms of mentoring: mentor profiles, office-hours slots, bookings, cancellations, notes."""

import datetime
from typing import Any

from pyramid.request import Request
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import NumberRange, StopValidation

from dimoskopio.accounts.forms import valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH
from dimoskopio.forms import (
    MARKDOWN_HINT,
    Form,
    Length,
    MultiCheckboxField,
    Required,
    plausible_year,
    translated_choices,
)
from dimoskopio.i18n import LANGUAGE_LABELS, _
from events.services import from_local
from incubator.forms import TAGS_MAX_LENGTH, valid_tags
from incubator.mentor_services import (
    MINUTES_MAX,
    MINUTES_MIN,
    SLOT_MAX_MINUTES,
    SLOT_MIN_MINUTES,
    profile_languages,
)
from incubator.models import (
    DESCRIPTION_MAX_LENGTH,
    LOCATION_MAX_LENGTH,
    SESSION_MODE_LABELS,
    SHORT_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    OfficeHourSlot,
    SessionMode,
)
from incubator.services import parse_tags

NOTES_MAX_LENGTH = DESCRIPTION_MAX_LENGTH


def _some_language(form: Form, field: Any) -> None:
    if not field.data:
        raise StopValidation(_("Choose at least one language."))


def _minutes_between(low: int, high: int) -> NumberRange:
    """A length in whole minutes in a range, with a message that stays translatable."""
    return NumberRange(min=low, max=high, message=_("Enter a length between ${min} and ${max} minutes.",
                                                    mapping={"min": low, "max": high}))


class MentorProfileForm(Form):
    headline = StringField(_("Headline"), validators=[Length(max=TITLE_MAX_LENGTH)],
                           description=_("One line about you, for example: Marketing director, 15 years in tourism."))
    bio = TextAreaField(_("About you"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
                        description=MARKDOWN_HINT)
    expertise = StringField(_("Expertise"), validators=[Length(max=TAGS_MAX_LENGTH), valid_tags],
                            description=_("Tags separated by commas, for example: marketing, export, fundraising. "
                                          "Startups are matched with you by them."))
    languages = MultiCheckboxField(_("Languages you mentor in"), validators=[_some_language])
    availability = StringField(_("Availability"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)],
                               description=_("For example: two afternoons a month."))
    in_directory = BooleanField(_("Listed in the public directory of mentors"),
                                description=_("The name, headline, text about the mentor, expertise, languages "
                                              "and availability are shown at /mentors; the email never is."))

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.languages.choices = translated_choices(request, LANGUAGE_LABELS)

    def fill(self, profile: Any) -> None:
        """Show what the profile stores (the tags as one comma-separated text)."""
        self.headline.data = profile.headline
        self.bio.data = profile.bio
        self.expertise.data = ", ".join(row.tag for row in profile.expertise)
        self.languages.data = profile_languages(profile)
        self.availability.data = profile.availability
        self.in_directory.data = profile.in_directory

    def values(self) -> dict[str, Any]:
        return {**self.data, "expertise": parse_tags(self.expertise.data or "")}


class NewMentorForm(Form):
    email = EmailField(_("Email of their account"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email],
                       description=_("The mentor must already have an account on the site."))


class SlotForm(Form):
    day = DateField(_("Date"), validators=[Required(), plausible_year])
    start = TimeField(_("Starts at"), validators=[Required()], description=_("Time in Heraklion."))
    minutes = IntegerField(_("Length in minutes"), default=60,
                           validators=[Required(), _minutes_between(SLOT_MIN_MINUTES, SLOT_MAX_MINUTES)])
    mode = SelectField(_("Where"), validators=[Required()], default=SessionMode.IN_PERSON.value)
    location = StringField(_("Place or meeting link"), validators=[Required(), Length(max=LOCATION_MAX_LENGTH)],
                           description=_("A room or address in person; the meeting link (https://...) online."))

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.mode.choices = translated_choices(request, SESSION_MODE_LABELS)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        location = (self.location.data or "").strip()
        # Online, the location must be what the slot will show and send as its meeting link.
        if (self.mode.data == SessionMode.ONLINE and location and not self.location.errors
                and OfficeHourSlot(mode=SessionMode.ONLINE, location=location).meeting_link is None):
            self.add_error("location", _("Online, give the meeting link, starting with https://"))
            valid = False
        return valid

    def values(self) -> dict[str, Any]:
        """The slot in UTC, from the date and time typed in the centre's time zone."""
        tz = self.request.registry["timezone"]
        starts_at = from_local(datetime.datetime.combine(self.day.data, self.start.data), tz)
        return {"starts_at": starts_at, "ends_at": starts_at + datetime.timedelta(minutes=self.minutes.data),
                "mode": SessionMode(self.mode.data), "location": self.location.data}


class BookingForm(Form):
    topic = TextAreaField(_("What would you like to discuss?"),
                          validators=[Required(), Length(max=SHORT_TEXT_MAX_LENGTH)],
                          description=_("The mentor reads it before the session."))


class CancelForm(Form):
    reason = StringField(_("Reason (optional)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])


class RescheduleForm(Form):
    # The service checks the chosen slot (the same mentor's, open, ahead): a time booked by someone
    # else since the page was shown is then told apart from a wrong choice.
    slot_id = SelectField(_("New time"), coerce=int, validators=[Required()], validate_choice=False)


class NotesForm(Form):
    notes = TextAreaField(_("Notes"), validators=[Required(), Length(max=NOTES_MAX_LENGTH)],
                          description=_("Seen by the centre's staff and the startup's founders; never public."))
    minutes_logged = IntegerField(_("Length of the session in minutes"),
                                  validators=[Required(), _minutes_between(MINUTES_MIN, MINUTES_MAX)])


class AssignStartupForm(Form):
    startup_id = SelectField(_("Startup"), coerce=int, validators=[Required()])
