"""The rules of certificates of attendance: who gets one, what it says, issuing them in batches
in the background, revoking and re-issuing, and checking one by its code."""

import datetime
import secrets
from dataclasses import dataclass, replace
from typing import Any

from babel import dates as babel_dates
from babel.numbers import format_decimal
from pyramid.request import Request
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from dimoskopio.accounts.models import User
from dimoskopio.db import lock_row
from dimoskopio.i18n import _, centre_name, format_date, localizer_for
from dimoskopio.mail import send_email
from events.certificates import BATCH_SIZE, CertificatePage, renderer, signature_data_uri
from events.models import (
    Certificate,
    CertificateDesign,
    CertificateKind,
    CertificateRun,
    Event,
    Registration,
)
from events.services import RegistrationRefused, last_day, local_timezone, manage_token, skip_locked

# A run whose batches stopped moving this long ago lost its task; the sweep resumes it.
RUN_STALLED_AFTER = datetime.timedelta(minutes=5)
DEFAULT_HEADING = _("Certificate of attendance")
DEFAULT_STATEMENT = _("attended the event")
SAMPLE_NAME = {"el": "Αικατερίνη-Μαργαρίτα Παπαδοπούλου-Χατζηγεωργίου", "en": "Katerina-Margarita Papadopoulou"}


# --- what a certificate says ------------------------------------------------------------------


def design_for(dbsession: Session, event: Event) -> CertificateDesign:
    """The event's design; a new one starts from the issuer and signature of the last event that
    had one (the same person usually signs them all)."""
    design = dbsession.get(CertificateDesign, event.id)
    if design is not None:
        return design
    # Column defaults apply only when the row is written; the unsaved design is read before that.
    design = CertificateDesign(event_id=event.id, heading_el="", heading_en="", statement_el="", statement_en="",
                               issuer_name="", issuer_title_el="", issuer_title_en="")
    previous = latest_design(dbsession)
    if previous is not None:
        design.issuer_name = previous.issuer_name
        design.issuer_title_el = previous.issuer_title_el
        design.issuer_title_en = previous.issuer_title_en
        design.signature = previous.signature
        design.signature_type = previous.signature_type
    return design


def latest_design(dbsession: Session) -> CertificateDesign | None:
    """The design staff saved last: whoever signs certificates now."""
    return dbsession.scalar(select(CertificateDesign).order_by(CertificateDesign.updated_at.desc()).limit(1))


def save_design(dbsession: Session, design: CertificateDesign, texts: dict[str, str],
                signature: tuple[bytes, str] | None, remove_signature: bool) -> None:
    """The staff's wording and signer; a new signature image replaces the old, or none is kept."""
    for name, value in texts.items():
        setattr(design, name, value.strip())
    if remove_signature:
        design.signature, design.signature_type = None, None
    elif signature is not None:
        design.signature, design.signature_type = signature
    dbsession.add(design)


def period_text(event: Event, locale_name: str, tz: Any) -> str:
    """The day, or the first and last day, of the event (certificates leave out the times)."""
    return date_span(event.starts_at.astimezone(tz).date(), last_day(event, tz), locale_name)


def date_span(first: datetime.date, final: datetime.date, locale_name: str) -> str:
    """A day, or a first and last day, as a certificate prints it."""
    if first == final:
        return babel_dates.format_date(first, format="long", locale=locale_name)
    return babel_dates.format_interval(first, final, "yMMMMd", locale=locale_name)


def hours_text(event: Event, locale_name: str) -> str:
    if not event.hours:
        return ""
    hours = format_decimal(event.hours, format="#,##0.##", locale=locale_name)
    return localizer_for(locale_name).translate(_("${hours} hours", mapping={"hours": hours}))


def place_for_certificate(event: Event, locale_name: str) -> str:
    if event.venue is not None:
        return event.venue.name
    if event.online_url:
        return localizer_for(locale_name).translate(_("Online"))
    return ""


