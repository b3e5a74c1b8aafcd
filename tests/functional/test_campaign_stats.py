"""A campaign's statistics page: people reached, opening, clicking, leaving and complaining, with
rates; the chart over time and its table; the most clicked links; who may see them."""

import datetime
import html
import itertools
import xml.etree.ElementTree as ElementTree

import pytest

from dimoskopio.accounts.models import Role
from dimoskopio.i18n import TRANSLATION_DOMAIN, localizer_for
from mailing.models import Campaign, CampaignRecipient, CampaignStatus, DeliveryEvent, RecipientStatus
from tests.functional.conftest import switch_language

UTC = datetime.UTC
STARTED = datetime.datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # 10:30 in Athens
_event_ids = itertools.count()


def make_sent_campaign(dbsession, recipients=10, started_at=STARTED, **overrides):
    campaign = Campaign(subject="Νέα του Νοεμβρίου", status=CampaignStatus.SENT, started_at=started_at,
                        finished_at=started_at + datetime.timedelta(minutes=5), **overrides)
    dbsession.add(campaign)
    dbsession.flush()
    people = [CampaignRecipient(campaign_id=campaign.id, email=f"person{number}@example.org",
                                status=RecipientStatus.SENT, sent_at=started_at)
              for number in range(recipients)]
    # Left out after the start, or not reached yet: neither counts as sent.
    people.append(CampaignRecipient(campaign_id=campaign.id, email="left@example.org",
                                    status=RecipientStatus.SKIPPED))
    people.append(CampaignRecipient(campaign_id=campaign.id, email="waiting@example.org",
                                    status=RecipientStatus.PENDING))
    dbsession.add_all(people)
    dbsession.flush()
    return campaign, people


def report(dbsession, campaign, recipient, event, minutes, url="", email=None):
    dbsession.add(DeliveryEvent(sg_event_id=f"sg-{next(_event_ids)}", event=event, email=email or recipient.email,
                                campaign_id=campaign.id, recipient_id=recipient.id, url=url,
                                occurred_at=campaign.started_at + datetime.timedelta(minutes=minutes)))


PROGRAMME = "http://localhost/events/pitch-night"
CALENDAR = "http://localhost/events"


@pytest.fixture
def known_campaign(dbsession):
    """10 sent: 8 delivered, 2 bounced (one of them reported twice, the other dropped), 5 opened
    (one of them twice), 2 clicked (3 clicks), 1 unsubscribed (reported both ways), 1 complaint;
    and a deferral, which is none of these."""
    dbsession.rollback()
    campaign, people = make_sent_campaign(dbsession)
    for number, person in enumerate(people[:8]):
        report(dbsession, campaign, person, "processed", 0)
        report(dbsession, campaign, person, "delivered", 10 + number * 20)
    report(dbsession, campaign, people[0], "deferred", 5)
    report(dbsession, campaign, people[8], "bounce", 12)
    report(dbsession, campaign, people[8], "bounce", 13)
    report(dbsession, campaign, people[9], "dropped", 1)
    for number, person in enumerate(people[:5]):
        report(dbsession, campaign, person, "open", 40 + number * 60)
    # SendGrid may spell the address in another case: still the same person.
    report(dbsession, campaign, people[0], "open", 300, email=people[0].email.upper())
    report(dbsession, campaign, people[0], "click", 45, url=PROGRAMME)
    report(dbsession, campaign, people[0], "click", 301, url=PROGRAMME)
    report(dbsession, campaign, people[1], "click", 105, url=CALENDAR)
    report(dbsession, campaign, people[2], "unsubscribe", 170)
    report(dbsession, campaign, people[2], "group_unsubscribe", 171)
    report(dbsession, campaign, people[3], "spamreport", 200)
    # Another campaign's events count for it alone.
    other, other_people = make_sent_campaign(dbsession, recipients=2)
    report(dbsession, other, other_people[0], "open", 1)
    report(dbsession, other, other_people[0], "click", 2, url=PROGRAMME)
    dbsession.commit()
    return campaign


