"""Demo calls for applications, after the incubator's cohorts and startups (order 45).

- An open call for the current cohort: six questions (one a PDF or PowerPoint pitch deck), a
  four-criterion rubric, drafts and submitted applications by seeded members, some of them
  scored by staff and mentors (each reviewer submitted, is still scoring, or declared a conflict).
- A closed call of last year's cohort, every application decided: that cohort's startups were
  accepted (the application of each startup's first founder), a few others waitlisted or rejected.
"""

import datetime
from collections.abc import Iterator

from pyramid.config import Configurator

from dimoskopio.accounts.models import Role, User
from dimoskopio.seed import SeedContext
from events.services import from_local, slugify
from incubator.models import (
    Application,
    ApplicationAnswer,
    ApplicationFile,
    ApplicationStatus,
    Call,
    CallQuestion,
    Cohort,
    QuestionKind,
    Review,
    ReviewScore,
    ReviewStatus,
    RubricCriterion,
    Startup,
)

# The open call opened this long before `ctx.today` and closes this long after it.
OPEN_FOR = datetime.timedelta(days=20)
CLOSES_IN = datetime.timedelta(days=25)

DESCRIPTION = (
    "Το Δημοσκόπιο δέχεται αιτήσεις από ομάδες και νέες επιχειρήσεις του Ηρακλείου για τον κύκλο "
    "επιτάχυνσης.\n\n"
    "Οι ομάδες που θα επιλεγούν έχουν:\n\n"
    "- θέση εργασίας στο κέντρο για δέκα μήνες,\n"
    "- εβδομαδιαίες συναντήσεις με μέντορες,\n"
    "- εργαστήρια για πωλήσεις, χρηματοδότηση και νομικά θέματα,\n"
    "- παρουσίαση σε επενδυτές στο τέλος του κύκλου.\n\n"
    "Η συμμετοχή είναι δωρεάν."
)
ELIGIBILITY = (
    "Ομάδες τουλάχιστον δύο ατόμων ή εταιρείες έως πέντε ετών, με έδρα ή δραστηριότητα στον Δήμο "
    "Ηρακλείου. Δεν απαιτείται να έχει ιδρυθεί εταιρεία."
)
QUESTIONS = (
    dict(kind=QuestionKind.TEXT, label="Σε μία πρόταση: τι κάνει η ομάδα σας;", max_length=200),
    dict(kind=QuestionKind.LONG_TEXT, label="Ποιο πρόβλημα λύνετε και για ποιον;", max_length=3000,
         help_text="Περιγράψτε τους πελάτες σας και πώς λύνουν το πρόβλημα σήμερα."),
    dict(kind=QuestionKind.CHOICE, label="Σε ποιο στάδιο βρίσκεστε;",
         choices="Ιδέα\nΠρωτότυπο\nΠρώτοι πελάτες\nΑνάπτυξη"),
    dict(kind=QuestionKind.NUMBER, label="Πόσα άτομα εργάζονται στην ομάδα με πλήρη απασχόληση;",
         min_value=0, max_value=100),
    dict(kind=QuestionKind.FILE, label="Παρουσίαση της ομάδας (pitch deck)", file_types="pdf,pptx",
         max_file_kb=900, help_text="Έως 12 διαφάνειες."),
    dict(kind=QuestionKind.LONG_TEXT, label="Τι περιμένετε από το πρόγραμμα;", max_length=1500, required=False),
)
CRITERIA = (
    dict(name="Ομάδα", description="Εμπειρία, συμπληρωματικότητα και δέσμευση της ομάδας.", weight=3,
         min_score=1, max_score=5),
    dict(name="Καινοτομία", description="Πόσο νέα είναι η λύση σε σχέση με όσα υπάρχουν.", weight=2,
         min_score=1, max_score=5),
    dict(name="Αγορά και βιωσιμότητα", description="Μέγεθος αγοράς, μοντέλο εσόδων, πρώτοι πελάτες.", weight=2,
         min_score=1, max_score=5),
    dict(name="Τοπικός αντίκτυπος", description="Θέσεις εργασίας και όφελος για την πόλη.", weight=1,
         min_score=0, max_score=10),
)
PITCHES = (
    ("Συνδέουμε τους παραγωγούς της Μεσαράς απευθείας με εστιατόρια της πόλης.",
     "Τα εστιατόρια αγοράζουν από χονδρεμπόρους χωρίς να ξέρουν την προέλευση. Οι παραγωγοί πουλούν φθηνά."),
    ("Εφαρμογή που βρίσκει θέση στάθμευσης στο κέντρο του Ηρακλείου.",
     "Οι οδηγοί χάνουν κατά μέσο όρο 15 λεπτά για να παρκάρουν· οι δημότες του κέντρου ταλαιπωρούνται."),
    ("Πλατφόρμα για εθελοντές που στηρίζουν ηλικιωμένους στα χωριά του δήμου.",
     "Οι ηλικιωμένοι των ορεινών χωριών δυσκολεύονται με ψώνια, φάρμακα και γραφειοκρατία."),
    ("Βιοδιασπώμενες συσκευασίες από υπολείμματα ελαιοτριβείων.",
     "Τα απόβλητα των ελαιοτριβείων ρυπαίνουν· οι μικρές επιχειρήσεις τροφίμων ψάχνουν οικολογικές συσκευασίες."),
    ("Εκμάθηση ελληνικών για εργαζόμενους στον τουρισμό με σύντομα μαθήματα στο κινητό.",
     "Τα ξενοδοχεία προσλαμβάνουν εποχικό προσωπικό από το εξωτερικό που δεν μιλά ελληνικά."),
    ("Ψηφιακό ημερολόγιο καλλιέργειας για αμπελουργούς με προειδοποιήσεις για ασθένειες.",
     "Οι αμπελουργοί ψεκάζουν προληπτικά και ξοδεύουν περισσότερα από όσα χρειάζεται."),
)
NEW_STARTUP_NAMES = ("Mesara Direct", "ParkEasy Heraklion", "Γειτονιά Μαζί", "OliveBox", "Μιλάμε Ελληνικά",
                     "VineNote", "KritiCode", "Aegean Loop")
