"""Demo events: a year of the centre's calendar behind `ctx.today` and three months ahead.

Categories, topics, venues in Heraklion, series, about `ctx.count(200)` events (mostly published,
a few drafts, cancelled and postponed), registration questions, registrations with waiting lists,
offers and approvals, check-ins, feedback and certificates of attendance. Everything follows from
`ctx.rng` and `ctx.today`:
events that took place end before `ctx.today` starts in Heraklion, upcoming ones start after it,
and nothing is recorded as happening after that moment.

About a third of the registrations are by the seeded founders and members (`ctx.shared["users"]`
from the accounts seeder), the rest by made-up people with addresses on example domains. They are
bulk-inserted and not kept in memory; later seeders query them.

Every event that took place has a certificate design, signed by the centre's director. The two
latest with people checked in already have certificates, issued (and rendered) through
`certificate_services.issue` as the worker issues them, so the staff pages, the downloads and the
verification page have something to show; the older ones are left for the staff to issue. Their
codes come from `secrets`, as always: the same seed gives the same certificates with other codes.

What later seeders find in `ctx.shared`:

- ``"events"``: the `Event` rows (ids set), in order of their start;
- ``"event_categories"``, ``"event_topics"``, ``"event_series"``: dicts by slug;
- ``"venues"``: the `Venue` rows, by a short key (``"hub"``, ``"conference"``, ...);
- ``"event_people"``: the made-up attendees (`Attendee`), who have no account.
"""

import base64
import datetime
import decimal
import functools
import io
import itertools
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw
from pyramid.config import Configurator
from sqlalchemy import insert, select

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.seed import FEMALE_FIRST, MALE_FIRST, SURNAMES, random_person
from dimoskopio.seed import SeedContext
from events import certificate_services
from events.certificates import BATCH_SIZE as CERTIFICATE_BATCH_SIZE
from events.models import (
    SLUG_MAX_LENGTH,
    AttendeeRole,
    Category,
    CertificateDesign,
    Event,
    EventLanguage,
    EventStatus,
    Feedback,
    Question,
    QuestionKind,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
)
from events.services import RESERVED_SLUGS, from_local, local_day_start, slugify

# The demo is Heraklion's calendar; the seeder has no settings to read the timezone from.
TIMEZONE = ZoneInfo("Europe/Athens")
CONSENT_VERSION = "2026-01"
PAST_DAYS = 365
FUTURE_DAYS = 91
# Rows per bulk INSERT: large enough to be fast, small enough to keep memory flat at --scale 10.
BATCH_SIZE = 2000
ONLINE_BASE = "https://meet.example/dimoskopio-"
# Who signs the certificates, and how many of the latest events already have theirs: each
# certificate is rendered, so this keeps `--scale 10` about as quick as `--scale 1`.
CERTIFICATE_ISSUER = "Μαρία Παπαδάκη"
CERTIFICATE_ISSUER_TITLE = ("Διευθύντρια Κέντρου Καινοτομίας", "Director of the Innovation Centre")
CERTIFICATES_ISSUED_FOR = 2

Text = tuple[str, str]  # (Greek, English)

CATEGORIES: list[tuple[str, str, str]] = [
    ("workshop", "Εργαστήριο", "Workshop"),
    ("seminar", "Σεμινάριο", "Seminar"),
    ("hackathon", "Hackathon", "Hackathon"),
    ("pitch-night", "Βραδιά παρουσιάσεων", "Pitch night"),
    ("info-day", "Ημερίδα ενημέρωσης", "Info day"),
    ("networking", "Δικτύωση", "Networking"),
    ("training", "Εκπαίδευση", "Training"),
]

TOPICS: list[tuple[str, str, str]] = [
    ("funding", "Χρηματοδότηση", "Funding"),
    ("digital-transformation", "Ψηφιακός μετασχηματισμός", "Digital transformation"),
    ("agri-food", "Αγροδιατροφή", "Agri-food"),
    ("tourism", "Τουρισμός", "Tourism"),
    ("circular-economy", "Κυκλική οικονομία", "Circular economy"),
    ("ai", "Τεχνητή νοημοσύνη", "AI"),
    ("marketing", "Μάρκετινγκ", "Marketing"),
    ("legal-matters", "Νομικά θέματα", "Legal matters"),
    ("social-entrepreneurship", "Κοινωνική επιχειρηματικότητα", "Social entrepreneurship"),
    ("exports", "Εξωστρέφεια", "Exports"),
]


@dataclass(frozen=True)
class VenueData:
    key: str
    name: str
    address: str
    latitude: str
    longitude: str
    accessibility_notes: str


VENUES = [
    VenueData("hub", "Δημοσκόπιο – Κόμβος Καινοτομίας", "Μιχαήλ Αρχαγγέλου 20, 712 02 Ηράκλειο",
              "35.338620", "25.134410",
              "Είσοδος στο επίπεδο του πεζοδρομίου, ανελκυστήρας προς όλους τους ορόφους, "
              "προσβάσιμη τουαλέτα στο ισόγειο. Επαγωγικός βρόχος στην αίθουσα εκδηλώσεων."),
    VenueData("conference", "Πολιτιστικό Συνεδριακό Κέντρο Ηρακλείου", "Λεωφόρος Ανδρέα Παπανδρέου, 713 05 Ηράκλειο",
              "35.331870", "25.139520",
              "Ράμπες και ανελκυστήρες σε όλους τους χώρους, θέσεις για αναπηρικά αμαξίδια στην "
              "πρώτη σειρά, στάθμευση ΑμεΑ μπροστά στην κεντρική είσοδο."),
    VenueData("library", "Βικελαία Δημοτική Βιβλιοθήκη – αίθουσα εκδηλώσεων", "Πλατεία Λιονταριών, 712 02 Ηράκλειο",
              "35.339170", "25.133280",
              "Πλευρική είσοδος με ράμπα από την οδό Κοραή· η αίθουσα βρίσκεται στο ισόγειο."),
    VenueData("androgeo", "Αίθουσα «Ανδρόγεω»", "Ανδρόγεω 2, 712 02 Ηράκλειο",
              "35.338150", "25.132700",
              "Αίθουσα στον πρώτο όροφο με ανελκυστήρα· προσβάσιμη τουαλέτα στον ίδιο όροφο."),
    VenueData("park", "Επιστημονικό και Τεχνολογικό Πάρκο Κρήτης", "Βασιλικά Βουτών, 700 13 Ηράκλειο",
              "35.305120", "25.073860",
              "Όλοι οι χώροι στο ισόγειο, δωρεάν στάθμευση με θέσεις ΑμεΑ. Συνδέεται με το κέντρο με "
              "αστική γραμμή· ενημερώστε μας αν χρειάζεστε μεταφορά."),
    VenueData("university", "Πανεπιστήμιο Κρήτης – Πανεπιστημιούπολη Βουτών, Αμφιθέατρο Α", "Βούτες, 700 13 Ηράκλειο",
              "35.304420", "25.071980",
              "Είσοδος αμφιθεάτρου με ράμπα από το κεντρικό φουαγιέ· σημεία για αναπηρικά αμαξίδια στην "
              "τελευταία σειρά. Διερμηνεία στη νοηματική γλώσσα κατόπιν αιτήματος."),
]


@dataclass(frozen=True)
class SeriesData:
    slug: str
    title: Text
    description: Text


SERIES = [
    SeriesData("startup-mondays", ("Δευτέρες Startup", "Startup Mondays"), (
        "Κάθε δεύτερη Δευτέρα το απόγευμα, ιδρυτές από την Κρήτη μοιράζονται τι δούλεψε και τι όχι. "
        "Σύντομες ομιλίες, ερωτήσεις και **δικτύωση** με καφέ.",
        "Every other Monday evening, founders from Crete share what worked and what did not. "
        "Short talks, questions and **networking** over coffee.",
    )),
    SeriesData("imeres-chrimatodotisis", ("Ημέρες Χρηματοδότησης", "Funding Days"), (
        "Μηνιαίες ενημερώσεις για τα προγράμματα, τα ταμεία και τους επενδυτές που χρηματοδοτούν "
        "νέες επιχειρήσεις στην Κρήτη, με **ερωτήσεις ένας προς έναν** στο τέλος.",
        "Monthly briefings on the programmes, funds and investors that finance new businesses in "
        "Crete, with **one-to-one questions** at the end.",
    )),
    SeriesData("ai-gia-mikres-epicheiriseis", ("AI για μικρές επιχειρήσεις", "AI for small businesses"), (
        "Πρακτικές συναντήσεις για εργαλεία τεχνητής νοημοσύνης που μια μικρή επιχείρηση μπορεί να "
        "χρησιμοποιήσει **από την επόμενη μέρα**.",
        "Hands-on sessions on AI tools that a small business can use **the very next day**.",
    )),
]

