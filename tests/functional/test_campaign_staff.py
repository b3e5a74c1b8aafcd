"""The staff's campaign screens: composing with checked templates, audiences with segments,
preview, test sends, sending now or later, pause, resume, cancel, progress and batches in doubt."""

import datetime
import html
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.i18n import TRANSLATION_DOMAIN, _, localizer_for
from events.models import RegistrationStatus
from incubator.models import Cohort, Startup, StartupFounder
from mailing.campaign_services import CampaignTemplateError, check_template
from mailing.models import (
    BatchStatus,
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    CampaignSegment,
    CampaignStatus,
    RecipientStatus,
    SegmentKind,
    Subscriber,
)
from mailing.services import link_token
from tests.functional.conftest import csrf_token
from tests.functional.events_helpers import add_registration
from tests.functional.test_campaign_delivery import make_campaign, make_subscribers, make_topic

ATHENS = ZoneInfo("Europe/Athens")
CAMPAIGNS = "/admin/newsletter/campaigns"



def a_campaign(dbsession, people=3, topic_slug="events", **values):
    """A draft on a topic with `people` confirmed subscribers; returns its id and theirs."""
    dbsession.rollback()  # a fresh snapshot: on SQLite an old one cannot write once the app has
    topic = make_topic(dbsession, slug=topic_slug)
    subscribers = make_subscribers(dbsession, topic, people)
    campaign = make_campaign(dbsession, topic, **values)
    dbsession.commit()
    return campaign.id, [subscriber.id for subscriber in subscribers]


def stored(dbsession, campaign_id):
    dbsession.rollback()
    return dbsession.get(Campaign, campaign_id, populate_existing=True)


def campaign_count(dbsession):
    dbsession.rollback()
    return dbsession.scalar(select(func.count()).select_from(Campaign))


def page_of(campaign_id):
    return f"{CAMPAIGNS}/{campaign_id}"


def form_with(page, field_name):
    return next(form for form in page.forms.values() if field_name in form.fields)


def form_to(page, path_end):
    return next(form for form in page.forms.values() if form.action.endswith(path_end))


def error_next_to(page, field_id):
    match = re.search(rf'<p class="error-message" id="{field_id}-error">(.*?)</p>', page.text, re.S)
    assert match, f"no error shown next to {field_id}"
    return match.group(1)


def flashed(page, queue="success"):
    return " ".join(notice.text for notice in page.html.select(f".notice-{queue}"))


def status_shown(page):
    return page.html.select_one(".facts .status").text


def tick(form, field_name, value):
    for checkbox in form.fields[field_name]:
        if checkbox._value == str(value):
            checkbox.checked = True


# --- permission -------------------------------------------------------------------------------


def test_campaign_screens_are_for_staff_with_the_mailing_permission(testapp, dbsession, logged_in):
    campaign_id, _people = a_campaign(dbsession)
    for path in (CAMPAIGNS, f"{CAMPAIGNS}/new", page_of(campaign_id), f"{page_of(campaign_id)}/edit",
                 f"{page_of(campaign_id)}/preview", f"{page_of(campaign_id)}/progress.json"):
        response = testapp.get(path, status=303)
        assert response.location.startswith("http://localhost/login?next=")

    logged_in(Role.MEMBER)
    testapp.get(CAMPAIGNS, status=403)
    testapp.get(page_of(campaign_id), status=403)
    testapp.get(f"{page_of(campaign_id)}/progress.json", status=403)
    token = csrf_token(testapp)
    for path in ("delete", "duplicate", "send", "test"):
        testapp.post(f"{page_of(campaign_id)}/{path}", {"csrf_token": token, "when": "now", "confirm": "y"},
                     status=403)
    assert campaign_count(dbsession) == 1
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT


def test_actions_need_the_form_token(testapp, dbsession, staff):
    campaign_id, _people = a_campaign(dbsession)
    testapp.post(f"{page_of(campaign_id)}/delete", status=400)
    assert campaign_count(dbsession) == 1


# --- composing --------------------------------------------------------------------------------


