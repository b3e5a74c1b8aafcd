"""Demo mentoring: a profile for each seeded mentor account, needs for the seeded startups,
assignments, and office hours — past sessions with notes and logged minutes, future open and
booked times — so that matching, booking, the mentor hours of dashboards and impact reports,
and the mentors' feeds show real-looking data.

Most mentors are listed on /mentors; one in seven is not. Startups of every cohort but those that
withdrew or closed get one to three mentors, chosen mostly among those matching their needs.
Sessions of past cohorts were held during their cohort; those of the current cohort were held
since it started, and its mentors have open and booked times in the coming weeks.
"""

import datetime
from zoneinfo import ZoneInfo

from pyramid.config import Configurator

from dimoskopio.accounts.models import Role, User
from dimoskopio.seed import SeedContext
from events.services import from_local, slugify
from incubator.models import (
    SLUG_MAX_LENGTH,
    MentorAssignment,
    MentorExpertise,
    MentorProfile,
    MentorSession,
    MentorSessionStatus,
    OfficeHourSlot,
    SessionMode,
    Startup,
    StartupNeed,
    StartupStatus,
)
from incubator.services import SUGGESTED_TAGS, tag_key

# Greek tags both sides use besides the suggested ones, so that matching finds Greek overlaps too.
GREEK_TAGS = ("εξαγωγές", "ΕΣΠΑ", "κρητικά προϊόντα", "ψηφιακός μετασχηματισμός", "δημόσιες προμήθειες")
VOCABULARY = (*SUGGESTED_TAGS, *GREEK_TAGS)
# What startups of each sector tend to need (besides a tag or two of the whole vocabulary).
SECTOR_NEEDS = {
    "Αγροδιατροφή": ("agrifood", "export", "εξαγωγές", "κρητικά προϊόντα", "sales"),
    "Τεχνολογία τουρισμού": ("tourism", "marketing", "product", "design"),
    "Υγεία": ("health", "legal", "intellectual property", "fundraising"),
    "Ενέργεια": ("energy", "ΕΣΠΑ", "δημόσιες προμήθειες", "finance"),
    "Λογισμικό": ("software", "product", "hiring", "sales"),
    "Γαλάζια οικονομία": ("export", "energy", "fundraising", "ΕΣΠΑ"),
}
HEADLINES = (
    ("Σύμβουλος εξαγωγών κρητικών τροφίμων", ("agrifood", "export", "εξαγωγές", "κρητικά προϊόντα")),
    ("Επενδύσεις και χρηματοδότηση, δώδεκα χρόνια στο fintech", ("fundraising", "finance", "pitching")),
    ("Δικηγόρος εταιρικού δικαίου και πνευματικής ιδιοκτησίας", ("legal", "intellectual property")),
    ("Μάρκετινγκ και πωλήσεις σε ξενοδοχειακό όμιλο", ("marketing", "tourism", "sales")),
    ("Μηχανικός λογισμικού, CTO σε τρεις startups", ("software", "product", "hiring")),
    ("Σχεδιασμός προϊόντων και εμπειρίας χρήστη", ("design", "product")),
    ("Σύμβουλος ενεργειακών έργων και ΕΣΠΑ", ("energy", "ΕΣΠΑ", "δημόσιες προμήθειες")),
    ("Ιατρική και ψηφιακή υγεία, από την ίδρυση μιας εταιρείας", ("health", "fundraising", "ψηφιακός μετασχηματισμός")),
    ("Χρηματοοικονομική διοίκηση και λογιστική για startups", ("finance", "ΕΣΠΑ", "legal")),
    ("Πωλήσεις B2B στην Ευρώπη, δέκα χρόνια εμπειρίας", ("sales", "export", "pitching")),
)
BIOS = (
    "Έχω δουλέψει πάνω από δεκαπέντε χρόνια σε επιχειρήσεις της Κρήτης και του εξωτερικού. "
    "Βοηθώ ομάδες να βάλουν προτεραιότητες και να μετρούν ό,τι έχει σημασία.",
    "Ξεκίνησα τη δική μου εταιρεία στο Ηράκλειο το 2012 και την πούλησα το 2020. "
    "Μοιράζομαι όσα έμαθα — κυρίως από τα λάθη μου.",
    "Συνεργάζομαι με το Δημοσκόπιο από την αρχή του προγράμματος. "
    "Μου αρέσουν οι πρακτικές συναντήσεις: φέρτε ένα συγκεκριμένο ερώτημα και φεύγουμε με σχέδιο.",
    "Έχω αξιολογήσει εκατοντάδες επενδυτικές προτάσεις. "
    "Βοηθώ ομάδες να ετοιμάσουν την παρουσίασή τους και να μιλήσουν με επενδυτές.",
)
AVAILABILITY = ("Δύο απογεύματα τον μήνα.", "Κάθε Τετάρτη πρωί.", "Μία φορά την εβδομάδα, online.",
                "Κατόπιν συνεννόησης, κυρίως Παρασκευές.")
