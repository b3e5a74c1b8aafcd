"""axe-core in Chromium: no serious or critical WCAG 2.1 AA violations on any page, in both languages."""

import datetime
import decimal
import re
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.services import hash_password
from dimoskopio.db import utcnow
from dimoskopio.i18n import LOCALE_COOKIE
from dimoskopio.seed import run_seeders
from dimoskopio.tasks import run_pending_tasks, task_request
from events.certificate_services import start_run
from events.models import Category, Certificate, Event, Question, QuestionKind, RegistrationStatus, Series, Topic, Venue
from events.services import manage_token
from incubator.models import (
    Application,
    ApplicationStatus,
    Call,
    Cohort,
    MentorAssignment,
    MentorSession,
    MentorSessionStatus,
    Milestone,
    OfficeHourSlot,
    Review,
    Startup,
    StartupFounder,
    StartupMilestone,
    StartupStatus,
)
from mailing.delivery import start_sending
from mailing.models import (
    Campaign,
    CampaignRecipient,
    ConsentAction,
    ConsentRecord,
    ConsentSource,
    DeliveryEvent,
    MailingTopic,
    Subscriber,
    Subscription,
)
from mailing.services import link_token
from tests.browser.conftest import add_registration, log_in, text
from tests.conftest import DEFAULT_PASSWORD

pytestmark = pytest.mark.browser

PUBLIC_PAGES = [
    "/",
    "/events",
    "/calendar",
    "/incubator",
    "/newsletter",
    "/login",
    "/signup",
    "/signup/check-your-email",
    "/privacy",
    "/account/reset",
    "/account/verify?token=not-a-token",
    "/no-such-page",
]


def use_english(page: Any, base_url: str) -> None:
    """Choose English as the language switch does (its cookie); the switch itself is a journey test."""
    page.context.add_cookies([{"name": LOCALE_COOKIE, "value": "en", "url": base_url}])


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_in_greek(page, axe, path):
    response = page.goto(path)
    assert response is not None
    expect(page.locator("html")).to_have_attribute("lang", "el")
    if path == "/no-such-page":
        assert response.status == 404
    axe(page)


@pytest.mark.parametrize("path", ["/", "/login", "/calendar"])
def test_public_page_in_english(page, axe, live_server, path):
    use_english(page, live_server)
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    axe(page)


def test_signup_with_errors(page, axe):
    page.goto("/signup")
    page.locator("#signup-form").get_by_role("button", name=text("Sign up")).click()
    expect(page.locator(".error-message").first).to_be_visible()
    name = page.get_by_label(text("Full name"), exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description(text("This field is required."))
    axe(page)


def test_login_with_errors(page, axe):
    page.goto("/login")
    form = page.locator("#login-form")
    form.get_by_label(text("Email"), exact=True).fill("nobody@example.gr")
    form.get_by_label(text("Password"), exact=True).fill("wrong password")
    form.get_by_role("button", name=text("Log in")).click()
    expect(page.get_by_role("alert")).to_contain_text(text("Wrong email or password."))
    axe(page)


def test_account_pages(page, axe, user_factory):
    user = user_factory()
    log_in(page, user.email)
    for path in ["/account", "/account/password", "/account/email"]:
        page.goto(path)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        axe(page)


def test_staff_pages(page, axe, user_factory):
    # A sign-up puts a message in the outbox, so the mail pages have something to show.
    page.goto("/signup")
    form = page.locator("#signup-form")
    form.get_by_label(text("Full name"), exact=True).fill("Ελένη Μαρκάκη")
    form.get_by_label(text("Email"), exact=True).fill("eleni@example.gr")
    form.get_by_label(text("Password"), exact=True).fill("a long enough password")
    form.get_by_label(text("Repeat password"), exact=True).fill("a long enough password")
    form.get_by_role("checkbox").check()
    form.get_by_role("button", name=text("Sign up")).click()
    expect(page).to_have_url(re.compile(r"/signup/check-your-email$"))

    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)
    for path in ["/admin", "/admin/users", "/admin/mail"]:
        page.goto(path)
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        axe(page)

    page.get_by_role("table").get_by_role("row").filter(has_text="eleni@example.gr").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/admin/mail/\d+$"))
    axe(page)


