"""Graduating a startup from its cohort, and its graduation certificate.

The certificate is made the way certificates of attendance are (events.certificates: the same
sandboxed template, PDF/A, QR code to /certificates/verify/{code}, and the signer staff set last),
naming the startup and its cohort's programme.
"""

import datetime
import secrets

from pyramid.request import Request
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from dimoskopio.accounts.models import User
from dimoskopio.i18n import _, centre_name, format_date, localizer_for
from dimoskopio.mail import send_email
from dimoskopio.rules import Refused
from events.certificate_services import date_span, latest_design, revoke
from events.certificates import CertificatePage, renderer, signature_data_uri
from events.models import TITLE_MAX_LENGTH, Certificate, CertificateKind
from events.services import local_timezone
from incubator.kpi_services import last_change_on
from incubator.models import Cohort, Startup, StartupStatus
from incubator.services import change_status, status_date_refusal

GRADUATION_HEADING = _("Certificate of graduation")
GRADUATION_STATEMENT = _("graduated from the incubation programme")
REPLACED = _("Replaced by a new certificate.")


def graduation_refusal(startup: Startup, on: datetime.date, today: datetime.date) -> str | None:
    """Why the startup may not graduate on this date: it is not incubated ("not-incubated"), in no
    cohort ("no-cohort"), the date is before its cohort's end ("before-cohort-end"), in the future
    ("future"), or before the startup's latest status ("before-previous"); None when it may."""
    if startup.status != StartupStatus.INCUBATED:
        return "not-incubated"
    if startup.cohort is None:
        return "no-cohort"
    if on < startup.cohort.ends_on:
        return "before-cohort-end"
    if on > today:
        return "future"
    return status_date_refusal(startup, StartupStatus.GRADUATED, on)


def graduated_on(startup: Startup) -> datetime.date | None:
    """The day of the startup's latest graduation on its timeline."""
    return last_change_on(startup, (StartupStatus.GRADUATED,))


def programme_title(cohort: Cohort) -> str:
    title = f"{cohort.programme} · {cohort.name}" if cohort.programme else cohort.name
    return title[:TITLE_MAX_LENGTH]


def graduate(request: Request, startup: Startup, on: datetime.date, locale_name: str, user: User | None,
             now: datetime.datetime, email_founders: bool) -> Certificate:
    """The startup graduates on this day (a step of its timeline) and gets its certificate, in the
    language staff chose; its founders are emailed a link to it if staff asked."""
    change_status(startup, StartupStatus.GRADUATED, on)
    request.dbsession.flush()
    certificate = issue_certificate(request, startup, locale_name, user, now)
    if email_founders:
        for founder in startup.founders:
            send_email(request, "graduation-certificate", founder.user.email, {
                "name": founder.user.name,
                "startup": startup,
                "cohort": startup.cohort,
                "certificate": certificate,
                "download_url": request.public_url("incubator.my_graduation_certificate", id=startup.id),
                "verify_url": request.public_url("certificates.verify", code=certificate.code),
            }, locale_name=founder.user.locale)
    return certificate


def issue_certificate(request: Request, startup: Startup, locale_name: str, user: User | None,
                      now: datetime.datetime) -> Certificate:
    """A graduation certificate naming the startup as it is called now; it becomes the startup's one."""
    dbsession = request.dbsession
    cohort = startup.cohort
    final = graduated_on(startup) or now.date()
    certificate = Certificate(
        code=secrets.token_urlsafe(16),
        kind=CertificateKind.GRADUATION,
        recipient_name=startup.name,
        title=programme_title(cohort),
        period=date_span(cohort.starts_on, final, locale_name),
        locale=locale_name,
        pdf=b"",
        issued_at=now,
        issued_by_id=user.id if user else None,
    )
    dbsession.add(certificate)
    dbsession.flush()
    localizer = localizer_for(locale_name)
    design = latest_design(dbsession)
    page = CertificatePage(
        locale=locale_name,
        number=certificate.number,
        verify_url=request.public_url("certificates.verify", code=certificate.code),
        recipient_name=certificate.recipient_name,
        heading=localizer.translate(GRADUATION_HEADING),
        statement=localizer.translate(GRADUATION_STATEMENT),
        title=certificate.title,
        period=certificate.period,
        hours="",
        place="",
        issuer_name=design.issuer_name if design else "",
        issuer_title=(getattr(design, f"issuer_title_{locale_name}") or design.issuer_title_el) if design else "",
        issued_on=format_date(now, locale_name, local_timezone(request)),
        centre=centre_name(request.registry.settings, localizer),
    )
    signature = signature_data_uri(design.signature, design.signature_type) if design else None
    [certificate.pdf] = renderer().certificates([page], signature)
    startup.graduation_certificate_id = certificate.id
    return certificate


def reissue_certificate(request: Request, startup: Startup, user: User | None, now: datetime.datetime) -> Certificate:
    """A new certificate in place of the startup's current one (after its name was corrected):
    the old one is revoked and the new one points at it."""
    previous = current_certificate(request.dbsession, startup)
    if previous is None:
        raise Refused("no-certificate")
    if previous.revoked_at is None:
        revoke(request.dbsession, previous, localizer_for(previous.locale).translate(REPLACED), user, now)
    replacement = issue_certificate(request, startup, previous.locale, user, now)
    replacement.replaces_id = previous.id
    return replacement


def current_certificate(dbsession: Session, startup: Startup, with_pdf: bool = False) -> Certificate | None:
    if startup.graduation_certificate_id is None:
        return None
    if not with_pdf:
        return dbsession.get(Certificate, startup.graduation_certificate_id)
    return dbsession.scalar(select(Certificate).where(Certificate.id == startup.graduation_certificate_id)
                            .options(undefer(Certificate.pdf)))