def test_merge_fields_are_listed_next_to_the_message(testapp, staff):
    page = testapp.get(f"{CAMPAIGNS}/new")
    listed = {code.text for code in page.html.select(".merge-fields dt code")}
    assert listed == {"{{ first_name }}", "{{ name }}", "{{ preferences_url }}", "{{ unsubscribe_url }}"}


def test_a_campaign_needs_a_topic_and_nothing_is_stored_without_one(testapp, dbsession, staff, tr):
    dbsession.rollback()
    make_topic(dbsession)
    dbsession.commit()
    form = form_with(testapp.get(f"{CAMPAIGNS}/new"), "subject")
    form["subject"] = "Νέα του μήνα"
    form["body"] = "Γεια σου {{ first_name }}!"
    page = form.submit(status=400)

    assert tr("This field is required.") in error_next_to(page, "topics")
    assert form_with(page, "subject")["body"].value == "Γεια σου {{ first_name }}!"
    assert campaign_count(dbsession) == 0


@pytest.mark.parametrize(("field", "source", "expected"), [
    ("body", "Γεια σου {{ first_name", None),
    ("body", "Γεια σου {{ nope }}!", "nope"),
    ("body", "{{ ''.__class__ }}", "unsafe"),
    ("subject", "Νέα {% if %}", None),
    ("body", "{{ 1/0 }}", "ZeroDivisionError"),
    ("body", '{{ "x"|format(1, 2) }}', "TypeError"),
    ("body", '{{ "a" * 10**9 }}', "not allowed"),
])
def test_a_broken_template_is_explained_next_to_its_field_and_nothing_is_stored(
        testapp, dbsession, staff, tr, field, source, expected):
    dbsession.rollback()
    topic = make_topic(dbsession)
    dbsession.commit()
    form = form_with(testapp.get(f"{CAMPAIGNS}/new"), "subject")
    form["subject"] = "Νέα του μήνα"
    form["body"] = "Γεια σου {{ first_name }}!"
    form[field] = source
    tick(form, "topics", topic.id)
    page = form.submit(status=400)

    with pytest.raises(CampaignTemplateError) as caught:
        check_template(source)
    problem = caught.value.message
    if expected == "nope":
        fields = "{{ first_name }}, {{ name }}, {{ preferences_url }}, {{ unsubscribe_url }}"
        problem = html.unescape(tr("${problem}. The merge fields are: ${fields}", problem=problem, fields=fields))
    wrapper = "There is an error on line ${line}: ${problem}" if caught.value.line else "There is an error: ${problem}"
    shown = error_next_to(page, field)
    assert shown == tr(wrapper, line=caught.value.line, problem=problem)
    if expected is None:  # a syntax error says where
        assert caught.value.line == 1
    else:
        assert expected in shown
    assert form_with(page, "subject")[field].value == source
    assert "Traceback" not in page.text
    assert campaign_count(dbsession) == 0


def test_merge_fields_do_not_work_in_the_preheader(testapp, dbsession, staff, tr):
    dbsession.rollback()
    topic = make_topic(dbsession)
    dbsession.commit()
    form = form_with(testapp.get(f"{CAMPAIGNS}/new"), "subject")
    form["subject"] = "Νέα"
    form["preheader"] = "Για σένα, {{ first_name }}"
    form["body"] = "Κείμενο"
    tick(form, "topics", topic.id)
    page = form.submit(status=400)
    assert tr("Merge fields work in the subject and the message, not here.") in error_next_to(page, "preheader")
    assert campaign_count(dbsession) == 0


