"""Graduating a startup (staff), and downloading its graduation certificate (staff and founders)."""

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _, format_date
from dimoskopio.rules import Refused
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404
from events.certificate_views import certificate_filename, pdf_response
from events.services import local_timezone
from incubator import graduation_services
from incubator.forms import GraduationForm, local_today
from incubator.models import Startup
from incubator.views import own_startup_or_404

MANAGE = Permission.INCUBATOR_MANAGE

GRADUATION_REFUSALS = {
    "not-incubated": _("Only an incubated startup can graduate."),
    "no-cohort": _("The startup is in no cohort. Put it in its cohort first."),
    "before-cohort-end": _("A startup graduates at its cohort's end: choose a date on or after ${date}."),
    "future": _("The date cannot be in the future."),
    "before-previous": _("The new status cannot start before the startup's previous one."),
}


def includeme(config: Configurator) -> None:
    startup = "/admin/incubator/startups/{id:\\d+}"
    config.add_route("admin.incubator.graduate", f"{startup}/graduate")
    config.add_route("admin.incubator.graduation_certificate", f"{startup}/graduation-certificate.pdf")
    config.add_route("admin.incubator.graduation_reissue", f"{startup}/graduation-certificate/reissue")
    config.add_route("incubator.my_graduation_certificate", "/account/startups/{id:\\d+}/graduation-certificate.pdf")


@view_config(route_name="admin.incubator.graduate", renderer="admin/incubator/graduate.jinja2", permission=MANAGE)
def graduate(request: Request) -> Any:
    startup = object_or_404(request, Startup, request.matchdict["id"])
    today = local_today(request)
    form = GraduationForm(request)
    if request.method != "POST":
        form.graduated_on.data = min(today, startup.cohort.ends_on) if startup.cohort else today
    context = {"startup": startup, "form": form}
    if request.method == "POST" and form.validate():
        refusal = graduation_services.graduation_refusal(startup, form.graduated_on.data, today)
        if refusal is None:
            graduation_services.graduate(request, startup, form.graduated_on.data, form.certificate_locale.data,
                                         request.user, utcnow(), bool(form.email_founders.data))
            request.flash_message(_("${name} graduated. Its certificate is ready.", mapping={"name": startup.name}))
            return HTTPSeeOther(request.route_path("admin.incubator.startup", id=startup.id, _anchor="graduation"))
        ends_on = startup.cohort.ends_on if startup.cohort else None
        form.add_error("graduated_on", _(GRADUATION_REFUSALS[refusal], mapping={
            "date": format_date(ends_on, request.locale_name, local_timezone(request))}))
    if request.method == "POST":
        request.response.status = 400
    return context


def _certificate_or_404(request: Request, startup: Startup) -> Response:
    certificate = graduation_services.current_certificate(request.dbsession, startup, with_pdf=True)
    if certificate is None:
        raise HTTPNotFound()
    return pdf_response(certificate.pdf, certificate_filename(certificate))


@view_config(route_name="admin.incubator.graduation_certificate", permission=MANAGE)
def staff_certificate(request: Request) -> Response:
    return _certificate_or_404(request, object_or_404(request, Startup, request.matchdict["id"]))


@view_config(route_name="incubator.my_graduation_certificate", permission=Permission.STARTUP_EDIT)
def founder_certificate(request: Request) -> Response:
    return _certificate_or_404(request, own_startup_or_404(request))


@view_config(route_name="admin.incubator.graduation_reissue", request_method="POST", permission=MANAGE)
def reissue(request: Request) -> Response:
    """A new certificate with the startup's name as it is now; the old one is revoked."""
    startup = object_or_404(request, Startup, request.matchdict["id"])
    try:
        graduation_services.reissue_certificate(request, startup, request.user, utcnow())
    except Refused:
        raise HTTPNotFound() from None
    request.flash_message(_("A new certificate was issued; the previous one is revoked."))
    return HTTPSeeOther(request.route_path("admin.incubator.startup", id=startup.id, _anchor="graduation"))
