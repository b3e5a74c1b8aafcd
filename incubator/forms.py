"""Forms of the incubator: staff's cohorts, startups and founders; founders' own startup."""

import datetime
from typing import Any

from pyramid.request import Request
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FileField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import Optional, ValidationError

from dimoskopio.accounts.forms import valid_email
from dimoskopio.accounts.models import EMAIL_MAX_LENGTH
from dimoskopio.db import utcnow
from dimoskopio.forms import (
    MARKDOWN_HINT,
    Form,
    ImageUpload,
    Length,
    Required,
    plausible_year,
    translated_choices,
    valid_slug,
    web_address,
)
from dimoskopio.i18n import LANGUAGE_LABELS, _
from incubator.models import (
    DESCRIPTION_MAX_LENGTH,
    FOUNDER_ROLE_MAX_LENGTH,
    KPI_PERIOD_LABELS,
    NAME_MAX_LENGTH,
    SECTOR_MAX_LENGTH,
    SHORT_TEXT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    STARTUP_STAGE_LABELS,
    STARTUP_STATUS_LABELS,
    TAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    WEBSITE_MAX_LENGTH,
    KpiPeriod,
    StartupStage,
    StartupStatus,
)
from incubator.services import MAX_TAGS, all_cohorts, parse_tags

# The cohort select's value for "no cohort" (an id is never 0).
NO_COHORT_CHOICE = 0
LOGO_MAX_BYTES = 500 * 1024
TAGS_MAX_LENGTH = MAX_TAGS * (TAG_MAX_LENGTH + 2)


def cohort_choices(request: Request) -> list[SelectChoice]:
    """The cohorts as choices of a select (a startup's or a call's cohort)."""
    return [SelectChoice(row.id, row.name) for row in all_cohorts(request.dbsession)]


def local_today(request: Request) -> datetime.date:
    """Today's date where the centre is (settings `dimoskopio.timezone`)."""
    return utcnow().astimezone(request.registry["timezone"]).date()


def _not_in_future(form: Form, field: Any) -> None:
    if field.data and field.data > local_today(form.request):
        raise ValidationError(_("The date cannot be in the future."))



def valid_tags(form: Form, field: Any) -> None:
    """Comma-separated tags, each short enough, not too many; the field's data becomes the list."""
    tags = parse_tags(field.data or "")
    if len(tags) > MAX_TAGS:
        raise ValidationError(_("Give at most ${count} tags.", mapping={"count": MAX_TAGS}))
    if any(len(tag) > TAG_MAX_LENGTH for tag in tags):
        raise ValidationError(_("Each tag may have at most ${count} characters.", mapping={"count": TAG_MAX_LENGTH}))


class CohortForm(Form):
    name = StringField(_("Name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)],
                       description=_("For example: Cohort 2027."))
    programme = StringField(_("Programme"), validators=[Length(max=NAME_MAX_LENGTH)])
    description = TextAreaField(_("Description"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)])
    starts_on = DateField(_("Starts on"), validators=[Required(), plausible_year])
    ends_on = DateField(_("Ends on"), validators=[Required(), plausible_year])
    kpi_period = SelectField(_("KPI reports"), validators=[Required()], default=KpiPeriod.QUARTERLY.value,
                             description=_("How often the cohort's founders report their figures."))

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.kpi_period.choices = translated_choices(request, KPI_PERIOD_LABELS)

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        starts, ends = self.starts_on.data, self.ends_on.data
        if starts and ends and ends < starts and not self.ends_on.errors:
            self.ends_on.errors.append(self._translate(_("The end cannot be before the start.")))
            valid = False
        return valid

    def values(self) -> dict[str, Any]:
        return {**self.data, "kpi_period": KpiPeriod(self.kpi_period.data)}