def test_staff_create_a_campaign_whose_segment_narrows_whom_it_reaches(
        testapp, dbsession, staff, event_factory):
    event = event_factory(title_el="Pitch night")
    dbsession.rollback()
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 4)
    dbsession.commit()
    add_registration(dbsession, event, email="person0@example.org")
    add_registration(dbsession, event, email="person1@example.org")
    add_registration(dbsession, event, email="person2@example.org", status=RegistrationStatus.CANCELLED)
    add_registration(dbsession, event, email="not-subscribed@example.org")
    topic_id, event_id = topic.id, event.id

    form = form_with(testapp.get(f"{CAMPAIGNS}/new"), "subject")
    form["subject"] = "Ευχαριστούμε, {{ first_name }}"
    form["preheader"] = "Τα επόμενα βήματα"
    form["body"] = "Γεια σου {{ first_name }}!\n\n[Προτιμήσεις]({{ preferences_url }})"
    form["locale"] = "el"
    tick(form, "topics", topic_id)
    form["events_registered"] = [str(event_id)]
    form["in_archive"] = True
    page = form.submit(status=303).follow()

    dbsession.rollback()
    campaign = dbsession.scalar(select(Campaign))
    assert campaign.subject == "Ευχαριστούμε, {{ first_name }}"
    assert campaign.in_archive is True
    assert campaign.status is CampaignStatus.DRAFT
    assert [topic.id for topic in campaign.topics] == [topic_id]
    assert [(segment.kind, segment.event_id) for segment in campaign.segments] == [
        (SegmentKind.EVENT_REGISTERED, event_id)]
    assert "Pitch night" in page.html.select_one("#audience-heading").parent.text
    # person0 and person1 registered; person2 cancelled; person3 never registered.
    assert re.search(r"\b2\b", page.html.select_one(".recipient-count").text)

    edit = form_with(testapp.get(f"{page_of(campaign.id)}/edit"), "subject")
    assert edit["events_registered"].value == [str(event_id)]
    assert edit["subject"].value == "Ευχαριστούμε, {{ first_name }}"
    edit["events_registered"] = []
    page = edit.submit(status=303).follow()
    assert re.search(r"\b4\b", page.html.select_one(".recipient-count").text)
    assert stored(dbsession, campaign.id).segments == []


def test_a_campaign_for_the_founders_of_a_cohort(testapp, dbsession, staff, user_factory):
    dbsession.rollback()
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 4)
    current = Cohort(name="Κύκλος 2026", starts_on=datetime.date(2026, 3, 1), ends_on=datetime.date(2026, 12, 15))
    earlier = Cohort(name="Κύκλος 2025", starts_on=datetime.date(2025, 3, 1), ends_on=datetime.date(2025, 12, 15))
    dbsession.add_all([current, earlier])
    dbsession.flush()
    ours = Startup(name="Ελαιόλαδο Plus", slug="elaiolado-plus", cohort_id=current.id)
    theirs = Startup(name="Κρητική Ενέργεια", slug="kritiki-energeia", cohort_id=earlier.id)
    dbsession.add_all([ours, theirs])
    dbsession.commit()
    # person0 and person1 founded a startup of this cohort; person2 one of another cohort.
    founders = [(user_factory(email=f"Person{number}@example.org", role=Role.FOUNDER).id, startup.id)
                for number, startup in ((0, ours), (1, ours), (2, theirs))]
    dbsession.add_all(StartupFounder(user_id=user_id, startup_id=startup_id, role="CEO")
                      for user_id, startup_id in founders)
    dbsession.commit()
    cohort_id = current.id

    form = form_with(testapp.get(f"{CAMPAIGNS}/new"), "subject")
    form["subject"] = "Η επόμενη φάση του προγράμματος"
    form["body"] = "Γεια σου {{ first_name }}!"
    tick(form, "topics", topic.id)
    form["cohort_founders"] = [str(cohort_id)]
    page = form.submit(status=303).follow()

    assert "Κύκλος 2026" in page.html.select_one("#audience-heading").parent.text
    assert re.search(r"\b2\b", page.html.select_one(".recipient-count").text)
    dbsession.rollback()
    campaign = dbsession.scalar(select(Campaign))
    assert [(segment.kind, segment.cohort_id) for segment in campaign.segments] == [
        (SegmentKind.COHORT_FOUNDERS, cohort_id)]
    assert form_with(testapp.get(f"{page_of(campaign.id)}/edit"), "subject")["cohort_founders"].value == [
        str(cohort_id)]