# Where each category usually takes place (the rest mostly at the hub).
VENUE_HABITS: dict[str, tuple[str, ...]] = {
    "hackathon": ("conference", "park"),
    "pitch-night": ("hub", "conference"),
    "info-day": ("conference", "library", "androgeo"),
}

ORGANISER = "Δημοσκόπιο"
PARTNERS = [
    "Επιμελητήριο Ηρακλείου",
    "Πανεπιστήμιο Κρήτης",
    "Ελληνικό Μεσογειακό Πανεπιστήμιο",
    "Ίδρυμα Τεχνολογίας και Έρευνας (ΙΤΕ)",
    "Περιφέρεια Κρήτης",
    "Επιστημονικό και Τεχνολογικό Πάρκο Κρήτης",
    "Σύνδεσμος Βιομηχανιών Κρήτης",
    "Crete Angels Network",
]


@dataclass(frozen=True)
class Slot:
    """A timed event: local start, length (may cross days) and the hours a certificate states."""

    start: datetime.time
    length: datetime.timedelta
    hours: str


def _slot(hour: int, minute: int, length_hours: float, hours: str | None = None) -> Slot:
    return Slot(datetime.time(hour, minute), datetime.timedelta(hours=length_hours), hours or f"{length_hours:.1f}")


@dataclass(frozen=True)
class Kind:
    """One sort of event the centre runs: its category, titles (with topics), days and times."""

    category: str
    weight: float
    titles: tuple[tuple[str, str, tuple[str, ...]], ...]
    weekdays: tuple[int, ...]
    slots: tuple[Slot, ...] = ()
    all_day_days: int = 0
    all_day_hours: str = "6.0"
    capacity: tuple[int, int] = (20, 40)
    series: str | None = None
    questions: str | None = None
    online: bool = True  # may be online-only or hybrid
    approval: float = 0.05


EVENING = (_slot(18, 0, 2), _slot(18, 30, 2), _slot(17, 30, 3))
MORNING = (_slot(9, 30, 3.5), _slot(10, 0, 4), _slot(10, 0, 3))