TOPICS = (
    "Τιμολόγηση για τους πρώτους πελάτες", "Προετοιμασία της παρουσίασης σε επενδυτές",
    "Σχέδιο εξαγωγών για τη Γερμανία", "Σύμβαση με τον πρώτο μεγάλο πελάτη",
    "Ποιον να προσλάβουμε πρώτο", "Αίτηση σε πρόγραμμα ΕΣΠΑ", "Καμπάνια μάρκετινγκ για το καλοκαίρι",
    "Προστασία του σήματος και της πατέντας",
)
NOTES = (
    "Συζητήσαμε την τιμολόγηση. Η ομάδα θα δοκιμάσει δύο πακέτα με πέντε πελάτες και θα φέρει αποτελέσματα.",
    "Δουλέψαμε την παρουσίαση: πιο σύντομη εισαγωγή, σαφές πρόβλημα, αριθμοί αγοράς από επίσημες πηγές.",
    "Εντοπίσαμε τρεις διανομείς στη Γερμανία. Επόμενο βήμα: δείγματα και τιμοκατάλογος στα αγγλικά.",
    "Εξετάσαμε τους όρους της σύμβασης· προτείνω έλεγχο από δικηγόρο πριν την υπογραφή.",
    "Η ομάδα χρειάζεται πρώτα πωλητή και μετά δεύτερο προγραμματιστή. Θα ετοιμάσουν περιγραφή θέσης.",
)
ROOMS = ("Δημοσκόπιο, αίθουσα συναντήσεων 1", "Δημοσκόπιο, αίθουσα συναντήσεων 2",
         "Δημοσκόπιο, χώρος συνεργασίας, 2ος όροφος")
MEETING_LINK = "https://meet.example.gr/dimoskopio-{}"
# Office hours start at these local hours (a slot lasts 45 or 60 minutes).
HOURS = (10, 11, 12, 13, 16, 17, 18)
SKIPPED_STATUSES = (StartupStatus.WITHDRAWN, StartupStatus.CLOSED, StartupStatus.APPLICANT)


def seed_mentoring(ctx: SeedContext) -> None:
    tz = ctx.registry["timezone"]
    mentors = [_profile(ctx, user, index) for index, user in enumerate(ctx.shared["users"][Role.MENTOR])]
    ctx.dbsession.add_all(mentors)
    for startup in ctx.shared["startups"]:
        _add_needs(ctx, startup)
    booked_times: dict[int, set[datetime.datetime]] = {}
    current = ctx.shared["cohorts"][-1]
    for startup in ctx.shared["startups"]:
        if startup.status in SKIPPED_STATUSES or not mentors:
            continue
        for mentor in _mentors_for(ctx, startup, mentors):
            ctx.dbsession.add(MentorAssignment(mentor=mentor, startup=startup))
            _past_sessions(ctx, tz, mentor, startup, booked_times)
            if startup.cohort is current:
                _future_times(ctx, tz, mentor, startup, booked_times)
    ctx.dbsession.flush()


def _profile(ctx: SeedContext, user: User, index: int) -> MentorProfile:
    headline, tags = HEADLINES[index % len(HEADLINES)]
    extra = ctx.rng.sample(VOCABULARY, 2)
    expertise = list(dict.fromkeys((*tags, *extra), None))
    return MentorProfile(
        user=user, slug=f"{slugify(user.name, SLUG_MAX_LENGTH - 6)}-{index + 1}", headline=headline,
        bio=ctx.rng.choice(BIOS), languages="el,en" if ctx.rng.random() < 0.6 else "el",
        availability=ctx.rng.choice(AVAILABILITY), in_directory=index % 7 != 6,
        feed_token=f"{ctx.rng.getrandbits(192):048x}",
        expertise=[MentorExpertise(tag=tag) for tag in expertise],
    )


def _add_needs(ctx: SeedContext, startup: Startup) -> None:
    """Two to four needs, mostly those of the startup's sector, one of them perhaps from anywhere."""
    wanted = ctx.rng.randint(2, 4)
    likely = list(SECTOR_NEEDS.get(startup.sector, SUGGESTED_TAGS))
    candidates = ctx.rng.sample(likely, min(len(likely), wanted - 1)) + ctx.rng.sample(VOCABULARY, len(VOCABULARY))
    have = {tag_key(need.tag) for need in startup.needs}
    for tag in candidates:
        if len(have) >= wanted:
            break
        if tag_key(tag) not in have:
            have.add(tag_key(tag))
            startup.needs.append(StartupNeed(tag=tag))


