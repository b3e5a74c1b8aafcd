"""Demo incubator data: two past cohorts and the one running at `ctx.today`, each with
`ctx.count(4 to 6)` startups and their founders.

Startups of past cohorts graduated (those of the older one are alumni by now), but for one that
withdrew or closed; those of the current cohort are incubated. Each has the timeline that led
there: applicant a month before its cohort started, incubated at the start, then graduated at the
end (and alumni a few months later), or withdrawn or closed at some date in between. Most
incubated, graduated and alumni startups chose to be listed in the public directory. Each startup has one to three
founders: the founder accounts the accounts seeder made (`ctx.shared["users"][Role.FOUNDER]`),
and, when those run out (at small scales), new founder accounts made the way that seeder makes them.

Each cohort has a plan of six milestones spread over its months. Startups reached those due by
`ctx.today` mostly on time, some late, and a few of the current cohort's are overdue; those that
left early reached only the first ones. About half the startups have a logo (their initials on
a colour). The latest past cohort's graduates have their graduation certificates (rendered, as
staff would issue them), signed by whoever signs the events' certificates.

What later seeders find in `ctx.shared`: ``"cohorts"`` (oldest first) and ``"startups"``.
"""

import datetime
import io
from collections.abc import Iterator

from PIL import Image, ImageDraw, ImageFont
from pyramid.config import Configurator

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.seed import DEMO_PASSWORD, random_person
from dimoskopio.accounts.services import hash_password
from dimoskopio.db import utcnow
from dimoskopio.seed import SeedContext
from events.certificates import STATIC
from events.services import slugify
from incubator import graduation_services
from incubator.kpi_services import LEFT_STATUSES
from incubator.models import (
    SLUG_MAX_LENGTH,
    Cohort,
    KpiPeriod,
    Milestone,
    Startup,
    StartupFounder,
    StartupMilestone,
    StartupStage,
    StartupStatus,
    StartupStatusChange,
)
from incubator.services import DIRECTORY_STATUSES

PROGRAMME = "Πρόγραμμα επιτάχυνσης Δημοσκοπίου"
# The current cohort started this long before `ctx.today` and ends this long after it.
CURRENT_COHORT_RUNNING = datetime.timedelta(days=120)
CURRENT_COHORT_LEFT = datetime.timedelta(days=150)

