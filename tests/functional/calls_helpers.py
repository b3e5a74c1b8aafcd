"""Arranging calls for applications, applications and reviews for the functional tests."""

import datetime
from typing import Any

from sqlalchemy.orm import Session

from dimoskopio.accounts.models import User
from dimoskopio.db import utcnow
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
)

PDF = b"%PDF-1.4\n" + b"1 0 obj << >> endobj\n" * 20 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200

QUESTIONS = (
    {"kind": QuestionKind.TEXT, "label": "Τι κάνει η ομάδα σας;", "max_length": 200},
    {"kind": QuestionKind.LONG_TEXT, "label": "Ποιο πρόβλημα λύνετε;", "max_length": 2000},
    {"kind": QuestionKind.CHOICE, "label": "Στάδιο", "choices": "Ιδέα\nΠρωτότυπο\nΠελάτες"},
    {"kind": QuestionKind.NUMBER, "label": "Άτομα στην ομάδα", "min_value": 1, "max_value": 50},
    {"kind": QuestionKind.FILE, "label": "Παρουσίαση", "file_types": "pdf,png", "max_file_kb": 20},
    {"kind": QuestionKind.LONG_TEXT, "label": "Κάτι ακόμη;", "required": False},
)
CRITERIA = (
    {"name": "Ομάδα", "weight": 3, "min_score": 1, "max_score": 5},
    {"name": "Αγορά", "weight": 1, "min_score": 0, "max_score": 10},
)


def make_call(dbsession: Session, title: str = "Πρόσκληση 2027", *, opens_in: datetime.timedelta | None = None,
              closes_in: datetime.timedelta | None = None, questions: tuple[dict[str, Any], ...] = QUESTIONS,
              criteria: tuple[dict[str, Any], ...] = CRITERIA, **values: Any) -> Call:
    """A published call, open from a day ago for ten more days unless told otherwise."""
    dbsession.rollback()
    now = utcnow()
    call = Call(title=title, slug=values.pop("slug", "prosklisi-2027"),
                opens_at=now + (opens_in if opens_in is not None else -datetime.timedelta(days=1)),
                closes_at=now + (closes_in if closes_in is not None else datetime.timedelta(days=10)),
                published=values.pop("published", True), **values)
    call.questions = [CallQuestion(position=position, **question) for position, question in enumerate(questions, 1)]
    call.criteria = [RubricCriterion(position=position, **criterion) for position, criterion in enumerate(criteria, 1)]
    dbsession.add(call)
    dbsession.commit()
    return call


def full_answers(call: Call) -> dict[str, str]:
    """Form values answering every question but the file one."""
    values = {}
    for question in call.questions:
        key = f"q{question.id}"
        if question.kind is QuestionKind.TEXT:
            values[key] = "Αισθητήρες για ελαιώνες."
        elif question.kind is QuestionKind.LONG_TEXT:
            values[key] = "Οι παραγωγοί ποτίζουν στα τυφλά."
        elif question.kind is QuestionKind.CHOICE:
            values[key] = "Πρωτότυπο"
        elif question.kind is QuestionKind.NUMBER:
            values[key] = "3"
    return values


def make_application(dbsession: Session, call: Call, applicant: User, *,
                     status: ApplicationStatus = ApplicationStatus.SUBMITTED, startup_name: str = "OliveSense",
                     locale: str = "el", startup_id: int | None = None, with_answers: bool = True) -> Application:
    dbsession.rollback()
    call = dbsession.get(Call, call.id)
    now = utcnow()
    application = Application(call=call, applicant_id=applicant.id, status=status, locale=locale,
                              startup_name="" if startup_id else startup_name, startup_id=startup_id,
                              submitted_at=now if status is not ApplicationStatus.DRAFT else None)
    if with_answers:
        for question in call.questions:
            if question.kind is QuestionKind.FILE:
                application.files.append(ApplicationFile(question_id=question.id, filename="deck.pdf",
                                                         content_type="application/pdf", size=len(PDF), data=PDF))
            else:
                value = full_answers(call).get(f"q{question.id}", "")
                application.answers.append(ApplicationAnswer(question_id=question.id, value=value))
    dbsession.add(application)
    dbsession.commit()
    return application


def make_review(dbsession: Session, application: Application, reviewer: User, scores: tuple[int, ...] = (),
                status: ReviewStatus = ReviewStatus.ASSIGNED, comment: str = "") -> Review:
    """The reviewer's assignment, with one score per criterion of the call (in order) if given."""
    dbsession.rollback()
    application = dbsession.get(Application, application.id)
    criteria = list(application.call.criteria)
    review = Review(application_id=application.id, reviewer_id=reviewer.id, status=status, comment=comment,
                    submitted_at=utcnow() if status is ReviewStatus.SUBMITTED else None)
    review.scores = [ReviewScore(criterion_id=criterion.id, score=score, comment="")
                     for criterion, score in zip(criteria, scores, strict=False)]
    dbsession.add(review)
    dbsession.commit()
    return review
