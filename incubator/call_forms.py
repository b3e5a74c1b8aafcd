"""Forms of calls for applications: staff's calls, questions and rubric; the application form
made from a call's questions; reviewers' scores; staff's assignments and decisions."""

from typing import Any

from pyramid.request import Request
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FileField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, ValidationError

from dimoskopio.forms import MARKDOWN_HINT, Form, Length, Required, plausible_year, translated_choices, valid_slug
from dimoskopio.i18n import _
from events.services import from_local
from incubator import call_services
from incubator.forms import NO_COHORT_CHOICE
from incubator.models import (
    DESCRIPTION_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    NAME_MAX_LENGTH,
    QUESTION_KIND_LABELS,
    SHORT_TEXT_MAX_LENGTH,
    SLUG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    ApplicationStatus,
    Call,
    CallQuestion,
    QuestionKind,
    RubricCriterion,
)

# The application form's startup select value for "a new startup" (an id is never 0).
NEW_STARTUP_CHOICE = 0
CHOICES_MAX_LENGTH = 5000
MAX_CHOICES = 50
# Bounds of numbers staff may set (answers' ranges, scores): far from what any integer column overflows at.
NUMBER_LIMIT = 1_000_000_000
SCORE_LIMIT = 1000
MAX_WEIGHT = 100
COMMENT_MAX_LENGTH = 5000
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class CallForm(Form):
    title = StringField(_("Title"), validators=[Required(), Length(max=TITLE_MAX_LENGTH)])
    slug = StringField(_("Web address"), validators=[Length(max=SLUG_MAX_LENGTH), valid_slug],
                       description=_("The last part of the call's address. Left empty, it is made from the title."))
    description = TextAreaField(_("Description"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
                                description=MARKDOWN_HINT)
    eligibility = TextAreaField(_("Who may apply"), validators=[Length(max=DESCRIPTION_MAX_LENGTH)],
                                description=MARKDOWN_HINT)
    opens_at = DateTimeLocalField(_("Opens"), validators=[Required(), plausible_year], format=DATETIME_FORMAT,
                                  description=_("Time in Greece."))
    closes_at = DateTimeLocalField(_("Closes (deadline)"), validators=[Required(), plausible_year],
                                   format=DATETIME_FORMAT, description=_("Time in Greece."))
    cohort_id = SelectField(_("Cohort it feeds"), coerce=int, default=NO_COHORT_CHOICE,
                            description=_("Accepted startups join this cohort."))
    published = BooleanField(_("Published"),
                             description=_("A published call is listed at /calls from when it opens until it closes."))

    def __init__(self, request: Request, cohorts: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.cohort_id.choices = [SelectChoice(NO_COHORT_CHOICE, request.localizer.translate(_("None"))), *cohorts]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        opens, closes = self.opens_at.data, self.closes_at.data
        if opens and closes and closes <= opens and not self.closes_at.errors:
            self.add_error("closes_at", _("The call must close after it opens."))
            valid = False
        return valid

    def values(self) -> dict[str, Any]:
        """The form's values with the times in UTC (they were typed in the centre's time zone)."""
        tz = self.request.registry["timezone"]
        return {**self.data, "opens_at": from_local(self.opens_at.data, tz),
                "closes_at": from_local(self.closes_at.data, tz)}


class QuestionForm(Form):
    label = StringField(_("Question"), validators=[Required(), Length(max=LABEL_MAX_LENGTH)])
    help_text = StringField(_("Hint (optional)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)],
                            description=_("Shown under the question."))
    kind = SelectField(_("Kind of answer"), validators=[Required()], default=QuestionKind.TEXT.value)
    required = BooleanField(_("An answer is required to submit"), default=True)
    choices = TextAreaField(_("Options (choice questions)"), validators=[Length(max=CHOICES_MAX_LENGTH)],
                            description=_("One per line; at least two."))
    max_length = IntegerField(_("Most characters (text questions, optional)"),
                              validators=[Optional(), NumberRange(min=1, max=call_services.LONG_ANSWER_MAX_LENGTH)])
    min_value = IntegerField(_("Smallest number (number questions, optional)"),
                             validators=[Optional(), NumberRange(min=-NUMBER_LIMIT, max=NUMBER_LIMIT)])
    max_value = IntegerField(_("Largest number (number questions, optional)"),
                             validators=[Optional(), NumberRange(min=-NUMBER_LIMIT, max=NUMBER_LIMIT)])
    file_types = StringField(_("Accepted file types (file questions)"), validators=[Length(max=200)],
                             description=_("Comma-separated, among: ${types}.",
                                           mapping={"types": ", ".join(call_services.FILE_TYPES)}))
    max_file_kb = IntegerField(_("Largest file in KB (file questions)"), validators=[Optional()])

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.kind.choices = translated_choices(request, QUESTION_KIND_LABELS)
        self.cap_kb = call_services.upload_cap_kb(request.registry.settings)
        self.max_file_kb.description = self._translate(_("At most ${size} KB.", mapping={"size": self.cap_kb}))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if not valid:
            return False
        kind = QuestionKind(self.kind.data)
        if kind is QuestionKind.CHOICE:
            options = call_services.parse_choices(self.choices.data or "")
            if len(options) < 2:
                self.add_error("choices", _("Give at least two options, one per line."))
            elif len(options) > MAX_CHOICES:
                self.add_error("choices", _("Give at most ${count} options.", mapping={"count": MAX_CHOICES}))
            elif any(len(option) > SHORT_TEXT_MAX_LENGTH for option in options):
                self.add_error("choices", _("Each option must be at most ${max} characters.",
                                            mapping={"max": SHORT_TEXT_MAX_LENGTH}))
        if kind is QuestionKind.NUMBER and None not in (self.min_value.data, self.max_value.data) \
                and self.min_value.data >= self.max_value.data:
            self.add_error("max_value", _("The largest number must be more than the smallest."))
        if kind is QuestionKind.FILE:
            types = call_services.parse_file_types(self.file_types.data or "")
            unknown = [kind for kind in types if kind not in call_services.FILE_TYPES]
            if not types or unknown:
                self.add_error("file_types", _("Give one or more of: ${types}.",
                                               mapping={"types": ", ".join(call_services.FILE_TYPES)}))
            if self.max_file_kb.data is None or not 1 <= self.max_file_kb.data <= self.cap_kb:
                self.add_error("max_file_kb", _("Give a size between 1 and ${size} KB.", mapping={"size": self.cap_kb}))
        return not self.errors

    def values(self) -> dict[str, Any]:
        """The values that matter for the question's kind; the others are emptied."""
        kind = QuestionKind(self.kind.data)
        data = self.data
        values: dict[str, Any] = {
            "label": data["label"], "help_text": data["help_text"], "kind": kind, "required": data["required"],
            "choices": "", "max_length": None, "min_value": None, "max_value": None,
            "file_types": "", "max_file_kb": None,
        }
        if kind is QuestionKind.CHOICE:
            values["choices"] = "\n".join(call_services.parse_choices(data["choices"]))
        elif kind in (QuestionKind.TEXT, QuestionKind.LONG_TEXT):
            values["max_length"] = data["max_length"]
        elif kind is QuestionKind.NUMBER:
            values["min_value"], values["max_value"] = data["min_value"], data["max_value"]
        elif kind is QuestionKind.FILE:
            values["file_types"] = ",".join(call_services.parse_file_types(data["file_types"]))
            values["max_file_kb"] = data["max_file_kb"]
        return values


class CriterionForm(Form):
    name = StringField(_("Criterion"), validators=[Required(), Length(max=NAME_MAX_LENGTH)])
    description = StringField(_("What reviewers look for (optional)"), validators=[Length(max=SHORT_TEXT_MAX_LENGTH)])
    weight = IntegerField(_("Weight"), validators=[Required(), NumberRange(min=1, max=MAX_WEIGHT)], default=1,
                          description=_("How much the criterion counts in the ranking, from 1 to ${max}.",
                                        mapping={"max": MAX_WEIGHT}))
    min_score = IntegerField(_("Lowest score"), default=0,
                             validators=[Required(), NumberRange(min=-SCORE_LIMIT, max=SCORE_LIMIT)])
    max_score = IntegerField(_("Highest score"), default=10,
                             validators=[Required(), NumberRange(min=-SCORE_LIMIT, max=SCORE_LIMIT)])

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        low, high = self.min_score.data, self.max_score.data
        if valid and low >= high:
            self.add_error("max_score", _("The highest score must be more than the lowest."))
            valid = False
        return valid


# --- applying ---------------------------------------------------------------------------------


def question_field(question: CallQuestion) -> str:
    return f"q{question.id}"


def _number_range(question: CallQuestion) -> NumberRange:
    low = question.min_value if question.min_value is not None else -NUMBER_LIMIT
    high = question.max_value if question.max_value is not None else NUMBER_LIMIT
    return NumberRange(min=low, max=high, message=_("Give a number from ${min} to ${max}.",
                                                     mapping={"min": low, "max": high}))


def _in_options(form: Form, field: Any) -> None:
    if field.data and field.data not in [value for value, _label in field.choices]:
        raise ValidationError(_("Choose one of the options."))


class ApplicationForm(Form):
    """The fields every application has; `application_form` adds one per question of the call."""

    startup_id = SelectField(_("Startup"), coerce=int, default=NEW_STARTUP_CHOICE)
    startup_name = StringField(_("Name of the new startup"), validators=[Length(max=NAME_MAX_LENGTH)],
                               description=_("If you apply for a startup that is not on the site yet."))

    def __init__(self, request: Request, call: Call, startups: list[SelectChoice], submitting: bool,
                 **kwargs: Any) -> None:
        self.call = call
        self.submitting = submitting
        super().__init__(request, **kwargs)
        self.startup_id.choices = [
            SelectChoice(NEW_STARTUP_CHOICE, request.localizer.translate(_("A new startup"))), *startups]
        for question in call.questions:
            field = self[question_field(question)]
            # Marked required in drafts too, so that applicants know what submitting will ask.
            field.flags.required = question.required
            if question.kind is QuestionKind.CHOICE:
                field.choices = [(option, option) for option in call_services.choice_options(question)]
        self.uploads: dict[int, call_services.Upload] = {}

    def question_fields(self) -> list[tuple[CallQuestion, Any]]:
        return [(question, self[question_field(question)]) for question in self.call.questions]

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        new_startup = self.startup_id.data == NEW_STARTUP_CHOICE
        if self.submitting and new_startup and not (self.startup_name.data or "").strip():
            self.add_error("startup_name", _("Name the new startup, or choose one of yours."))
            valid = False
        for question in self.call.questions:
            if question.kind is QuestionKind.FILE:
                valid = self._read_file(question) and valid
        return valid

    def _read_file(self, question: CallQuestion) -> bool:
        field = self[question_field(question)]
        upload = field.data
        if upload is None or not hasattr(upload, "file"):
            return True
        try:
            self.uploads[question.id] = call_services.read_upload(question, upload.filename or "", upload.file)
        except call_services.Refused as refused:
            field.errors = [*field.errors, self._translate(upload_message(refused.reason, question))]
            return False
        return True

    def values(self) -> dict[str, Any]:
        answers = {}
        for question, field in self.question_fields():
            if question.kind is QuestionKind.FILE:
                continue
            value = field.data
            answers[question.id] = "" if value is None else str(value).strip()
        return {"startup_id": self.startup_id.data or None, "startup_name": self.startup_name.data or "",
                "answers": answers}


def upload_message(reason: str, question: CallQuestion) -> Any:
    types = ", ".join(call_services.file_types_of(question))
    return {
        "too-large": _("The file must be at most ${size} KB.", mapping={"size": question.max_file_kb}),
        "wrong-type": _("Upload a file of one of these types: ${types}.", mapping={"types": types}),
        "empty": _("The file is empty."),
    }[reason]


def application_form(request: Request, call: Call, startups: list[SelectChoice], submitting: bool,
                     has_file: set[int] | None = None, **kwargs: Any) -> ApplicationForm:
    """The application form of the call: its questions as fields, with their limits. When
    `submitting`, required questions must be answered (a file question by a file sent now or
    stored before: `has_file` holds those questions' ids)."""
    has_file = has_file or set()

    class CallApplicationForm(ApplicationForm):
        pass

    for question in call.questions:
        required = submitting and question.required
        presence = [Required()] if required else [Optional()]
        description = question.help_text
        kind = question.kind
        if kind is QuestionKind.TEXT:
            field = StringField(question.label, validators=[
                *presence, Length(max=question.max_length or call_services.SHORT_ANSWER_MAX_LENGTH)],
                description=description)
        elif kind is QuestionKind.LONG_TEXT:
            field = TextAreaField(question.label, validators=[
                *presence, Length(max=question.max_length or call_services.LONG_ANSWER_MAX_LENGTH)],
                description=description)
        elif kind is QuestionKind.NUMBER:
            field = IntegerField(question.label, validators=[*presence, _number_range(question)],
                                 description=description)
        elif kind is QuestionKind.CHOICE:
            # One of its options, or none in a draft: `_in_options` checks what the draft allows.
            field = RadioField(question.label, validators=[*presence, _in_options], description=description,
                               validate_choice=False)
        else:
            field = FileField(question.label, validators=[_file_present(question.id in has_file)] if required else [],
                              description=description)
        setattr(CallApplicationForm, question_field(question), field)
    return CallApplicationForm(request, call, startups, submitting, **kwargs)


def _file_present(stored: bool) -> Any:
    def check(form: Form, field: Any) -> None:
        if not stored and not (field.data is not None and getattr(field.data, "filename", "")):
            raise ValidationError(_("Upload a file."))
    return check


def stored_answers(call: Call, answers: dict[int, str]) -> dict[str, Any]:
    """The stored answers as the form's data (numbers as numbers)."""
    data: dict[str, Any] = {}
    for question in call.questions:
        value = answers.get(question.id, "")
        if question.kind is QuestionKind.NUMBER:
            data[question_field(question)] = int(value) if value.lstrip("-").isdigit() else None
        elif question.kind is not QuestionKind.FILE:
            data[question_field(question)] = value
    return data


# --- reviews ----------------------------------------------------------------------------------


class ConflictForm(Form):
    conflict_reason = TextAreaField(_("Why you cannot review it impartially"),
                                    validators=[Required(), Length(max=SHORT_TEXT_MAX_LENGTH)],
                                    description=_("For example: I advise this startup. Staff see the reason."))


def score_field(criterion_id: int) -> str:
    return f"score{criterion_id}"


def comment_field(criterion_id: int) -> str:
    return f"comment{criterion_id}"


class ReviewForm(Form):
    """Scores for every criterion of the call, each with a comment, and an overall comment."""

    comment = TextAreaField(_("Overall comment"), validators=[Length(max=COMMENT_MAX_LENGTH)])

    def __init__(self, request: Request, criteria: list[RubricCriterion], **kwargs: Any) -> None:
        self.criteria = criteria
        super().__init__(request, **kwargs)

    def criterion_fields(self) -> list[tuple[RubricCriterion, Any, Any]]:
        return [(criterion, self[score_field(criterion.id)], self[comment_field(criterion.id)])
                for criterion in self.criteria]


def review_form(request: Request, call: Call, submitting: bool, **kwargs: Any) -> ReviewForm:
    """The call's rubric as a form: a whole-number score within each criterion's range (all of them
    when `submitting`; saved scores may be partial) and a comment on each."""

    class CallReviewForm(ReviewForm):
        pass

    for criterion in call.criteria:
        presence = [Required()] if submitting else [Optional()]
        bounds = NumberRange(min=criterion.min_score, max=criterion.max_score,
                             message=_("Give a whole number from ${min} to ${max}.",
                                       mapping={"min": criterion.min_score, "max": criterion.max_score}))
        setattr(CallReviewForm, score_field(criterion.id), IntegerField(
            _("Score for “${name}” (${min}–${max})",
              mapping={"name": criterion.name, "min": criterion.min_score, "max": criterion.max_score}),
            validators=[*presence, bounds], description=criterion.description))
        setattr(CallReviewForm, comment_field(criterion.id), TextAreaField(
            _("Comment on “${name}”", mapping={"name": criterion.name}),
            validators=[Length(max=COMMENT_MAX_LENGTH)]))
    return CallReviewForm(request, list(call.criteria), **kwargs)


def review_values(form: ReviewForm) -> dict[int, tuple[int | None, str]]:
    return {criterion.id: (score.data, comment.data or "") for criterion, score, comment in form.criterion_fields()}


# --- staff: assignments and decisions ---------------------------------------------------------


class AssignForm(Form):
    reviewer_id = SelectField(_("Reviewer"), coerce=int, validators=[Required()])

    def __init__(self, request: Request, reviewers: list[SelectChoice], **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.reviewer_id.choices = reviewers


DECISION_CHOICES = {
    ApplicationStatus.ACCEPTED: _("Accept"),
    ApplicationStatus.WAITLISTED: _("Put on the waiting list"),
    ApplicationStatus.REJECTED: _("Reject"),
}


class DecisionForm(Form):
    decision = RadioField(_("Decision"), validators=[Required()])
    confirm = BooleanField(_("I confirm: the applicant is emailed the decision at once"), validators=[Required()])

    def __init__(self, request: Request, **kwargs: Any) -> None:
        super().__init__(request, **kwargs)
        self.decision.choices = translated_choices(request, DECISION_CHOICES)
