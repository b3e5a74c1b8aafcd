"""The rules of calls for applications: what staff may change once people applied, what an
applicant may save and submit and when, the files they upload, reviewers' scores, the ranking
and staff's decisions."""

import datetime
import io
import statistics
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO

from pyramid.request import Request
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from dimoskopio.accounts.models import Role, User
from dimoskopio.forms import image_type
from dimoskopio.mail.services import send_email
from dimoskopio.rules import Refused
from dimoskopio.web import CsvCell, public_url
from events.services import slug_taken, unique_slug
from incubator import services
from incubator.models import (
    Application,
    ApplicationAnswer,
    ApplicationFile,
    ApplicationStatus,
    Call,
    CallQuestion,
    QuestionKind,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricCriterion,
    Startup,
    StartupStage,
)

# --- calls ------------------------------------------------------------------------------------


class CallState:
    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


def call_state(call: Call, now: datetime.datetime) -> str:
    """Where a call stands at `now`: unpublished (draft), not open yet, open, or closed."""
    if not call.published:
        return CallState.DRAFT
    if now < call.opens_at:
        return CallState.UPCOMING
    if now < call.closes_at:
        return CallState.OPEN
    return CallState.CLOSED


def submitted_counts(dbsession: Session, call_ids: list[int]) -> dict[int, int]:
    """How many applications each call received (submitted or decided, never drafts)."""
    if not call_ids:
        return {}
    rows = dbsession.execute(
        select(Application.call_id, func.count(Application.id))
        .where(Application.call_id.in_(call_ids), Application.status != ApplicationStatus.DRAFT)
        .group_by(Application.call_id))
    return {call_id: number for call_id, number in rows}


def all_calls(dbsession: Session) -> list[Call]:
    """Every call, the latest to close first."""
    return list(dbsession.scalars(select(Call).options(selectinload(Call.cohort))
                                  .order_by(Call.closes_at.desc(), Call.id.desc())))


def public_calls(dbsession: Session, now: datetime.datetime) -> list[Call]:
    """Published calls that are open or not open yet, the nearest deadline first."""
    return list(dbsession.scalars(
        select(Call).where(Call.published.is_(True), Call.closes_at > now)
        .order_by(Call.closes_at, Call.id)))


def listed_calls(dbsession: Session, now: datetime.datetime) -> list[tuple[Call, str]]:
    """The public calls (open or not open yet) with where each stands at `now`."""
    return [(call, call_state(call, now)) for call in public_calls(dbsession, now)]


def published_call(dbsession: Session, slug: str) -> Call | None:
    return dbsession.scalar(select(Call).where(Call.slug == slug, Call.published.is_(True)))


def call_slug_refusal(dbsession: Session, call: Call | None, slug: str) -> str | None:
    """Why a call may not take this web address: another call has it ("slug-taken")."""
    return "slug-taken" if slug_taken(dbsession, Call, slug, call.id if call is not None else None) else None


def save_call(dbsession: Session, call: Call, values: dict[str, Any]) -> Call:
    """Store the staff form's values (times already in UTC); an empty web address is made from the title."""
    for name in ("title", "description", "eligibility"):
        setattr(call, name, (values.get(name) or "").strip())
    call.opens_at = values["opens_at"]
    call.closes_at = values["closes_at"]
    call.cohort_id = values.get("cohort_id") or None
    call.published = bool(values.get("published"))
    wanted = (values.get("slug") or "").strip()
    call.slug = wanted or unique_slug(dbsession, Call, call.title, exclude_id=call.id)
    dbsession.add(call)
    dbsession.flush()
    return call


def has_submissions(dbsession: Session, call: Call) -> bool:
    """Whether anyone submitted an application to the call (drafts do not count)."""
    return dbsession.scalar(select(exists().where(
        Application.call_id == call.id, Application.status != ApplicationStatus.DRAFT))) or False


def has_scores(dbsession: Session, call: Call) -> bool:
    """Whether a reviewer scored any application of the call (saved or submitted)."""
    return dbsession.scalar(select(exists().where(
        ReviewScore.criterion_id == RubricCriterion.id, RubricCriterion.call_id == call.id))) or False


# --- questions and the rubric ------------------------------------------------------------------

# The fields of a question that submitted answers were checked against.
QUESTION_RULES = ("kind", "required", "choices", "max_length", "min_value", "max_value", "file_types", "max_file_kb")
CRITERION_RANGE = ("min_score", "max_score")