def test_the_campaign_list_filters_by_status_and_counts_who_got_each(testapp, dbsession, staff):
    draft_id, _people = a_campaign(dbsession, subject="Πρόχειρο")
    draft = stored(dbsession, draft_id)
    copy = Campaign(subject="Σταλμένο", status=CampaignStatus.SENT, topics=list(draft.topics),
                    started_at=utcnow(), finished_at=utcnow())
    dbsession.add(copy)
    dbsession.flush()
    dbsession.add_all([CampaignRecipient(campaign_id=copy.id, email=f"p{number}@example.org",
                                         status=RecipientStatus.SENT) for number in range(3)])
    dbsession.commit()

    page = testapp.get(CAMPAIGNS)
    rows = {row.th.text: row for row in page.html.select("tbody tr")}
    assert set(rows) == {"Πρόχειρο", "Σταλμένο"}
    assert rows["Σταλμένο"].select("td")[-1].text == "3"
    assert "Εκδηλώσεις" in rows["Πρόχειρο"].text
    only_sent = testapp.get(CAMPAIGNS, {"status": "sent"})
    assert [row.text for row in only_sent.html.select("tbody th")] == ["Σταλμένο"]
    assert testapp.get(CAMPAIGNS, {"status": "nonsense"}).status_int == 200


def test_a_sent_campaign_cannot_be_edited(testapp, dbsession, staff, tr):
    campaign_id, _people = a_campaign(dbsession)
    campaign = stored(dbsession, campaign_id)
    campaign.status = CampaignStatus.SENT
    dbsession.commit()

    response = testapp.get(f"{page_of(campaign_id)}/edit", status=303)
    assert response.location.endswith(page_of(campaign_id))
    assert tr("Only a draft or a scheduled campaign can change. Duplicate it to send a changed copy.") in \
        response.follow().text
    testapp.post(f"{page_of(campaign_id)}/edit", {"csrf_token": csrf_token(testapp), "subject": "Άλλο"}, status=303)
    assert stored(dbsession, campaign_id).subject == "Νέα του μήνα, {{ first_name }}"
    assert "/edit" not in " ".join(link["href"] for link in testapp.get(page_of(campaign_id)).html.select("a"))


# --- preview and test ---------------------------------------------------------------------------


def test_preview_as_a_chosen_subscriber_shows_their_name_and_their_own_links(testapp, dbsession, registry, staff):
    campaign_id, people = a_campaign(dbsession)
    dbsession.rollback()
    eleni = dbsession.get(Subscriber, people[1])
    eleni.name = "Ελένη Κ."
    dbsession.commit()
    secret = registry.settings["dimoskopio.secret"]

    page = testapp.get(f"{page_of(campaign_id)}/preview", {"email": "PERSON1@example.org"})
    frame = page.html.select_one("iframe")
    assert frame.has_attr("sandbox") and not frame["sandbox"], "a sandbox that allows nothing"
    assert frame["title"]
    html_part = frame["srcdoc"]
    text_part = page.html.select_one("pre").text
    assert "Γεια σου Ελένη!" in html_part and "Γεια σου Ελένη!" in text_part
    own_link = f"/newsletter/preferences/{link_token(secret, 'preferences', dbsession.get(Subscriber, people[1]))}"
    assert own_link in html_part and own_link in text_part
    assert "Νέα του μήνα, Ελένη" in page.html.select_one(".facts").text
    assert "%first-name" not in html_part and "merge.invalid" not in html_part

    first = testapp.get(f"{page_of(campaign_id)}/preview")
    assert "Γεια σου Μαρία!" in first.html.select_one("pre").text
    assert "person0@example.org" in first.html.select_one(".facts").text


def test_preview_for_an_unknown_email_says_so_next_to_the_field(testapp, dbsession, staff, tr):
    campaign_id, _people = a_campaign(dbsession)
    page = testapp.get(f"{page_of(campaign_id)}/preview", {"email": "nobody@example.org"}, status=404)
    assert tr("No subscriber has this email address.") in error_next_to(page, "preview-email")
    assert page.html.select_one("#preview-email")["value"] == "nobody@example.org"
    assert page.html.select_one("iframe") is None


