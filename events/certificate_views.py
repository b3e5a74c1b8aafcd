"""Certificates over HTTP: the staff screens (design, preview, issue with progress, downloads,
revoke and re-issue), the attendee's download, and the public verification page."""

import io
import zipfile
from collections.abc import Callable
from typing import Any, NamedTuple

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404
from events import certificate_services as rules
from events.certificates import merge_pdfs
from events.forms import CertificateDesignForm, IssueCertificatesForm, ReissueCertificateForm, RevokeCertificateForm
from events.models import Certificate, Event
from events.services import RegistrationRefused
from events.views import refusal_message, registration_for_link

MANAGE = Permission.EVENTS_MANAGE
DESIGN_FIELDS = ("heading_el", "heading_en", "statement_el", "statement_en", "issuer_name", "issuer_title_el",
                 "issuer_title_en")


def pdf_response(body: bytes, filename: str, inline: bool = True) -> Response:
    response = Response(body=body, content_type="application/pdf")
    response.content_disposition = f'{"inline" if inline else "attachment"}; filename="{filename}"'
    response.cache_control = "private, no-store"
    return response


def certificate_filename(certificate: Certificate) -> str:
    return f"certificate-{certificate.number}.pdf"


# --- staff ------------------------------------------------------------------------------------


def _event(request: Request) -> Event:
    return object_or_404(request, Event, request.matchdict["id"])


def _certificate(request: Request) -> Certificate:
    return object_or_404(request, Certificate, request.matchdict["certificate_id"])


class RowForms(NamedTuple):
    """The forms on one issued certificate's row; field names carry its id."""

    reissue: ReissueCertificateForm
    revoke: RevokeCertificateForm


def row_forms(request: Request, certificate: Certificate) -> RowForms:
    return RowForms(
        reissue=ReissueCertificateForm(request, prefix=f"reissue-{certificate.id}-",
                                       data={"name": certificate.recipient_name}),
        revoke=RevokeCertificateForm(request, prefix=f"revoke-{certificate.id}-"),
    )


def certificates_page(request: Request, event: Event, failed: tuple[int, RowForms] | None = None,
                      **extra: Any) -> dict[str, Any]:
    """The page; `failed` is a row whose form came back with errors, shown open next to them."""
    dbsession = request.dbsession
    design = rules.design_for(dbsession, event)
    certificates = rules.event_certificates(dbsession, event.id)
    reissuable = rules.reissuable(certificates)
    # Only rows that can still be revoked or re-issued show forms (a busy event has hundreds).
    forms = {certificate.id: row_forms(request, certificate) for certificate in certificates
             if certificate.id in reissuable}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return {
        "event": event,
        "design": design,
        "form": CertificateDesignForm(request, obj=design),
        "issue_form": IssueCertificatesForm(request),
        "counts": rules.certificate_counts(dbsession, event.id),
        "run": rules.latest_run(dbsession, event.id),
        "certificates": certificates,
        "row_forms": forms,
        "reissuable": reissuable,
        "failed_row": failed[0] if failed else None,
        "refusal": None,
        **extra,
    }


@view_config(route_name="admin.event.certificates", renderer="admin/events/certificates.jinja2", permission=MANAGE)
def certificates(request: Request) -> Any:
    """The event's certificates; a POST saves their design."""
    event = _event(request)
    if request.method != "POST":
        return certificates_page(request, event)
    design = rules.design_for(request.dbsession, event)
    form = CertificateDesignForm(request)
    if not form.validate():
        request.response.status = 400
        return certificates_page(request, event, form=form)
    rules.save_design(request.dbsession, design, {name: getattr(form, name).data or "" for name in DESIGN_FIELDS},
                      signature=form.signature.data, remove_signature=bool(form.remove_signature.data))
    request.flash_message(_("The certificate design is saved. Certificates issued from now on use it."))
    return HTTPSeeOther(request.route_path("admin.event.certificates", id=event.id))


@view_config(route_name="admin.event.certificates_preview", permission=MANAGE)
def preview(request: Request) -> Response:
    event = _event(request)
    locale_name = request.GET.get("lang") if request.GET.get("lang") in ("el", "en") else "el"
    body = rules.preview_pdf(request, event, rules.design_for(request.dbsession, event), locale_name, utcnow())
    return pdf_response(body, f"preview-{locale_name}.pdf")


@view_config(route_name="admin.event.certificates_issue", request_method="POST", permission=MANAGE,
             renderer="admin/events/certificates.jinja2")
