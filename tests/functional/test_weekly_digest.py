"""The weekly digest: which events it lists and how, once a week, in the centre's language, drafted
or sent as staff chose, on Mondays at 07:00 local time whatever the clocks did; its staff screen."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from events.models import EventStatus, Venue
from mailing import digest
from mailing.campaign_services import render_campaign
from mailing.delivery import start_sending
from mailing.models import Campaign, CampaignStatus, DigestMode, MailingSettings, MailingTopic
from mailing.tasks import weekly_digest
from tests.functional.conftest import csrf_token
from tests.functional.test_campaign_delivery import make_subscribers

UTC = datetime.UTC
ATHENS = ZoneInfo("Europe/Athens")
# Monday 30 November 2026, 07:00 in Athens (UTC+2 in winter).
MONDAY_MORNING = datetime.datetime(2026, 11, 30, 5, 0, tzinfo=UTC)


def at(day, hour, minute=0):
    """A UTC moment on a day of December 2026 (Athens is UTC+2 then)."""
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def topic(dbsession):
    dbsession.rollback()
    found = MailingTopic(slug="weekly-digest", name_el="Εβδομαδιαία σύνοψη", name_en="Weekly digest", position=3)
    dbsession.add(found)
    dbsession.commit()
    return found


def set_mode(dbsession, mode):
    dbsession.rollback()
    dbsession.merge(MailingSettings(id=1, digest_mode=mode))
    dbsession.commit()


def in_task(service, now):
    """Run a digest service as the worker does; the id of the one campaign it made, if any."""
    with task_request() as request:
        campaigns = service(request, now)
        assert len(campaigns) <= 1
        return campaigns[0].id if campaigns else None


def digests(dbsession):
    dbsession.rollback()
    return list(dbsession.scalars(select(Campaign).where(Campaign.is_digest.is_(True)).order_by(Campaign.id)))


@pytest.fixture
def fortnight(dbsession, event_factory):
    """Events in and out of the two weeks from MONDAY_MORNING, public and not."""
    dbsession.rollback()
    venue = Venue(name="Τεχνόπολις Ηρακλείου", address="Λεωφόρος Ικάρου 1")
    dbsession.add(venue)
    dbsession.commit()
    return {
        "workshop": event_factory(title_el="Εργαστήριο επιχειρηματικού σχεδίου", title_en="Business plan workshop",
                                  summary_el="Από την ιδέα στο σχέδιο.", summary_en="From idea to plan.",
                                  starts_at=at(1, 16), venue_id=venue.id, slug="business-plan"),
        "webinar": event_factory(title_el="Διαδικτυακό σεμινάριο χρηματοδότησης", starts_at=at(8, 9),
                                 online_url="https://meet.example/funding", summary_el="", slug="funding-webinar"),
        "last_day": event_factory(title_el="Βραδιά παρουσιάσεων", starts_at=at(13, 19), slug="pitch-night"),
        "after": event_factory(title_el="Μετά το δεκαπενθήμερο", starts_at=at(13, 22), slug="too-late"),
        "earlier_today": event_factory(title_el="Πρωινός καφές", starts_at=MONDAY_MORNING - datetime.timedelta(hours=1),
                                       slug="breakfast"),
        "draft": event_factory(title_el="Πρόχειρη εκδήλωση", starts_at=at(2, 10), status=EventStatus.DRAFT,
                               slug="draft-one"),
        "cancelled": event_factory(title_el="Ακυρωμένη εκδήλωση", starts_at=at(3, 10), status=EventStatus.CANCELLED,
                                   slug="cancelled-one"),
        "postponed": event_factory(title_el="Αναβληθείσα εκδήλωση", starts_at=at(4, 10),
                                   status=EventStatus.POSTPONED, slug="postponed-one"),
    }


def test_draft_lists_the_published_events_of_the_next_two_weeks_in_greek(dbsession, topic, fortnight, tr):
    campaign_id = in_task(digest.draft_digest, MONDAY_MORNING)

    campaign = dbsession.get(Campaign, campaign_id)
    assert campaign.is_digest and campaign.in_archive
    assert campaign.status is CampaignStatus.DRAFT
    assert campaign.locale == "el"
    assert [chosen.slug for chosen in campaign.topics] == ["weekly-digest"]
    assert campaign.subject == tr("Events of the next two weeks · ${dates}", "el", dates="30 Νοε – 13 Δεκ")
    body = campaign.body
    listed = [slug for slug in ("business-plan", "funding-webinar", "pitch-night", "too-late", "breakfast",
                                "draft-one", "cancelled-one", "postponed-one")
              if f"(http://localhost/events/{slug})" in body]
    assert listed == ["business-plan", "funding-webinar", "pitch-night"]
    assert body.index("business-plan") < body.index("funding-webinar") < body.index("pitch-night")
    assert "### [Εργαστήριο επιχειρηματικού σχεδίου](http://localhost/events/business-plan)" in body
    assert "Τρίτη 1 Δεκεμβρίου 2026, 18:00" in body
    assert "Τεχνόπολις Ηρακλείου" in body
    assert "Από την ιδέα στο σχέδιο." in body
    assert f"Τρίτη 8 Δεκεμβρίου 2026, 11:00–13:00 · {tr('Online', 'el')}" in body
    assert "(http://localhost/events)" in body
    assert campaign.preheader.startswith("Εργαστήριο επιχειρηματικού σχεδίου · Διαδικτυακό σεμινάριο")


def test_draft_in_english_when_english_is_the_centres_language(dbsession, settings, topic, fortnight, tr):
    settings["dimoskopio.default_locale"] = "en"
    campaign = dbsession.get(Campaign, in_task(digest.draft_digest, MONDAY_MORNING))

    assert campaign.locale == "en"
    assert campaign.subject == "Events of the next two weeks · Nov 30\u2009–\u2009Dec 13"
    assert "### [Business plan workshop](http://localhost/events/business-plan)" in campaign.body
    assert "Tuesday, December 1, 2026, 18:00" in campaign.body
    assert "From idea to plan." in campaign.body
    # No English title: the Greek one.
    assert "[Βραδιά παρουσιάσεων](http://localhost/events/pitch-night)" in campaign.body
    assert "· Online" in campaign.body


def test_one_campaign_per_language_the_readers_chose_each_to_its_readers(
        dbsession, topic, fortnight, sendgrid, run_tasks):
    greek = make_subscribers(dbsession, topic, 2, prefix="greek")
    english = make_subscribers(dbsession, topic, 2, locale="en", prefix="english")
    dbsession.commit()
    with task_request() as request:
        made = [(campaign.id, campaign.locale, campaign.audience_locale)
                for campaign in digest.draft_digest(request, MONDAY_MORNING)]
    with task_request() as request:
        for campaign_id, _locale, _audience in made:
            start_sending(request, request.dbsession.get(Campaign, campaign_id), utcnow())
    run_tasks()

    assert [(locale, audience) for _id, locale, audience in made] == [("el", "el"), ("en", "en")]
    reached = {request.body["categories"][1]: sorted(request.recipients) for request in sendgrid.accepted}
    assert reached == {f"campaign-{made[0][0]}": sorted(person.email for person in greek),
                       f"campaign-{made[1][0]}": sorted(person.email for person in english)}


def test_nothing_is_drafted_without_events_or_without_the_topic(dbsession, event_factory, topic):
    event_factory(starts_at=at(20, 10))
    event_factory(starts_at=at(2, 10), status=EventStatus.DRAFT)
    assert in_task(digest.draft_digest, MONDAY_MORNING) is None

    dbsession.rollback()
    dbsession.delete(dbsession.get(MailingTopic, topic.id))
    dbsession.commit()
    event_factory(starts_at=at(2, 10))
    assert in_task(digest.draft_digest, MONDAY_MORNING) is None
    assert digests(dbsession) == []


def test_one_digest_a_week(dbsession, topic, fortnight):
    first = in_task(digest.draft_digest, MONDAY_MORNING)
    assert first is not None
    # Later that week, even on Sunday night, nothing more; the next Monday, a new one.
    assert in_task(digest.draft_digest, MONDAY_MORNING + datetime.timedelta(hours=3)) is None
    assert in_task(digest.draft_digest, at(6, 21, 59)) is None
    assert in_task(digest.draft_digest, at(6, 22)) is not None
    assert len(digests(dbsession)) == 2


def test_off_does_nothing_and_draft_only_drafts(dbsession, topic, fortnight, sendgrid, run_tasks):
    set_mode(dbsession, DigestMode.OFF)
    assert in_task(digest.run_digest, MONDAY_MORNING) is None
    assert digests(dbsession) == []

    set_mode(dbsession, DigestMode.DRAFT)
    campaign_id = in_task(digest.run_digest, MONDAY_MORNING)
    run_tasks()
    assert dbsession.get(Campaign, campaign_id).status is CampaignStatus.DRAFT
    assert sendgrid.received == []


def test_send_mode_sends_it_to_the_digest_subscribers_with_staff_text_taken_literally(
        dbsession, topic, event_factory, sendgrid, run_tasks):
    now = utcnow()
    readers = make_subscribers(dbsession, topic, 3, prefix="reader")
    other = MailingTopic(slug="calls", name_el="Προσκλήσεις", name_en="Calls")
    dbsession.add(other)
    dbsession.flush()
    make_subscribers(dbsession, other, 2, prefix="not-a-reader")
    dbsession.commit()
    set_mode(dbsession, DigestMode.SEND)
    event_factory(title_el="Βραδιά {{ 7*7 }} [Κέρδισε](https://evil.example)", slug="pitch-night",
                  summary_el="{% raw %}Φέρτε {# φορητό #} {%- endraw %}", starts_at=now + datetime.timedelta(days=3))

    campaign_id = in_task(digest.run_digest, now)
    run_tasks()

    assert sorted(sendgrid.delivered_addresses()) == sorted(reader.email for reader in readers)
    [request] = sendgrid.accepted
    assert "weekly-digest" in request.body["categories"]
    text, html = (part["value"] for part in request.body["content"])
    assert "Βραδιά {{ 7*7 }} [Κέρδισε](https://evil.example)" in html
    assert "{% raw %}Φέρτε {# φορητό #} {%- endraw %}" in html
    assert "Βραδιά {{ 7" in text
    assert "Βραδιά 49" not in text + html
    assert 'href="https://evil.example"' not in html
    assert 'href="http://localhost/events/pitch-night"' in html
    dbsession.rollback()
    assert dbsession.get(Campaign, campaign_id).status is CampaignStatus.SENT


@pytest.mark.parametrize("summary", [
    "# Not a heading", "1. Not a list", "- Not a list either", "> Not a quote", "**Not bold** and _not_ `code`",
    "<b>not markup</b> <https://not-a-link.example>", "Not a [link](https://evil.example)",
])
def test_event_text_shows_as_written_never_as_markdown(dbsession, topic, event_factory, summary):
    event_factory(title_el="Βραδιά παρουσιάσεων", summary_el=summary, starts_at=at(2, 16))
    campaign_id = in_task(digest.draft_digest, MONDAY_MORNING)

    with task_request() as request:
        html = render_campaign(request, request.dbsession.get(Campaign, campaign_id)).html
    assert str(escape(summary)) in html
    for tag in ("<h1", "<ol", "<li", "<blockquote", "<strong", "<em", "<code", "<b>", 'href="https://not-a-link',
                'href="https://evil'):
        assert tag not in html


@pytest.mark.parametrize(("monday", "local_seven"), [
    # The week before the clocks go forward (UTC+2) and the week after (UTC+3).
    (datetime.date(2027, 3, 22), 5),
    (datetime.date(2027, 3, 29), 4),
])
def test_the_weekly_task_acts_at_seven_local_time_only(dbsession, topic, event_factory, monkeypatch, monday,
                                                        local_seven):
    set_mode(dbsession, DigestMode.DRAFT)
    event_factory(starts_at=datetime.datetime(2027, 3, 31, 16, 0, tzinfo=UTC))
    clock = {}
    monkeypatch.setattr("mailing.tasks.utcnow", lambda: clock["now"])

    for utc_hour in range(24):
        moment = datetime.datetime.combine(monday, datetime.time(utc_hour), tzinfo=UTC)
        # Huey's crontab (read in UTC) starts the task at every one of these hours...
        assert weekly_digest.s().validate_datetime(moment.replace(tzinfo=None))
        clock["now"] = moment
        weekly_digest.call_local()
        # ...and only the hour when it is 07:00 in Athens drafts anything.
        assert len(digests(dbsession)) == (1 if utc_hour >= local_seven else 0), utc_hour
    assert digests(dbsession)[0].created_at == datetime.datetime.combine(monday, datetime.time(local_seven),
                                                                          tzinfo=UTC)


def test_seven_on_another_day_is_not_the_digests_hour():
    tuesday_seven = datetime.datetime(2027, 3, 23, 5, 0, tzinfo=UTC)
    assert not weekly_digest.s().validate_datetime(tuesday_seven.replace(tzinfo=None))
    assert digest.digest_is_due(tuesday_seven - datetime.timedelta(days=1), ATHENS)
    assert not digest.digest_is_due(tuesday_seven, ATHENS)


# --- the staff screen -------------------------------------------------------------------------


def test_staff_screen_shows_the_mode_the_audience_and_saves_a_new_mode(testapp, dbsession, topic, logged_in):
    make_subscribers(dbsession, topic, 2, prefix="reader")
    dbsession.commit()
    logged_in(Role.STAFF)
    page = testapp.get("/admin/newsletter/digest")

    form = page.forms["mode-form"]
    assert form["mode"].value == "draft"
    assert [option[0] for option in form["mode"].options] == ["off", "draft", "send"]
    assert "2" in page.html.select_one("#digest-audience").text
    assert page.html.select_one("#digest-audience a")["href"] == f"/admin/newsletter/topics/{topic.id}"

    form["mode"] = "send"
    saved = form.submit().follow()
    assert saved.forms["mode-form"]["mode"].value == "send"
    dbsession.rollback()
    assert dbsession.get(MailingSettings, 1).digest_mode is DigestMode.SEND


def test_an_unknown_mode_is_refused_and_nothing_changes(testapp, dbsession, logged_in):
    logged_in(Role.STAFF)
    testapp.get("/admin/newsletter/digest")
    response = testapp.post("/admin/newsletter/digest", {"csrf_token": csrf_token(testapp), "mode": "daily"},
                            status=400)
    assert response.html.select_one(".field-error")
    dbsession.rollback()
    assert dbsession.get(MailingSettings, 1).digest_mode is DigestMode.DRAFT


def test_staff_screen_warns_without_the_topic(testapp, logged_in):
    logged_in(Role.STAFF)
    page = testapp.get("/admin/newsletter/digest")
    assert "notice-warning" in page.html.select_one("#digest-audience")["class"]


def test_draft_now_button(testapp, dbsession, topic, logged_in, event_factory, tr):
    logged_in(Role.STAFF)
    page = testapp.get("/admin/newsletter/digest")
    assert page.html.select_one(".empty-state")
    nothing = page.forms["draft-form"].submit("action", value="draft").follow()
    assert tr("No published event starts in the next two weeks, so there is nothing to put in a digest.") \
        in nothing.text
    assert digests(dbsession) == []

    event_factory(starts_at=utcnow() + datetime.timedelta(days=2))
    drafted = testapp.get("/admin/newsletter/digest").forms["draft-form"].submit("action", value="draft")
    [campaign] = digests(dbsession)
    assert drafted.location.endswith(f"/admin/newsletter/campaigns/{campaign.id}")
    assert campaign.created_by_id is not None

    again = testapp.get("/admin/newsletter/digest").forms["draft-form"].submit("action", value="draft").follow()
    assert tr("This week's digest has been drafted already: it is in the list below.") in again.text
    assert len(digests(dbsession)) == 1
    link = again.html.select_one("#digests-table tbody a")
    assert link["href"] == f"/admin/newsletter/campaigns/{campaign.id}"
    assert link.text == campaign.subject


def test_only_staff_reach_the_digest_screen(testapp, topic, logged_in):
    anonymous = testapp.get("/admin/newsletter/digest", status=303)
    assert anonymous.location.endswith("/login?next=%2Fadmin%2Fnewsletter%2Fdigest")
    logged_in(Role.MEMBER)
    testapp.get("/admin/newsletter/digest", status=403)
    token = csrf_token(testapp)
    testapp.post("/admin/newsletter/digest", {"csrf_token": token, "action": "draft"}, status=403)
    testapp.post("/admin/newsletter/digest", {"csrf_token": token, "mode": "send"}, status=403)


def test_forms_without_the_csrf_token_are_refused(testapp, dbsession, topic, logged_in, event_factory):
    event_factory(starts_at=utcnow() + datetime.timedelta(days=2))
    logged_in(Role.STAFF)
    testapp.post("/admin/newsletter/digest", {"action": "draft"}, status=400)
    testapp.post("/admin/newsletter/digest", {"mode": "off"}, status=400)
    assert digests(dbsession) == []
    assert dbsession.scalar(select(func.count()).select_from(MailingSettings)) == 0
