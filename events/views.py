"""Public pages of the events calendar: lists, the event page, registration and its private link."""

import datetime
from typing import Any

from babel.dates import get_day_names
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.markdown import render_markdown
from dimoskopio.security import Permission
from dimoskopio.web import requested_page
from events import certificate_services, feeds, services
from events.calendar import event_ics, google_calendar_link, invitation
from events.display import structured_data
from events.feed_views import private_feed_response
from events.forms import FeedbackForm, registration_form
from events.models import (
    EVENT_LANGUAGE_LABELS,
    REGISTRATION_STATUS_LABELS,
    AttendeeRole,
    Category,
    Event,
    EventStatus,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
)
from events.services import EventFilters, RegistrantDetails, RegistrationRefused, SeatsBusy
from mailing import services as mailing_services

EVENTS_PER_PAGE = 20
HOME_EVENTS = 6
SERIES_LINKS = 5
SEARCH_MAX_LENGTH = 200

REFUSAL_MESSAGES = {
    "draft": _("This event is not published."),
    "cancelled": _("This event has been cancelled, so registration is closed."),
    "postponed": _("This event has been postponed. Registration will reopen with the new date."),
    "past": _("This event is over."),
    "not_open_yet": _("Registration has not opened yet."),
    "closed": _("Registration for this event has closed."),
    "full": _("The event is full."),
    "already_cancelled": _("This registration is already cancelled."),
    "rejected": _("This registration was not approved."),
    "no_offer": _("There is no seat offer waiting for you on this registration."),
    "offer_expired": _("Your seat offer has expired. The seat went to the next person on the waiting list."),
    "not_pending": _("Only registrations awaiting a decision can be approved or rejected."),
    "not_confirmed": _("Only confirmed registrations can be checked in."),
    "not_attended": _("Feedback is for people who attended the event."),
    "not_over": _("Feedback opens when the event is over."),
    "not_allowed": _("That change is not possible for this event."),
    "no_certificates_missing": _("Every checked-in attendee already has a certificate."),
    "certificates_running": _("Certificates for this event are being issued already."),
    "certificate_revoked": _("This certificate has been revoked already."),
    "certificate_replaced": _("This certificate was replaced already; act on the newest one."),
}

INVALID_LINK = _("This link is not valid. Check that you copied all of it from the email.")


def refusal_message(request: Request, error: RegistrationRefused) -> str:
    return request.localizer.translate(REFUSAL_MESSAGES[error.reason])


def list_filters(request: Request) -> EventFilters:
    """Filters from the query string; values that make no sense are ignored, not an error."""
    params = request.GET
    venue = params.get("venue", "")
    return EventFilters(
        q=params.get("q", "")[:SEARCH_MAX_LENGTH].strip(),
        category=params.get("category", "")[:80],
        topic=params.get("topic", "")[:80],
        venue=int(venue) if venue.isascii() and venue.isdigit() and len(venue) <= 9 else None,
        date_from=services.parse_day(params.get("from")),
        date_to=services.parse_day(params.get("to")),
        mode=params.get("mode", "") if params.get("mode") in ("online", "in_person") else "",
    )


def filter_choices(request: Request) -> dict[str, Any]:
    dbsession = request.dbsession
    return {
        "categories": dbsession.scalars(select(Category).order_by(Category.position, Category.name_el)).all(),
        "topics": dbsession.scalars(select(Topic).order_by(Topic.name_el)).all(),
        "venues": dbsession.scalars(select(Venue).order_by(Venue.name)).all(),
    }


def _filter_query(filters: EventFilters) -> dict[str, Any]:
    return {
        "q": filters.q, "category": filters.category, "topic": filters.topic,
        "venue": filters.venue or "", "mode": filters.mode,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
    }


def _listing(request: Request, upcoming: bool) -> dict[str, Any]:
    tz = services.local_timezone(request)
    filters = list_filters(request)
    query = services.filtered_events(filters, tz)
    now = utcnow()
    query = services.upcoming(query, now) if upcoming else services.past(query, now)
    listing = services.paged_events(request.dbsession, query, requested_page(request), EVENTS_PER_PAGE)
    return {
        **vars(listing),
        "filters": filters,
        "query": _filter_query(filters),
        "choices": filter_choices(request),
        "filtered": any(_filter_query(filters).values()),
        "now": now,
    }