def _mentors_for(ctx: SeedContext, startup: Startup, mentors: list[MentorProfile]) -> list[MentorProfile]:
    """One to three mentors, the best matches first (with some chance, for variety)."""
    needs = {tag_key(need.tag) for need in startup.needs}

    def overlap(mentor: MentorProfile) -> float:
        return len(needs & {tag_key(row.tag) for row in mentor.expertise}) + ctx.rng.random()

    ranked = sorted(mentors, key=overlap, reverse=True)
    return ranked[:ctx.rng.randint(1, min(3, len(ranked)))]


def _free_time(ctx: SeedContext, tz: ZoneInfo, mentor: MentorProfile, first: datetime.date, last: datetime.date,
               taken: dict[int, set[datetime.datetime]]) -> datetime.datetime | None:
    """A weekday start time of the mentor between two days that none of their slots uses yet."""
    days = (last - first).days
    if days < 0:
        return None
    for _attempt in range(20):
        day = first + datetime.timedelta(days=ctx.rng.randint(0, days))
        if day.weekday() >= 5:
            continue
        starts_at = from_local(datetime.datetime.combine(day, datetime.time(ctx.rng.choice(HOURS))), tz)
        # Keyed by the object: the mentor may have no id yet.
        used = taken.setdefault(id(mentor), set())
        if starts_at not in used:
            used.add(starts_at)
            return starts_at
    return None


def _slot(ctx: SeedContext, mentor: MentorProfile, starts_at: datetime.datetime) -> OfficeHourSlot:
    online = ctx.rng.random() < 0.35
    return OfficeHourSlot(
        mentor=mentor, starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=ctx.rng.choice((45, 60))),
        mode=SessionMode.ONLINE if online else SessionMode.IN_PERSON,
        location=MEETING_LINK.format(ctx.rng.randint(1000, 9999)) if online else ctx.rng.choice(ROOMS),
        created_at=starts_at - datetime.timedelta(days=ctx.rng.randint(5, 20)),
    )


def _founder(ctx: SeedContext, startup: Startup) -> User | None:
    return ctx.rng.choice(startup.founders).user if startup.founders else None


def _past_sessions(ctx: SeedContext, tz: ZoneInfo, mentor: MentorProfile, startup: Startup,
                   taken: dict[int, set[datetime.datetime]]) -> None:
    """Sessions held during the startup's cohort (up to yesterday), with notes and minutes; one in
    six was cancelled by the startup instead."""
    cohort = startup.cohort
    last = min(cohort.ends_on, ctx.today - datetime.timedelta(days=1))
    for _index in range(ctx.rng.randint(2, 5)):
        starts_at = _free_time(ctx, tz, mentor, cohort.starts_on, last, taken)
        if starts_at is None:
            continue
        slot = _slot(ctx, mentor, starts_at)
        booked_at = slot.created_at + datetime.timedelta(days=ctx.rng.randint(1, 4))
        session = MentorSession(slot=slot, startup=startup, booked_by=_founder(ctx, startup),
                                topic=ctx.rng.choice(TOPICS), booked_at=booked_at)
        if ctx.rng.random() < 1 / 6:
            session.status = MentorSessionStatus.CANCELLED
            session.cancelled_at = booked_at + datetime.timedelta(days=1)
            session.cancel_reason = "Σύμπτωση με επίσκεψη πελάτη."
            session.sequence = 1
        else:
            session.status = MentorSessionStatus.BOOKED
            session.notes = ctx.rng.choice(NOTES)
            session.notes_at = slot.ends_at + datetime.timedelta(hours=ctx.rng.randint(1, 30))
            length = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
            session.minutes_logged = length + ctx.rng.choice((-15, 0, 0, 0, 15))
        ctx.dbsession.add(session)


def _future_times(ctx: SeedContext, tz: ZoneInfo, mentor: MentorProfile, startup: Startup,
                  taken: dict[int, set[datetime.datetime]]) -> None:
    """Open times in the next four weeks; about a third of them booked by the startup."""
    for _index in range(ctx.rng.randint(2, 4)):
        starts_at = _free_time(ctx, tz, mentor, ctx.today + datetime.timedelta(days=1),
                               ctx.today + datetime.timedelta(days=28), taken)
        if starts_at is None:
            continue
        slot = _slot(ctx, mentor, starts_at)
        slot.created_at = datetime.datetime.combine(ctx.today, datetime.time(9), tzinfo=datetime.UTC)
        ctx.dbsession.add(slot)
        if ctx.rng.random() < 1 / 3:
            session = MentorSession(slot=slot, startup=startup, booked_by=_founder(ctx, startup),
                                    topic=ctx.rng.choice(TOPICS), status=MentorSessionStatus.BOOKED,
                                    booked_at=slot.created_at)
            ctx.dbsession.add(session)


def includeme(config: Configurator) -> None:
    # After the incubator's seeder (40): its startups and cohorts are here assigned mentors.
    config.add_seeder("incubator-mentors", seed_mentoring, order=42)
