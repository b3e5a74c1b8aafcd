"""Demo accounts: the staff logins the README prints, mentors, founders and members."""

import datetime

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.services import hash_password
from dimoskopio.db import utcnow
from dimoskopio.i18n import transliterate
from dimoskopio.seed import SeedContext

STAFF_EMAIL = "staff@dimoskopio.example"
STAFF_PASSWORD = "dimoskopio-staff"
ADMIN_EMAIL = "admin@dimoskopio.example"
ADMIN_PASSWORD = "dimoskopio-admin"
DEMO_PASSWORD = "dimoskopio-demo"

MALE_FIRST = ["Γιώργος", "Νίκος", "Μανόλης", "Γιάννης", "Κώστας", "Δημήτρης", "Μιχάλης", "Σταύρος",
              "Αντώνης", "Παντελής", "Ζαχαρίας", "Βαγγέλης", "Χαράλαμπος", "Στέλιος", "Λευτέρης",
              "Αλέξανδρος", "Θοδωρής", "Παναγιώτης", "Ηλίας", "Άρης"]
FEMALE_FIRST = ["Μαρία", "Ελένη", "Κατερίνα", "Ειρήνη", "Δέσποινα", "Αργυρώ", "Σοφία", "Χρυσούλα",
                "Ευαγγελία", "Αναστασία", "Γεωργία", "Ζωή", "Ιωάννα", "Μυρτώ", "Φωτεινή", "Αγγελική",
                "Δήμητρα", "Στυλιανή", "Βασιλική", "Νεφέλη"]
SURNAMES = [("Παπαδάκης", "Παπαδάκη"), ("Μαρκάκης", "Μαρκάκη"), ("Χατζηδάκης", "Χατζηδάκη"),
            ("Σπανουδάκης", "Σπανουδάκη"), ("Κουνάλης", "Κουνάλη"), ("Φραγκιαδάκης", "Φραγκιαδάκη"),
            ("Ψαράκης", "Ψαράκη"), ("Τσαγκαράκης", "Τσαγκαράκη"), ("Δασκαλάκης", "Δασκαλάκη"),
            ("Μαυρογιάννης", "Μαυρογιάννη"), ("Κοκκινάκης", "Κοκκινάκη"), ("Βλαχάκης", "Βλαχάκη"),
            ("Ξυλούρης", "Ξυλούρη"), ("Αρχοντάκης", "Αρχοντάκη"), ("Λαμπράκης", "Λαμπράκη"),
            ("Μανουσάκης", "Μανουσάκη"), ("Καλογεράκης", "Καλογεράκη"), ("Σταυρακάκης", "Σταυρακάκη"),
            ("Πετράκης", "Πετράκη"), ("Ζερβός", "Ζερβού")]
EMAIL_DOMAINS = ["example.gr", "uoc.example.gr", "forth.example.gr", "hmu.example.gr", "mail.example.com"]


def random_person(context: SeedContext) -> tuple[str, str]:
    """A Greek full name and a matching, unique demo email address."""
    rng = context.rng
    female = rng.random() < 0.5
    first = rng.choice(FEMALE_FIRST if female else MALE_FIRST)
    surname = rng.choice(SURNAMES)[1 if female else 0]
    used = context.shared.setdefault("used_emails", set())
    base = f"{transliterate(first)}.{transliterate(surname)}"
    domain = rng.choice(EMAIL_DOMAINS)
    email, suffix = f"{base}@{domain}", 1
    while email in used:
        suffix += 1
        email = f"{base}{suffix}@{domain}"
    used.add(email)
    return f"{first} {surname}", email


def seed_accounts(context: SeedContext) -> None:
    now = utcnow()
    demo_hash = hash_password(DEMO_PASSWORD)
    users: dict[Role, list[User]] = {role: [] for role in Role}

    def add(name: str, email: str, role: Role, password_hash: str, locale: str = "el") -> User:
        joined = now - datetime.timedelta(days=context.rng.randint(0, 365), minutes=context.rng.randint(0, 1440))
        user = User(name=name, email=email, role=role, password_hash=password_hash, locale=locale,
                    email_verified_at=now, created_at=joined)
        context.dbsession.add(user)
        users[role].append(user)
        return user

    add("Διαχειριστής Δημοσκοπίου", ADMIN_EMAIL, Role.ADMIN, hash_password(ADMIN_PASSWORD))
    add("Ομάδα Δημοσκοπίου", STAFF_EMAIL, Role.STAFF, hash_password(STAFF_PASSWORD))
    for role, base_count in ((Role.STAFF, 3), (Role.MENTOR, 15), (Role.FOUNDER, 40), (Role.MEMBER, 150)):
        for _ in range(context.count(base_count) if role is not Role.STAFF else base_count):
            name, email = random_person(context)
            locale = "en" if context.rng.random() < 0.1 else "el"
            add(name, email, role, demo_hash, locale)
    context.shared["users"] = users