def test_a_test_send_reaches_sendgrid_marked_as_a_test_and_counts_nowhere(testapp, dbsession, staff, sendgrid):
    campaign_id, _people = a_campaign(dbsession)
    form = form_with(testapp.get(page_of(campaign_id)), "addresses")
    assert form["addresses"].value == "staff@example.gr"
    form["addresses"] = "eleni@example.gr,\nnikos@example.gr"
    form.submit(status=303).follow()

    [request] = sendgrid.accepted
    prefix = localizer_for("el").translate(_("Test"), domain=TRANSLATION_DOMAIN)
    assert request.body["subject"] == f"[{prefix}] Νέα του μήνα, %first-name%"
    assert sorted(request.recipients) == ["eleni@example.gr", "nikos@example.gr"]
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(CampaignRecipient)) == 0
    assert dbsession.scalar(select(func.count()).select_from(CampaignBatch)) == 0
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT


def test_test_addresses_are_checked_next_to_the_field(testapp, dbsession, staff, sendgrid, tr):
    campaign_id, _people = a_campaign(dbsession)
    form = form_with(testapp.get(page_of(campaign_id)), "addresses")
    form["addresses"] = "eleni@example.gr, not-an-address"
    page = form.submit(status=400)
    assert tr("These are not valid email addresses: ${addresses}", addresses="not-an-address") in \
        error_next_to(page, "addresses")
    assert form_with(page, "addresses")["addresses"].value == "eleni@example.gr, not-an-address"

    form["addresses"] = "\n".join(f"person{number}@example.gr" for number in range(11))
    page = form.submit(status=400)
    assert tr("Send a test to at most ${count} addresses.", count=10) in error_next_to(page, "addresses")
    assert sendgrid.received == []


def test_a_test_sendgrid_refuses_is_explained_not_a_crash(testapp, dbsession, staff, sendgrid):
    campaign_id, _people = a_campaign(dbsession)
    sendgrid.answer_next(400, body=b'{"errors":[{"message":"The from address does not match a verified Sender"}]}')
    form = form_with(testapp.get(page_of(campaign_id)), "addresses")
    page = form.submit(status=502)
    shown = error_next_to(page, "addresses")
    assert "SendGrid answered 400" in shown
    assert "verified Sender" in shown
    assert form_with(page, "addresses")["addresses"].value == "staff@example.gr"


# --- sending ----------------------------------------------------------------------------------


def test_send_now_needs_confirming_then_goes_out_with_progress(testapp, dbsession, staff, sendgrid, run_tasks, tr):
    campaign_id, _people = a_campaign(dbsession, people=3)
    page = testapp.get(page_of(campaign_id))
    send = form_with(page, "confirm")
    assert re.search(r"\b3\b", page.html.select_one("label[for=confirm]").text)
    refused = send.submit(status=400)
    assert tr("Tick the box to confirm that it goes out now.") in error_next_to(refused, "confirm")
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT

    send["confirm"] = True
    page = send.submit(status=303).follow()
    assert tr("Sending has started. Recipients: ${count}. You may leave this page: the sending goes on in the "
              "background.", count=3) in flashed(page)
    box = page.html.select_one(".campaign-progress")
    assert box["data-running"] == "true"
    assert box["data-progress-url"] == f"{page_of(campaign_id)}/progress.json"
    assert testapp.get(f"{page_of(campaign_id)}/progress.json").json == {
        "running": True, "issued": 0, "total": 3, "sent": 0, "skipped": 0, "pending": 3, "in_doubt_batches": 0,
        "percent": 0}

    run_tasks()
    assert sorted(sendgrid.delivered_addresses()) == [f"person{number}@example.org" for number in range(3)]
    page = testapp.get(page_of(campaign_id))
    assert status_shown(page) == tr("Sent")
    assert page.html.select_one(".campaign-progress")["data-running"] == "false"
    assert page.html.select_one("progress")["value"] == "3"
    assert page.html.find("a", href=f"{page_of(campaign_id)}/stats") is not None
    assert testapp.get(f"{page_of(campaign_id)}/progress.json").json["running"] is False
    assert testapp.get(f"{page_of(campaign_id)}/progress.json").json["issued"] == 3
    assert page.html.find(attrs={"name": "confirm"}) is None


