"""A campaign in a real browser: staff write it, preview it as a subscriber, send it and watch it
go out; the subscriber gets their own message and leaves with its one-click unsubscribe link."""

import email
import email.policy
import re
import secrets

import pytest
from playwright.sync_api import expect

from dimoskopio.accounts.models import Role
from dimoskopio.i18n import _, localizer_for
from dimoskopio.tasks import run_pending_tasks
from mailing.models import DeliveryEvent, MailingTopic, Subscriber, SubscriberStatus, Subscription
from tests.browser.conftest import local_link, log_in, text
from tests.browser.test_event_journeys import formatted

pytestmark = pytest.mark.browser


def test_staff_send_a_campaign_and_a_subscriber_unsubscribes_from_it(
        page, new_page, axe, dbsession, user_factory, mail_dir, live_server):
    dbsession.rollback()
    topic = MailingTopic(slug="events", name_el="Εκδηλώσεις", name_en="Events", position=1)
    dbsession.add(topic)
    dbsession.flush()
    for name, address in (("Ελένη Παπαδάκη", "eleni@example.gr"), ("Νίκος Δημητρίου", "nikos@example.gr")):
        person = Subscriber(email=address, name=name, status=SubscriberStatus.ACTIVE, link_salt=secrets.token_hex(32))
        person.subscriptions = [Subscription(topic_id=topic.id)]
        dbsession.add(person)
    dbsession.commit()
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)

    page.goto("/admin/newsletter/campaigns/new")
    page.get_by_label(text("Subject")).fill("Νέα του μήνα, {{ first_name }}")
    page.get_by_label(text("Message"), exact=True).fill(
        "Γεια σου {{ first_name }}!\n\nΤο **Startup Weekend** έρχεται.\n\n[Προτιμήσεις]({{ preferences_url }})")
    page.get_by_label("Εκδηλώσεις").check()
    with page.expect_navigation():
        page.get_by_role("button", name=text("Save")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Νέα του μήνα, {{ first_name }}")

    page.get_by_role("link", name=text("Preview"), exact=True).click()
    frame = page.frame_locator("iframe")
    expect(frame.locator("body")).to_contain_text("Γεια σου Ελένη!")
    axe(page)
    page.go_back()

    confirm = localizer_for("el").translate(_("Yes, send it now. Recipients: ${count}", mapping={"count": 2}))
    page.get_by_label(confirm).check()
    with page.expect_navigation():
        page.get_by_role("button", name=text("Send now"), exact=True).click()
    progress = page.locator(".campaign-progress")
    expect(progress.locator("progress")).to_have_attribute("max", "2")
    axe(page)

    # The worker; the page keeps polling meanwhile, and reloads itself when the campaign is sent.
    run_pending_tasks()
    done = formatted("%(done)s of %(total)s recipients done.", done=2, total=2)
    expect(progress.get_by_role("status")).to_have_text(done, timeout=20_000)
    expect(page.locator(".status-sent")).to_be_visible()

    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(mail_dir.glob("batch-*.eml"))]
    [mine] = [message for message in messages if message["To"].addresses[0].addr_spec == "eleni@example.gr"]
    assert mine["Subject"] == "Νέα του μήνα, Ελένη"
    one_click = re.fullmatch(r"<(.+)>", mine["List-Unsubscribe"]).group(1)

    subscriber_page = new_page()
    subscriber_page.goto(local_link(one_click, live_server))
    # Opening the link (as a mail scanner would) changes nothing; the button does.
    expect(subscriber_page.get_by_role("button", name=text("Yes, unsubscribe me"))).to_be_visible()
    axe(subscriber_page)
    subscriber_page.get_by_role("button", name=text("Yes, unsubscribe me")).click()
    expect(subscriber_page.get_by_role("button", name=text("Yes, unsubscribe me"))).to_have_count(0)
    dbsession.rollback()
    eleni = dbsession.query(Subscriber).filter_by(email="eleni@example.gr").one()
    assert eleni.status is SubscriberStatus.UNSUBSCRIBED
    # The campaign's statistics count it.
    assert [event.email for event in dbsession.query(DeliveryEvent).filter_by(event="unsubscribe")] == [
        "eleni@example.gr"]