@view_config(route_name="home", renderer="home.jinja2")
def home(request: Request) -> dict[str, Any]:
    now = utcnow()
    query = services.upcoming(services.filtered_events(EventFilters(), services.local_timezone(request)), now)
    events = request.dbsession.scalars(query.limit(HOME_EVENTS)).unique().all()
    return {"events": events, "counts": services.counts_for(request.dbsession, [event.id for event in events]),
            "now": now}


@view_config(route_name="events.index", renderer="events/index.jinja2")
def index(request: Request) -> dict[str, Any]:
    return _listing(request, upcoming=True)


@view_config(route_name="events.past", renderer="events/past.jinja2")
def past(request: Request) -> dict[str, Any]:
    return _listing(request, upcoming=False)


@view_config(route_name="events.calendar", renderer="events/calendar.jinja2")
def month(request: Request) -> dict[str, Any]:
    tz = services.local_timezone(request)
    today = utcnow().astimezone(tz).date()
    raw = request.GET.get("month", "")
    try:
        first = datetime.date.fromisoformat(f"{raw}-01") if len(raw) == 7 else today.replace(day=1)
    except ValueError:
        first = today.replace(day=1)
    if not 2000 <= first.year <= 2100:
        first = today.replace(day=1)
    filters = list_filters(request)
    previous_month = (first - datetime.timedelta(days=1)).replace(day=1)
    next_month = (first + datetime.timedelta(days=32)).replace(day=1)
    return {
        "weeks": services.month_grid(request.dbsession, first.year, first.month, tz, filters),
        "weekdays": [get_day_names("wide", locale=request.locale_name)[day] for day in range(7)],
        "first": first,
        "today": today,
        "previous_month": previous_month.strftime("%Y-%m"),
        "next_month": next_month.strftime("%Y-%m"),
        "filters": filters,
        "query": _filter_query(filters),
        "choices": filter_choices(request),
    }


def _event_or_404(request: Request, staff_preview: bool = True) -> Event:
    event = request.dbsession.scalar(select(Event).where(Event.slug == request.matchdict["slug"]))
    if event is None:
        raise HTTPNotFound()
    if not event.is_public and not (staff_preview and request.has_permission(Permission.EVENTS_MANAGE)):
        raise HTTPNotFound()
    return event


def event_page(request: Request, event: Event, form: Any = None) -> dict[str, Any]:
    """Everything the event page shows; the registration form keeps what was typed on errors."""
    now = utcnow()
    counts = services.counts_for(request.dbsession, [event.id])[event.id]
    member = request.user is not None
    existing = services.member_registration(request.dbsession, event.id, request.user) if member else None
    if form is None:
        form = registration_form(request, event.questions, member=member)
    locale_name = request.locale_name
    return {
        "event": event,
        "description": render_markdown(event.localized("description", locale_name)),
        "counts": counts,
        "seats_left": services.seats_left(event, counts.taken),
        "state": services.registration_state(event, now),
        "refusal_messages": REFUSAL_MESSAGES,
        "form": form,
        "member": member,
        "existing": existing,
        "status_labels": REGISTRATION_STATUS_LABELS,
        "language_labels": EVENT_LANGUAGE_LABELS,
        "google_link": google_calendar_link(request, event, locale_name),
        "page_url": request.public_url("events.detail", slug=event.slug),
        "structured_data": structured_data(request, event),
        "series_events": services.next_in_series(request.dbsession, event, SERIES_LINKS) if event.series else [],
        "opens_at": event.registration_opens_at,
        "closes_at": services.registration_closes_at(event),
    }


@view_config(route_name="events.detail", renderer="events/detail.jinja2")
def detail(request: Request) -> dict[str, Any]:
    return event_page(request, _event_or_404(request))


@view_config(route_name="events.ics")
def ics(request: Request) -> Response:
    event = _event_or_404(request, staff_preview=False)
    # Stamped with the event's last change, so that an unchanged event keeps its ETag.
    body = event_ics(request, event, event.updated_at)
    # A download for one person, in their language (the cookie's): no shared caching.
    response = private_feed_response(request, body, f"{event.slug}.ics", event.updated_at)
    response.content_disposition = f'attachment; filename="{event.slug}.ics"'
    return response