KINDS = [
    Kind("workshop", 20, (
        ("Εργαστήριο: Από την ιδέα στο MVP", "Workshop: From idea to MVP", ("digital-transformation",)),
        ("Εργαστήριο: Business Model Canvas στην πράξη", "Workshop: The Business Model Canvas in practice",
         ("funding",)),
        ("Εργαστήριο: Έρευνα αγοράς με μικρό προϋπολογισμό", "Workshop: Market research on a small budget",
         ("marketing",)),
        ("Εργαστήριο: Εμπειρία χρήστη για νεοφυείς επιχειρήσεις", "Workshop: User experience for startups",
         ("digital-transformation",)),
        ("Εργαστήριο: Οικονομικό πλάνο και ταμειακές ροές", "Workshop: Financial plan and cash flow",
         ("funding",)),
        ("Εργαστήριο: Pitch deck που πείθει", "Workshop: A pitch deck that convinces", ("funding", "marketing")),
        ("Εργαστήριο: Ηλεκτρονικό κατάστημα για κρητικά προϊόντα", "Workshop: An online shop for Cretan products",
         ("agri-food", "digital-transformation", "exports")),
        ("Εργαστήριο: Generative AI στην καθημερινή δουλειά", "Workshop: Generative AI in everyday work", ("ai",)),
        ("Εργαστήριο: Social media για τουριστικές επιχειρήσεις", "Workshop: Social media for tourism businesses",
         ("tourism", "marketing")),
        ("Εργαστήριο: Σχεδιασμός κυκλικών προϊόντων", "Workshop: Designing circular products",
         ("circular-economy",)),
        ("Εργαστήριο: Εξαγωγές βήμα-βήμα", "Workshop: Exporting step by step", ("exports", "agri-food")),
    ), weekdays=(0, 1, 2, 3), slots=EVENING, capacity=(20, 40), questions="workshop"),
    Kind("seminar", 13, (
        ("Σεμινάριο: Ίδρυση εταιρείας και νομική μορφή", "Seminar: Setting up a company and its legal form",
         ("legal-matters",)),
        ("Σεμινάριο: GDPR για μικρές επιχειρήσεις", "Seminar: GDPR for small businesses",
         ("legal-matters", "digital-transformation")),
        ("Σεμινάριο: Πνευματική ιδιοκτησία και διπλώματα ευρεσιτεχνίας", "Seminar: Intellectual property and patents",
         ("legal-matters",)),
        ("Σεμινάριο: Ψηφιακό μάρκετινγκ για αρχάριους", "Seminar: Digital marketing for beginners",
         ("marketing", "digital-transformation")),
        ("Σεμινάριο: Χρηματοδότηση νεοφυών επιχειρήσεων", "Seminar: Financing startups", ("funding",)),
        ("Σεμινάριο: Κοινωνικές συνεταιριστικές επιχειρήσεις", "Seminar: Social cooperative enterprises",
         ("social-entrepreneurship", "legal-matters")),
        ("Σεμινάριο: Βιώσιμος τουρισμός και πιστοποιήσεις", "Seminar: Sustainable tourism and certifications",
         ("tourism", "circular-economy")),
        ("Σεμινάριο: Φορολογία και ασφάλιση για freelancers", "Seminar: Tax and social security for freelancers",
         ("legal-matters",)),
    ), weekdays=(1, 2, 3, 4), slots=MORNING, capacity=(30, 80)),
    Kind("info-day", 5, (
        ("Ημερίδα: Νέα προγράμματα ΕΣΠΑ για νεοφυείς επιχειρήσεις", "Info day: New ESPA programmes for startups",
         ("funding",)),
        ("Ημερίδα: Ψηφιακός μετασχηματισμός στην αγροδιατροφή", "Info day: Digital transformation in agri-food",
         ("agri-food", "digital-transformation")),
        ("Ημερίδα: Κυκλική οικονομία στην Κρήτη", "Info day: The circular economy in Crete",
         ("circular-economy",)),
        ("Ημερίδα: Γυναικεία επιχειρηματικότητα", "Info day: Women in entrepreneurship",
         ("social-entrepreneurship",)),
        ("Ημερίδα: Εξωστρέφεια και διεθνείς αγορές", "Info day: Going international", ("exports",)),
    ), weekdays=(1, 2, 3), slots=(_slot(10, 0, 4),), capacity=(50, 120)),
    Kind("info-day", 3, (
        ("Ημερίδα: Horizon Europe και EIC Accelerator", "Info day: Horizon Europe and the EIC Accelerator",
         ("funding", "exports")),
        ("Ημερίδα: Η Κρήτη ως τόπος καινοτομίας", "Info day: Crete as a place for innovation",
         ("digital-transformation", "tourism")),
    ), weekdays=(2, 3), all_day_days=1, all_day_hours="6.0", capacity=(60, 120)),
    Kind("networking", 7, (
        ("Startup Breakfast: γνωριμία με mentors", "Startup Breakfast: meet the mentors", ("funding",)),
        ("Βραδιά δικτύωσης: Founders & Investors", "Networking night: Founders & Investors", ("funding",)),
        ("Δικτύωση: Γυναίκες στην τεχνολογία", "Networking: Women in tech",
         ("social-entrepreneurship", "digital-transformation")),
        ("Βραδιά δικτύωσης για τον τουρισμό", "Tourism networking night", ("tourism",)),
        ("Δικτύωση: Ερευνητές συναντούν επιχειρήσεις", "Networking: Researchers meet businesses",
         ("digital-transformation", "ai")),
    ), weekdays=(1, 2, 3, 4), slots=(_slot(19, 0, 2), _slot(9, 0, 1.5)), capacity=(30, 80), online=False),
    Kind("training", 9, (
        ("Εκπαίδευση: Google Analytics και μέτρηση αποτελεσμάτων", "Training: Analytics and measuring results",
         ("marketing", "digital-transformation")),
        ("Εκπαίδευση: Ευέλικτη διαχείριση έργων (Agile)", "Training: Agile project management",
         ("digital-transformation",)),
        ("Εκπαίδευση: Python για ανάλυση δεδομένων", "Training: Python for data analysis",
         ("ai", "digital-transformation")),
        ("Εκπαίδευση: Πωλήσεις B2B για νεοφυείς", "Training: B2B sales for startups", ("marketing", "exports")),
        ("Εκπαίδευση: Κοστολόγηση αγροτικών προϊόντων", "Training: Costing agricultural products",
         ("agri-food", "funding")),
    ), weekdays=(0, 1, 2, 3), slots=(_slot(17, 0, 4),), capacity=(20, 30), questions="workshop"),
    Kind("training", 1.5, (
        ("Εντατικό πρόγραμμα: Startup Bootcamp", "Intensive: Startup Bootcamp",
         ("funding", "digital-transformation", "marketing")),
    ), weekdays=(2,), all_day_days=3, all_day_hours="18.0", capacity=(20, 30), online=False, approval=0.8),
    Kind("hackathon", 3, (
        ("Heraklion Smart City Hackathon {year}", "Heraklion Smart City Hackathon {year}",
         ("digital-transformation", "ai")),
        ("AgriTech Hackathon Κρήτης {year}", "Crete AgriTech Hackathon {year}", ("agri-food", "ai")),
        ("Hackathon Βιώσιμου Τουρισμού {year}", "Sustainable Tourism Hackathon {year}",
         ("tourism", "circular-economy")),
        ("Hack the Port: Λιμάνι Ηρακλείου {year}", "Hack the Port: Heraklion Harbour {year}",
         ("digital-transformation", "circular-economy")),
        ("Civic Tech Hackathon: Δεδομένα για την πόλη", "Civic Tech Hackathon: Data for the city",
         ("digital-transformation", "social-entrepreneurship")),
    ), weekdays=(5,), all_day_days=2, all_day_hours="16.0", capacity=(60, 120), questions="hackathon",
        online=False, approval=0.7),
    Kind("hackathon", 2, (
        ("Hackathon 48 ωρών: Λύσεις για τον τουρισμό", "48-hour hackathon: Solutions for tourism",
         ("tourism", "ai")),
        ("Hackathon 48 ωρών: Κυκλική Κρήτη", "48-hour hackathon: Circular Crete", ("circular-economy",)),
    ), weekdays=(4,), slots=(_slot(17, 0, 48, "24.0"),), capacity=(60, 120), questions="hackathon",
        online=False, approval=0.7),
    Kind("pitch-night", 8, (
        ("Pitch Night #{number}", "Pitch Night #{number}", ("funding",)),
        ("Pitch Night #{number}: Νεοφυείς αγροδιατροφής", "Pitch Night #{number}: Agri-food startups",
         ("funding", "agri-food")),
        ("Pitch Night #{number}: Τεχνητή νοημοσύνη", "Pitch Night #{number}: Artificial intelligence",
         ("funding", "ai")),
        ("Pitch Night #{number}: Τουρισμός και φιλοξενία", "Pitch Night #{number}: Tourism and hospitality",
         ("funding", "tourism")),
        ("Pitch Night #{number}: Κοινωνικός αντίκτυπος", "Pitch Night #{number}: Social impact",
         ("funding", "social-entrepreneurship")),
    ), weekdays=(3,), slots=(_slot(19, 0, 2.5),), capacity=(60, 120), questions="pitch"),
    Kind("networking", 15, (
        ("Δευτέρες Startup: Πώς βρήκαμε τους πρώτους πελάτες", "Startup Mondays: How we found our first customers",
         ("marketing",)),
        ("Δευτέρες Startup: Ιστορίες αποτυχίας και τι μάθαμε", "Startup Mondays: Failure stories and lessons",
         ("funding",)),
        ("Δευτέρες Startup: Χτίζοντας την ομάδα των ιδρυτών", "Startup Mondays: Building a founding team",
         ("social-entrepreneurship",)),
        ("Δευτέρες Startup: Από το Ηράκλειο στον κόσμο", "Startup Mondays: From Heraklion to the world",
         ("exports",)),
        ("Δευτέρες Startup: Angels ή venture capital;", "Startup Mondays: Angels or venture capital?",
         ("funding",)),
        ("Δευτέρες Startup: Τιμολόγηση προϊόντων SaaS", "Startup Mondays: Pricing SaaS products",
         ("marketing", "digital-transformation")),
        ("Δευτέρες Startup: Ομάδες εξ αποστάσεως από την Κρήτη", "Startup Mondays: Remote teams from Crete",
         ("digital-transformation",)),
        ("Δευτέρες Startup: Product-market fit", "Startup Mondays: Product-market fit", ("marketing",)),
    ), weekdays=(0,), slots=(_slot(18, 30, 2),), capacity=(30, 60), series="startup-mondays", online=False),
    Kind("info-day", 6, (
        ("Ημέρες Χρηματοδότησης: ΕΣΠΑ Κρήτης 2021-2027", "Funding Days: ESPA Crete 2021-2027", ("funding",)),
        ("Ημέρες Χρηματοδότησης: Ταμείο Ανάκαμψης", "Funding Days: The Recovery Fund", ("funding",)),
        ("Ημέρες Χρηματοδότησης: Business angels", "Funding Days: Business angels", ("funding",)),
        ("Ημέρες Χρηματοδότησης: Μικροπιστώσεις", "Funding Days: Microloans",
         ("funding", "social-entrepreneurship")),
        ("Ημέρες Χρηματοδότησης: Ευρωπαϊκά προγράμματα", "Funding Days: EU programmes", ("funding", "exports")),
    ), weekdays=(2, 3), slots=(_slot(10, 0, 3.5),), capacity=(40, 100), series="imeres-chrimatodotisis"),
    Kind("seminar", 5, (
        ("AI για μικρές επιχειρήσεις: Chatbots εξυπηρέτησης", "AI for small businesses: Customer service chatbots",
         ("ai",)),
        ("AI για μικρές επιχειρήσεις: Αυτοματισμοί στο γραφείο", "AI for small businesses: Office automation",
         ("ai", "digital-transformation")),
        ("AI για μικρές επιχειρήσεις: AI στον τουρισμό", "AI for small businesses: AI in tourism", ("ai", "tourism")),
        ("AI για μικρές επιχειρήσεις: Δεδομένα και ιδιωτικότητα", "AI for small businesses: Data and privacy",
         ("ai", "legal-matters")),
    ), weekdays=(1,), slots=(_slot(18, 0, 2),), capacity=(25, 60), series="ai-gia-mikres-epicheiriseis",
        questions="workshop"),
]

