"""Certificates of attendance: who gets them, what the PDF holds, issuing in the background,
downloads, revoking and re-issuing, and the public verification page."""

import io
import zipfile

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import func, select

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from events import services
from events.models import Certificate, CertificateRun
from tests.functional.events_helpers import (
    LONG_NAME,
    add_registration,
    certificates_of,
    issue_all,
    past_event_with_attendees,
    pdf_text,
)


@pytest.fixture
def attended(dbsession, event_factory):
    """An event that took place yesterday: two checked in (one reads English), one absent."""
    return past_event_with_attendees(dbsession, event_factory)


def test_only_checked_in_attendees_get_a_certificate_each_in_their_language(
        testapp, dbsession, attended, logged_in, outbox):
    event, people = attended
    logged_in(Role.STAFF)

    issue_all(testapp, event)

    certificates = certificates_of(dbsession, event)
    assert {certificate.registration_id for certificate in certificates} == {
        people["greek"].id, people["english"].id}
    by_locale = {certificate.locale: certificate for certificate in certificates}
    assert "Βεβαίωση παρακολούθησης" in pdf_text(by_locale["el"].pdf)
    assert "Certificate of attendance" in pdf_text(by_locale["en"].pdf)
    emails = {message["To"]: message for message in outbox()}
    assert set(emails) == {"eleni@example.gr", "john@example.org"}
    run = dbsession.scalar(select(CertificateRun))
    assert (run.total, run.issued, run.finished_at is not None) == (2, 2, True)