def figure(page, key):
    card = page.html.select_one(f"#figure-{key}")
    rate = card.select_one(".stat-rate")
    return card.select_one(".stat-number").text.strip(), " ".join(rate.text.split()) if rate else None


def parse_svg(body):
    return ElementTree.fromstring(body)  # noqa: S314 - the app's own chart, not untrusted data


def table_rows(page, table_id):
    return [[cell.text.strip() for cell in row.find_all(["th", "td"])]
            for row in page.html.select(f"#{table_id} tbody tr")]


def in_language(message, locale_name, **values):
    """A message of a template's {% trans %} block as the app shows it (Jinja2 fills it in with %)."""
    return localizer_for(locale_name).translate(message, domain=TRANSLATION_DOMAIN) % values


def of_sent(rate, locale_name="el"):
    return in_language("%(rate)s%% of those sent", locale_name, rate=rate)


def of_delivered(rate, locale_name="el"):
    return in_language("%(rate)s%% of those delivered", locale_name, rate=rate)


def test_staff_see_exact_figures_and_rates_in_greek_and_english(testapp, logged_in, known_campaign):
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{known_campaign.id}/stats")

    assert figure(page, "sent") == ("10", None)
    assert figure(page, "delivered") == ("8", of_sent("80"))
    assert figure(page, "bounced") == ("2", of_sent("20"))
    assert figure(page, "opened") == ("5", of_delivered("62,5"))
    assert figure(page, "clicked") == ("2", of_delivered("25"))
    assert figure(page, "unsubscribed") == ("1", of_sent("10"))
    assert figure(page, "complaints") == ("1", of_sent("10"))
    back = page.html.find("a", href=f"/admin/newsletter/campaigns/{known_campaign.id}")
    assert back is not None
    assert table_rows(page, "links-table") == [[PROGRAMME, "2", "1"], [CALENDAR, "1", "1"]]

    switch_language(testapp, "en")
    english = testapp.get(f"/admin/newsletter/campaigns/{known_campaign.id}/stats")
    assert figure(english, "opened") == ("5", of_delivered("62.5", "en"))
    assert figure(english, "opened") == ("5", "62.5% of those delivered")


def test_figures_hourly_over_the_first_three_days_with_a_table_of_the_chart(testapp, logged_in, known_campaign):
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{known_campaign.id}/stats")

    chart = page.html.select_one("img.chart")
    assert chart["src"] == f"/admin/newsletter/campaigns/{known_campaign.id}/stats.svg"
    assert chart["alt"]
    # Started 10:30 Athens time; the last event (the second open) came five hours later. The
    # delivered at minutes 10, 30, ..., 150; first opens at 40, 100, ..., 280; clicks at 45, 105, 301.
    assert table_rows(page, "timeline-table") == [
        ["20/11 10:00", "1", "0", "0"],
        ["20/11 11:00", "3", "1", "1"],
        ["20/11 12:00", "3", "1", "1"],
        ["20/11 13:00", "1", "1", "0"],
        ["20/11 14:00", "0", "1", "0"],
        ["20/11 15:00", "0", "1", "1"],
    ]


def test_figures_daily_once_events_span_more_than_three_days(testapp, dbsession, logged_in):
    campaign, people = make_sent_campaign(dbsession, recipients=3)
    report(dbsession, campaign, people[0], "delivered", 1)
    report(dbsession, campaign, people[1], "delivered", 2)
    report(dbsession, campaign, people[0], "open", 60 * 14)  # 00:30 on the 21st in Athens
    report(dbsession, campaign, people[1], "open", 60 * 24 * 3)
    report(dbsession, campaign, people[1], "click", 60 * 24 * 3 + 1, url=CALENDAR)
    dbsession.commit()
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{campaign.id}/stats")

    assert table_rows(page, "timeline-table") == [
        ["20 Νοε", "2", "0", "0"],
        ["21 Νοε", "0", "1", "0"],
        ["22 Νοε", "0", "0", "0"],
        ["23 Νοε", "0", "1", "1"],
    ]