SUMMARIES: dict[str, list[Text]] = {
    "workshop": [
        ("Πρακτικό εργαστήριο σε μικρές ομάδες: φέρτε την ιδέα σας και φύγετε με ένα σχέδιο δράσης.",
         "A hands-on workshop in small groups: bring your idea and leave with an action plan."),
        ("Δουλεύουμε πάνω σε πραγματικά παραδείγματα επιχειρήσεων από την Κρήτη.",
         "We work on real examples of businesses from Crete."),
        ("Δύο ώρες πρακτικής με εργαλεία που μπορείτε να χρησιμοποιήσετε αμέσως.",
         "Two hours of practice with tools you can use straight away."),
    ],
    "seminar": [
        ("Ό,τι χρειάζεται να ξέρει μια νέα επιχείρηση, από ειδικούς και με χρόνο για ερωτήσεις.",
         "What a new business needs to know, from experts, with time for questions."),
        ("Ένα πρωινό σεμινάριο με σαφείς απαντήσεις και υλικό για το σπίτι.",
         "A morning seminar with clear answers and material to take home."),
    ],
    "info-day": [
        ("Ενημέρωση για προγράμματα, προθεσμίες και προϋποθέσεις, με συναντήσεις ένας προς έναν.",
         "A briefing on programmes, deadlines and conditions, with one-to-one meetings."),
        ("Φορείς και επιχειρήσεις της Κρήτης παρουσιάζουν ευκαιρίες και καλές πρακτικές.",
         "Organisations and businesses from Crete present opportunities and good practice."),
    ],
    "networking": [
        ("Γνωριμίες, σύντομες παρουσιάσεις και καφές με την κοινότητα καινοτομίας του Ηρακλείου.",
         "Introductions, short talks and coffee with Heraklion's innovation community."),
        ("Βρείτε συνιδρυτές, mentors και συνεργάτες σε ένα χαλαρό περιβάλλον.",
         "Find co-founders, mentors and partners in a relaxed setting."),
    ],
    "training": [
        ("Εκπαίδευση με ασκήσεις και βεβαίωση παρακολούθησης.",
         "Training with exercises and a certificate of attendance."),
        ("Μικρές ομάδες, πολλή πρακτική και υποστήριξη μετά το τέλος.",
         "Small groups, lots of practice and support afterwards."),
    ],
    "hackathon": [
        ("Ομάδες σχεδιάζουν και χτίζουν λύσεις για πραγματικά προβλήματα της πόλης, με mentors και βραβεία.",
         "Teams design and build solutions to the city's real problems, with mentors and prizes."),
        ("Ένα Σαββατοκύριακο για να περάσετε από την ιδέα στο πρωτότυπο.",
         "One weekend to go from an idea to a prototype."),
    ],
    "pitch-night": [
        ("Νεοφυείς επιχειρήσεις παρουσιάζουν σε επενδυτές και κοινό· ακολουθεί δικτύωση.",
         "Startups pitch to investors and the audience, followed by networking."),
        ("Πέντε λεπτά παρουσίαση, πέντε λεπτά ερωτήσεις, μία βραδιά για όλο το οικοσύστημα.",
         "Five minutes to pitch, five for questions, one evening for the whole ecosystem."),
    ],
}

INTRODUCTIONS: list[Text] = [
    ("Η εκδήλωση απευθύνεται σε όσους σκέφτονται ή ξεκινούν τώρα τη δική τους επιχείρηση στο Ηράκλειο.",
     "The event is for anyone thinking of, or just starting, their own business in Heraklion."),
    ("Μαζί με ανθρώπους που το έχουν ήδη κάνει, δουλεύουμε πάνω σε συγκεκριμένα βήματα.",
     "Together with people who have done it before, we work through concrete steps."),
    ("Η ομάδα του Δημοσκοπίου και οι συνεργάτες μας μοιράζονται εμπειρία από δεκάδες νέες επιχειρήσεις.",
     "The Dimoskopio team and our partners share experience from dozens of new businesses."),
]
AUDIENCES: list[Text] = [
    ("φοιτητές, ερευνητές και νέοι επιχειρηματίες", "students, researchers and new entrepreneurs"),
    ("ομάδες νεοφυών επιχειρήσεων σε πρώιμο στάδιο", "early-stage startup teams"),
    ("μικρές και μεσαίες επιχειρήσεις της Κρήτης", "small and medium-sized businesses in Crete"),
    ("όσους ενδιαφέρονται για την κοινωνική και συνεργατική οικονομία",
     "anyone interested in the social and cooperative economy"),
]
POINTS: dict[str, list[Text]] = {
    "funding": [("ποια προγράμματα ταιριάζουν στο στάδιό σας", "which programmes fit your stage"),
                ("πώς διαβάζει ένας επενδυτής το επιχειρηματικό σχέδιο", "how an investor reads a business plan"),
                ("τα συνηθισμένα λάθη στις αιτήσεις", "the usual mistakes in applications")],
    "digital-transformation": [("ψηφιακά εργαλεία με μικρό κόστος", "low-cost digital tools"),
                               ("πώς μετράμε αν μια αλλαγή αξίζει", "how to measure whether a change pays off")],
    "agri-food": [("πιστοποιήσεις και ιχνηλασιμότητα", "certification and traceability"),
                  ("συνεργασία με παραγωγούς της Μεσαράς", "working with producers from the Messara plain")],
    "tourism": [("εμπειρίες πέρα από την παραλία", "experiences beyond the beach"),
                ("διεύρυνση της τουριστικής περιόδου", "stretching the tourist season")],
    "circular-economy": [("λιγότερα απόβλητα, μικρότερο κόστος", "less waste, lower costs"),
                         ("παραδείγματα επαναχρησιμοποίησης από την Κρήτη", "examples of reuse from Crete")],
    "ai": [("εργαλεία τεχνητής νοημοσύνης για κάθε μέρα", "AI tools for every day"),
           ("τα όρια και οι κίνδυνοι της αυτοματοποίησης", "the limits and risks of automation")],
    "marketing": [("ποιος είναι ο πελάτης σας και πού θα τον βρείτε", "who your customer is and where to find them"),
                  ("περιεχόμενο που φέρνει αποτελέσματα", "content that brings results")],
    "legal-matters": [("υποχρεώσεις και προθεσμίες του πρώτου έτους", "obligations and deadlines of the first year"),
                      ("συμβάσεις με συνεργάτες και πελάτες", "contracts with partners and customers")],
    "social-entrepreneurship": [("μοντέλα με κοινωνικό αντίκτυπο", "business models with social impact"),
                                ("συνεργασία με τον δήμο και την κοινότητα",
                                 "working with the city and the community")],
    "exports": [("πρώτα βήματα σε ξένες αγορές", "first steps into foreign markets"),
                ("διεθνείς εκθέσεις και B2B συναντήσεις", "international fairs and B2B meetings")],
}
GENERAL_POINTS: list[Text] = [
    ("παραδείγματα από επιχειρήσεις του Ηρακλείου", "examples from Heraklion businesses"),
    ("ερωτήσεις και συζήτηση με τους ομιλητές", "questions and discussion with the speakers"),
    ("επόμενα βήματα και υποστήριξη από το Δημοσκόπιο", "next steps and support from Dimoskopio"),
]

QUESTION_SETS: dict[str, list[dict[str, Any]]] = {
    "workshop": [
        {"kind": QuestionKind.YES_NO, "label_el": "Θα φέρετε δικό σας φορητό υπολογιστή;",
         "label_en": "Will you bring your own laptop?", "required": True},
        {"kind": QuestionKind.MULTIPLE_CHOICE, "label_el": "Τι θα θέλατε να συζητήσουμε;",
         "label_en": "What would you like us to discuss?", "required": False,
         "choices_el": "Χρηματοδότηση\nΜάρκετινγκ\nΝομικά θέματα\nΟμάδα",
         "choices_en": "Funding\nMarketing\nLegal matters\nTeam"},
    ],
    "pitch": [
        {"kind": QuestionKind.SINGLE_CHOICE, "label_el": "Σε ποιο στάδιο βρίσκεται η επιχείρησή σας;",
         "label_en": "What stage is your business at?", "required": True,
         "choices_el": "Ιδέα\nΠρωτότυπο\nΠρώτοι πελάτες\nΑνάπτυξη",
         "choices_en": "Idea\nPrototype\nFirst customers\nGrowth"},
        {"kind": QuestionKind.TEXT, "label_el": "Από πού μάθατε για την εκδήλωση;",
         "label_en": "How did you hear about the event?", "required": False},
    ],
    "hackathon": [
        {"kind": QuestionKind.SINGLE_CHOICE, "label_el": "Ποιος θα είναι ο ρόλος σας στην ομάδα;",
         "label_en": "What will your role in the team be?", "required": True,
         "choices_el": "Προγραμματισμός\nΣχεδιασμός\nΕπιχειρηματική ανάπτυξη\nΓνώση του τομέα",
         "choices_en": "Programming\nDesign\nBusiness development\nDomain knowledge"},
        {"kind": QuestionKind.YES_NO, "label_el": "Έχετε ήδη ομάδα;", "label_en": "Do you already have a team?",
         "required": True},
        {"kind": QuestionKind.LONG_TEXT, "label_el": "Περιγράψτε σύντομα την ιδέα σας",
         "label_en": "Describe your idea briefly", "required": False},
    ],
}
TEXT_ANSWERS = [
    "Από το newsletter του Δημοσκοπίου", "Από φίλους", "Από το Facebook", "Από το πανεπιστήμιο",
    "Από το Επιμελητήριο", "Από το LinkedIn",
]
IDEA_ANSWERS = [
    "Εφαρμογή που συνδέει παραγωγούς της Μεσαράς με εστιατόρια του Ηρακλείου.",
    "Αισθητήρες για έξυπνη άρδευση σε ελαιώνες.",
    "Πλατφόρμα για εθελοντές καθαρισμού παραλιών.",
    "Χάρτης προσβασιμότητας για το κέντρο της πόλης.",
    "Σύστημα κρατήσεων για μικρά οικογενειακά καταλύματα.",
    "Επαναχρησιμοποίηση των υπολειμμάτων ελαιοτριβείων.",
]

