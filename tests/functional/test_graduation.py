"""Graduating a startup at its cohort's end: its timeline, its graduation certificate (a PDF/A
checked like certificates of attendance), the founders' email and download, and re-issuing."""

import datetime
import io
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from dimoskopio.accounts.models import Role, User
from dimoskopio.i18n import format_date
from events.models import Certificate, CertificateKind
from incubator.models import Cohort, Startup, StartupFounder, StartupStatus, StartupStatusChange
from tests.functional.conftest import csrf_token, login, new_client, queued_mail
from tests.functional.events_helpers import pdf_text
from tests.functional.test_incubator_staff import errors, fill, make_cohort, make_startup

TODAY = datetime.datetime.now(ZoneInfo("Europe/Athens")).date()


@pytest.fixture
def cohort(dbsession: Session) -> Cohort:
    return make_cohort(dbsession, "Κύκλος 2026", programme="Πρόγραμμα επιτάχυνσης",
                       starts_on=TODAY - datetime.timedelta(days=300), ends_on=TODAY - datetime.timedelta(days=3))


@pytest.fixture
def startup(dbsession: Session, cohort: Cohort) -> Startup:
    startup = make_startup(dbsession, "Ελαιόνας Ψηφιακός", slug="elaionas", cohort_id=cohort.id,
                           status=StartupStatus.INCUBATED)
    dbsession.add(StartupStatusChange(startup_id=startup.id, status=StartupStatus.INCUBATED,
                                      changed_on=cohort.starts_on))
    dbsession.commit()
    return startup


@pytest.fixture
def founders(dbsession: Session, startup: Startup, user_factory) -> list[User]:
    people = [user_factory(email="eleni@example.gr", role=Role.FOUNDER),
              user_factory(email="john@example.com", role=Role.FOUNDER, locale="en")]
    dbsession.add_all(StartupFounder(startup_id=startup.id, user_id=person.id) for person in people)
    dbsession.commit()
    return people


def stored(dbsession: Session, startup: Startup) -> Startup:
    dbsession.rollback()
    return dbsession.get(Startup, startup.id)


def certificates(dbsession: Session) -> list[Certificate]:
    dbsession.rollback()
    return list(dbsession.scalars(select(Certificate).order_by(Certificate.id)))


def graduate(testapp, startup: Startup, status: int = 303, **values: str):
    form = testapp.get(f"/admin/incubator/startups/{startup.id}/graduate").forms["graduate-form"]
    return fill(form, **values).submit(status=status)


def test_staff_graduate_a_startup_which_gets_a_certificate_its_founders_are_emailed(
        testapp, dbsession, startup, founders, staff, tr):
    response = graduate(testapp, startup, graduated_on=TODAY.isoformat())

    assert response.location.endswith(f"/admin/incubator/startups/{startup.id}#graduation")
    graduated = stored(dbsession, startup)
    assert graduated.status == StartupStatus.GRADUATED
    assert (graduated.status_changes[-1].status, graduated.status_changes[-1].changed_on) == (
        StartupStatus.GRADUATED, TODAY)
    [certificate] = certificates(dbsession)
    assert graduated.graduation_certificate_id == certificate.id
    assert (certificate.kind, certificate.recipient_name, certificate.title, certificate.locale) == (
        CertificateKind.GRADUATION, "Ελαιόνας Ψηφιακός", "Πρόγραμμα επιτάχυνσης · Κύκλος 2026", "el")
    assert (certificate.event_id, certificate.registration_id) == (None, None)

    reader = PdfReader(io.BytesIO(certificate.pdf))
    assert len(reader.pages) == 1
    text = pdf_text(certificate.pdf)
    for expected in ("Ελαιόνας Ψηφιακός", "Πρόγραμμα επιτάχυνσης", certificate.number,
                     tr("Certificate of graduation", "el")):
        assert expected in text
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp
    [code] = zxingcpp.read_barcodes(pypdfium2.PdfDocument(certificate.pdf)[0].render(scale=3).to_pil())
    assert code.text == f"http://localhost/certificates/verify/{certificate.code}"

    verify = testapp.get(f"/certificates/verify/{certificate.code}")
    assert tr("This certificate is valid.") in verify.text
    assert "Ελαιόνας Ψηφιακός" in verify.text

    mail = [sent for sent in queued_mail(dbsession) if sent.template == "graduation-certificate"]
    assert {(sent.recipient, sent.locale) for sent in mail} == {("eleni@example.gr", "el"), ("john@example.com", "en")}

    page = testapp.get(f"/admin/incubator/startups/{startup.id}")
    assert page.html.select_one(f"#graduation a[href$='/startups/{startup.id}/graduation-certificate.pdf']")