def _details_from_form(request: Request, form: Any) -> RegistrantDetails:
    settings = request.registry.settings
    user = request.user
    return RegistrantDetails(
        name=user.name if user is not None else form.name.data,
        email=user.email if user is not None else form.email.data,
        organisation=form.organisation.data or "",
        role=AttendeeRole(form.role.data),
        answers=form.answers(),
        locale=request.locale_name,
        consent_version=settings["events.privacy_notice_version"],
        newsletter_opt_in=bool(form.newsletter.data),
        user_id=user.id if user is not None else None,
    )


REGISTERED_KEY = "events.registered"


@view_config(route_name="events.register", request_method="POST", renderer="events/detail.jinja2")
def register(request: Request) -> Any:
    event = _event_or_404(request, staff_preview=False)
    form = registration_form(request, event.questions, member=request.user is not None)
    if not form.validate():
        request.response.status = 400
        return event_page(request, event, form)
    now = utcnow()
    try:
        outcome = services.register(request, event, _details_from_form(request, form), now)
    except RegistrationRefused as error:
        form.form_errors.append(refusal_message(request, error))
        request.response.status = 409
        return event_page(request, event, form)
    registration = outcome.registration
    if outcome.created:
        services.notify_registration(request, registration)
        if registration.newsletter_opt_in:
            # Double opt-in still: the box asks for the confirmation email, nothing more.
            mailing_services.subscribe_from_registration(
                request, registration.email, registration.name, registration.locale,
                mailing_services.client_address(request), now)
    elif services.may_resend_link(registration, now):
        # Someone registering again gets their link; someone not approved hears the decision again.
        services.notify_registration(request, registration, "registration-link" if registration.is_active else None)
    request.session[REGISTERED_KEY] = {
        "event_id": event.id,
        "created": outcome.created,
        "status": registration.status.value,
        "position": services.waiting_position(request.dbsession, registration),
    }
    return HTTPSeeOther(request.route_path("events.registered", slug=event.slug))


@view_config(route_name="events.registered", renderer="events/registered.jinja2")
def registered(request: Request) -> Any:
    event = _event_or_404(request, staff_preview=False)
    result = request.session.get(REGISTERED_KEY)
    if not isinstance(result, dict) or result.get("event_id") != event.id:
        return HTTPSeeOther(request.route_path("events.detail", slug=event.slug))
    return {"event": event, "result": result}


@exception_view_config(SeatsBusy, renderer="errors/error.jinja2")
def seats_busy(exc: SeatsBusy, request: Request) -> dict[str, Any]:
    request.response.status = 503
    request.response.headers["Retry-After"] = "5"
    return {
        "status": 503,
        "title": _("Many people are registering right now"),
        "detail": _("We could not save your registration this moment. "
                    "Please go back and send the form again in a few seconds."),
    }


# --- the private link -------------------------------------------------------------------------


def registration_for_link(request: Request) -> Any:
    secret = request.registry.settings["dimoskopio.secret"]
    registration = services.registration_for_token(request.dbsession, secret, request.matchdict["token"])
    if registration is None:
        raise HTTPBadRequest(request.localizer.translate(INVALID_LINK))
    return registration