def issue(request: Request) -> Any:
    event = _event(request)
    form = IssueCertificatesForm(request)
    form.validate()
    try:
        run = rules.start_run(request, event, bool(form.email_attendees.data), request.user, utcnow())
    except RegistrationRefused as error:
        request.response.status = 409
        return certificates_page(request, event, refusal=refusal_message(request, error))
    request.flash_message(request.localizer.translate(_(
        "Issuing ${count} certificates. You can leave this page; the work goes on in the background.",
        mapping={"count": run.total})))
    return HTTPSeeOther(request.route_path("admin.event.certificates", id=event.id))


@view_config(route_name="admin.event.certificates_progress", renderer="json", permission=MANAGE)
def progress(request: Request) -> dict[str, Any]:
    """How far the latest run has come, for the progress bar."""
    event = _event(request)
    run = rules.latest_run(request.dbsession, event.id)
    if run is None:
        return {"running": False, "issued": 0, "total": 0}
    return {"running": run.finished_at is None, "issued": run.issued, "total": run.total}


@view_config(route_name="admin.event.certificates_download", permission=MANAGE)
def download_all(request: Request) -> Response:
    """Every standing certificate of the event: a ZIP of the files, or one PDF to print."""
    event = _event(request)
    standing = [certificate for certificate in rules.event_certificates(request.dbsession, event.id, with_pdf=True)
                if certificate.is_valid]
    if not standing:
        raise HTTPNotFound()
    if request.matchdict["format"] == "pdf":
        return pdf_response(merge_pdfs([certificate.pdf for certificate in standing]),
                            f"{event.slug}-certificates.pdf", inline=False)
    archive = io.BytesIO()
    # PDFs are compressed already: stored as they are.
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as files:
        for certificate in standing:
            files.writestr(certificate_filename(certificate), certificate.pdf)
    response = Response(body=archive.getvalue(), content_type="application/zip")
    response.content_disposition = f'attachment; filename="{event.slug}-certificates.zip"'
    response.cache_control = "private, no-store"
    return response


@view_config(route_name="admin.certificate.pdf", permission=MANAGE)
def staff_pdf(request: Request) -> Response:
    certificate = _certificate(request)
    return pdf_response(certificate.pdf, certificate_filename(certificate))


def _row_action(request: Request, form_of: Callable[[RowForms], Any],
                act: Callable[[Certificate, Any], str]) -> Any:
    """A form on one certificate's row: its errors shown next to it (400), a refusal (409), or
    done and back to the page with what `act` says happened."""
    certificate = _certificate(request)
    event = certificate.event
    forms = row_forms(request, certificate)
    form = form_of(forms)
    try:
        if not form.validate():
            request.response.status = 400
            return certificates_page(request, event, failed=(certificate.id, forms))
        done = act(certificate, form)
    except RegistrationRefused as error:
        request.response.status = 409
        return certificates_page(request, event, refusal=refusal_message(request, error))
    request.flash_message(done)
    return HTTPSeeOther(request.route_path("admin.event.certificates", id=event.id))


@view_config(route_name="admin.certificate.revoke", request_method="POST", permission=MANAGE,
             renderer="admin/events/certificates.jinja2")
def revoke(request: Request) -> Any:
    def act(certificate: Certificate, form: RevokeCertificateForm) -> str:
        rules.revoke(request.dbsession, certificate, form.reason.data.strip(), request.user, utcnow())
        return request.localizer.translate(
            _("The certificate of ${name} is revoked.", mapping={"name": certificate.recipient_name}))

    return _row_action(request, lambda forms: forms.revoke, act)


@view_config(route_name="admin.certificate.reissue", request_method="POST", permission=MANAGE,
             renderer="admin/events/certificates.jinja2")
def reissue(request: Request) -> Any:
    def act(certificate: Certificate, form: ReissueCertificateForm) -> str:
        replacement = rules.reissue(request, certificate, form.name.data.strip(), request.user, utcnow())
        return request.localizer.translate(_("A new certificate is issued to ${name}; the old one is revoked.",
                                             mapping={"name": replacement.recipient_name}))

    return _row_action(request, lambda forms: forms.reissue, act)


# --- the attendee and the public ------------------------------------------------------------


@view_config(route_name="events.registration_certificate")
def attendee_pdf(request: Request) -> Response:
    """The attendee's own certificate, from their registration's private link."""
    registration = registration_for_link(request)
    certificate = rules.standing_certificate(request.dbsession, registration.id)
    if certificate is None:
        raise HTTPNotFound()
    return pdf_response(certificate.pdf, certificate_filename(certificate))


@view_config(route_name="certificates.verify", renderer="certificates/verify.jinja2")
def verify(request: Request) -> dict[str, Any]:
    """Whether a certificate is genuine: valid or revoked, whose, for what and when; nothing more."""
    certificate = rules.certificate_by_code(request.dbsession, request.matchdict["code"])
    if certificate is None:
        request.response.status = 404
    return {"certificate": certificate}