ORGANISATIONS: dict[AttendeeRole, list[str]] = {
    AttendeeRole.STUDENT: ["Πανεπιστήμιο Κρήτης", "Ελληνικό Μεσογειακό Πανεπιστήμιο"],
    AttendeeRole.RESEARCHER: ["ΙΤΕ", "Πανεπιστήμιο Κρήτης", "Ελληνικό Μεσογειακό Πανεπιστήμιο", "ΕΛΓΟ-ΔΗΜΗΤΡΑ"],
    AttendeeRole.FOUNDER: ["Labyrinth Labs", "AgroSense Crete", "Knossos Robotics", "SeaTrace", "Minoan Analytics",
                           "Ψηλορείτης Τροφές ΙΚΕ", "Heraklion Bikes", "Olivetree Data"],
    AttendeeRole.EMPLOYEE: ["Κρητική Αρτοποιία Α.Ε.", "Aegean Soft", "Ξενοδοχεία Αμνισός", "Cretan Logistics",
                            "Ελαιουργική Πεδιάδας"],
    AttendeeRole.FREELANCER: [""],
    AttendeeRole.PUBLIC_SECTOR: ["Δήμος Ηρακλείου", "Περιφέρεια Κρήτης", "ΔΕΥΑ Ηρακλείου"],
    AttendeeRole.INVESTOR: ["Crete Angels Network", "Aegean Ventures"],
    AttendeeRole.OTHER: [""],
}
ROLE_WEIGHTS = {
    AttendeeRole.STUDENT: 22, AttendeeRole.FOUNDER: 18, AttendeeRole.EMPLOYEE: 22, AttendeeRole.RESEARCHER: 10,
    AttendeeRole.FREELANCER: 12, AttendeeRole.PUBLIC_SECTOR: 8, AttendeeRole.INVESTOR: 2, AttendeeRole.OTHER: 6,
}
REJECTION_REASONS = [
    "Οι θέσεις ήταν περιορισμένες και δόθηκε προτεραιότητα σε ομάδες νεοφυών επιχειρήσεων.",
    "Η εκδήλωση απευθύνεται σε επιχειρήσεις με έδρα την Κρήτη.",
    "Η αίτηση δεν περιείχε περιγραφή της ιδέας.",
]
USEFUL_COMMENTS = [
    "Πολύ πρακτικό, με παραδείγματα από την Κρήτη.",
    "Οι ομιλητές απάντησαν σε όλες τις ερωτήσεις.",
    "Η δικτύωση στο τέλος ήταν το καλύτερο κομμάτι.",
    "Κατάλαβα επιτέλους πώς λειτουργούν τα προγράμματα χρηματοδότησης.",
    "Το υλικό που μοιράστηκε θα μου φανεί πολύ χρήσιμο.",
    "Γνώρισα ανθρώπους με τους οποίους θα συνεργαστώ.",
]
IDEA_COMMENTS = [
    "Περισσότερος χρόνος για ερωτήσεις.",
    "Ένα δεύτερο, πιο προχωρημένο εργαστήριο.",
    "Ζωντανή μετάδοση για όσους δεν μπορούν να έρθουν.",
    "Καλύτερος ήχος στην αίθουσα.",
    "Να επαναλαμβάνεται και απογευματινές ώρες.",
    "Περισσότερα παραδείγματα από τον αγροδιατροφικό τομέα.",
]


@dataclass(frozen=True)
class Attendee:
    """Someone who registers without an account (or, with `user_id`, a seeded account)."""

    name: str
    email: str
    organisation: str
    role: AttendeeRole
    locale: str
    user_id: int | None = None


@dataclass
class _Planned:
    kind: Kind
    title: tuple[str, str, tuple[str, ...]]
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    all_day: bool
    hours: str


def seed_events(ctx: SeedContext) -> None:
    now = local_day_start(ctx.today, TIMEZONE)
    categories = _add_taxonomy(ctx)
    events = _add_events(ctx, categories, now)
    people = _people(ctx)
    _add_registrations(ctx, events, people, now)
    _add_certificates(ctx, events, now)
    ctx.shared["events"] = events
    ctx.shared["event_people"] = people


def includeme(config: Configurator) -> None:
    # After the accounts seeder (order 10): registrations use the seeded members and staff.
    config.add_seeder("events", seed_events, order=20)


# --- categories, topics, venues, series -------------------------------------------------------


def _add_taxonomy(ctx: SeedContext) -> dict[str, Category]:
    categories = {
        slug: Category(slug=slug, name_el=name_el, name_en=name_en, position=position)
        for position, (slug, name_el, name_en) in enumerate(CATEGORIES, start=1)
    }
    topics = {slug: Topic(slug=slug, name_el=name_el, name_en=name_en) for slug, name_el, name_en in TOPICS}
    venues = {
        venue.key: Venue(name=venue.name, address=venue.address, latitude=decimal.Decimal(venue.latitude),
                         longitude=decimal.Decimal(venue.longitude), accessibility_notes=venue.accessibility_notes)
        for venue in VENUES
    }
    series = {
        item.slug: Series(slug=item.slug, title_el=item.title[0], title_en=item.title[1],
                          description_el=item.description[0], description_en=item.description[1])
        for item in SERIES
    }
    ctx.dbsession.add_all([*categories.values(), *topics.values(), *venues.values(), *series.values()])
    ctx.dbsession.flush()
    ctx.shared["event_categories"] = categories
    ctx.shared["event_topics"] = topics
    ctx.shared["venues"] = venues
    ctx.shared["event_series"] = series
    return categories


# --- events -----------------------------------------------------------------------------------


def _add_events(ctx: SeedContext, categories: dict[str, Category], now: datetime.datetime) -> list[Event]:
    rng = ctx.rng
    weights = [kind.weight for kind in KINDS]
    busy: set[tuple[str, datetime.date]] = set()
    planned = [_plan(ctx, rng.choices(KINDS, weights)[0], busy) for _ in range(ctx.count(200))]
    planned.sort(key=lambda plan: plan.starts_at)
    statuses = _statuses(ctx, planned, now)
    used_slugs: dict[str, int] = dict.fromkeys(RESERVED_SLUGS, 1)
    pitch_numbers = itertools.count(31)
    events = []
    for index, plan in enumerate(planned):
        fields = {"number": next(pitch_numbers) if plan.kind.category == "pitch-night" else 0,
                  "year": plan.starts_at.astimezone(TIMEZONE).year}
        title_el, title_en = plan.title[0].format(**fields), plan.title[1].format(**fields)
        event = _event(ctx, plan, title_el, title_en, statuses.get(index, EventStatus.PUBLISHED), now)
        event.slug = _unique_slug(title_el, used_slugs)
        event.category = categories[plan.kind.category]
        topics = ctx.shared["event_topics"]
        extra = [slug for slug in topics if slug not in plan.title[2]]
        chosen = list(plan.title[2])[:3] + rng.sample(extra, rng.choice((0, 0, 1)))
        event.topics = [topics[slug] for slug in chosen[:3]]
        if plan.kind.series:
            event.series = ctx.shared["event_series"][plan.kind.series]
        # Set even when empty: an unset collection would be lazy-loaded, one query per event.
        event.questions = []
        if plan.kind.questions and (plan.kind.category in ("hackathon", "pitch-night") or rng.random() < 0.15):
            event.questions = [
                Question(position=position, **question)
                for position, question in enumerate(QUESTION_SETS[plan.kind.questions], start=1)
            ]
        events.append(event)
    ctx.dbsession.add_all(events)
    ctx.dbsession.flush()
    return events


