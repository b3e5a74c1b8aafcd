"""Certificates in a real browser: staff issue them and watch the progress, an attendee downloads
theirs from the private link in the email, and anyone checks it on the verification page."""

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from dimoskopio.accounts.models import Role
from dimoskopio.tasks import run_pending_tasks
from tests.browser.conftest import local_link, log_in, text
from tests.browser.test_event_journeys import formatted, only_mail, sent
from tests.functional.events_helpers import LONG_NAME, past_event_with_attendees, pdf_text

pytestmark = pytest.mark.browser

PRIVATE_LINK = "/events/registration/"


def squeezed(value: str) -> str:
    """The text without any white space (a PDF breaks long names across lines)."""
    return "".join(value.split())


def links_in(message: Any, path: str) -> list[str]:
    body = message.get_body(("plain",)).get_content()
    return [word for word in body.split() if path in word]


def test_staff_issue_certificates_with_progress_and_an_attendee_downloads_theirs(
        page, new_page, axe, dbsession, event_factory, user_factory, outbox, live_server):
    event, _people = past_event_with_attendees(dbsession, event_factory)
    staff = user_factory(email="staff@example.gr", role=Role.STAFF)
    log_in(page, staff.email)

    page.goto(f"/admin/events/{event.id}/certificates")
    expect(page.get_by_role("heading", level=1)).to_contain_text(text("Certificates"))
    axe(page)
    issue = page.locator("form[action$='/certificates/issue']")
    issue.get_by_label(text("Email each attendee a link to their certificate")).check()
    with page.expect_navigation():
        issue.get_by_role("button").click()

    progress = page.locator(".certificate-progress")
    expect(progress).to_be_visible()
    expect(progress.get_by_role("status")).to_have_text(
        formatted("Issuing: %(issued)s of %(total)s certificates so far.", issued=0, total=2))
    expect(progress.locator("progress")).to_have_attribute("max", "2")
    axe(page)

    # The worker: the page keeps polling meanwhile, and reloads itself when the run is done.
    run_pending_tasks()
    expect(progress.get_by_role("status")).to_have_text(
        formatted("Done: %(issued)s of %(total)s certificates issued.", issued=2, total=2), timeout=20_000)
    expect(page.locator("form[action$='/certificates/issue']")).to_have_count(0)
    expect(page.get_by_role("table")).to_contain_text("John Smith")
    axe(page)

    mail = sent(outbox, dbsession)
    only_mail(mail, "certificate-issued", "john@example.org")
    message = only_mail(mail, "certificate-issued", "eleni@example.gr")
    [private_link] = [link for link in links_in(message, PRIVATE_LINK) if not link.endswith("/certificate.pdf")]
    [verify_link] = links_in(message, "/certificates/verify/")

    attendee = new_page()
    attendee.goto(local_link(private_link, live_server))
    expect(attendee.get_by_role("heading", level=1)).to_have_text(text("Your registration"))
    download_link = attendee.get_by_role("link", name=text("Download my certificate of attendance (PDF)"))
    # Chromium shows the PDF in its own viewer (no download event): what it was sent is read.
    with attendee.expect_response(re.compile(r"/certificate\.pdf$")) as answer:
        download_link.click()
    expect(attendee).to_have_url(re.compile(r"/certificate\.pdf$"))
    response = answer.value
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert re.fullmatch(r'inline; filename="certificate-\d{4}-\d{6}\.pdf"', response.headers["content-disposition"])
    # The viewer stands in for the body that Playwright hands back; the file is fetched as the
    # viewer's own download button would, from the same link.
    fetched = attendee.request.get(response.url)
    assert fetched.ok and fetched.headers["content-type"] == "application/pdf"
    pdf = fetched.body()
    assert pdf.startswith(b"%PDF")
    assert squeezed(LONG_NAME) in squeezed(pdf_text(pdf)), "the certificate names the attendee in Greek"

    attendee.goto(local_link(verify_link, live_server))
    expect(attendee.locator("main")).to_contain_text(text("This certificate is valid."))
    expect(attendee.locator("main")).to_contain_text(LONG_NAME)
    axe(attendee)
