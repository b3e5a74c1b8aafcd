"""The public archive of past campaigns: only those sent and chosen for it, with nobody's data."""

import datetime

from sqlalchemy import select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from mailing.models import Campaign, CampaignStatus, Subscriber
from tests.functional.conftest import csrf_token
from tests.functional.test_campaign_delivery import make_campaign, make_subscribers, make_topic, start

ARCHIVE = "/newsletter/archive"
BODY = ("## Τι έρχεται\n\nΓεια σου {{ first_name }}! Δες το **Pitch night**.\n\n"
        "[Οι προτιμήσεις σου]({{ preferences_url }}) · [Διαγραφή]({{ unsubscribe_url }})")


def campaigns_in_every_state(dbsession):
    """One campaign per case the archive must tell apart; returns their ids by name."""
    dbsession.rollback()
    topic = make_topic(dbsession)
    finished = utcnow() - datetime.timedelta(days=2)
    cases = {
        "published": {"status": CampaignStatus.SENT, "in_archive": True, "finished_at": finished},
        "not_chosen": {"status": CampaignStatus.SENT, "in_archive": False, "finished_at": finished},
        "draft": {"status": CampaignStatus.DRAFT, "in_archive": True},
        "cancelled": {"status": CampaignStatus.CANCELLED, "in_archive": True, "finished_at": finished},
        "sending": {"status": CampaignStatus.SENDING, "in_archive": True},
    }
    ids = {name: make_campaign(dbsession, topic, subject=f"Θέμα {name}", body=BODY, **values).id
           for name, values in cases.items()}
    dbsession.commit()
    return ids


def test_the_archive_lists_only_sent_campaigns_chosen_for_it(testapp, dbsession):
    ids = campaigns_in_every_state(dbsession)
    page = testapp.get(ARCHIVE)
    links = page.html.select(".archive-list a")
    assert [(link.text, link["href"]) for link in links] == [("Θέμα published", f"{ARCHIVE}/{ids['published']}")]
    assert links[0].find_previous("time")["datetime"].startswith(str((utcnow() - datetime.timedelta(days=2)).year))

    for name in ("not_chosen", "draft", "cancelled", "sending"):
        testapp.get(f"{ARCHIVE}/{ids[name]}", status=404)
    testapp.get(f"{ARCHIVE}/999999", status=404)
    testapp.get(f"{ARCHIVE}/99999999999999999999", status=404)


def test_an_archived_campaign_shows_its_content_without_anyones_data(testapp, dbsession, sendgrid, run_tasks):
    dbsession.rollback()
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 2)
    campaign = make_campaign(dbsession, topic, subject="Νέα του μήνα, {{ first_name }}", body=BODY, in_archive=True)
    campaign_id = campaign.id
    dbsession.commit()
    start(campaign_id)
    run_tasks()
    # The email offers the archive copy to read in a browser.
    assert f"http://localhost{ARCHIVE}/{campaign_id}" in sendgrid.accepted[0].body["content"][0]["value"]

    page = testapp.get(f"{ARCHIVE}/{campaign_id}")
    article = page.html.select_one("article")
    assert article.h1.text == "Νέα του μήνα,"
    assert article.select_one(".archive-content h2").text == "Τι έρχεται"
    assert article.select_one(".archive-content strong").text == "Pitch night"
    assert {link["href"] for link in article.select(".archive-content a")} == {"http://localhost/newsletter"}
    dbsession.rollback()
    names = [subscriber.name for subscriber in dbsession.scalars(select(Subscriber))]
    assert names and not any(name.split()[0] in page.text for name in names)
    for trace in ("/newsletter/preferences/", "/newsletter/unsubscribe/", "%first-name", "%full-name",
                  "merge.invalid", "{{", "example.org"):
        assert trace not in page.text


def test_the_archive_is_paginated_newest_first(testapp, dbsession):
    dbsession.rollback()
    topic = make_topic(dbsession)
    now = utcnow()
    for number in range(23):
        make_campaign(dbsession, topic, subject=f"Τεύχος {number}", status=CampaignStatus.SENT, in_archive=True,
                      finished_at=now - datetime.timedelta(days=30 - number))
    dbsession.commit()

    first = testapp.get(ARCHIVE)
    subjects = [link.text for link in first.html.select(".archive-list a")]
    assert len(subjects) == 20
    assert subjects[0] == "Τεύχος 22"
    second = testapp.get(ARCHIVE, {"page": 2})
    assert [link.text for link in second.html.select(".archive-list a")] == ["Τεύχος 2", "Τεύχος 1", "Τεύχος 0"]


def test_the_subscribe_page_links_to_the_archive(testapp):
    page = testapp.get("/newsletter")
    assert page.html.find("a", href=ARCHIVE) is not None
    assert testapp.get(ARCHIVE).html.select_one(".empty-state") is not None



def test_staff_take_a_sent_campaign_off_the_archive_and_put_it_back(testapp, dbsession, logged_in):
    ids = campaigns_in_every_state(dbsession)
    logged_in(Role.STAFF)
    page_path = f"/admin/newsletter/campaigns/{ids['published']}"
    token = csrf_token(testapp)

    testapp.post(f"{page_path}/unpublish", {"csrf_token": token}, status=303)
    testapp.get(f"{ARCHIVE}/{ids['published']}", status=404)
    testapp.post(f"{page_path}/publish", {"csrf_token": token}, status=303)
    testapp.get(f"{ARCHIVE}/{ids['published']}", status=200)
    # Only sent campaigns are published or withdrawn this way; a draft chooses it on its form.
    refused = testapp.post(f"/admin/newsletter/campaigns/{ids['draft']}/unpublish", {"csrf_token": token},
                           status=303).follow()
    assert refused.html.select_one(".notice-error") is not None
    dbsession.rollback()
    assert dbsession.get(Campaign, ids["draft"]).in_archive