def _statuses(ctx: SeedContext, planned: list[_Planned], now: datetime.datetime) -> dict[int, EventStatus]:
    """Which events (by index) are not simply published: a few upcoming ones are still drafts or
    postponed, about 3% were cancelled. Counted, not drawn one by one, so every seed has some."""
    rng = ctx.rng
    upcoming = [index for index, plan in enumerate(planned) if plan.starts_at > now]
    postponed = rng.sample(upcoming, min(len(upcoming), ctx.count(2)))
    not_postponed = [index for index in upcoming if index not in postponed]
    drafts = rng.sample(not_postponed, min(len(not_postponed), round(len(upcoming) * 0.15)))
    decided = {*postponed, *drafts}
    others = [index for index in range(len(planned)) if index not in decided]
    cancelled = rng.sample(others, min(len(others), round(len(planned) * 0.03)))
    return {
        **dict.fromkeys(postponed, EventStatus.POSTPONED),
        **dict.fromkeys(drafts, EventStatus.DRAFT),
        **dict.fromkeys(cancelled, EventStatus.CANCELLED),
    }


def _plan(ctx: SeedContext, kind: Kind, busy: set[tuple[str, datetime.date]]) -> _Planned:
    """A date and time for one event of `kind`, entirely before or entirely after `ctx.today`,
    preferably on a day without another of the same series or category."""
    rng = ctx.rng
    group = kind.series or kind.category
    attempts = 0
    while True:
        attempts += 1
        day = ctx.today + datetime.timedelta(days=rng.randint(-PAST_DAYS, FUTURE_DAYS))
        day += datetime.timedelta(days=(rng.choice(kind.weekdays) - day.weekday()) % 7)
        # Heraklion empties in August and over the Christmas holidays; so does the calendar.
        holidays = (day.month, day.day) >= (12, 23) or (day.month, day.day) <= (1, 6)
        if holidays or (day.month == 8 and rng.random() < 0.7):
            continue
        if kind.all_day_days:
            last = day + datetime.timedelta(days=kind.all_day_days - 1)
            starts_at = local_day_start(day, TIMEZONE)
            ends_at = local_day_start(last + datetime.timedelta(days=1), TIMEZONE)
            all_day, hours = True, kind.all_day_hours
        else:
            slot = rng.choice(kind.slots)
            local_start = datetime.datetime.combine(day, slot.start)
            last = (local_start + slot.length).date()
            starts_at, ends_at = from_local(local_start, TIMEZONE), from_local(local_start + slot.length, TIMEZONE)
            all_day, hours = False, slot.hours
        # A large --scale fills every Monday with Startup Mondays; then days are shared.
        if (last < ctx.today or day > ctx.today) and ((group, day) not in busy or attempts > 10):
            busy.add((group, day))
            return _Planned(kind, rng.choice(kind.titles), starts_at, ends_at, all_day, hours)


def _event(ctx: SeedContext, plan: _Planned, title_el: str, title_en: str, status: EventStatus,
           now: datetime.datetime) -> Event:
    rng = ctx.rng
    kind = plan.kind
    language = rng.choices([EventLanguage.GREEK, EventLanguage.ENGLISH, EventLanguage.BOTH], [0.85, 0.05, 0.10])[0]
    if kind.category in ("hackathon", "pitch-night") and rng.random() < 0.4:
        language = EventLanguage.BOTH
    in_english = language != EventLanguage.GREEK or rng.random() < 0.45
    summary = rng.choice(SUMMARIES[kind.category])
    capacity = None if rng.random() < 0.1 else rng.randint(*kind.capacity)
    approval_required = rng.random() < kind.approval
    mode = rng.choices(["venue", "online", "hybrid"], [0.78, 0.10, 0.12] if kind.online else [1, 0, 0])[0]
    venue = None
    if mode != "online":
        venues = ctx.shared["venues"]
        usual = VENUE_HABITS.get(kind.category, ("hub", "hub", "hub", "library", "androgeo"))
        venue = venues[rng.choice(usual)] if rng.random() < 0.8 else rng.choice(list(venues.values()))
    organiser = ORGANISER if rng.random() < 0.7 else rng.choice(PARTNERS)
    partners = rng.sample([name for name in PARTNERS if name != organiser], rng.choice((0, 0, 1, 1, 2, 3)))
    if organiser != ORGANISER:
        partners.insert(0, ORGANISER)
    description_el, description_en = _descriptions(ctx, plan, capacity, approval_required, mode != "venue")

    days_before = datetime.timedelta(days=rng.uniform(14, 45))
    published_at = created_at = None
    if status == EventStatus.DRAFT:
        created_at = now - datetime.timedelta(days=rng.uniform(1, 20))
    else:
        published_at = min(plan.starts_at - days_before, now - datetime.timedelta(days=rng.uniform(1, 10)))
        created_at = published_at - datetime.timedelta(days=rng.uniform(1, 10))
    updated_at = published_at or created_at
    sequence = 0
    if status in (EventStatus.CANCELLED, EventStatus.POSTPONED):
        # Called off between publication and the start, and in any case before today.
        latest = min(plan.starts_at - datetime.timedelta(days=1), now)
        updated_at = published_at + (latest - published_at) * rng.uniform(0.5, 0.95)
        sequence = 1
    opens_at = closes_at = None
    if published_at is not None and rng.random() < 0.15:
        opens_at = published_at + datetime.timedelta(days=rng.randint(2, 7))
    if rng.random() < 0.15:
        closes_at = plan.starts_at - datetime.timedelta(days=3 if plan.all_day else 1)
    return Event(
        title_el=title_el, title_en=title_en if in_english else None,
        summary_el=summary[0], summary_en=summary[1] if in_english else None,
        description_el=description_el, description_en=description_en if in_english else None,
        venue=venue, online_url=f"{ONLINE_BASE}{rng.getrandbits(40):010x}" if mode != "venue" else None,
        organiser=organiser, partners="\n".join(partners), speakers="\n".join(_speakers(ctx, kind)),
        starts_at=plan.starts_at, ends_at=plan.ends_at, all_day=plan.all_day, capacity=capacity,
        registration_opens_at=opens_at, registration_closes_at=closes_at,
        approval_required=approval_required, auto_promote=rng.random() < 0.4,
        offer_hours=rng.choice((24, 24, 24, 48)), hours=decimal.Decimal(plan.hours), language=language,
        status=status, sequence=sequence, created_at=created_at, updated_at=updated_at, published_at=published_at,
    )


def _unique_slug(title: str, used: dict[str, int]) -> str:
    """Like `events.services.unique_slug`, against the slugs given so far instead of the database."""
    base = slugify(title, SLUG_MAX_LENGTH - 6)
    candidate, number = base, used.get(base, 1)
    while candidate in used:
        number += 1
        candidate = f"{base}-{number}"
    used[base] = number
    used[candidate] = 1
    return candidate


def _speakers(ctx: SeedContext, kind: Kind) -> list[str]:
    rng = ctx.rng
    count = {"networking": rng.choice((0, 1, 2)), "hackathon": rng.randint(2, 4),
             "pitch-night": rng.randint(3, 4)}.get(kind.category, rng.randint(1, 3))
    names = []
    for _ in range(count):
        female = rng.random() < 0.5
        first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
        names.append(f"{first} {rng.choice(SURNAMES)[1 if female else 0]}")
    return names