def scrolls_sideways_by(page: Any) -> int:
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("path", ["/", "/events", "/login", "/signup"])
def test_no_horizontal_scroll_on_a_phone(new_page, path):
    page = new_page(width=375, height=740)
    page.goto(path)
    overflow = scrolls_sideways_by(page)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"


def test_wide_tables_scroll_inside_the_page_on_a_phone(new_page, user_factory):
    staff = user_factory(email="staff.member.with.a.long.address@example.gr", role=Role.STAFF)
    page = new_page(width=375, height=740)
    log_in(page, staff.email)
    page.goto("/admin/users")
    overflow = scrolls_sideways_by(page)
    assert overflow <= 0, f"/admin/users scrolls sideways by {overflow}px at 375px wide"


# --- events -------------------------------------------------------------------------------------


@dataclass
class EventPages:
    event: Event
    series: Series
    member: User
    staff: User
    private_link: str
    past: Event


def arrange_events(dbsession: Any, event_factory: Any, user_factory: Any, app: Any) -> EventPages:
    """A calendar with something on every page: a series, a venue, topics, questions, people
    registered in every state, a past event with attendance (for the charts), a member's seat."""
    category = Category(slug="workshops", name_el="Εργαστήρια", name_en="Workshops")
    topic = Topic(slug="funding", name_el="Χρηματοδότηση", name_en="Funding")
    venue = Venue(name="Κέντρο Καινοτομίας", address="Πλατεία Ελευθερίας 1, Ηράκλειο",
                  latitude=decimal.Decimal("35.338735"), longitude=decimal.Decimal("25.144213"),
                  accessibility_notes="Ράμπα στην είσοδο, ανελκυστήρας.")
    series = Series(slug="startup-mondays", title_el="Startup Δευτέρες", title_en="Startup Mondays",
                    description_el="Κάθε Δευτέρα, μια **πρακτική** συνάντηση.")
    dbsession.add_all([category, topic, venue, series])
    dbsession.commit()
    # An evening a week ahead, so that the event's two hours fall on one day in Athens whenever the tests run.
    evening = datetime.datetime.combine(datetime.datetime.now(ATHENS).date() + datetime.timedelta(days=7),
                                        datetime.time(18), ATHENS)
    event = event_factory(
        starts_at=evening.astimezone(datetime.UTC),
        title_en="Entrepreneurship workshop", summary_en="A hands-on meeting for new founders.",
        category_id=category.id, venue_id=venue.id, series_id=series.id, capacity=3,
        organiser="Δημοσκόπιο", speakers="Ελένη Μαρκάκη\nΝίκος Ψαράκης", hours=decimal.Decimal("2"),
    )
    dbsession.rollback()
    stored = dbsession.get(Event, event.id)
    stored.topics = [dbsession.get(Topic, topic.id)]
    dbsession.add_all([
        Question(event_id=event.id, position=1, kind=QuestionKind.MULTIPLE_CHOICE, label_el="Τι σας ενδιαφέρει;",
                 label_en="What interests you?", choices_el="Χρηματοδότηση\nΟμάδα", choices_en="Funding\nTeam",
                 required=True),
        Question(event_id=event.id, position=2, kind=QuestionKind.YES_NO, label_el="Χρειάζεστε διερμηνεία;"),
        Question(event_id=event.id, position=3, kind=QuestionKind.SINGLE_CHOICE, label_el="Πώς μάθατε για εμάς;",
                 label_en="How did you hear about us?", choices_el="Φίλοι\nΔιαδίκτυο", choices_en="Friends\nWeb"),
        Question(event_id=event.id, position=4, kind=QuestionKind.LONG_TEXT, label_el="Κάτι άλλο;"),
    ])
    dbsession.commit()
    event_factory(title_el="Δεύτερη συνάντηση της σειράς", series_id=series.id,
                  starts_at=utcnow().replace(microsecond=0) + datetime.timedelta(days=14))
    member = user_factory(email="member@example.gr", name="Μαρία Παπαδάκη")
    staff = user_factory(email="staff@example.gr", name="Γιώργος Σταφ", role=Role.STAFF)
    mine = add_registration(dbsession, event, member.name, member.email, user_id=member.id,
                            organisation="Κρητική Ζύμη")
    add_registration(dbsession, event, "Ελένη Μαρκάκη", "eleni@example.gr", checked_in_at=utcnow())
    add_registration(dbsession, event, "Κώστας Δασκαλάκης", "kostas@example.gr",
                     status=RegistrationStatus.OFFERED, offer_expires_at=utcnow() + datetime.timedelta(hours=20))
    add_registration(dbsession, event, "Νίκος Ψαράκης", "nikos@example.gr", status=RegistrationStatus.WAITING)
    add_registration(dbsession, event, "Άννα Λαμπράκη", "anna@example.gr", status=RegistrationStatus.CANCELLED)
    past = event_factory(title_el="Βραδιά παρουσιάσεων", venue_id=venue.id, series_id=series.id,
                         starts_at=utcnow().replace(microsecond=0) - datetime.timedelta(days=3))
    add_registration(dbsession, past, "Ελένη Μαρκάκη", "eleni@example.gr", checked_in_at=utcnow())
    add_registration(dbsession, past, member.name, member.email, user_id=member.id)
    token = manage_token(app.registry.settings["dimoskopio.secret"], mine)
    return EventPages(event=event, series=series, member=member, staff=staff,
                      private_link=f"/events/registration/{token}", past=past)