class StartupProfileForm(Form):
    """What founders may edit on their own startup (staff's form adds the rest)."""

    description = TextAreaField(_("Description"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
                                description=MARKDOWN_HINT)
    sector = StringField(_("Sector"), validators=[Length(max=SECTOR_MAX_LENGTH)],
                         description=_("For example: agrifood, tourism technology, health."))
    stage = SelectField(_("Stage"), validators=[Required()], default=StartupStage.IDEA.value)
    founded_on = DateField(_("Founded on (optional)"), validators=[Optional(), plausible_year])
    website = URLField(_("Website (optional)"), validators=[Length(max=WEBSITE_MAX_LENGTH), web_address])
    need_tags = StringField(_("Needs (optional)"), validators=[Length(max=TAGS_MAX_LENGTH), valid_tags],
                            description=_("What the team wants help with, separated by commas, for example: "
                                          "marketing, fundraising, export. Mentors are matched on these."))
    logo_upload = FileField(_("Logo (optional)"), validators=[
                                ImageUpload(LOGO_MAX_BYTES, _("Upload the logo as a PNG or JPEG image."))],
                            description=_("A PNG or JPEG of at most 500 KB. Leave empty to keep the current one."))
    remove_logo = BooleanField(_("Remove the logo"))
    in_directory = BooleanField(_("Listed in the public directory"),
                                description=_("While incubated, graduated or alumni, the startup is shown at "
                                              "/startups: its name, logo, description, sector, stage and "
                                              "website, never its founders."))

    def __init__(self, request: Request, obj: Any = None, **kwargs: Any) -> None:
        super().__init__(request, obj=obj, **kwargs)
        self.stage.choices = translated_choices(request, STARTUP_STAGE_LABELS)
        if obj is not None and request.method != "POST":
            self.show_needs(obj)

    def show_needs(self, startup: Any) -> None:
        self.need_tags.data = ", ".join(need.tag for need in startup.needs)

    def values(self) -> dict[str, Any]:
        return {**self.data, "stage": StartupStage(self.stage.data), "need_tags": parse_tags(self.need_tags.data or "")}


class StartupForm(StartupProfileForm):
    name = StringField(_("Name"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    slug = StringField(_("Web address"), validators=[Length(max=SLUG_MAX_LENGTH), valid_slug],
                       description=_("The last part of the startup's address. Left empty, it is made from the name."))
    status = SelectField(_("Status"), validators=[Required()], default=StartupStatus.APPLICANT.value)
    status_since = DateField(_("Status since (optional)"), validators=[Optional(), plausible_year, _not_in_future],
                             description=_("When a new startup or a new status started. Left empty, today."))
    cohort_id = SelectField(_("Cohort"), coerce=int, default=NO_COHORT_CHOICE)

    def __init__(self, request: Request, cohorts: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.status.choices = translated_choices(request, STARTUP_STATUS_LABELS)
        self.cohort_id.choices = [SelectChoice(NO_COHORT_CHOICE, request.localizer.translate(_("None"))), *cohorts]

    def values(self) -> dict[str, Any]:
        return {**super().values(), "status": StartupStatus(self.status.data)}


class FounderForm(Form):
    email = EmailField(_("Email of their account"), validators=[Required(), Length(max=EMAIL_MAX_LENGTH), valid_email],
                       description=_("The founder must already have an account on the site."))
    role = StringField(_("Role in the team (optional)"), validators=[Length(max=FOUNDER_ROLE_MAX_LENGTH)],
                       description=_("For example: CEO, CTO."))


class MilestoneForm(Form):
    title = StringField(_("Milestone"), validators=[Required(), Length(max=TITLE_MAX_LENGTH)],
                        description=_("For example: Customer interviews done, MVP launched, Investor pitch."))
    # Its own id: the cohort page shows this form under the cohort's, which has a description too.
    description = TextAreaField(_("What it takes (optional)"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
                                id="milestone-description")
    due_on = DateField(_("Due on"), validators=[Required(), plausible_year])


class ReachedForm(Form):
    completed_on = DateField(_("Reached on"), validators=[Required(), plausible_year, _not_in_future])
    note = StringField(_("Note (optional)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)],
                       description=_("Founders see it with their plan."))


class GraduationForm(Form):
    graduated_on = DateField(_("Graduated on"), validators=[Required(), plausible_year])
    certificate_locale = SelectField(_("Language of the certificate"), validators=[Required()], default="el")
    email_founders = BooleanField(_("Email the founders a link to the certificate"), default=True)

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.certificate_locale.choices = translated_choices(request, LANGUAGE_LABELS)