@dataclass(frozen=True)
class Holder:
    """Whom one certificate names, and how it is found again."""

    name: str
    number: str
    code: str


def certificate_pages(request: Request, event: Event, design: CertificateDesign, locale_name: str,
                      issued_at: datetime.datetime, holders: list[Holder]) -> list[CertificatePage]:
    """What each certificate says, in one language, as plain data for the template. The event's
    part is worked out once for them all."""
    localizer = localizer_for(locale_name)
    tz = local_timezone(request)
    shared = CertificatePage(
        locale=locale_name,
        number="",
        verify_url="",
        recipient_name="",
        heading=getattr(design, f"heading_{locale_name}") or localizer.translate(DEFAULT_HEADING),
        statement=getattr(design, f"statement_{locale_name}") or localizer.translate(DEFAULT_STATEMENT),
        title=event.localized("title", locale_name),
        period=period_text(event, locale_name, tz),
        hours=hours_text(event, locale_name),
        place=place_for_certificate(event, locale_name),
        issuer_name=design.issuer_name,
        issuer_title=getattr(design, f"issuer_title_{locale_name}") or design.issuer_title_el,
        issued_on=format_date(issued_at, locale_name, tz),
        centre=centre_name(request.registry.settings, localizer),
    )
    return [replace(shared, recipient_name=holder.name, number=holder.number,
                    verify_url=request.public_url("certificates.verify", code=holder.code)) for holder in holders]


def preview_pdf(request: Request, event: Event, design: CertificateDesign, locale_name: str,
                now: datetime.datetime) -> bytes:
    """The certificate as a sample attendee would get it, before any is issued."""
    [page] = certificate_pages(request, event, design, locale_name, now,
                               [Holder(SAMPLE_NAME[locale_name], f"{now.year}-000000", "preview")])
    [pdf] = renderer().certificates([page], signature_data_uri(design.signature, design.signature_type))
    return pdf


# --- who gets one -----------------------------------------------------------------------------


def _never_certified(event_id: int) -> Any:
    """Checked-in people of the event who were never issued a certificate. Someone whose
    certificate was revoked is not among them: staff re-issue theirs one by one, if at all."""
    return (Registration.event_id == event_id) & Registration.checked_in_at.is_not(None) & ~exists().where(
        Certificate.registration_id == Registration.id)


def attendees_without_certificate(dbsession: Session, event_id: int, limit: int | None = None) -> list[Registration]:
    """Who "Issue certificates" is for, by language (a batch's people of one language share the
    event's laid-out page), then oldest first."""
    query = select(Registration).where(_never_certified(event_id)).order_by(Registration.locale, Registration.id)
    if limit is not None:
        query = query.limit(limit)
    return list(dbsession.scalars(query).unique())


@dataclass
class CertificateCounts:
    attendees: int
    issued: int
    revoked: int
    missing: int


def certificate_counts(dbsession: Session, event_id: int) -> CertificateCounts:
    attendees = dbsession.scalar(select(func.count()).select_from(Registration).where(
        Registration.event_id == event_id, Registration.checked_in_at.is_not(None)))
    missing = dbsession.scalar(select(func.count()).select_from(Registration).where(_never_certified(event_id)))
    issued, revoked = dbsession.execute(
        select(func.count(Certificate.id).filter(Certificate.revoked_at.is_(None)),
               func.count(Certificate.id).filter(Certificate.revoked_at.is_not(None)))
        .where(Certificate.event_id == event_id)
    ).one()
    return CertificateCounts(attendees=attendees, issued=issued, revoked=revoked, missing=missing)


def reissuable(certificates: list[Certificate]) -> set[int]:
    """Of an event's certificates, those staff may re-issue: the newest of each person's, which
    was neither replaced already nor belongs to someone no longer registered."""
    newest: dict[int, Certificate] = {}
    for certificate in certificates:
        if certificate.registration_id is not None and (
                certificate.registration_id not in newest or certificate.id > newest[certificate.registration_id].id):
            newest[certificate.registration_id] = certificate
    return {certificate.id for certificate in newest.values()}