# Sector, name stems and suffixes (brand names are made of one of each), and what such a startup does.
SECTORS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Αγροδιατροφή", ("Olive", "Thyme", "Carob", "Dittany", "Honey", "Vine"), (
        "Αισθητήρες υγρασίας και καιρού για ελαιώνες, με ειδοποιήσεις άρδευσης στο κινητό.",
        "Ιχνηλασιμότητα κρητικών προϊόντων από το χωράφι ως το ράφι με QR.",
        "Πλατφόρμα απευθείας πώλησης παραγωγών του Ηρακλείου σε εστιατόρια.",
    )),
    ("Τεχνολογία τουρισμού", ("Minoa", "Knossos", "Elounda", "Lato", "Phaistos", "Amari"), (
        "Διαδρομές πεζοπορίας και πολιτισμού στην ενδοχώρα, με κρατήσεις σε τοπικούς ξεναγούς.",
        "Δυναμική τιμολόγηση για μικρά καταλύματα της Κρήτης.",
        "Ψηφιακός ξεναγός με επαυξημένη πραγματικότητα για αρχαιολογικούς χώρους.",
    )),
    ("Υγεία", ("Medi", "Cura", "Asklepios", "Pulse", "Hygeia", "Vita"), (
        "Τηλεπαρακολούθηση χρόνιων ασθενών σε απομακρυσμένα χωριά.",
        "Εφαρμογή αποκατάστασης μετά από χειρουργείο με ασκήσεις και υπενθυμίσεις.",
        "Ανάλυση ιατρικών εικόνων για ταχύτερη διάγνωση στα κέντρα υγείας.",
    )),
    ("Ενέργεια", ("Helio", "Aeolos", "Volt", "Sun", "Grid", "Thermo"), (
        "Διαχείριση ενεργειακών κοινοτήτων για δήμους και συνεταιρισμούς.",
        "Έξυπνοι μετρητές και συμβουλές εξοικονόμησης για ξενοδοχεία.",
        "Φόρτιση ηλεκτρικών οχημάτων με ηλιακή ενέργεια σε δημόσιους χώρους.",
    )),
    ("Λογισμικό", ("Code", "Byte", "Data", "Cloud", "Logic", "Stack"), (
        "Λογισμικό τιμολόγησης και μισθοδοσίας για μικρές επιχειρήσεις, συνδεδεμένο με το myDATA.",
        "Εργαλεία ανοιχτών δεδομένων για δήμους και περιφέρειες.",
        "Ψηφιακή πλατφόρμα κρατήσεων για επαγγελματίες υγείας και ομορφιάς.",
    )),
    ("Γαλάζια οικονομία", ("Aqua", "Marine", "Blue", "Kyma", "Thalassa", "Nautil"), (
        "Παρακολούθηση ποιότητας νερού σε ιχθυοκαλλιέργειες με αισθητήρες.",
        "Ανακύκλωση αλιευτικών διχτυών σε νήματα για την κλωστοϋφαντουργία.",
        "Κρατήσεις θέσεων ελλιμενισμού για μικρές μαρίνες.",
    )),
)
# Applicants apply this long before their cohort starts; graduates become alumni this long after it ends.
APPLIED_BEFORE_START = datetime.timedelta(days=30)
ALUMNI_AFTER_END_DAYS = (90, 150)
# The share of incubated, graduated and alumni startups that chose to be in the public directory.
IN_DIRECTORY_SHARE = 0.8
SUFFIXES = ("Lab", "Sense", "Link", "Hub", "Works", "Path", "Loop", "Ware")
FOUNDER_ROLES = ("CTO", "COO", "Υπεύθυνη προϊόντος", "Υπεύθυνος πωλήσεων", "Συνιδρύτρια", "Συνιδρυτής")


# A cohort's plan: each milestone is due this far (a share of the cohort's length) into it.
MILESTONES = (
    ("Συνεντεύξεις με 20 πιθανούς πελάτες", 0.12, "Τεκμηριωμένο πρόβλημα και πελάτης-στόχος."),
    ("Επιχειρηματικό μοντέλο", 0.25, "Καμβάς επιχειρηματικού μοντέλου, ελεγμένος με τον μέντορα."),
    ("Πρώτο MVP σε πραγματικούς χρήστες", 0.45, "Τουλάχιστον 10 χρήστες δοκιμάζουν το προϊόν."),
    ("Οικονομικό πλάνο τριετίας", 0.6, ""),
    ("Πρώτα έσοδα ή πιλοτική συμφωνία", 0.8, "Υπογεγραμμένη συμφωνία ή τιμολόγιο."),
    ("Demo Day: παρουσίαση σε επενδυτές", 0.98, "Πεντάλεπτη παρουσίαση στην εκδήλωση λήξης του κύκλου."),
)
# How often a due milestone was reached, and how often that was late.
REACHED_SHARE = 0.85
LATE_SHARE = 0.25
LOGO_SHARE = 0.5
LOGO_COLOURS = ("#0b4f6c", "#2a7f62", "#8c3b2e", "#5b3a8c", "#b5651d", "#1f6f8b")
LOGO_FONT = STATIC / "fonts" / "DejaVuSans-Bold.ttf"