def parse_choices(raw: str) -> list[str]:
    """A choice question's options from a text of one per line, trimmed, blanks left out."""
    return [line.strip() for line in raw.splitlines() if line.strip()]


def choice_options(question: CallQuestion) -> list[str]:
    return parse_choices(question.choices)


def parse_file_types(raw: str) -> list[str]:
    """File extensions from a comma-separated text ("PDF, .pptx"), lower-case, each once."""
    return list(dict.fromkeys(part.strip().lower().lstrip(".") for part in raw.split(",") if part.strip()))


def file_types_of(question: CallQuestion) -> list[str]:
    return parse_file_types(question.file_types)


def save_question(dbsession: Session, call: Call, question: CallQuestion | None,
                  values: dict[str, Any]) -> CallQuestion:
    """Add or change a question. Once applications were submitted, none may be added and only a
    question's wording may change: its kind and limits are what the answers were checked against."""
    submitted = has_submissions(dbsession, call)
    if question is None:
        if submitted:
            raise Refused("questions-locked")
        question = CallQuestion(call=call, position=max((q.position for q in call.questions), default=0) + 1)
    elif submitted and any(getattr(question, name) != values.get(name) for name in QUESTION_RULES):
        raise Refused("question-rules-locked")
    question.label = values["label"].strip()
    question.help_text = (values.get("help_text") or "").strip()
    question.kind = values["kind"]
    question.required = bool(values.get("required"))
    question.choices = values.get("choices") or ""
    question.max_length = values.get("max_length")
    question.min_value = values.get("min_value")
    question.max_value = values.get("max_value")
    question.file_types = values.get("file_types") or ""
    question.max_file_kb = values.get("max_file_kb")
    dbsession.add(question)
    dbsession.flush()
    return question


def remove_question(dbsession: Session, question: CallQuestion) -> None:
    """Remove a question, unless applications answering it were submitted."""
    if has_submissions(dbsession, question.call):
        raise Refused("questions-locked")
    question.call.questions.remove(question)
    dbsession.flush()


def move_question(dbsession: Session, question: CallQuestion, step: int) -> None:
    """Swap the question with its neighbour above (step -1) or below (step 1); harmless at any time."""
    questions = list(question.call.questions)
    index = questions.index(question)
    other = index + step
    if not 0 <= other < len(questions):
        return
    questions[index], questions[other] = questions[other], questions[index]
    for position, each in enumerate(questions, start=1):
        each.position = position
    dbsession.flush()


def save_criterion(dbsession: Session, call: Call, criterion: RubricCriterion | None,
                   values: dict[str, Any]) -> RubricCriterion:
    """Add or change a criterion. Once scores were given, none may be added (submitted reviews would
    miss it) and a criterion's range stays (the scores were given within it); its name,
    description and weight may still change."""
    scored = has_scores(dbsession, call)
    if criterion is None:
        if scored:
            raise Refused("rubric-locked")
        criterion = RubricCriterion(call=call, position=max((c.position for c in call.criteria), default=0) + 1)
    elif scored and any(getattr(criterion, name) != values.get(name) for name in CRITERION_RANGE):
        raise Refused("range-locked")
    criterion.name = values["name"].strip()
    criterion.description = (values.get("description") or "").strip()
    criterion.weight = values["weight"]
    criterion.min_score = values["min_score"]
    criterion.max_score = values["max_score"]
    dbsession.add(criterion)
    dbsession.flush()
    return criterion


def remove_criterion(dbsession: Session, criterion: RubricCriterion) -> None:
    if has_scores(dbsession, criterion.call):
        raise Refused("rubric-locked")
    criterion.call.criteria.remove(criterion)
    dbsession.flush()


# --- uploads ----------------------------------------------------------------------------------

# The largest file any question may accept, whatever staff ask for.
MAX_FILE_KB = 10 * 1024
# What a form's fields other than its files may take at most (multipart headers, and text
# answers percent-encoded at up to 12 bytes a character) on top of its files.
FORM_OVERHEAD_BYTES = 64 * 1024
TEXT_BYTES_PER_CHARACTER = 12
READ_CHUNK_BYTES = 64 * 1024

# Office Open XML documents are zip files with this part, and their content in this folder.
OOXML_FOLDERS = {"docx": "word/", "pptx": "ppt/", "xlsx": "xl/"}
FILE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
PDF_MAGIC = b"%PDF-"