def issue_certificates(dbsession: Any, event: Event) -> list[str]:
    """Certificates for the event's checked-in people, issued by the worker as staff ask for
    them; returns their verification codes."""
    with task_request() as request:
        start_run(request, request.dbsession.get(Event, event.id), False, None, utcnow())
    run_pending_tasks()
    dbsession.rollback()
    return list(dbsession.scalars(select(Certificate.code).where(Certificate.event_id == event.id)))


LOCALES = ["el", "en"]
ATHENS = ZoneInfo("Europe/Athens")


@pytest.mark.parametrize("locale", LOCALES)
def test_event_pages(page, axe, live_server, dbsession, event_factory, user_factory, app, locale):
    pages = arrange_events(dbsession, event_factory, user_factory, app)
    [code] = issue_certificates(dbsession, pages.past)
    if locale == "en":
        use_english(page, live_server)
    month = pages.event.starts_at.astimezone(ATHENS).strftime("%Y-%m")  # the calendar month with the event
    public = [
        "/events", f"/events/calendar?month={month}", "/events/past", f"/events/{pages.event.slug}",
        f"/events/series/{pages.series.slug}", pages.private_link,
    ]
    for path in public:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.locator("html")).to_have_attribute("lang", locale)
        if path.startswith("/events/calendar"):
            expect(page.locator(f".month-calendar a[href='/events/{pages.event.slug}']")).to_have_count(1)
        axe(page)
    expect(page.locator("main")).to_contain_text(pages.member.name)  # the private link shows the registration
    # The verification page of a certificate, and of a code that matches none.
    for path, status, message in [(f"/certificates/verify/{code}", 200, "This certificate is valid."),
                                  ("/certificates/verify/no-such-code", 404, "No certificate has this code.")]:
        response = page.goto(path)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", locale)
        expect(page.locator("main")).to_contain_text(text(message, locale))
        axe(page)
    page.goto("/events")
    expect(page.locator(".event-card")).to_have_count(2)

    log_in(page, pages.member.email)
    for path in ["/events/my", f"/events/{pages.event.slug}"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        axe(page)
    expect(page.locator(".register-box")).to_contain_text(
        text("You are registered: %(status)s.", locale) % {"status": text("Confirmed", locale)}
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_event_staff_pages(page, axe, live_server, dbsession, event_factory, user_factory, app, locale):
    pages = arrange_events(dbsession, event_factory, user_factory, app)
    issue_certificates(dbsession, pages.past)
    if locale == "en":
        use_english(page, live_server)
    log_in(page, pages.staff.email)
    event_id = pages.event.id
    for path in [
        "/admin", "/admin/events", "/admin/events/new", f"/admin/events/{event_id}",
        f"/admin/events/{event_id}/edit", f"/admin/events/{event_id}/check-in",
        f"/admin/events/{event_id}/questions", "/admin/events/venues",
        # Certificates: still to issue (the forms), and issued (the finished run, the table).
        f"/admin/events/{event_id}/certificates", f"/admin/events/{pages.past.id}/certificates",
    ]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.locator("html")).to_have_attribute("lang", locale)
        if path == "/admin":
            charts = page.locator("img.chart")
            expect(charts).to_have_count(3)
            for chart in charts.all():
                chart.scroll_into_view_if_needed()
                expect(chart).to_have_js_property("complete", True)
                assert chart.evaluate("image => image.naturalWidth") > 0, chart.get_attribute("src")
        axe(page)


def test_event_and_check_in_pages_fit_a_phone(new_page, dbsession, event_factory, user_factory, app):
    pages = arrange_events(dbsession, event_factory, user_factory, app)
    page = new_page(width=375, height=740)
    for path in [f"/events/{pages.event.slug}", pages.private_link]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        overflow = scrolls_sideways_by(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"
    log_in(page, pages.staff.email)
    path = f"/admin/events/{pages.event.id}/check-in"
    response = page.goto(path)
    assert response is not None and response.ok
    expect(page.locator(".checkin-list > li")).to_have_count(2)
    overflow = scrolls_sideways_by(page)
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px wide"


@pytest.mark.parametrize("locale", LOCALES)
def test_newsletter_pages(page, axe, live_server, dbsession, user_factory, app, locale):
    """The subscribe form with its errors, the signed pages a subscriber reaches from an email,
    and the staff's newsletter screens."""
    dbsession.rollback()
    events = MailingTopic(slug="events", name_el="Εκδηλώσεις", name_en="Events", position=1)
    dbsession.add(events)
    dbsession.flush()
    person = Subscriber(email="eleni@example.gr", name="Ελένη", link_salt=secrets.token_hex(32))
    person.subscriptions = [Subscription(topic_id=events.id)]
    dbsession.add(person)
    dbsession.flush()
    dbsession.add(ConsentRecord(subscriber_id=person.id, action=ConsentAction.REQUESTED, source=ConsentSource.FORM))
    dbsession.commit()
    secret = app.registry.settings["dimoskopio.secret"]
    if locale == "en":
        use_english(page, live_server)

    page.goto("/newsletter")
    page.get_by_role("button", name=text("Subscribe", locale)).click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    for path in ["/newsletter/check-your-email", f"/newsletter/confirm/{link_token(secret, 'confirm', person)}",
                 f"/newsletter/preferences/{link_token(secret, 'preferences', person)}",
                 f"/newsletter/unsubscribe/{link_token(secret, 'unsubscribe', person)}"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", locale)
        axe(page)

    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)
    for path in ["/admin/newsletter/subscribers", f"/admin/newsletter/subscribers/{person.id}",
                 "/admin/newsletter/import", "/admin/newsletter/topics", f"/admin/newsletter/topics/{events.id}",
                 "/admin/newsletter/topics/new", "/admin/newsletter/suppressions"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", locale)
        axe(page)


@pytest.mark.parametrize("locale", LOCALES)
def test_campaign_pages(page, axe, live_server, dbsession, user_factory, app, locale):
    """The staff's campaign screens (with a form's errors, a sent campaign's progress and
    statistics, the digest) and the public archive."""
    dbsession.rollback()
    events = MailingTopic(slug="events", name_el="Εκδηλώσεις", name_en="Events", position=1)
    dbsession.add(events)
    dbsession.flush()
    people = []
    for number in range(3):
        person = Subscriber(email=f"reader{number}@example.gr", name=f"Ελένη {number}", status="active",
                            link_salt=secrets.token_hex(32))
        person.subscriptions = [Subscription(topic_id=events.id)]
        people.append(person)
    dbsession.add_all(people)
    draft = Campaign(subject="Νέα του μήνα", body="Γεια σου {{ first_name }}!", topics=[events])
    sent = Campaign(subject="Τα νέα του φθινοπώρου", body="**Εργαστήρια** κάθε Τρίτη.", topics=[events],
                    in_archive=True)
    dbsession.add_all([draft, sent])
    dbsession.commit()
    with task_request() as request:
        start_sending(request, request.dbsession.get(Campaign, sent.id), utcnow())
    run_pending_tasks()
    with task_request() as request:
        for recipient in request.dbsession.scalars(select(CampaignRecipient)):
            request.dbsession.add(DeliveryEvent(sg_event_id=f"delivered-{recipient.id}", event="delivered",
                                                email=recipient.email, campaign_id=sent.id,
                                                recipient_id=recipient.id, occurred_at=utcnow()))
    if locale == "en":
        use_english(page, live_server)

    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)
    page.goto(f"/admin/newsletter/campaigns/{draft.id}/edit")
    page.locator("#body").fill("Γεια σου {{ first_name")
    page.locator("form.campaign-form button[type=submit]").first.click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    for path in ["/admin/newsletter/campaigns", "/admin/newsletter/campaigns/new",
                 f"/admin/newsletter/campaigns/{draft.id}", f"/admin/newsletter/campaigns/{draft.id}/preview",
                 f"/admin/newsletter/campaigns/{sent.id}", f"/admin/newsletter/campaigns/{sent.id}/stats",
                 "/admin/newsletter/digest"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", locale)
        axe(page)
    for path in ["/newsletter/archive", f"/newsletter/archive/{sent.id}"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        axe(page)


@pytest.mark.parametrize("locale", LOCALES)
def test_incubator_staff_pages(page, axe, live_server, dbsession, user_factory, app, locale):
    """The cohorts and startups screens, a form with its errors, and a startup's team."""
    dbsession.rollback()
    cohort = Cohort(name="Κύκλος 2026", programme="Πρόγραμμα επιτάχυνσης", starts_on=datetime.date(2026, 2, 1),
                    ends_on=datetime.date(2026, 11, 30))
    dbsession.add(cohort)
    dbsession.flush()
    startup = Startup(name="OliveSense", slug="olivesense", sector="Αγροδιατροφή", cohort_id=cohort.id,
                      status=StartupStatus.INCUBATED, in_directory=True, description="Αισθητήρες για **ελαιώνες**.")
    dbsession.add(startup)
    dbsession.commit()
    founder = user_factory(email="founder@example.gr", role=Role.FOUNDER)
    dbsession.add(StartupFounder(startup_id=startup.id, user_id=founder.id, role="CEO"))
    reached, waiting = (Milestone(cohort_id=cohort.id, title=title, due_on=due_on, description="Με 20 πελάτες.")
                        for title, due_on in (("Συνεντεύξεις", datetime.date(2026, 3, 1)),
                                              ("Demo day", datetime.date(2026, 11, 20))))
    dbsession.add_all([reached, waiting])
    dbsession.flush()
    dbsession.add(StartupMilestone(startup_id=startup.id, milestone_id=reached.id,
                                   completed_on=datetime.date(2026, 3, 2), note="Έγιναν 22."))
    dbsession.commit()
    if locale == "en":
        use_english(page, live_server)
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)

    page.goto(f"/admin/incubator/startups/{startup.id}/graduate")
    page.get_by_label(text("Graduated on", locale)).fill("2026-01-01")
    page.locator("#graduate-form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    page.goto("/admin/incubator/cohorts/new")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    for path in ["/admin/incubator/cohorts", f"/admin/incubator/cohorts/{cohort.id}", "/admin/incubator/startups",
                 "/admin/incubator/startups/new", f"/admin/incubator/startups/{startup.id}", "/startups",
                 "/startups/olivesense", f"/admin/incubator/cohorts/{cohort.id}/milestones/{reached.id}",
                 f"/admin/incubator/cohorts/{cohort.id}/progress",
                 f"/admin/incubator/cohorts/{cohort.id}/progress/{startup.id}/{reached.id}"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        expect(page.locator("html")).to_have_attribute("lang", locale)
        axe(page)

    page.context.clear_cookies()
    if locale == "en":
        use_english(page, live_server)
    log_in(page, founder.email)
    for path in ["/account/startups", f"/account/startups/{startup.id}"]:
        response = page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        axe(page)


def _demo_pages(dbsession: Any) -> dict[str, list[str]]:
    """The incubator's pages for each kind of visitor, on the demo data: calls, applications and
    reviews, mentors and office hours, KPI reports, dashboards and the impact report."""
    dbsession.rollback()
    today = datetime.datetime.now(ZoneInfo("Europe/Athens")).date()
    open_call = dbsession.scalar(select(Call).where(Call.opens_at <= utcnow(), Call.closes_at > utcnow()))
    application = dbsession.scalar(select(Application).where(Application.call_id == open_call.id,
                                                             Application.status == ApplicationStatus.SUBMITTED))
    review = dbsession.scalar(select(Review).where(Review.application_id == application.id))
    question, criterion = open_call.questions[0], open_call.criteria[0]
    held = dbsession.scalar(select(MentorSession).join(OfficeHourSlot).where(
        MentorSession.status == MentorSessionStatus.BOOKED, MentorSession.minutes_logged.is_not(None)))
    mentor = held.slot.mentor
    current = dbsession.scalar(select(Cohort).where(Cohort.starts_on <= today, Cohort.ends_on >= today))
    startup = dbsession.scalar(select(Startup).join(MentorAssignment).where(
        Startup.cohort_id == current.id, Startup.founders.any()).order_by(Startup.id))
    slot = dbsession.scalar(select(OfficeHourSlot).join(MentorAssignment, MentorAssignment.mentor_id
                                                        == OfficeHourSlot.mentor_id)
                            .where(MentorAssignment.startup_id == startup.id, OfficeHourSlot.starts_at > utcnow(),
                                   OfficeHourSlot.withdrawn_at.is_(None),
                                   ~OfficeHourSlot.id.in_(select(MentorSession.slot_id).where(
                                       MentorSession.status == MentorSessionStatus.BOOKED))))
    return {
        "public": ["/calls", f"/calls/{open_call.slug}", "/mentors", f"/mentors/{mentor.slug}", "/incubator"],
        "staff": ["/admin/incubator/calls", f"/admin/incubator/calls/{open_call.id}",
                  f"/admin/incubator/calls/{open_call.id}/questions/{question.id}",
                  f"/admin/incubator/calls/{open_call.id}/criteria/{criterion.id}",
                  f"/admin/incubator/calls/{open_call.id}/applications",
                  f"/admin/incubator/applications/{application.id}",
                  "/admin/incubator/mentors", f"/admin/incubator/mentors/{mentor.id}",
                  f"/admin/incubator/startups/{startup.id}/mentors", f"/admin/incubator/startups/{startup.id}/kpis",
                  f"/admin/incubator/cohorts/{current.id}/kpis", f"/admin/incubator/cohorts/{current.id}/progress",
                  "/admin/incubator/impact", f"/admin/incubator/impact?period=cohort-{current.id}"],
        "mentor": ["/account/mentoring", "/account/mentoring/profile", "/account/mentoring/office-hours",
                   f"/account/mentoring/startups/{held.startup_id}", f"/account/mentoring/sessions/{held.id}"],
        "reviewer": ["/account/reviews", f"/account/reviews/{review.id}"],
        "applicant": ["/account/applications", f"/account/applications/{application.id}"],
        "founder": ["/account/office-hours", f"/account/startups/{startup.id}",
                    f"/account/startups/{startup.id}/kpis",
                    f"/account/startups/{startup.id}/office-hours/{slot.id}"],
        "emails": [mentor.user.email, review.reviewer.email, application.applicant.email,
                   startup.founders[0].user.email],
    }


@pytest.mark.parametrize("locale", LOCALES)
def test_incubator_pages_on_the_demo_data(page, axe, live_server, dbsession, app, locale):
    """Every kind of visitor's incubator pages, filled with the demo data (the seeded accounts)."""
    dbsession.rollback()
    run_seeders(app.registry, dbsession, scale=0.3)
    dbsession.commit()
    pages = _demo_pages(dbsession)
    staff = dbsession.scalar(select(User).where(User.role == Role.STAFF).order_by(User.id))
    mentor, reviewer, applicant, founder = pages["emails"]
    # The test's password and language for the seeded accounts it logs in with.
    for user in dbsession.scalars(select(User).where(User.email.in_([staff.email, *pages["emails"]]))):
        user.password_hash, user.locale = hash_password(DEFAULT_PASSWORD), locale
    dbsession.commit()
    for email, kinds in ((None, ["public"]), (staff.email, ["staff"]), (mentor, ["mentor"]),
                         (reviewer, ["reviewer"]), (applicant, ["applicant"]), (founder, ["founder"])):
        page.context.clear_cookies()
        if locale == "en":
            use_english(page, live_server)
        if email:
            log_in(page, email)
        for path in [path for kind in kinds for path in pages[kind]]:
            response = page.goto(path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            expect(page.locator("html")).to_have_attribute("lang", locale)
            axe(page)
    page.goto(pages["founder"][2])
    page.locator("main table a[href*='/kpis/']").first.click()
    axe(page)