def registration_page(request: Request, registration: Any, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    event = registration.event
    context = services.registration_context(request, registration)
    return {
        **context,
        "token": request.matchdict["token"],
        "status_labels": REGISTRATION_STATUS_LABELS,
        "qr_svg": services.qr_data_uri(services.checkin_url(request, registration))
        if registration.status == RegistrationStatus.CONFIRMED and event.status == EventStatus.PUBLISHED else None,
        "can_cancel": registration.is_active and event.ends_at > now and event.status != EventStatus.CANCELLED,
        "can_accept": registration.status == RegistrationStatus.OFFERED and event.status == EventStatus.PUBLISHED,
        "feedback_open": registration.checked_in_at is not None and event.ends_at <= now,
        "event_over": event.ends_at <= now,
        "certificate": certificate_services.standing_certificate(request.dbsession, registration.id),
        "refusal": None,
        **extra,
    }


@view_config(route_name="events.registration", renderer="events/registration.jinja2")
def registration(request: Request) -> Any:
    registration = registration_for_link(request)
    if request.method != "POST":
        return registration_page(request, registration)
    action = request.POST.get("action")
    now = utcnow()
    try:
        if action == "cancel":
            services.cancel_registration(request, registration, now)
            services.notify_registration(request, registration, "registration-cancelled")
            request.flash_message(_("Your registration is cancelled. Thank you for letting us know."))
        elif action == "accept":
            if services.accept_offer(request, registration, now):
                services.notify_registration(request, registration, "registration-confirmed")
            request.flash_message(_("The seat is yours. See you there!"))
        elif action == "decline":
            services.decline_offer(request, registration, now)
            request.flash_message(_("You declined the seat. It goes to the next person in line."), "info")
        elif action == "calendar_link":
            feeds.new_personal_feed_link(request.dbsession, registration.email)
            services.notify_registration(request, registration, "calendar-link")
            request.flash_message(_("We have emailed you a new link to your calendar. The old one no longer works."))
        else:
            raise HTTPBadRequest()
    except RegistrationRefused as error:
        request.response.status = 409
        return registration_page(request, registration, refusal=refusal_message(request, error))
    return HTTPSeeOther(request.route_path("events.registration", token=request.matchdict["token"]))


@view_config(route_name="events.registration_ics")
def registration_ics(request: Request) -> Response:
    registration = registration_for_link(request)
    return Response(
        body=invitation(request, registration),
        content_type="text/calendar",
        charset="utf-8",
        content_disposition=f'attachment; filename="{registration.event.slug}.ics"',
    )


@view_config(route_name="events.registration_feedback", renderer="events/feedback.jinja2")
def registration_feedback(request: Request) -> Any:
    registration = registration_for_link(request)
    feedback = registration.feedback
    form = FeedbackForm(request, obj=feedback)
    if feedback is not None and request.method != "POST":
        form.rating.data = str(feedback.rating)
    context = {"registration": registration, "event": registration.event, "form": form,
               "token": request.matchdict["token"], "refusal": None}
    now = utcnow()
    refusal = services.feedback_refusal(registration, now)
    if refusal is not None:
        request.response.status = 403
        return {**context, "refusal": refusal_message(request, RegistrationRefused(refusal))}
    if request.method == "POST":
        if not form.validate():
            request.response.status = 400
            return context
        services.save_feedback(request.dbsession, registration, int(form.rating.data), form.useful.data or "",
                               form.ideas.data or "", now)
        request.flash_message(_("Thank you! Your feedback helps us plan better events."))
        return HTTPSeeOther(request.route_path("events.registration", token=request.matchdict["token"]))
    return context


@view_config(route_name="events.mine", renderer="events/mine.jinja2", permission=Permission.ACCOUNT)
def mine(request: Request) -> dict[str, Any]:
    now = utcnow()
    registrations = services.registrations_of_user(request.dbsession, request.user.id, request.user.email)
    secret = request.registry.settings["dimoskopio.secret"]
    # Looked up, not made: a key is made when the member asks for a link or is emailed one.
    key = feeds.find_calendar_key(request.dbsession, request.user.email)
    feed_url = feeds.personal_feed_url(request, key) if key is not None else None
    return {
        "feed_url": feed_url,
        "feed_webcal": feeds.webcal(feed_url) if feed_url else None,
        "upcoming": [registration for registration in registrations if registration.event.ends_at > now][::-1],
        "past": [registration for registration in registrations if registration.event.ends_at <= now],
        "tokens": {registration.id: services.manage_token(secret, registration) for registration in registrations},
        "certificates": certificate_services.standing_certificates_of(
            request.dbsession, [registration.id for registration in registrations]),
        "status_labels": REGISTRATION_STATUS_LABELS,
    }


@view_config(route_name="events.series", renderer="events/series.jinja2")
def series(request: Request) -> dict[str, Any]:
    found = request.dbsession.scalar(select(Series).where(Series.slug == request.matchdict["slug"]))
    if found is None:
        raise HTTPNotFound()
    events = services.series_events(request.dbsession, found)
    now = utcnow()
    return {
        "series": found,
        "description": render_markdown(found.localized("description", request.locale_name)),
        "upcoming": [event for event in events if event.ends_at > now],
        "past": [event for event in events if event.ends_at <= now][::-1],
        "counts": services.counts_for(request.dbsession, [event.id for event in events]),
    }