def upload_cap_kb(settings: dict[str, Any]) -> int:
    """The largest file a question may accept: MAX_FILE_KB, and no more than an application form
    may carry with the rest of the form (`dimoskopio.max_upload_request_bytes` refuses larger
    bodies unread)."""
    room = settings["dimoskopio.max_upload_request_bytes"] - FORM_OVERHEAD_BYTES
    return max(1, min(MAX_FILE_KB, room // 1024))


def largest_form_bytes(call: Call) -> int:
    """The largest body an application form of the call can need: every file at its limit and
    every text answer at its most; a larger one is refused before it is read."""
    total = FORM_OVERHEAD_BYTES
    for question in call.questions:
        if question.kind is QuestionKind.FILE:
            total += (question.max_file_kb or 0) * 1024
        else:
            total += (question.max_length or LONG_ANSWER_MAX_LENGTH) * TEXT_BYTES_PER_CHARACTER
    return total


def _looks_like(extension: str, data: bytes) -> bool:
    if extension == "pdf":
        return data.startswith(PDF_MAGIC)
    if FILE_TYPES[extension].startswith("image/"):
        return image_type(data) == FILE_TYPES[extension]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and any(name.startswith(OOXML_FOLDERS[extension]) for name in names)


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


def read_upload(question: CallQuestion, filename: str, stream: BinaryIO) -> Upload:
    """The file uploaded for a question, read in chunks and given up as soon as it passes the
    question's limit ("too-large"); its extension must be one the question accepts and its first
    bytes must be what such a file starts with ("wrong-type")."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in file_types_of(question) or extension not in FILE_TYPES:
        raise Refused("wrong-type")
    limit = (question.max_file_kb or 0) * 1024
    chunks, size = [], 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise Refused("too-large")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise Refused("empty")
    if not _looks_like(extension, data):
        raise Refused("wrong-type")
    return Upload(name, FILE_TYPES[extension], data)


# --- applications -----------------------------------------------------------------------------

# Answers to text questions without a limit of their own.
SHORT_ANSWER_MAX_LENGTH = 500
LONG_ANSWER_MAX_LENGTH = 10000


def own_application(dbsession: Session, user: User, application_id: int) -> Application | None:
    """The user's application with this id; None for anyone else's (whether it exists or not)."""
    return dbsession.scalar(select(Application).where(
        Application.id == application_id, Application.applicant_id == user.id))


def application_to(dbsession: Session, call: Call, user: User) -> Application | None:
    return dbsession.scalar(select(Application).where(
        Application.call_id == call.id, Application.applicant_id == user.id))


def my_applications(dbsession: Session, user: User) -> list[Application]:
    return list(dbsession.scalars(
        select(Application).where(Application.applicant_id == user.id)
        .options(selectinload(Application.call)).order_by(Application.created_at.desc(), Application.id.desc())))


def start_application(dbsession: Session, call: Call, user: User, locale_name: str) -> Application:
    """The user's application to the call: the one they have, or a new draft. Two requests racing
    to start one end with the same row (the unique constraint refuses the second insert)."""
    found = application_to(dbsession, call, user)
    if found is not None:
        return found
    application = Application(call=call, applicant=user, locale=locale_name)
    try:
        with dbsession.begin_nested():
            dbsession.add(application)
    except IntegrityError:
        dbsession.expunge(application)
        found = application_to(dbsession, call, user)
        if found is None:
            raise
        return found
    return application


def is_editable(application: Application) -> bool:
    return application.status is ApplicationStatus.DRAFT


def answers_by_question(application: Application) -> dict[int, str]:
    return {answer.question_id: answer.value for answer in application.answers}


def files_by_question(application: Application) -> dict[int, ApplicationFile]:
    return {upload.question_id: upload for upload in application.files}


def answers_view(application: Application) -> dict[str, Any]:
    """What `_answers.jinja2` shows of an application: its answers and files by question, and
    the startup's name."""
    return {
        "answers": answers_by_question(application),
        "files": files_by_question(application),
        "startup_name": applicant_startup_name(application),
    }


def save_draft(dbsession: Session, application: Application, values: dict[str, Any],
               uploads: dict[int, Upload], now: datetime.datetime) -> None:
    """Store what the applicant typed (`values`: startup_id, startup_name, and "answers" by
    question id) and the files they uploaded; a file replaces the one before it."""
    if not is_editable(application):
        raise Refused("submitted")
    application.startup_id = values.get("startup_id") or None
    application.startup_name = "" if application.startup_id else (values.get("startup_name") or "").strip()
    stored = {answer.question_id: answer for answer in application.answers}
    for question_id, value in values["answers"].items():
        if question_id in stored:
            stored[question_id].value = value
        else:
            application.answers.append(ApplicationAnswer(question_id=question_id, value=value))
    kept = files_by_question(application)
    for question_id, upload in uploads.items():
        if question_id in kept:
            application.files.remove(kept[question_id])
            dbsession.flush()
        application.files.append(ApplicationFile(question_id=question_id, filename=upload.filename,
                                                 content_type=upload.content_type, size=len(upload.data),
                                                 data=upload.data, uploaded_at=now))
    application.updated_at = now
    dbsession.add(application)
    dbsession.flush()


def missing_answers(application: Application) -> list[CallQuestion]:
    """The required questions the application leaves unanswered (a file question needs its file)."""
    answers, files = answers_by_question(application), files_by_question(application)
    return [question for question in application.call.questions if question.required and (
        question.id not in files if question.kind is QuestionKind.FILE else not answers.get(question.id, "").strip())]


def submission_refusal(application: Application, now: datetime.datetime) -> str | None:
    """Why the application may not be submitted now: already submitted, the call is not open
    (by the server's clock), or no startup named; None when it may."""
    if not is_editable(application):
        return "submitted"
    state = call_state(application.call, now)
    if state == CallState.CLOSED:
        return "closed"
    if state != CallState.OPEN:
        return "not-open"
    if not application.startup_id and not application.startup_name.strip():
        return "no-startup"
    return None


def submit_application(request: Request, application: Application, now: datetime.datetime) -> None:
    """Submit the (complete, saved) application and email the applicant a confirmation in the
    language they use now; from then on it is read-only to them."""
    refusal = submission_refusal(application, now)
    if refusal is not None:
        raise Refused(refusal)
    if missing_answers(application):
        raise Refused("incomplete")
    application.status = ApplicationStatus.SUBMITTED
    application.submitted_at = now
    application.locale = request.locale_name
    request.dbsession.flush()
    send_email(request, "application-submitted", application.applicant.email, {
        "application": application,
        "call": application.call,
        "startup_name": applicant_startup_name(application),
        "url": public_url(request, "incubator.application", id=application.id),
    }, locale_name=application.locale)


def applicant_startup_name(application: Application) -> str:
    return application.startup.name if application.startup else application.startup_name


# --- reviewers ---------------------------------------------------------------------------------

REVIEWER_ROLES = (Role.STAFF, Role.MENTOR, Role.ADMIN)


def reviewer_candidates(dbsession: Session) -> list[User]:
    """Accounts that may review: staff and mentors (and admins), by name."""
    return list(dbsession.scalars(select(User).where(User.role.in_(REVIEWER_ROLES)).order_by(User.name, User.id)))


def assign_reviewer(dbsession: Session, application: Application, reviewer: User, now: datetime.datetime) -> bool:
    """Assign the reviewer to the submitted application; False when they already are (or it is a draft).
    Nobody reviews their own application."""
    if reviewer.role not in REVIEWER_ROLES:
        raise Refused("not-reviewer")
    if application.status is ApplicationStatus.DRAFT or application.applicant_id == reviewer.id:
        return False
    if any(review.reviewer_id == reviewer.id for review in application.reviews):
        return False
    application.reviews.append(Review(reviewer=reviewer, assigned_at=now))
    dbsession.flush()
    return True


def assign_to_call(dbsession: Session, call: Call, reviewer: User, now: datetime.datetime) -> int:
    """Assign the reviewer to every submitted (or decided) application of the call; how many were new."""
    applications = dbsession.scalars(select(Application).where(
        Application.call_id == call.id, Application.status != ApplicationStatus.DRAFT)
        .options(selectinload(Application.reviews)))
    return sum(assign_reviewer(dbsession, application, reviewer, now) for application in applications)


def remove_review(dbsession: Session, review: Review) -> None:
    review.application.reviews.remove(review)
    dbsession.flush()


def reopen_review(dbsession: Session, review: Review) -> None:
    """Staff let a reviewer change a submitted review (or take back a conflict they declared)."""
    review.status = ReviewStatus.ASSIGNED
    review.submitted_at = None
    review.conflict_reason = ""
    dbsession.flush()


def reviews_of(dbsession: Session, reviewer: User) -> list[Review]:
    return list(dbsession.scalars(
        select(Review).where(Review.reviewer_id == reviewer.id)
        .options(selectinload(Review.application).selectinload(Application.call))
        .order_by(Review.assigned_at.desc(), Review.id.desc())))


def assigned_review(dbsession: Session, reviewer: User, review_id: int) -> Review | None:
    """The reviewer's own review with this id; None for anyone else's."""
    return dbsession.scalar(select(Review).where(Review.id == review_id, Review.reviewer_id == reviewer.id))


def may_see_application(review: Review) -> bool:
    """A reviewer who declared a conflict of interest no longer sees the application."""
    return review.status is not ReviewStatus.CONFLICT


def declare_conflict(dbsession: Session, review: Review, reason: str) -> None:
    if review.status is ReviewStatus.SUBMITTED:
        raise Refused("review-submitted")
    review.status = ReviewStatus.CONFLICT
    review.conflict_reason = reason.strip()
    review.scores.clear()
    dbsession.flush()


def save_review(dbsession: Session, review: Review, scores: dict[int, tuple[int | None, str]], comment: str,
                submit: bool, now: datetime.datetime) -> None:
    """Store the reviewer's scores (by criterion id: score and comment) and overall comment; when
    `submit`, every criterion must have a score within its range and the review becomes final."""
    if review.status is not ReviewStatus.ASSIGNED:
        raise Refused("review-" + review.status.value)
    criteria = {criterion.id: criterion for criterion in review.application.call.criteria}
    for criterion_id, (score, _comment) in scores.items():
        criterion = criteria[criterion_id]
        if score is not None and not criterion.min_score <= score <= criterion.max_score:
            raise Refused("out-of-range")
    if submit and any(scores.get(criterion_id, (None, ""))[0] is None for criterion_id in criteria):
        raise Refused("unscored")
    stored = {score.criterion_id: score for score in review.scores}
    for criterion_id, (score, criterion_comment) in scores.items():
        if score is None:
            if criterion_id in stored:
                review.scores.remove(stored[criterion_id])
            continue
        if criterion_id in stored:
            stored[criterion_id].score, stored[criterion_id].comment = score, criterion_comment.strip()
        else:
            review.scores.append(ReviewScore(criterion_id=criterion_id, score=score, comment=criterion_comment.strip()))
    review.comment = comment.strip()
    if submit:
        review.status = ReviewStatus.SUBMITTED
        review.submitted_at = now
    dbsession.flush()


def others_visible(review: Review) -> list[Review]:
    """The other reviewers' submitted reviews, shown to a reviewer only once they submitted theirs."""
    if review.status is not ReviewStatus.SUBMITTED:
        return []
    return [other for other in review.application.reviews
            if other.id != review.id and other.status is ReviewStatus.SUBMITTED]


# --- ranking ----------------------------------------------------------------------------------


def review_score(review: Review, criteria: list[RubricCriterion]) -> float | None:
    """A submitted review's score out of 100: each criterion's score placed on 0–100 within its
    range, weighted: Σ weight × 100 × (score − min) / (max − min) ÷ Σ weight."""
    scores = {score.criterion_id: score.score for score in review.scores}
    weighted = total_weight = 0.0
    for criterion in criteria:
        if criterion.id not in scores:
            continue
        span = criterion.max_score - criterion.min_score
        weighted += criterion.weight * 100 * (scores[criterion.id] - criterion.min_score) / span
        total_weight += criterion.weight
    return weighted / total_weight if total_weight else None


@dataclass
class RankedApplication:
    application: Application
    submitted_reviews: int
    assigned_reviews: int
    conflicts: int
    # The mean of the submitted reviews' scores out of 100, and their spread (highest − lowest).
    average: float | None
    spread: float | None


RANKING_SORTS = ("score", "submitted", "name")


def ranking(dbsession: Session, call: Call, sort: str = "score",
            with_reviewers: bool = False) -> list[RankedApplication]:
    """The call's submitted and decided applications with their reviews' figures, the best
    average first (unscored ones last), or by submission time or name; `with_reviewers` loads
    the reviews' reviewers too."""
    reviews = selectinload(Application.reviews)
    query = (select(Application)
             .where(Application.call_id == call.id, Application.status != ApplicationStatus.DRAFT)
             .options(reviews.selectinload(Review.scores),
                      selectinload(Application.startup), selectinload(Application.applicant)))
    if with_reviewers:
        query = query.options(reviews.selectinload(Review.reviewer))
    applications = dbsession.scalars(query)
    criteria = list(call.criteria)
    rows = []
    for application in applications:
        submitted = [review for review in application.reviews if review.status is ReviewStatus.SUBMITTED]
        scores = [score for review in submitted if (score := review_score(review, criteria)) is not None]
        rows.append(RankedApplication(
            application=application,
            submitted_reviews=len(submitted),
            assigned_reviews=len(application.reviews),
            conflicts=sum(review.status is ReviewStatus.CONFLICT for review in application.reviews),
            average=statistics.fmean(scores) if scores else None,
            spread=max(scores) - min(scores) if scores else None,
        ))
    if sort == "submitted":
        rows.sort(key=lambda row: (row.application.submitted_at or row.application.created_at, row.application.id))
    elif sort == "name":
        rows.sort(key=lambda row: (applicant_startup_name(row.application).casefold(), row.application.id))
    else:
        rows.sort(key=lambda row: (row.average is None, -(row.average or 0), row.application.id))
    return rows


def score_rows(dbsession: Session, call: Call) -> list[list[CsvCell]]:
    """The CSV export: one row per submitted review, with a column per criterion and the review's
    score out of 100 (numbers as numbers, so that a negative score is not taken for a formula)."""
    criteria = list(call.criteria)
    rows: list[list[CsvCell]] = []
    for row in ranking(dbsession, call, sort="name", with_reviewers=True):
        application = row.application
        for review in application.reviews:
            if review.status is not ReviewStatus.SUBMITTED:
                continue
            scores = {score.criterion_id: score.score for score in review.scores}
            total = review_score(review, criteria)
            rows.append([
                application.id, applicant_startup_name(application), application.applicant.name,
                application.status.value, review.reviewer.name,
                *(scores.get(criterion.id, "") for criterion in criteria),
                round(total, 1) if total is not None else "", review.comment,
            ])
    return rows


# --- decisions --------------------------------------------------------------------------------

DECISIONS = (ApplicationStatus.ACCEPTED, ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED)
# What an application may still become: a waiting list is not final, the other decisions are.
NEXT_DECISIONS = {
    ApplicationStatus.SUBMITTED: DECISIONS,
    ApplicationStatus.WAITLISTED: (ApplicationStatus.ACCEPTED, ApplicationStatus.REJECTED),
}


def decision_refusal(application: Application, decision: ApplicationStatus) -> str | None:
    if application.status is ApplicationStatus.DRAFT:
        return "draft"
    if decision not in NEXT_DECISIONS.get(application.status, ()):
        return "already-decided"
    return None


def _incubate(dbsession: Session, application: Application, today: datetime.date) -> Startup:
    """The accepted application's startup, incubated in the call's cohort, with the applicant on its
    team: the existing one they applied for (all it holds kept), or a new one with the name they
    gave. The staff's rules for founders (members become founders) apply."""
    startup = application.startup or Startup(name=application.startup_name, stage=StartupStage.IDEA)
    services.incubate(dbsession, startup, application.call.cohort_id or startup.cohort_id, today)
    application.startup = startup
    try:
        services.add_founder(dbsession, startup, application.applicant.email, "")
    except services.FounderRefused as refused:
        if refused.reason != "already-founder":
            raise
    return startup


def decide(request: Request, application: Application, decision: ApplicationStatus, staff: User,
           now: datetime.datetime, today: datetime.date) -> None:
    """Record staff's decision and email it to the applicant in the language they applied in;
    accepting incubates the startup in the call's cohort."""
    refusal = decision_refusal(application, decision)
    if refusal is not None:
        raise Refused(refusal)
    if decision is ApplicationStatus.ACCEPTED:
        _incubate(request.dbsession, application, today)
    application.status = decision
    application.decided_at = now
    application.decided_by_id = staff.id
    request.dbsession.flush()
    send_email(request, "application-decided", application.applicant.email, {
        "application": application,
        "call": application.call,
        "decision": decision.value,
        "startup_name": applicant_startup_name(application),
        "url": public_url(request, "incubator.application", id=application.id),
    }, locale_name=application.locale)