def event_certificates(dbsession: Session, event_id: int, with_pdf: bool = False) -> list[Certificate]:
    """Every certificate of the event: standing ones first, by name, then revoked ones; their
    PDFs loaded in the same query when asked for (downloads of them all)."""
    query = (
        select(Certificate).where(Certificate.event_id == event_id)
        .order_by(Certificate.revoked_at.is_not(None), Certificate.recipient_name, Certificate.id)
    )
    if with_pdf:
        query = query.options(undefer(Certificate.pdf))
    return list(dbsession.scalars(query).unique())


def standing_certificate(dbsession: Session, registration_id: int) -> Certificate | None:
    return dbsession.scalar(select(Certificate).where(
        Certificate.registration_id == registration_id, Certificate.revoked_at.is_(None)))


def standing_certificates_of(dbsession: Session, registration_ids: list[int]) -> dict[int, Certificate]:
    if not registration_ids:
        return {}
    return {certificate.registration_id: certificate for certificate in dbsession.scalars(select(Certificate).where(
        Certificate.registration_id.in_(registration_ids), Certificate.revoked_at.is_(None))).unique()}


def certificate_by_code(dbsession: Session, code: str) -> Certificate | None:
    if not (code.isascii() and 0 < len(code) <= 32):
        return None
    return dbsession.scalar(select(Certificate).where(Certificate.code == code))


# --- issuing ----------------------------------------------------------------------------------


def issue(request: Request, event: Event, registrations: list[Registration], now: datetime.datetime,
          issued_by: User | None = None, names: dict[int, str] | None = None) -> list[Certificate]:
    """Certificates for these attendees, rendered together: the rows are written first (their ids
    are the printed numbers), then the PDFs of each language, over the event's page laid out once."""
    dbsession = request.dbsession
    design = design_for(dbsession, event)
    tz = local_timezone(request)
    periods = {locale_name: period_text(event, locale_name, tz)
               for locale_name in {registration.locale for registration in registrations}}
    certificates = []
    for registration in registrations:
        certificate = Certificate(
            code=secrets.token_urlsafe(16),
            kind=CertificateKind.ATTENDANCE,
            event_id=event.id,
            registration_id=registration.id,
            recipient_name=(names or {}).get(registration.id, registration.name),
            title=event.localized("title", registration.locale),
            period=periods[registration.locale],
            locale=registration.locale,
            pdf=b"",
            issued_at=now,
            issued_by_id=issued_by.id if issued_by else None,
        )
        dbsession.add(certificate)
        certificates.append(certificate)
    dbsession.flush()
    signature = signature_data_uri(design.signature, design.signature_type)
    for locale_name in sorted(periods):
        group = [certificate for certificate in certificates if certificate.locale == locale_name]
        pages = certificate_pages(request, event, design, locale_name, now, [
            Holder(certificate.recipient_name, certificate.number, certificate.code) for certificate in group])
        for certificate, pdf in zip(group, renderer().certificates(pages, signature), strict=True):
            certificate.pdf = pdf
    return certificates


def start_run(request: Request, event: Event, email_attendees: bool, user: User | None,
              now: datetime.datetime) -> CertificateRun:
    """Ask the worker for the certificates still missing; one run per event at a time."""
    from events.tasks import issue_certificates

    missing = certificate_counts(request.dbsession, event.id).missing
    if missing == 0:
        raise RegistrationRefused("no_certificates_missing")
    run = CertificateRun(event_id=event.id, requested_by_id=user.id if user else None,
                         email_attendees=email_attendees, total=missing, created_at=now, touched_at=now)
    try:
        with request.dbsession.begin_nested():
            request.dbsession.add(run)
    except IntegrityError:
        raise RegistrationRefused("certificates_running") from None
    request.enqueue(issue_certificates, run.id)
    return run