def test_a_campaign_nobody_would_receive_is_not_sent(testapp, dbsession, staff, sendgrid, run_tasks, tr):
    campaign_id, _people = a_campaign(dbsession, people=0)
    send = form_with(testapp.get(page_of(campaign_id)), "confirm")
    send["confirm"] = True
    page = send.submit(status=303).follow()
    assert html.unescape(tr("Nobody is in the audience of this campaign, so it was not sent. Choose other topics "
                            "or segments.")) in flashed(page, "error")
    run_tasks()
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT
    assert sendgrid.received == []


def local_form_value(moment):
    return moment.astimezone(ATHENS).strftime("%Y-%m-%dT%H:%M")


def test_schedule_only_in_the_future_stored_in_utc_and_unschedule(testapp, dbsession, staff, tr):
    campaign_id, _people = a_campaign(dbsession)
    schedule = form_with(testapp.get(page_of(campaign_id)), "send_at")
    schedule["send_at"] = local_form_value(utcnow() - datetime.timedelta(hours=1))
    page = schedule.submit(status=400)
    assert tr("Choose a time in the future.") in error_next_to(page, "send_at")
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT

    schedule["send_at"] = "0001-01-01T00:00"
    schedule.submit(status=400)

    athens_day = (utcnow().astimezone(ATHENS) + datetime.timedelta(days=3)).date()
    wall_clock = datetime.datetime.combine(athens_day, datetime.time(9, 30))
    schedule["send_at"] = wall_clock.strftime("%Y-%m-%dT%H:%M")
    page = schedule.submit(status=303).follow()
    campaign = stored(dbsession, campaign_id)
    assert campaign.status is CampaignStatus.SCHEDULED
    assert campaign.scheduled_at == wall_clock.replace(tzinfo=ATHENS).astimezone(datetime.UTC)
    assert campaign.scheduled_at.utcoffset() == datetime.timedelta(0)
    assert status_shown(page) == tr("Scheduled")
    assert form_with(page, "send_at")["send_at"].value == wall_clock.strftime("%Y-%m-%dT%H:%M")

    form_to(page, "/unschedule").submit(status=303)
    campaign = stored(dbsession, campaign_id)
    assert campaign.status is CampaignStatus.DRAFT
    assert campaign.scheduled_at is None


def test_pause_resume_and_cancel_only_when_they_make_sense(testapp, dbsession, staff, sendgrid, run_tasks, tr):
    campaign_id, _people = a_campaign(dbsession)
    token = csrf_token(testapp)

    refused = testapp.post(f"{page_of(campaign_id)}/pause", {"csrf_token": token}, status=303).follow()
    assert tr("This cannot be done while the campaign is “${status}”.", status=tr("Draft")) in flashed(refused, "error")
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT
    testapp.post(f"{page_of(campaign_id)}/resume", {"csrf_token": token}, status=303)
    assert stored(dbsession, campaign_id).status is CampaignStatus.DRAFT

    send = form_with(testapp.get(page_of(campaign_id)), "confirm")
    send["confirm"] = True
    page = send.submit(status=303).follow()
    page = form_to(page, "/pause").submit(status=303).follow()
    assert stored(dbsession, campaign_id).status is CampaignStatus.PAUSED
    assert status_shown(page) == tr("Paused")
    run_tasks()
    assert sendgrid.received == []

    page = form_to(page, "/resume").submit(status=303).follow()
    assert stored(dbsession, campaign_id).status is CampaignStatus.SENDING
    run_tasks()
    assert len(sendgrid.delivered_addresses()) == 3
    assert stored(dbsession, campaign_id).status is CampaignStatus.SENT

    testapp.post(f"{page_of(campaign_id)}/cancel", {"csrf_token": token}, status=303)
    assert stored(dbsession, campaign_id).status is CampaignStatus.SENT