def test_the_certificate_can_be_in_english_and_the_founders_need_not_be_emailed(
        testapp, dbsession, startup, founders, staff, tr):
    form = testapp.get(f"/admin/incubator/startups/{startup.id}/graduate").forms["graduate-form"]
    form["certificate_locale"] = "en"
    form["email_founders"].checked = False
    form.submit(status=303)

    [certificate] = certificates(dbsession)
    assert certificate.locale == "en"
    assert tr("Certificate of graduation", "en") in pdf_text(certificate.pdf)
    assert not [sent for sent in queued_mail(dbsession) if sent.template == "graduation-certificate"]


@pytest.mark.parametrize(("days_from_today", "message"), [
    (-5, "A startup graduates at its cohort's end: choose a date on or after ${date}."),
    (2, "The date cannot be in the future."),
])
def test_graduation_before_the_cohorts_end_or_in_the_future_is_refused(
        testapp, dbsession, startup, cohort, staff, tr, days_from_today, message):
    response = graduate(testapp, startup, status=400,
                        graduated_on=(TODAY + datetime.timedelta(days=days_from_today)).isoformat())

    cohort_end = format_date(cohort.ends_on, "el", ZoneInfo("Europe/Athens"))
    assert errors(response)["graduated_on"] == tr(message, date=cohort_end)
    assert stored(dbsession, startup).status == StartupStatus.INCUBATED
    assert certificates(dbsession) == []


def test_only_an_incubated_startup_of_a_cohort_graduates(testapp, dbsession, startup, staff, tr):
    graduate(testapp, startup, graduated_on=TODAY.isoformat())
    response = graduate(testapp, startup, status=400, graduated_on=TODAY.isoformat())
    assert errors(response)["graduated_on"] == tr("Only an incubated startup can graduate.")

    loner = make_startup(dbsession, "Solo", status=StartupStatus.INCUBATED)
    response = graduate(testapp, loner, status=400, graduated_on=TODAY.isoformat())
    assert errors(response)["graduated_on"] == tr("The startup is in no cohort. Put it in its cohort first.")
    assert len(certificates(dbsession)) == 1


def test_founders_download_their_startups_certificate_and_nobody_elses(
        testapp, dbsession, startup, founders, staff, user_factory, tr):
    graduate(testapp, startup, graduated_on=TODAY.isoformat())
    [certificate] = certificates(dbsession)
    address = f"/account/startups/{startup.id}/graduation-certificate.pdf"

    founder = new_client(testapp.app)
    login(founder, founders[0].email)
    page = founder.get(f"/account/startups/{startup.id}")
    assert page.html.select_one(f"a[href='{address}']")
    response = founder.get(address)
    assert (response.content_type, response.body) == ("application/pdf", certificate.pdf)

    stranger = new_client(testapp.app)
    login(stranger, user_factory(email="other@example.gr", role=Role.FOUNDER).email)
    stranger.get(address, status=404)
    assert new_client(testapp.app).get(address).status_int == 303


def test_re_issuing_revokes_the_old_certificate_and_names_the_startup_as_it_is_now(
        testapp, dbsession, startup, staff, tr):
    graduate(testapp, startup, graduated_on=TODAY.isoformat())
    stored(dbsession, startup).name = "Ελαιώνας Ψηφιακός"
    dbsession.commit()

    testapp.post(f"/admin/incubator/startups/{startup.id}/graduation-certificate/reissue",
                 {"csrf_token": csrf_token(testapp)}, status=303)

    old, new = certificates(dbsession)
    assert old.revoked_at is not None and old.revoke_reason == tr("Replaced by a new certificate.", "el")
    assert (new.recipient_name, new.replaces_id, new.revoked_at) == ("Ελαιώνας Ψηφιακός", old.id, None)
    assert stored(dbsession, startup).graduation_certificate_id == new.id
    assert "Ελαιώνας Ψηφιακός" in pdf_text(new.pdf)
    assert tr("This certificate has been revoked.") in testapp.get(f"/certificates/verify/{old.code}").text


def test_re_issuing_without_a_certificate_is_not_found_and_founders_cannot_graduate(
        testapp, dbsession, startup, founders):
    testapp.post(f"/admin/incubator/startups/{startup.id}/graduation-certificate/reissue", status=403)
    login(testapp, founders[0].email)
    testapp.get(f"/admin/incubator/startups/{startup.id}/graduate", status=403)
    testapp.get(f"/account/startups/{startup.id}/graduation-certificate.pdf", status=404)


def test_staff_re_issuing_without_a_certificate_get_not_found(testapp, dbsession, startup, staff):
    testapp.post(f"/admin/incubator/startups/{startup.id}/graduation-certificate/reissue",
                 {"csrf_token": csrf_token(testapp)}, status=404)
    testapp.get(f"/admin/incubator/startups/{startup.id}/graduation-certificate.pdf", status=404)
    assert certificates(dbsession) == []