def seed_incubator(ctx: SeedContext) -> None:
    cohorts = _cohorts(ctx)
    founders = _founder_accounts(ctx)
    names = _startup_names(ctx)
    startups = []
    for age, cohort in zip((2, 1, 0), cohorts, strict=True):
        count = ctx.count(ctx.rng.randint(4, 6))
        # One startup of each past cohort (of more than one) left it early.
        dropped = ctx.rng.randrange(count) if age and count > 1 else None
        for index in range(count):
            name, sector, description = next(names)
            startup = Startup(
                name=name, slug=slugify(name, SLUG_MAX_LENGTH), sector=sector, description=description,
                stage=_stage(ctx, age), status=_status(ctx, age, dropped == index), cohort=cohort,
                founded_on=cohort.starts_on - datetime.timedelta(days=ctx.rng.randint(60, 3 * 365)),
                website=f"https://{slugify(name)}.example.gr" if ctx.rng.random() < 0.8 else "",
            )
            startup.status_changes.extend(_timeline(ctx, cohort, startup.status))
            startup.in_directory = startup.status in DIRECTORY_STATUSES and ctx.rng.random() < IN_DIRECTORY_SHARE
            for position in range(ctx.rng.randint(1, 3)):
                role = "CEO" if position == 0 else ctx.rng.choice(FOUNDER_ROLES)
                startup.founders.append(StartupFounder(user=next(founders), role=role))
            ctx.dbsession.add(startup)
            startups.append(startup)
    ctx.dbsession.flush()
    for cohort in cohorts:
        _plan(ctx, cohort, [startup for startup in startups if startup.cohort is cohort])
    for startup in startups:
        if ctx.rng.random() < LOGO_SHARE:
            startup.logo, startup.logo_content_type = _logo(ctx, startup.name), "image/png"
            startup.logo_updated_at = utcnow()
    ctx.dbsession.flush()
    _graduation_certificates(ctx, [startup for startup in startups
                                   if startup.cohort is cohorts[1] and startup.status == StartupStatus.GRADUATED])
    ctx.shared["cohorts"] = cohorts
    ctx.shared["startups"] = startups


def _plan(ctx: SeedContext, cohort: Cohort, startups: list[Startup]) -> None:
    """The cohort's milestones, and which of its startups reached those due by today, and when."""
    length = (cohort.ends_on - cohort.starts_on).days
    for title, share, description in MILESTONES:
        due_on = cohort.starts_on + datetime.timedelta(days=round(length * share))
        milestone = Milestone(title=title, description=description, due_on=due_on)
        cohort.milestones.append(milestone)
        ctx.dbsession.flush()
        for startup in startups:
            left_on = next((change.changed_on for change in startup.status_changes
                            if change.status in LEFT_STATUSES), None)
            if due_on > ctx.today or (left_on and due_on > left_on) or ctx.rng.random() > REACHED_SHARE:
                continue
            late = datetime.timedelta(days=ctx.rng.randint(1, 20)) if ctx.rng.random() < LATE_SHARE else None
            reached_on = due_on + late if late else due_on - datetime.timedelta(days=ctx.rng.randint(0, 15))
            ctx.dbsession.add(StartupMilestone(startup_id=startup.id, milestone_id=milestone.id,
                                               completed_on=min(reached_on, ctx.today)))


def _logo(ctx: SeedContext, name: str) -> bytes:
    """A square logo: the name's initial letters, white on a colour."""
    image = Image.new("RGB", (160, 160), ctx.rng.choice(LOGO_COLOURS))
    draw = ImageDraw.Draw(image)
    initials = "".join(character for character in name if character.isupper())[:2] or name[:2]
    draw.text((80, 80), initials, fill="white", anchor="mm", font=ImageFont.truetype(str(LOGO_FONT), 64))
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return output.getvalue()


def _graduation_certificates(ctx: SeedContext, graduates: list[Startup]) -> None:
    """Certificates for the graduates, issued the day their cohort ended."""
    with ctx.request() as request:
        for startup in graduates:
            ended = startup.cohort.ends_on
            issued_at = datetime.datetime(ended.year, ended.month, ended.day, 10, tzinfo=datetime.UTC)
            graduation_services.issue_certificate(request, startup, "el", None, issued_at)