def test_the_pdf_holds_the_name_as_text_a_qr_code_to_its_verification_page_and_pdfa_metadata(
        testapp, dbsession, attended, logged_in):
    event, _people = attended
    logged_in(Role.STAFF)
    issue_all(testapp, event, email=False)
    [certificate] = [certificate for certificate in certificates_of(dbsession, event) if certificate.locale == "el"]

    reader = PdfReader(io.BytesIO(certificate.pdf))
    assert len(reader.pages) == 1
    text = pdf_text(certificate.pdf)
    assert "Αικατερίνη-Μαργαρίτα" in text and "Χατζηγεωργίου" in text
    assert certificate.number in text
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="U"' in xmp, "PDF/A-2u identification"
    assert "/OutputIntents" in reader.trailer["/Root"]
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts and all("/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                         for font in fonts), "every font is embedded"

    image = pypdfium2.PdfDocument(certificate.pdf)[0].render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == f"http://localhost/certificates/verify/{certificate.code}"
    page = testapp.get(code.text.replace("http://localhost", ""))
    assert "Αυτή η βεβαίωση είναι έγκυρη." in page.text or "This certificate is valid." in page.text


def test_issuing_again_only_issues_what_is_missing(testapp, dbsession, attended, logged_in):
    event, _people = attended
    logged_in(Role.STAFF)
    issue_all(testapp, event, email=False)
    first = {certificate.id for certificate in certificates_of(dbsession, event)}

    dbsession.rollback()
    late = add_registration(dbsession, event, email="late@example.gr", checked_in_at=utcnow())
    dbsession.commit()
    issue_all(testapp, event, email=False)

    certificates = certificates_of(dbsession, event)
    assert {certificate.id for certificate in certificates} > first
    assert [certificate.registration_id for certificate in certificates if certificate.id not in first] == [late.id]
    page = testapp.get(f"/admin/events/{event.id}/certificates")
    assert not any(form.action.endswith("/certificates/issue") for form in page.forms.values())


def test_the_verification_page_for_valid_revoked_and_unknown_codes(testapp, dbsession, attended, logged_in):
    event, _people = attended
    logged_in(Role.STAFF)
    issue_all(testapp, event, email=False)
    certificate = next(certificate for certificate in certificates_of(dbsession, event) if certificate.locale == "el")

    valid = testapp.get(f"/certificates/verify/{certificate.code}")
    assert LONG_NAME in valid.text and certificate.title in valid.text
    assert "eleni@example.gr" not in valid.text, "nothing more personal than the name"

    page = testapp.get(f"/admin/events/{event.id}/certificates")
    form = next(form for form in page.forms.values() if form.action.endswith(f"/certificates/{certificate.id}/revoke"))
    form[f"revoke-{certificate.id}-reason"] = "Εκδόθηκε κατά λάθος"
    form.submit(status=303)

    revoked = testapp.get(f"/certificates/verify/{certificate.code}")
    assert "Εκδόθηκε κατά λάθος" in revoked.text
    assert revoked.html.select_one(".notice-error") is not None
    unknown = testapp.get("/certificates/verify/not-a-real-code", status=404)
    assert unknown.html.select_one(".notice-error") is not None


def test_reissuing_after_a_name_correction_revokes_the_old_one(testapp, dbsession, attended, logged_in):
    event, _people = attended
    logged_in(Role.STAFF)
    issue_all(testapp, event, email=False)
    old = next(certificate for certificate in certificates_of(dbsession, event) if certificate.locale == "en")

    page = testapp.get(f"/admin/events/{event.id}/certificates")
    form = next(form for form in page.forms.values() if form.action.endswith(f"/certificates/{old.id}/reissue"))
    form[f"reissue-{old.id}-name"] = "John A. Smith"
    form.submit(status=303)

    certificates = {certificate.id: certificate for certificate in certificates_of(dbsession, event)}
    assert certificates[old.id].revoked_at is not None
    [new] = [certificate for certificate in certificates.values() if certificate.replaces_id == old.id]
    assert new.recipient_name == "John A. Smith" and "John A. Smith" in pdf_text(new.pdf)


def test_attendees_download_theirs_from_the_private_link_and_staff_download_all(
        testapp, dbsession, attended, logged_in):
    event, people = attended
    logged_in(Role.STAFF)
    issue_all(testapp, event, email=False)
    secret = testapp.app.registry.settings["dimoskopio.secret"]
    greek = people["greek"]
    token = services.manage_token(secret, greek)

    page = testapp.get(f"/events/registration/{token}")
    link = page.html.select_one(f"a[href='/events/registration/{token}/certificate.pdf']")
    assert link is not None
    pdf = testapp.get(link["href"])
    assert pdf.content_type == "application/pdf" and "Χατζηγεωργίου" in pdf_text(pdf.body)
    absent_token = services.manage_token(secret, people["absent"])
    testapp.get(f"/events/registration/{absent_token}/certificate.pdf", status=404)

    archive = zipfile.ZipFile(io.BytesIO(testapp.get(f"/admin/events/{event.id}/certificates/all.zip").body))
    assert len(archive.namelist()) == 2
    merged = testapp.get(f"/admin/events/{event.id}/certificates/all.pdf").body
    assert len(PdfReader(io.BytesIO(merged)).pages) == 2


def test_members_and_the_public_cannot_reach_the_staff_screens(testapp, dbsession, attended, logged_in):
    event, _ = attended
    testapp.get(f"/admin/events/{event.id}/certificates", status=303)
    logged_in(Role.MEMBER)
    testapp.get(f"/admin/events/{event.id}/certificates", status=403)
    testapp.get(f"/admin/events/{event.id}/certificates/all.zip", status=403)


def test_staff_preview_the_design_with_a_sample_attendee_before_issuing(testapp, dbsession, attended, logged_in):
    event, _ = attended
    logged_in(Role.STAFF)
    page = testapp.get(f"/admin/events/{event.id}/certificates")
    form = next(form for form in page.forms.values() if "issuer_name" in form.fields)
    form["heading_el"] = "Βεβαίωση συμμετοχής"
    form["issuer_name"] = "Μαρία Παπαδάκη"
    form["issuer_title_el"] = "Προϊσταμένη"
    form.submit(status=303)

    preview = testapp.get(f"/admin/events/{event.id}/certificates/preview.pdf?lang=el")
    text = pdf_text(preview.body)
    assert "Βεβαίωση συμμετοχής" in text and "Μαρία Παπαδάκη" in text and "Προϊσταμένη" in text
    dbsession.rollback()
    assert dbsession.scalar(select(func.count()).select_from(Certificate)) == 0