def latest_run(dbsession: Session, event_id: int) -> CertificateRun | None:
    return dbsession.scalar(select(CertificateRun).where(CertificateRun.event_id == event_id)
                            .order_by(CertificateRun.id.desc()).limit(1))


def issue_batch(request: Request, run_id: int, now: datetime.datetime) -> bool:
    """One batch of a run, in the task's transaction (committed before the next batch starts,
    so the staff see progress and a restart loses at most the batch in hand). True while more
    remain. Another worker holding the run (PostgreSQL) or a finished run ends the chain."""
    dbsession = request.dbsession
    run = dbsession.scalar(skip_locked(dbsession, select(CertificateRun).where(CertificateRun.id == run_id),
                                       of=CertificateRun))
    if run is None or run.finished_at is not None:
        return False
    event = dbsession.get(Event, run.event_id)
    registrations = attendees_without_certificate(dbsession, event.id, limit=BATCH_SIZE)
    run.touched_at = now
    if not registrations:
        run.finished_at = now
        return False
    certificates = issue(request, event, registrations, now, issued_by=dbsession.get(User, run.requested_by_id)
                         if run.requested_by_id else None)
    run.issued += len(certificates)
    # People checked in since the run began are issued too: the total grows with them.
    run.total = run.issued + certificate_counts(dbsession, event.id).missing
    if run.email_attendees:
        for certificate, registration in zip(certificates, registrations, strict=True):
            email_certificate(request, certificate, registration, now)
    return True


def stalled_runs(dbsession: Session, now: datetime.datetime) -> list[int]:
    return list(dbsession.scalars(select(CertificateRun.id).where(
        CertificateRun.finished_at.is_(None), CertificateRun.touched_at < now - RUN_STALLED_AFTER)))


def email_certificate(request: Request, certificate: Certificate, registration: Registration,
                      now: datetime.datetime) -> None:
    secret = request.registry.settings["dimoskopio.secret"]
    token = manage_token(secret, registration)
    send_email(request, "certificate-issued", registration.email, {
        "registration": registration,
        "event": registration.event,
        "certificate": certificate,
        "download_url": request.public_url("events.registration_certificate", token=token),
        "verify_url": request.public_url("certificates.verify", code=certificate.code),
        "manage_url": request.public_url("events.registration", token=token),
    }, locale_name=registration.locale)
    certificate.emailed_at = now


# --- revoking and re-issuing ------------------------------------------------------------------


def revoke(dbsession: Session, certificate: Certificate, reason: str, user: User | None,
           now: datetime.datetime) -> None:
    lock_row(dbsession, certificate)
    if certificate.revoked_at is not None:
        raise RegistrationRefused("certificate_revoked")
    certificate.revoked_at = now
    certificate.revoke_reason = reason
    certificate.revoked_by_id = user.id if user else None


def reissue(request: Request, certificate: Certificate, name: str, user: User | None,
            now: datetime.datetime) -> Certificate:
    """A new certificate in place of a person's newest one (after a name correction, or to undo
    a revocation): a standing one is revoked, the registration takes the corrected name, and the
    new certificate points at the old."""
    dbsession = request.dbsession
    lock_row(dbsession, certificate)
    registration = certificate.registration
    if registration is None or certificate.event is None or certificate.id not in reissuable(
            list(dbsession.scalars(select(Certificate).where(Certificate.registration_id == registration.id)))):
        raise RegistrationRefused("certificate_replaced")
    if certificate.revoked_at is None:
        revoke(dbsession, certificate, localizer_for(registration.locale).translate(
            _("Replaced by a new certificate.")), user, now)
    dbsession.flush()
    registration.name = name
    [replacement] = issue(request, certificate.event, [registration], now, issued_by=user,
                          names={registration.id: name})
    replacement.replaces_id = certificate.id
    return replacement