def _cohorts(ctx: SeedContext) -> list[Cohort]:
    current_start = ctx.today - CURRENT_COHORT_RUNNING
    year = current_start.year
    cohorts = [
        Cohort(name=f"Κύκλος {past_year}", programme=PROGRAMME, starts_on=datetime.date(past_year, 2, 1),
               ends_on=datetime.date(past_year, 11, 30), kpi_period=KpiPeriod.QUARTERLY,
               description="Δέκα μήνες εκπαίδευσης, καθοδήγησης και γνωριμιών με επενδυτές.")
        for past_year in (year - 2, year - 1)
    ]
    cohorts.append(Cohort(name=f"Κύκλος {year}", programme=PROGRAMME, starts_on=current_start,
                          ends_on=ctx.today + CURRENT_COHORT_LEFT, kpi_period=KpiPeriod.MONTHLY,
                          description="Ο τρέχων κύκλος: μηνιαίες αναφορές δεικτών και εβδομαδιαίες συναντήσεις."))
    ctx.dbsession.add_all(cohorts)
    return cohorts


def _startup_names(ctx: SeedContext) -> Iterator[tuple[str, str, str]]:
    """Brand names, each once, with a sector and what the startup does, in a random order (enough
    for the 180 startups of the benchmarks' scale 10)."""
    combinations = [(stem + suffix, sector, descriptions)
                    for sector, stems, descriptions in SECTORS for stem in stems for suffix in SUFFIXES]
    ctx.rng.shuffle(combinations)
    for name, sector, descriptions in combinations:
        yield name, sector, ctx.rng.choice(descriptions)


def _founder_accounts(ctx: SeedContext) -> Iterator[User]:
    """The seeded founder accounts, each once, then new ones."""
    yield from ctx.shared["users"][Role.FOUNDER]
    password_hash = hash_password(DEMO_PASSWORD)
    while True:
        name, email = random_person(ctx)
        user = User(name=name, email=email, role=Role.FOUNDER, password_hash=password_hash,
                    email_verified_at=utcnow())
        ctx.dbsession.add(user)
        yield user


def _stage(ctx: SeedContext, age: int) -> StartupStage:
    if age:
        return ctx.rng.choice((StartupStage.EARLY_REVENUE, StartupStage.GROWTH))
    return ctx.rng.choice((StartupStage.IDEA, StartupStage.MVP, StartupStage.MVP, StartupStage.EARLY_REVENUE))


def _status(ctx: SeedContext, age: int, dropped: bool) -> StartupStatus:
    if dropped:
        return ctx.rng.choice((StartupStatus.WITHDRAWN, StartupStatus.CLOSED))
    return {0: StartupStatus.INCUBATED, 1: StartupStatus.GRADUATED, 2: StartupStatus.ALUMNI}[age]


def _timeline(ctx: SeedContext, cohort: Cohort, status: StartupStatus) -> list[StartupStatusChange]:
    """The steps that led a startup of this cohort to its status, the oldest first."""
    steps = [(StartupStatus.APPLICANT, cohort.starts_on - APPLIED_BEFORE_START),
             (StartupStatus.INCUBATED, cohort.starts_on)]
    if status in (StartupStatus.WITHDRAWN, StartupStatus.CLOSED):
        days_in = ctx.rng.randint(1, (cohort.ends_on - cohort.starts_on).days - 1)
        steps.append((status, cohort.starts_on + datetime.timedelta(days=days_in)))
    elif status in (StartupStatus.GRADUATED, StartupStatus.ALUMNI):
        steps.append((StartupStatus.GRADUATED, cohort.ends_on))
        if status is StartupStatus.ALUMNI:
            alumni_after = datetime.timedelta(days=ctx.rng.randint(*ALUMNI_AFTER_END_DAYS))
            steps.append((StartupStatus.ALUMNI, cohort.ends_on + alumni_after))
    return [StartupStatusChange(status=step, changed_on=day) for step, day in steps]


def includeme(config: Configurator) -> None:
    # After the accounts (10) and mailing (30) seeders: founders are the seeded founder accounts.
    config.add_seeder("incubator", seed_incubator, order=40)