def _descriptions(ctx: SeedContext, plan: _Planned, capacity: int | None, approval_required: bool,
                  online: bool) -> tuple[str, str]:
    """The Greek and English Markdown description (a list and some bold), from the same choices."""
    rng = ctx.rng
    intro = rng.choice(INTRODUCTIONS)
    audience = rng.choice(AUDIENCES)
    topical = [point for slug in plan.title[2] for point in POINTS[slug]]
    points = rng.sample(topical, min(len(topical), 2)) + rng.sample(GENERAL_POINTS, 2)
    closing_el, closing_en = ["Η συμμετοχή είναι **δωρεάν**."], ["Participation is **free of charge**."]
    if capacity is not None:
        closing_el.append(f"Οι θέσεις είναι **{capacity}**· όταν γεμίσουν, ανοίγει λίστα αναμονής.")
        closing_en.append(f"There are **{capacity}** seats; once they are taken, a waiting list opens.")
    if approval_required:
        closing_el.append("Οι αιτήσεις εξετάζονται από την ομάδα μας και θα λάβετε απάντηση με email.")
        closing_en.append("Our team reviews every application and will answer you by email.")
    if online:
        closing_el.append("Ο σύνδεσμος για τη διαδικτυακή συμμετοχή βρίσκεται στη σελίδα της εγγραφής σας.")
        closing_en.append("The link to join online is on your registration page.")

    def render(lang: int, who: str, what: str, closing: list[str]) -> str:
        bullets = "\n".join(f"- {point[lang]}" for point in points)
        return f"{intro[lang]}\n\n**{who}:** {audience[lang]}.\n\n**{what}:**\n\n{bullets}\n\n{' '.join(closing)}\n"

    return (render(0, "Σε ποιους απευθύνεται", "Τι θα δούμε", closing_el),
            render(1, "Who it is for", "What we will cover", closing_en))


# --- people and registrations -----------------------------------------------------------------


def _random_role(ctx: SeedContext) -> AttendeeRole:
    return ctx.rng.choices(list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values()))[0]


def _people(ctx: SeedContext) -> list[Attendee]:
    """Made-up attendees; enough that even the largest event can fill up with different people."""
    people = []
    for _ in range(max(ctx.count(1500), 400)):
        name, email = random_person(ctx)
        role = _random_role(ctx)
        locale = "en" if ctx.rng.random() < 0.08 else "el"
        people.append(Attendee(name, email, ctx.rng.choice(ORGANISATIONS[role]), role, locale))
    return people


def _members(ctx: SeedContext) -> tuple[list[Attendee], list[int]]:
    """Seeded founders and members as attendees, and the staff ids that check people in."""
    users: dict[Role, list[User]] = ctx.shared.get("users", {})
    members = []
    for user in [*users.get(Role.FOUNDER, []), *users.get(Role.MEMBER, [])]:
        role = AttendeeRole.FOUNDER if user.role == Role.FOUNDER else _random_role(ctx)
        members.append(Attendee(user.name, user.email, ctx.rng.choice(ORGANISATIONS[role]), role, user.locale,
                                user.id))
    staff = [user.id for role in (Role.STAFF, Role.ADMIN) for user in users.get(role, [])]
    return members, staff


class _Batch:
    """Registration rows (and the feedback each will leave, by check-in code) for one bulk INSERT."""

    def __init__(self, ctx: SeedContext) -> None:
        self.ctx = ctx
        self.rows: list[dict[str, Any]] = []
        self.feedback: dict[str, dict[str, Any]] = {}

    def add(self, row: dict[str, Any], feedback: dict[str, Any] | None) -> None:
        self.rows.append(row)
        if feedback is not None:
            self.feedback[row["checkin_code"]] = feedback
        if len(self.rows) >= BATCH_SIZE:
            self.write()

    def write(self) -> None:
        if not self.rows:
            return
        # A Core executemany: the ORM's bulk insert splits the rows by which values are None, and
        # RETURNING turns into huge multi-row statements that psycopg parses slowly. The unique
        # check-in code finds the ids of the few rows that feedback needs.
        self.ctx.dbsession.execute(insert(Registration.__table__), self.rows)
        if self.feedback:
            ids = dict(self.ctx.dbsession.execute(
                select(Registration.checkin_code, Registration.id)
                .where(Registration.checkin_code.in_(list(self.feedback)))
            ).all())
            self.ctx.dbsession.execute(insert(Feedback.__table__), [
                {**item, "registration_id": ids[code]} for code, item in self.feedback.items()
            ])
        self.rows, self.feedback = [], {}


def _add_registrations(ctx: SeedContext, events: list[Event], people: list[Attendee],
                       now: datetime.datetime) -> None:
    members, staff = _members(ctx)
    batch = _Batch(ctx)
    for event in events:
        if event.status != EventStatus.DRAFT:
            _register(ctx, event, people, members, staff, now, batch)
    batch.write()


def _key(ctx: SeedContext) -> dict[str, str]:
    # Drawn from the seeded generator (not `secrets`) so the same seed gives the same data.
    return {
        "link_salt": f"{ctx.rng.getrandbits(256):064x}",
        "checkin_code": base64.urlsafe_b64encode(ctx.rng.getrandbits(144).to_bytes(18, "big")).decode(),
    }


def _answers(ctx: SeedContext, event: Event) -> dict[str, Any]:
    rng = ctx.rng
    answers: dict[str, Any] = {}
    for question in event.questions:
        if not question.required and rng.random() < 0.4:
            continue
        choices = [line for line in question.choices_el.splitlines() if line]
        if question.kind == QuestionKind.YES_NO:
            value: Any = rng.choice(("yes", "no"))
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            value = rng.choice(choices)
        elif question.kind == QuestionKind.MULTIPLE_CHOICE:
            value = rng.sample(choices, rng.randint(1, len(choices)))
        elif question.kind == QuestionKind.LONG_TEXT:
            value = rng.choice(IDEA_ANSWERS)
        else:
            value = rng.choice(TEXT_ANSWERS)
        answers[str(question.id)] = value
    return answers


def _row(ctx: SeedContext, event: Event, person: Attendee, created_at: datetime.datetime) -> dict[str, Any]:
    """A registration as made online at `created_at`; the caller sets where it ended up."""
    return {
        "event_id": event.id, "user_id": person.user_id, "name": person.name, "email": person.email,
        "organisation": person.organisation, "role": person.role, "locale": person.locale,
        "answers": _answers(ctx, event), "status": RegistrationStatus.CONFIRMED,
        "source": RegistrationSource.STAFF if ctx.rng.random() < 0.03 else RegistrationSource.ONLINE,
        **_key(ctx), "consent_at": created_at, "consent_version": CONSENT_VERSION,
        "newsletter_opt_in": ctx.rng.random() < 0.4, "created_at": created_at, "updated_at": created_at,
        "confirmed_at": None, "waiting_since": None, "offer_expires_at": None, "cancelled_at": None,
        "decision_reason": "", "checked_in_at": None, "checked_in_by_id": None, "reminder_sent_at": None,
        "feedback_requested_at": None,
    }