def test_cancel_stops_a_paused_campaign_for_good(testapp, dbsession, staff, sendgrid, run_tasks):
    campaign_id, _people = a_campaign(dbsession)
    send = form_with(testapp.get(page_of(campaign_id)), "confirm")
    send["confirm"] = True
    page = form_to(send.submit(status=303).follow(), "/pause").submit(status=303).follow()
    page = form_to(page, "/cancel").submit(status=303).follow()
    run_tasks()
    campaign = stored(dbsession, campaign_id)
    assert campaign.status is CampaignStatus.CANCELLED
    assert campaign.finished_at is not None
    assert sendgrid.received == []
    assert page.html.find(attrs={"action": f"{page_of(campaign_id)}/resume"}) is None


def test_a_paused_campaign_shows_why_sendgrid_refused(testapp, dbsession, staff, sendgrid, run_tasks):
    campaign_id, _people = a_campaign(dbsession)
    sendgrid.answer_next(400, body=b'{"errors":[{"message":"Invalid from address"}]}')
    send = form_with(testapp.get(page_of(campaign_id)), "confirm")
    send["confirm"] = True
    send.submit(status=303)
    run_tasks()

    page = testapp.get(page_of(campaign_id))
    assert stored(dbsession, campaign_id).status is CampaignStatus.PAUSED
    assert "Invalid from address" in page.html.select_one(".notice-error").text
    [row] = page.html.select("section[aria-labelledby=batches-heading] tbody tr")
    assert "Invalid from address" in row.text
    assert row.find("button") is None


def test_only_drafts_are_deleted(testapp, dbsession, staff, tr):
    draft_id, _people = a_campaign(dbsession)
    page = testapp.get(page_of(draft_id))
    listing = form_to(page, "/delete").submit(status=303).follow()
    assert listing.request.path == CAMPAIGNS
    assert tr("The draft is deleted.") in flashed(listing)
    assert campaign_count(dbsession) == 0

    scheduled_id, _people = a_campaign(dbsession, people=0, topic_slug="news")
    campaign = stored(dbsession, scheduled_id)
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_at = utcnow() + datetime.timedelta(days=1)
    dbsession.commit()
    assert testapp.get(page_of(scheduled_id)).html.find(attrs={"action": f"{page_of(scheduled_id)}/delete"}) is None
    testapp.post(f"{page_of(scheduled_id)}/delete", {"csrf_token": csrf_token(testapp)}, status=303)
    assert stored(dbsession, scheduled_id) is not None


def test_duplicate_makes_an_editable_draft_with_the_same_content_and_audience(
        testapp, dbsession, staff, event_factory):
    event = event_factory()
    campaign_id, _people = a_campaign(dbsession)
    campaign = stored(dbsession, campaign_id)
    campaign.status = CampaignStatus.SENT
    campaign.segments = [CampaignSegment(kind=SegmentKind.EVENT_ATTENDED, event_id=event.id),
                         CampaignSegment(kind=SegmentKind.MENTORS)]
    dbsession.commit()

    edit = form_to(testapp.get(page_of(campaign_id)), "/duplicate").submit(status=303).follow()
    dbsession.rollback()
    copy = dbsession.scalar(select(Campaign).where(Campaign.id != campaign_id))
    assert edit.request.path == f"{page_of(copy.id)}/edit"
    assert copy.status is CampaignStatus.DRAFT
    assert copy.subject == "Νέα του μήνα, {{ first_name }}"
    assert {(segment.kind, segment.event_id) for segment in copy.segments} == {
        (SegmentKind.EVENT_ATTENDED, event.id), (SegmentKind.MENTORS, None)}
    form = form_with(edit, "subject")
    assert form["events_attended"].value == [str(event.id)]
    assert form["mentors"].checked