STAGES = ("Ιδέα", "Πρωτότυπο", "Πρώτοι πελάτες", "Ανάπτυξη")
EXPECTATIONS = ("Καθοδήγηση για την πρώτη χρηματοδότηση.", "Επαφές με πελάτες στον δήμο.",
                "Βοήθεια στο επιχειρηματικό σχέδιο.", "")
REVIEW_COMMENTS = ("Ισχυρή ομάδα, χρειάζεται σαφέστερο μοντέλο εσόδων.", "Ενδιαφέρουσα ιδέα με τοπικό όφελος.",
                   "Η αγορά φαίνεται μικρή· να εξετάσουν επέκταση εκτός Κρήτης.", "Πολύ καλή παρουσίαση.")
CONFLICT_REASON = "Είμαι σύμβουλος της ομάδας σε άλλο πρόγραμμα."


def _pitch_deck(title: str) -> bytes:
    """A one-page PDF with the startup's name: enough for reviewers to open."""
    text = title.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body, offsets = b"%PDF-1.4\n", []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


def _moment(ctx: SeedContext, day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    """This local time at the centre."""
    return from_local(datetime.datetime.combine(day, datetime.time(hour, minute)), ctx.registry["timezone"])


def _new_call(title: str, cohort: Cohort, opens_at: datetime.datetime, closes_at: datetime.datetime) -> Call:
    call = Call(title=title, slug=slugify(title), description=DESCRIPTION, eligibility=ELIGIBILITY,
                opens_at=opens_at, closes_at=closes_at, cohort=cohort, published=True,
                created_at=opens_at - datetime.timedelta(days=7))
    call.questions = [CallQuestion(position=position, **values) for position, values in enumerate(QUESTIONS, 1)]
    call.criteria = [RubricCriterion(position=position, **values) for position, values in enumerate(CRITERIA, 1)]
    return call


def _answer(ctx: SeedContext, application: Application, startup_name: str, complete: bool) -> None:
    """Answers to the call's questions; a draft leaves the later ones for another day."""
    call = application.call
    summary, problem = ctx.rng.choice(PITCHES)
    values = [summary, problem, ctx.rng.choice(STAGES), str(ctx.rng.randint(1, 6)), None,
              ctx.rng.choice(EXPECTATIONS)]
    for question, value in zip(call.questions, values, strict=True):
        if not complete and question.position > 2:
            break
        if question.kind is QuestionKind.FILE:
            deck = _pitch_deck(startup_name)
            application.files.append(ApplicationFile(question_id=question.id, filename="pitch-deck.pdf",
                                                     content_type="application/pdf", size=len(deck), data=deck,
                                                     uploaded_at=application.updated_at))
        elif value:
            application.answers.append(ApplicationAnswer(question_id=question.id, value=value))


def _score(ctx: SeedContext, review: Review, call: Call, strength: float, submitted_at: datetime.datetime) -> None:
    """Scores near the application's strength (0 to 1) on every criterion, and a submitted review."""
    for criterion in call.criteria:
        span = criterion.max_score - criterion.min_score
        value = criterion.min_score + round(span * min(1.0, max(0.0, strength + ctx.rng.uniform(-0.2, 0.2))))
        review.scores.append(ReviewScore(criterion=criterion, score=value))
    review.comment = ctx.rng.choice(REVIEW_COMMENTS)
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = submitted_at


def seed_calls(ctx: SeedContext) -> None:
    cohorts: list[Cohort] = ctx.shared["cohorts"]
    current, last_year = cohorts[-1], cohorts[-2]
    users = ctx.shared["users"]
    reviewers: list[User] = [*users[Role.STAFF], *users[Role.MENTOR][:3]]
    applicants: Iterator[User] = iter(users[Role.MEMBER])
    names = iter(NEW_STARTUP_NAMES)
    decider = users[Role.STAFF][0]
    ctx.dbsession.flush()  # the accounts' ids, for who decided

    open_call = _new_call(f"Πρόσκληση συμμετοχής στον {current.name}", current,
                          _moment(ctx, ctx.today - OPEN_FOR, 10), _moment(ctx, ctx.today + CLOSES_IN, 23, 59))
    ctx.dbsession.add(open_call)
    ctx.dbsession.flush()  # the questions' ids, for the answers
    # Two drafts and submitted ones at any scale: every screen has something to show.
    count = max(4, ctx.count(6))
    for index in range(count):
        applicant = next(applicants, None)
        if applicant is None:
            break
        name = next(names, f"Ομάδα {index + 1}")
        submitted = index >= 2
        created = open_call.opens_at + datetime.timedelta(days=ctx.rng.randint(1, 10), hours=ctx.rng.randint(0, 9))
        application = Application(call=open_call, applicant=applicant, startup_name=name, locale=applicant.locale,
                                  created_at=created, updated_at=created + datetime.timedelta(days=1))
        _answer(ctx, application, name, complete=submitted)
        if submitted:
            application.status = ApplicationStatus.SUBMITTED
            application.submitted_at = application.updated_at
            for position, reviewer in enumerate(ctx.rng.sample(reviewers, min(2, len(reviewers)))):
                review = Review(reviewer=reviewer, assigned_at=application.submitted_at + datetime.timedelta(hours=6))
                application.reviews.append(review)
                if index == 2 and position == 1:
                    review.status, review.conflict_reason = ReviewStatus.CONFLICT, CONFLICT_REASON
                elif index % 2 == 0 or position == 0:
                    _score(ctx, review, open_call, ctx.rng.uniform(0.3, 0.9),
                           review.assigned_at + datetime.timedelta(days=2))
        ctx.dbsession.add(application)

    closes = _moment(ctx, last_year.starts_on - datetime.timedelta(days=45), 23, 59)
    past_call = _new_call(f"Πρόσκληση συμμετοχής στον {last_year.name}", last_year,
                          _moment(ctx, last_year.starts_on - datetime.timedelta(days=90), 10), closes)
    ctx.dbsession.add(past_call)
    ctx.dbsession.flush()
    accepted: list[tuple[User, Startup | None, str, ApplicationStatus]] = [
        (startup.founders[0].user, startup, startup.name, ApplicationStatus.ACCEPTED)
        for startup in ctx.shared["startups"] if startup.cohort is last_year and startup.founders]
    others = [(applicant, None, next(names, "Νέα ομάδα"), decision)
              for decision in (ApplicationStatus.WAITLISTED, ApplicationStatus.REJECTED, ApplicationStatus.REJECTED)
              if (applicant := next(applicants, None)) is not None]
    for applicant, startup, name, decision in [*accepted, *others]:
        submitted_at = past_call.closes_at - datetime.timedelta(days=ctx.rng.randint(1, 30))
        application = Application(call=past_call, applicant=applicant, startup=startup,
                                  startup_name="" if startup else name, locale=applicant.locale,
                                  status=decision, created_at=submitted_at - datetime.timedelta(days=3),
                                  updated_at=submitted_at, submitted_at=submitted_at,
                                  decided_at=past_call.closes_at + datetime.timedelta(days=14),
                                  decided_by_id=decider.id)
        _answer(ctx, application, name, complete=True)
        strength = {ApplicationStatus.ACCEPTED: 0.8, ApplicationStatus.WAITLISTED: 0.6}.get(decision, 0.35)
        for reviewer in ctx.rng.sample(reviewers, min(3, len(reviewers))):
            review = Review(reviewer=reviewer, assigned_at=past_call.closes_at + datetime.timedelta(days=1))
            application.reviews.append(review)
            _score(ctx, review, past_call, strength, review.assigned_at + datetime.timedelta(days=5))
        ctx.dbsession.add(application)
    ctx.dbsession.flush()


def includeme(config: Configurator) -> None:
    # After the incubator's seeder (40): calls feed its cohorts, accepted applications are its startups.
    config.add_seeder("incubator-calls", seed_calls, order=45)