def _register(ctx: SeedContext, event: Event, people: list[Attendee], members: list[Attendee], staff: list[int],
              now: datetime.datetime, batch: _Batch) -> None:
    """Registrations as the rules would have produced them: seats in order of arrival up to the
    capacity, then the waiting list; approvals first where required; check-ins and feedback after."""
    rng = ctx.rng
    took_place = event.status == EventStatus.PUBLISHED and event.ends_at <= now
    upcoming = event.status == EventStatus.PUBLISHED and event.starts_at > now
    # Cancelled and postponed events stopped taking registrations when they were called off.
    window_end = min(event.registration_closes_at or event.starts_at, now,
                     event.updated_at if event.status != EventStatus.PUBLISHED else now)
    window_start = max(event.published_at, event.registration_opens_at or event.published_at)
    if window_end <= window_start:
        return
    if event.capacity is None:
        wanted = rng.randint(15, 90)
    elif rng.random() < 0.2:
        # A popular event: full within days of being announced, with a waiting list.
        wanted = round(event.capacity * rng.uniform(1.02, 1.1)) + 1
    else:
        # The further off an upcoming event, the fewer have registered yet.
        remaining = (event.starts_at - now) / datetime.timedelta(days=FUTURE_DAYS + 7) if upcoming else 0
        wanted = max(1, round(event.capacity * rng.uniform(0.3, 0.3 + 0.8 * (1 - remaining))))
    from_members = min(len(members), round(wanted * rng.uniform(0.25, 0.4)))
    chosen = rng.sample(members, from_members)
    chosen += [people[index] for index in rng.sample(range(len(people)), wanted - from_members)]
    span = window_end - window_start
    arrivals = sorted((window_start + span * rng.random() ** 0.6, index) for index in range(len(chosen)))
    used_emails = {person.email for person in chosen}

    seats = 0
    rows: list[dict[str, Any]] = []
    for created_at, index in arrivals:
        row = _row(ctx, event, chosen[index], created_at)
        rows.append(row)
        decided_at = created_at
        if event.approval_required:
            decided_at = min(created_at + datetime.timedelta(hours=rng.uniform(2, 72)), window_end)
            if upcoming and (now - created_at < datetime.timedelta(days=4) or rng.random() < 0.15):
                row["status"] = RegistrationStatus.PENDING
                continue
            if rng.random() < 0.08:
                row.update(status=RegistrationStatus.REJECTED, decision_reason=rng.choice(REJECTION_REASONS),
                           cancelled_at=decided_at, updated_at=decided_at)
                continue
        if rng.random() < 0.05:
            cancelled_at = created_at + (window_end - created_at) * rng.random()
            row.update(status=RegistrationStatus.CANCELLED, cancelled_at=cancelled_at, updated_at=cancelled_at)
        elif event.capacity is None or seats < event.capacity:
            seats += 1
            row.update(status=RegistrationStatus.CONFIRMED, confirmed_at=decided_at, updated_at=decided_at)
        else:
            row.update(status=RegistrationStatus.WAITING, waiting_since=decided_at, updated_at=decided_at)

    waiting = [row for row in rows if row["status"] == RegistrationStatus.WAITING]
    if upcoming and waiting and not event.auto_promote and rng.random() < 0.4:
        _offer_freed_seat(ctx, event, rows, waiting[0], now)
    if took_place:
        walk_ins = rng.choice((0, 0, 1, 2, 3))
        if event.capacity is not None:
            walk_ins = min(walk_ins, event.capacity - seats)
        rows.extend(_walk_in(ctx, event, people, used_emails) for _ in range(walk_ins))
        for row in rows:
            batch.add(row, _attend(ctx, event, row, staff, now))
    else:
        for row in rows:
            batch.add(row, None)


def _offer_freed_seat(ctx: SeedContext, event: Event, rows: list[dict[str, Any]], first_waiting: dict[str, Any],
                      now: datetime.datetime) -> None:
    """Someone cancelled recently; their seat is offered to the first in line, who has not answered yet."""
    rng = ctx.rng
    confirmed = [row for row in rows if row["status"] == RegistrationStatus.CONFIRMED]
    leaving = rng.choice(confirmed)
    cancelled_at = max(now - datetime.timedelta(hours=rng.uniform(1, event.offer_hours - 1)),
                       leaving["created_at"], first_waiting["created_at"])
    leaving.update(status=RegistrationStatus.CANCELLED, cancelled_at=cancelled_at, updated_at=cancelled_at)
    first_waiting.update(
        status=RegistrationStatus.OFFERED, updated_at=cancelled_at,
        offer_expires_at=min(cancelled_at + datetime.timedelta(hours=event.offer_hours), event.starts_at),
    )


def _walk_in(ctx: SeedContext, event: Event, people: list[Attendee], used_emails: set[str]) -> dict[str, Any]:
    """Someone who turned up without registering and was added at the door."""
    rng = ctx.rng
    person = rng.choice(people)
    while person.email in used_emails:
        person = rng.choice(people)
    used_emails.add(person.email)
    arrived = event.starts_at + datetime.timedelta(hours=9 if event.all_day else 0, minutes=rng.uniform(0, 30))
    row = _row(ctx, event, person, arrived)
    row.update(source=RegistrationSource.WALK_IN, answers={}, confirmed_at=arrived, checked_in_at=arrived)
    return row


def _attend(ctx: SeedContext, event: Event, row: dict[str, Any], staff: list[int],
            now: datetime.datetime) -> dict[str, Any] | None:
    """Reminder, check-in and feedback request for a confirmed registration of an event that took
    place; returns the feedback the person left, if any."""
    if row["status"] != RegistrationStatus.CONFIRMED:
        return None
    rng = ctx.rng
    reminder = event.starts_at - datetime.timedelta(hours=24) + datetime.timedelta(minutes=rng.uniform(0, 15))
    if row["source"] != RegistrationSource.WALK_IN and row["confirmed_at"] < reminder:
        row["reminder_sent_at"] = reminder
    if row["checked_in_at"] is None and rng.random() < 0.7:
        doors = event.starts_at + datetime.timedelta(hours=9 if event.all_day else 0)
        row["checked_in_at"] = doors + datetime.timedelta(minutes=rng.uniform(-25, 20))
    if row["checked_in_at"] is None:
        return None
    row["checked_in_by_id"] = rng.choice(staff) if staff else None
    row["updated_at"] = row["checked_in_at"]
    requested = event.ends_at + datetime.timedelta(hours=2, minutes=rng.uniform(0, 60))
    if requested > now:
        return None
    row["feedback_requested_at"] = row["updated_at"] = requested
    answered = requested + datetime.timedelta(minutes=rng.uniform(10, 4 * 24 * 60))
    if rng.random() >= 0.3 or answered > now:
        return None
    rating = rng.choices((5, 4, 3, 2, 1), (45, 33, 14, 5, 3))[0]
    return {
        "rating": rating,
        "useful": rng.choice(USEFUL_COMMENTS) if rating >= 3 and rng.random() < 0.5 else "",
        "ideas": rng.choice(IDEA_COMMENTS) if rng.random() < 0.3 else "",
        "created_at": answered,
    }


# --- certificates -----------------------------------------------------------------------------


def _add_certificates(ctx: SeedContext, events: list[Event], now: datetime.datetime) -> None:
    """A design for every event that took place; certificates for the people checked in at the
    latest ones, issued by the staff account a day after the event ended (or at `now`, if sooner),
    in batches of the size the worker uses."""
    took_place = [event for event in events if event.status == EventStatus.PUBLISHED and event.ends_at <= now]
    signature = signature_png()
    ctx.dbsession.add_all([
        CertificateDesign(event_id=event.id, issuer_name=CERTIFICATE_ISSUER,
                          issuer_title_el=CERTIFICATE_ISSUER_TITLE[0], issuer_title_en=CERTIFICATE_ISSUER_TITLE[1],
                          signature=signature, signature_type="image/png", updated_at=event.ends_at)
        for event in took_place
    ])
    ctx.dbsession.flush()
    latest = []
    for event in sorted(took_place, key=lambda event: (event.ends_at, event.id), reverse=True):
        if len(latest) == CERTIFICATES_ISSUED_FOR:
            break
        if certificate_services.attendees_without_certificate(ctx.dbsession, event.id, limit=1):
            latest.append(event)
    if not latest:
        return
    staff = ctx.shared.get("users", {}).get(Role.STAFF, [])
    with ctx.request() as request:
        for event in latest:
            issued_at = min(event.ends_at + datetime.timedelta(days=1), now)
            while registrations := certificate_services.attendees_without_certificate(
                    ctx.dbsession, event.id, limit=CERTIFICATE_BATCH_SIZE):
                certificate_services.issue(request, event, registrations, issued_at,
                                           issued_by=staff[0] if staff else None)
                ctx.dbsession.flush()


SIGNATURE_INK = (24, 40, 96, 255)


@functools.lru_cache(maxsize=1)
def signature_png() -> bytes:
    """A handwritten-looking signature on a transparent background, the same every time."""
    image = Image.new("RGBA", (360, 120), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    loops = []
    for step in range(701):
        t = step / 700
        phase = 2 * math.pi * (6 * t + 0.8 * t * t)
        height = 34 * (1.5 - t) * (0.75 + 0.25 * math.sin(2 * math.pi * 2.3 * t + 1))
        loops.append((26 + 300 * t + 14 * math.cos(phase), 66 - height * math.sin(phase) - 10 * math.sin(math.pi * t)))
    draw.line(loops, fill=SIGNATURE_INK, width=4, joint="curve")
    underline = [(40 + 290 * t, 102 - 12 * math.sin(math.pi * t) + 8 * t) for t in (step / 100 for step in range(101))]
    draw.line(underline, fill=SIGNATURE_INK, width=3, joint="curve")
    png = io.BytesIO()
    image.save(png, format="PNG", optimize=True)
    return png.getvalue()