@pytest.mark.parametrize("decision", ["sent", "resend"])
def test_a_batch_in_doubt_is_settled_by_staff(testapp, dbsession, staff, sendgrid, run_tasks, tr, decision):
    campaign_id, _people = a_campaign(dbsession)
    send = form_with(testapp.get(page_of(campaign_id)), "confirm")
    send["confirm"] = True
    send.submit(status=303)
    dbsession.rollback()
    batch = dbsession.scalar(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id))
    # The worker died during the request: nobody knows whether SendGrid took it.
    batch.status = BatchStatus.IN_DOUBT
    batch.last_error = "The worker stopped while this batch was being sent."
    dbsession.commit()

    page = testapp.get(page_of(campaign_id))
    section = page.html.select_one("section[aria-labelledby=batches-heading]")
    assert "sendgrid.webhook_public_key" in section.text
    assert "The worker stopped while this batch was being sent." in section.text
    form = form_to(page, f"/batches/{batch.id}")
    page = form.submit("decision", value=decision, status=303).follow()
    run_tasks()

    assert stored(dbsession, campaign_id).status is CampaignStatus.SENT
    dbsession.rollback()
    assert set(dbsession.scalars(select(CampaignRecipient.status).where(
        CampaignRecipient.campaign_id == campaign_id))) == {RecipientStatus.SENT}
    if decision == "sent":
        assert tr("The batch is counted as sent.") in flashed(page)
        assert sendgrid.received == []
    else:
        assert tr("The batch will be sent again.") in flashed(page)
        assert len(sendgrid.delivered_addresses()) == 3

    again = testapp.post(f"{page_of(campaign_id)}/batches/{batch.id}",
                         {"csrf_token": csrf_token(testapp), "decision": "resend"}, status=303).follow()
    assert tr("This batch is no longer in doubt: it was settled meanwhile.") in flashed(again, "error")


def test_the_explanation_of_batches_in_doubt_says_when_the_webhook_settles_them(
        testapp, dbsession, staff, webhook_signer):
    campaign_id, _people = a_campaign(dbsession)
    campaign = stored(dbsession, campaign_id)
    campaign.status = CampaignStatus.SENDING
    campaign.started_at = utcnow()
    dbsession.add(CampaignBatch(campaign_id=campaign_id, status=BatchStatus.IN_DOUBT, size=3))
    dbsession.commit()
    section = testapp.get(page_of(campaign_id)).html.select_one("section[aria-labelledby=batches-heading]")
    assert "sendgrid.webhook_public_key" not in section.text
    assert len(section.select("button[name=decision]")) == 2


def test_a_batch_of_another_campaign_is_not_found(testapp, dbsession, staff):
    first_id, _people = a_campaign(dbsession)
    other = Campaign(subject="Άλλη", topics=list(stored(dbsession, first_id).topics))
    dbsession.add(other)
    dbsession.flush()
    batch = CampaignBatch(campaign_id=other.id, status=BatchStatus.IN_DOUBT)
    dbsession.add(batch)
    dbsession.commit()
    testapp.post(f"{page_of(first_id)}/batches/{batch.id}", {"csrf_token": csrf_token(testapp), "decision": "sent"},
                 status=404)
    testapp.post(f"{page_of(other.id)}/batches/{batch.id}", {"csrf_token": csrf_token(testapp), "decision": "maybe"},
                 status=400)


def test_a_stored_campaign_that_no_longer_renders_is_explained_not_a_crash(testapp, dbsession, staff, sendgrid):
    # The form never stores such a body; code may (a generated digest, an old row).
    campaign_id, _people = a_campaign(dbsession, body="Γεια σου {{ nope }}")
    preview = testapp.get(f"{page_of(campaign_id)}/preview")
    assert "nope" in preview.html.select_one(".notice-error").text
    assert preview.html.select_one("iframe") is None

    page = form_with(testapp.get(page_of(campaign_id)), "addresses").submit(status=400)
    assert "nope" in error_next_to(page, "addresses")
    assert sendgrid.received == []