def test_chart_is_an_svg_image_in_the_readers_language(testapp, logged_in, known_campaign, tr):
    logged_in(Role.STAFF)
    response = testapp.get(f"/admin/newsletter/campaigns/{known_campaign.id}/stats.svg")

    assert response.content_type == "image/svg+xml"
    assert "script-src" not in response.headers["Content-Security-Policy"]
    root = parse_svg(response.body)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = {" ".join("".join(element.itertext()).split()) for element in root.iter()}
    assert html.unescape(tr("Deliveries, opens and clicks per hour")) in texts
    assert "20/11 10:00" in texts
    assert {html.unescape(tr(label)) for label in ("Delivered", "Opened (first time)", "Clicks")} <= texts
    # pygal's own configuration script is inline (and the CSP runs none); nothing is fetched.
    assert not [element for element in root.iter() if any(name.endswith("href") for name in element.attrib)
                and element.tag.endswith("script")]


def test_personal_links_are_counted_together_without_anyones_token(testapp, dbsession, logged_in):
    campaign, people = make_sent_campaign(dbsession, recipients=3)
    for number, person in enumerate(people[:3]):
        report(dbsession, campaign, person, "click", number,
               url=f"http://localhost/newsletter/unsubscribe/secret-token-{number}?campaign={campaign.id}")
    report(dbsession, campaign, people[0], "click", 5, url="http://localhost/newsletter/preferences/secret-9")
    dbsession.commit()
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{campaign.id}/stats")

    rows = table_rows(page, "links-table")
    assert [row[1:] for row in rows] == [["3", "3"], ["1", "1"]]
    assert rows[0][0].startswith("http://localhost/newsletter/unsubscribe/…")
    assert rows[1][0].startswith("http://localhost/newsletter/preferences/…")
    assert "secret" not in page.text


def test_a_campaign_not_sent_yet_shows_no_figures(testapp, dbsession, logged_in, tr):
    dbsession.rollback()
    draft = Campaign(subject="Πρόχειρο")
    dbsession.add(draft)
    dbsession.commit()
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{draft.id}/stats")

    assert tr("This campaign has not been sent yet. Its statistics appear here once sending starts.") in page.text
    assert not page.html.select(".stat-number")
    chart = testapp.get(f"/admin/newsletter/campaigns/{draft.id}/stats.svg")
    assert tr("No deliveries, opens or clicks reported yet") in chart.text


def test_a_sent_campaign_without_reports_says_so(testapp, dbsession, logged_in, tr):
    campaign, _people = make_sent_campaign(dbsession, recipients=0)
    dbsession.commit()
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/newsletter/campaigns/{campaign.id}/stats")

    assert figure(page, "sent") == ("0", None)
    assert figure(page, "delivered") == ("0", None)
    assert tr("SendGrid has not reported any deliveries, opens or clicks yet.") in page.text
    parse_svg(testapp.get(f"/admin/newsletter/campaigns/{campaign.id}/stats.svg").body)


@pytest.mark.parametrize("path", ["stats", "stats.svg"])
def test_unknown_campaigns_are_not_found(testapp, logged_in, path):
    logged_in(Role.STAFF)
    testapp.get(f"/admin/newsletter/campaigns/999999/{path}", status=404)


@pytest.mark.parametrize("path", ["stats", "stats.svg"])
def test_only_staff_see_statistics(testapp, logged_in, known_campaign, path):
    url = f"/admin/newsletter/campaigns/{known_campaign.id}/{path}"
    anonymous = testapp.get(url, status=303)
    assert anonymous.location.endswith(f"/login?next=%2Fadmin%2Fnewsletter%2Fcampaigns%2F{known_campaign.id}%2F{path}")
    logged_in(Role.MEMBER)
    testapp.get(url, status=403)
