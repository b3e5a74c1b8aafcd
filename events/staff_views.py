"""Staff screens for events: the list, editing, registrations, check-in, exports and charts."""

import datetime
from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from sqlalchemy import select
from wtforms import SelectChoice

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import csv_download, object_or_404, page_count, requested_page
from events import charts, services
from events.forms import (
    CategoryForm,
    EventForm,
    MoveForm,
    QuestionForm,
    ReasonForm,
    RepeatForm,
    SeriesForm,
    StaffRegistrationForm,
    TaxonomyForm,
    VenueForm,
    local_naive,
)
from events.models import (
    ATTENDEE_ROLE_LABELS,
    EVENT_STATUS_LABELS,
    QUESTION_KIND_LABELS,
    REGISTRATION_STATUS_LABELS,
    AttendeeRole,
    Category,
    Event,
    EventStatus,
    Question,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Series,
    Topic,
    Venue,
    event_topics,
)
from events.services import RegistrantDetails, RegistrationRefused
from events.views import refusal_message

NOTICE_LABELS = {
    "event-cancelled": _("Cancellation"),
    "event-postponed": _("Postponement"),
    "event-changed": _("New time or place"),
}
EVENTS_PER_PAGE = 30
REGISTRATIONS_PER_PAGE = 50
CHECKIN_RESULTS = 30
MANAGE = Permission.EVENTS_MANAGE


def _event(request: Request) -> Event:
    return object_or_404(request, Event, request.matchdict["id"])


def _back_to_event(request: Request, event: Event, **query: Any) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("admin.event", id=event.id, _query=query or None))


# --- the list ---------------------------------------------------------------------------------

WHEN_FILTERS = ("upcoming", "past", "all")


@view_config(route_name="admin.events", renderer="admin/events/list.jinja2", permission=MANAGE)
def event_list(request: Request) -> dict[str, Any]:
    now = utcnow()
    q = request.GET.get("q", "")[:200].strip()
    status = request.GET.get("status", "")
    when = request.GET.get("when", "upcoming")
    when = when if when in WHEN_FILTERS else "upcoming"
    category = request.GET.get("category", "")[:80]
    query = services.filtered_events(services.EventFilters(q=q, category=category),
                                     services.local_timezone(request), include_drafts=True)
    if status in EventStatus.__members__.values():
        query = query.where(Event.status == EventStatus(status))
    else:
        status = ""
    if when == "upcoming":
        query = services.upcoming(query, now)
    elif when == "past":
        query = services.past(query, now)
    else:
        query = query.order_by(Event.starts_at.desc(), Event.id.desc())
    listing = services.paged_events(request.dbsession, query, requested_page(request), EVENTS_PER_PAGE)
    return {
        **vars(listing),
        "query": {"q": q, "status": status, "when": when, "category": category},
        "status_labels": EVENT_STATUS_LABELS,
        "categories": request.dbsession.scalars(select(Category).order_by(Category.position)).all(),
    }


# --- create and edit --------------------------------------------------------------------------


def _choices(request: Request) -> dict[str, list[SelectChoice]]:
    dbsession = request.dbsession
    locale_name = request.locale_name
    return {
        "categories": [SelectChoice(row.id, row.localized("name", locale_name))
                       for row in dbsession.scalars(select(Category).order_by(Category.position, Category.name_el))],
        "topics": [SelectChoice(row.id, row.localized("name", locale_name))
                   for row in dbsession.scalars(select(Topic).order_by(Topic.name_el))],
        "venues": [SelectChoice(row.id, row.name) for row in dbsession.scalars(select(Venue).order_by(Venue.name))],
        "series": [SelectChoice(row.id, row.localized("title", locale_name))
                   for row in dbsession.scalars(select(Series).order_by(Series.title_el))],
    }


def _fill_form(form: EventForm, event: Event, tz: Any) -> None:
    """The stored event as the form shows it: local times, ids for the selects."""
    form.starts_at.data = local_naive(event.starts_at, tz)
    form.ends_at.data = local_naive(event.ends_at, tz)
    if event.all_day:
        form.ends_at.data = datetime.datetime.combine(services.last_day(event, tz), datetime.time())
    form.registration_opens_at.data = local_naive(event.registration_opens_at, tz)
    form.registration_closes_at.data = local_naive(event.registration_closes_at, tz)
    form.category_id.data = event.category_id or 0
    form.venue_id.data = event.venue_id or 0
    form.series_id.data = event.series_id or 0
    form.topic_ids.data = [topic.id for topic in event.topics]
    form.language.data = event.language.value


def _apply_form(request: Request, form: EventForm, event: Event) -> None:
    tz = services.local_timezone(request)
    for name in ("title_el", "summary_el", "description_el", "organiser", "partners", "speakers"):
        setattr(event, name, (getattr(form, name).data or "").strip())
    for name in ("title_en", "summary_en", "description_en", "online_url"):
        setattr(event, name, (getattr(form, name).data or "").strip() or None)
    event.category_id = form.category_id.data or None
    event.venue_id = form.venue_id.data or None
    event.series_id = form.series_id.data or None
    event.topics = list(request.dbsession.scalars(select(Topic).where(Topic.id.in_(form.topic_ids.data or []))))
    event.all_day = bool(form.all_day.data)
    if event.all_day:
        event.starts_at = services.local_day_start(form.starts_at.data.date(), tz)
        event.ends_at = services.local_day_start(form.ends_at.data.date() + datetime.timedelta(days=1), tz)
    else:
        event.starts_at = services.from_local(form.starts_at.data, tz)
        event.ends_at = services.from_local(form.ends_at.data, tz)
    event.registration_opens_at = (services.from_local(form.registration_opens_at.data, tz)
                                   if form.registration_opens_at.data else None)
    event.registration_closes_at = (services.from_local(form.registration_closes_at.data, tz)
                                    if form.registration_closes_at.data else None)
    event.capacity = form.capacity.data
    event.approval_required = bool(form.approval_required.data)
    event.auto_promote = bool(form.auto_promote.data)
    event.offer_hours = form.offer_hours.data
    event.hours = form.hours.data
    event.language = form.language.data
    wanted_slug = (form.slug.data or "").strip() or event.slug or form.title_el.data
    event.slug = services.unique_slug(request.dbsession, Event, wanted_slug, exclude_id=event.id)


def _check_slug_and_capacity(request: Request, form: EventForm, event: Event | None) -> bool:
    valid = True
    slug = (form.slug.data or "").strip()
    if slug:
        taken = request.dbsession.scalar(select(Event.id).where(Event.slug == slug))
        if (taken is not None and (event is None or taken != event.id)) or slug in services.RESERVED_SLUGS:
            form.add_error("slug", _("Another event already uses this address."))
            valid = False
    if event is not None and form.capacity.data is not None:
        taken_seats = services.seats_taken(request.dbsession, event.id)
        if form.capacity.data < taken_seats:
            form.add_error("capacity", _(
                "${count} people already hold a seat; move some of them first.", mapping={"count": taken_seats},
            ))
            valid = False
    return valid


@view_config(route_name="admin.events.new", renderer="admin/events/edit.jinja2", permission=MANAGE)
def new_event(request: Request) -> Any:
    form = EventForm(request, _choices(request))
    if request.method == "POST" and form.validate() and _check_slug_and_capacity(request, form, None):
        event = Event(status=EventStatus.DRAFT, slug="")
        _apply_form(request, form, event)
        request.dbsession.add(event)
        request.dbsession.flush()
        request.flash_message(_("The event is saved as a draft. Publish it when it is ready."))
        return _back_to_event(request, event)
    if request.method == "POST":
        request.response.status = 400
    return {"form": form, "event": None}


@view_config(route_name="admin.event.edit", renderer="admin/events/edit.jinja2", permission=MANAGE)
def edit_event(request: Request) -> Any:
    event = _event(request)
    form = EventForm(request, _choices(request), obj=event)
    if request.method != "POST":
        _fill_form(form, event, services.local_timezone(request))
        return {"form": form, "event": event}
    valid = form.validate()
    if valid and form.capacity.data != event.capacity:
        # Seats are counted under the seat lock (registrations race with this edit); the lock
        # re-reads the event, so it comes before the form's values are applied.
        services.lock_seats(request, event)
    if not (valid and _check_slug_and_capacity(request, form, event)):
        request.response.status = 400
        return {"form": form, "event": event}
    before = services.snapshot(event)
    old_capacity = event.capacity
    _apply_form(request, form, event)
    changed = services.record_changes(request, event, before)
    request.dbsession.flush()
    if services.capacity_grew(old_capacity, event.capacity):
        services.fill_free_seats(request, event, utcnow())
    if changed and event.status == EventStatus.PUBLISHED:
        request.flash_message(_("Saved. Everyone registered is being emailed about the new time or place."))
    else:
        request.flash_message(_("Saved."))
    return _back_to_event(request, event)


@view_config(route_name="admin.event.duplicate", request_method="POST", permission=MANAGE)
def duplicate_event(request: Request) -> Response:
    copy = services.duplicate(request.dbsession, _event(request))
    request.flash_message(_("This is a copy, saved as a draft. Change its date and details, then publish it."))
    return HTTPSeeOther(request.route_path("admin.event.edit", id=copy.id))


@view_config(route_name="admin.event.repeat", renderer="admin/events/repeat.jinja2", permission=MANAGE)
def repeat_event(request: Request) -> Any:
    event = _event(request)
    form = RepeatForm(request)
    if request.method == "POST":
        if not form.validate():
            request.response.status = 400
            return {"form": form, "event": event}
        copies = services.create_repeats(request.dbsession, event, form.pattern.data, form.count.data,
                                         services.local_timezone(request))
        request.flash_message(_("${count} draft dates were created. Review and publish them from the list.",
                                mapping={"count": len(copies)}))
        return HTTPSeeOther(request.route_path("admin.events", _query={"when": "upcoming", "status": "draft"}))
    return {"form": form, "event": event}


ACTION_MESSAGES = {
    "publish": _("The event is published."),
    "cancel": _("The event is cancelled. Everyone registered is being emailed."),
    "postpone": _("The event is postponed. Everyone registered is being emailed."),
    "delete": _("The draft is deleted."),
}


@view_config(route_name="admin.event.action", request_method="POST", permission=MANAGE,
             renderer="admin/events/detail.jinja2")
def event_action(request: Request) -> Any:
    event = _event(request)
    action = request.matchdict["action"]
    form = ReasonForm(request)
    if not form.validate():
        request.response.status = 400
        return event_page(request, event, reason_form=form)
    try:
        if action == "publish":
            services.publish(request, event, utcnow())
        elif action == "cancel":
            services.cancel_event(request, event, (form.message.data or "").strip())
        elif action == "postpone":
            services.postpone_event(request, event, (form.message.data or "").strip())
        else:
            services.delete_draft(request.dbsession, event)
            request.flash_message(ACTION_MESSAGES[action])
            return HTTPSeeOther(request.route_path("admin.events"))
    except RegistrationRefused as error:
        request.response.status = 409
        return event_page(request, event, refusal=refusal_message(request, error))
    request.flash_message(ACTION_MESSAGES[action])
    return _back_to_event(request, event)


# --- the event's staff page -------------------------------------------------------------------


def event_page(request: Request, event: Event, **extra: Any) -> dict[str, Any]:
    dbsession = request.dbsession
    raw_status = request.GET.get("status", "")
    status = RegistrationStatus(raw_status) if raw_status in RegistrationStatus.__members__.values() else None
    q = request.GET.get("q", "")[:200].strip()
    page = requested_page(request)
    registrations, total = services.staff_registrations(dbsession, event.id, status, q, page,
                                                        REGISTRATIONS_PER_PAGE)
    counts = services.counts_for(dbsession, [event.id])[event.id]
    return {
        "event": event,
        "counts": counts,
        "fill_rate": services.fill_rate(event, counts),
        "attendance_rate": counts.checked_in / counts.confirmed if counts.confirmed else None,
        "registrations": registrations,
        "positions": services.waiting_positions(dbsession, event.id),
        "total": total,
        "page": page,
        "pages": page_count(total, REGISTRATIONS_PER_PAGE),
        "query": {"status": raw_status if status else "", "q": q},
        "status_labels": REGISTRATION_STATUS_LABELS,
        "event_status_labels": EVENT_STATUS_LABELS,
        "role_labels": ATTENDEE_ROLE_LABELS,
        "feedback": services.feedback_summary(dbsession, event.id),
        "notices": services.recent_notices(dbsession, event.id),
        "notice_labels": NOTICE_LABELS,
        "move_form": MoveForm(request),
        "add_form": extra.pop("add_form", None) or StaffRegistrationForm(request),
        "reason_form": extra.pop("reason_form", None) or ReasonForm(request),
        "state": services.registration_state(event, utcnow()),
        "refusal": None,
        **extra,
    }


@view_config(route_name="admin.event", renderer="admin/events/detail.jinja2", permission=MANAGE)
def event_detail(request: Request) -> dict[str, Any]:
    return event_page(request, _event(request))


@view_config(route_name="admin.event.add_registration", request_method="POST", permission=MANAGE,
             renderer="admin/events/detail.jinja2")
def add_registration(request: Request) -> Any:
    event = _event(request)
    form = StaffRegistrationForm(request)
    if not form.validate():
        request.response.status = 400
        return event_page(request, event, add_form=form)
    details = RegistrantDetails(
        name=form.name.data, email=form.email.data, organisation=form.organisation.data or "",
        role=AttendeeRole(form.role.data), locale=form.locale.data,
    )
    source = RegistrationSource.WALK_IN if form.walk_in.data else RegistrationSource.STAFF
    try:
        outcome = services.register(request, event, details, utcnow(), source=source)
    except RegistrationRefused as error:
        form.form_errors.append(refusal_message(request, error))
        request.response.status = 409
        return event_page(request, event, add_form=form)
    if not outcome.created:
        form.form_errors.append(request.localizer.translate(_("This email is already registered for the event.")))
        request.response.status = 409
        return event_page(request, event, add_form=form)
    if form.notify.data:
        services.notify_registration(request, outcome.registration)
    request.flash_message(_("${name} is added: ${status}.", mapping={
        "name": outcome.registration.name,
        "status": request.localizer.translate(REGISTRATION_STATUS_LABELS[outcome.registration.status]),
    }))
    if source == RegistrationSource.WALK_IN:
        return HTTPSeeOther(request.route_path("admin.event.checkin", id=event.id))
    return _back_to_event(request, event)


def _registration_of(request: Request, event: Event) -> Registration:
    registration = object_or_404(request, Registration, request.matchdict["registration_id"])
    if registration.event_id != event.id:
        raise HTTPNotFound()
    return registration


@view_config(route_name="admin.event.move", request_method="POST", permission=MANAGE,
             renderer="admin/events/detail.jinja2")
def move(request: Request) -> Any:
    event = _event(request)
    registration = _registration_of(request, event)
    form = MoveForm(request)
    if not form.validate():
        raise HTTPBadRequest()
    target = RegistrationStatus(form.status.data)
    try:
        moved = services.move_registration(request, registration, target, utcnow(),
                                            (form.reason.data or "").strip())
    except RegistrationRefused as error:
        request.response.status = 409
        return event_page(request, event, refusal=refusal_message(request, error))
    if form.notify.data and moved:
        services.notify_registration(request, registration)
    request.flash_message(_("${name}: ${status}.", mapping={
        "name": registration.name,
        "status": request.localizer.translate(REGISTRATION_STATUS_LABELS[registration.status]),
    }))
    return HTTPSeeOther(request.POST.get("next") if _same_page(request, event) else
                        request.route_path("admin.event", id=event.id))


def _same_page(request: Request, event: Event) -> bool:
    """Back to the same filtered page of registrations, never elsewhere (nor to a header break)."""
    next_url = request.POST.get("next", "")
    return next_url.isprintable() and next_url.startswith(request.route_path("admin.event", id=event.id))


@view_config(route_name="admin.event.registrations_csv", permission=MANAGE)
def registrations_csv(request: Request) -> Response:
    """Every registration with the answers, in UTF-8 with a BOM so that Excel shows Greek right."""
    event = _event(request)
    tz = services.local_timezone(request)
    translate = request.localizer.translate
    questions = event.questions
    rows = request.dbsession.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.created_at)
    ).unique().all()
    asked = [str(question.id) for question in questions]
    # Answers to questions deleted since then stay in the export, in columns of their own.
    deleted = sorted({key for row in rows for key in (row.answers or {})} - set(asked))
    header = [translate(label) for label in (
        _("Name"), _("Email"), _("Organisation"), _("Role"), _("Status"), _("Registered"), _("Checked in"),
        _("Newsletter"), _("Consent"), _("Source"),
    )] + [question.label_el for question in questions] + [
        translate(_("Deleted question ${number}", mapping={"number": key})) for key in deleted
    ]
    rows_out = ([
        row.name, row.email, row.organisation, translate(ATTENDEE_ROLE_LABELS[row.role]),
        translate(REGISTRATION_STATUS_LABELS[row.status]),
        row.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
        row.checked_in_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.checked_in_at else "",
        translate(_("Yes")) if row.newsletter_opt_in else translate(_("No")),
        f"{row.consent_at.astimezone(tz):%Y-%m-%d %H:%M} ({row.consent_version})" if row.consent_at else "",
        row.source.value,
    ] + [_answer_text((row.answers or {}).get(key)) for key in asked + deleted] for row in rows)
    return csv_download(f"{event.slug}-registrations.csv", header, rows_out)


def _answer_text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return "" if value is None else str(value)


@view_config(route_name="admin.event.chart", permission=MANAGE)
def registrations_chart(request: Request) -> Response:
    event = _event(request)
    per_day = services.registrations_by_day(request.dbsession, event.id, services.local_timezone(request))
    return charts.svg_response(charts.registrations_over_time(request, per_day))


# --- questions --------------------------------------------------------------------------------


@view_config(route_name="admin.event.questions", renderer="admin/events/questions.jinja2", permission=MANAGE)
def questions(request: Request) -> dict[str, Any]:
    return {"event": _event(request), "kind_labels": QUESTION_KIND_LABELS}


@view_config(route_name="admin.event.question", renderer="admin/events/question.jinja2", permission=MANAGE)
def question(request: Request) -> Any:
    event = _event(request)
    raw_id = request.matchdict["question_id"]
    existing = None if raw_id == "new" else object_or_404(request, Question, raw_id)
    if existing is not None and existing.event_id != event.id:
        raise HTTPNotFound()
    form = QuestionForm(request, obj=existing)
    if request.method == "POST":
        if not form.validate():
            request.response.status = 400
            return {"event": event, "form": form, "question": existing}
        target = existing or Question(event=event)
        target.kind = form.kind.data
        target.label_el = form.label_el.data.strip()
        target.label_en = (form.label_en.data or "").strip() or None
        target.required = bool(form.required.data)
        target.choices_el = (form.choices_el.data or "").strip()
        target.choices_en = (form.choices_en.data or "").strip() or None
        target.position = form.position.data or 0
        request.dbsession.add(target)
        request.flash_message(_("The question is saved."))
        return HTTPSeeOther(request.route_path("admin.event.questions", id=event.id))
    if existing is not None:
        form.kind.data = existing.kind.value
    return {"event": event, "form": form, "question": existing}


@view_config(route_name="admin.event.question_delete", request_method="POST", permission=MANAGE)
def delete_question(request: Request) -> Response:
    event = _event(request)
    existing = object_or_404(request, Question, request.matchdict["question_id"])
    if existing.event_id != event.id:
        raise HTTPNotFound()
    request.dbsession.delete(existing)
    request.flash_message(_("The question is deleted. Answers already given stay in the export."))
    return HTTPSeeOther(request.route_path("admin.event.questions", id=event.id))


# --- check-in ---------------------------------------------------------------------------------


@view_config(route_name="admin.event.checkin", renderer="admin/events/checkin.jinja2", permission=MANAGE)
def checkin(request: Request) -> dict[str, Any]:
    event = _event(request)
    q = request.GET.get("q", "")[:200].strip()
    people, total = services.staff_registrations(
        request.dbsession, event.id, RegistrationStatus.CONFIRMED, q, 1, CHECKIN_RESULTS,
    )
    counts = services.counts_for(request.dbsession, [event.id])[event.id]
    return {"event": event, "people": people, "total": total, "q": q, "counts": counts,
            "add_form": StaffRegistrationForm(request)}


@view_config(route_name="admin.event.checkin_toggle", request_method="POST", permission=MANAGE)
def checkin_toggle(request: Request) -> Response:
    event = _event(request)
    registration = _registration_of(request, event)
    try:
        if request.POST.get("undo"):
            services.undo_check_in(registration)
            request.flash_message(_("${name}: check-in undone.", mapping={"name": registration.name}), "info")
        else:
            services.check_in(registration, request.user.id, utcnow())
            request.flash_message(_("${name} is checked in.", mapping={"name": registration.name}))
    except RegistrationRefused as error:
        request.flash_message(refusal_message(request, error), "error")
    q = request.POST.get("q", "")[:200]
    return HTTPSeeOther(request.route_path("admin.event.checkin", id=event.id, _query={"q": q} if q else None))


@view_config(route_name="admin.events.checkin_code", renderer="admin/events/checkin_person.jinja2",
             permission=MANAGE)
def checkin_by_code(request: Request) -> Any:
    """Where the QR code of a confirmation leads: that person's check-in, for logged-in staff."""
    code = request.matchdict["code"]
    registration = request.dbsession.scalar(select(Registration).where(Registration.checkin_code == code[:40]))
    if registration is None:
        raise HTTPNotFound()
    refusal = None
    if request.method == "POST":
        try:
            services.check_in(registration, request.user.id, utcnow())
            request.flash_message(_("${name} is checked in.", mapping={"name": registration.name}))
            return HTTPSeeOther(request.route_path("admin.events.checkin_code", code=code))
        except RegistrationRefused as error:
            request.response.status = 409
            refusal = refusal_message(request, error)
    return {"registration": registration, "event": registration.event, "refusal": refusal,
            "status_labels": REGISTRATION_STATUS_LABELS}


# --- categories, topics, venues, series -------------------------------------------------------

TAXONOMIES: dict[str, dict[str, Any]] = {
    "categories": {"model": Category, "form": CategoryForm, "title": _("Categories"), "column": Event.category_id,
                   "order": (Category.position, Category.name_el), "name_field": "name_el"},
    "topics": {"model": Topic, "form": TaxonomyForm, "title": _("Topics"), "column": event_topics.c.topic_id,
               "order": (Topic.name_el,), "name_field": "name_el"},
    "venues": {"model": Venue, "form": VenueForm, "title": _("Venues"), "column": Event.venue_id,
               "order": (Venue.name,), "name_field": "name"},
    "series": {"model": Series, "form": SeriesForm, "title": _("Series"), "column": Event.series_id,
               "order": (Series.title_el,), "name_field": "title_el"},
}


@view_config(route_name="admin.events.taxonomy", renderer="admin/events/taxonomy.jinja2", permission=MANAGE)
def taxonomy(request: Request) -> dict[str, Any]:
    kind = request.matchdict["kind"]
    spec = TAXONOMIES[kind]
    rows = request.dbsession.scalars(select(spec["model"]).order_by(*spec["order"])).all()
    return {"kind": kind, "spec": spec, "rows": rows, "kinds": TAXONOMIES}


@view_config(route_name="admin.events.taxonomy_edit", renderer="admin/events/taxonomy_edit.jinja2",
             permission=MANAGE)
def taxonomy_edit(request: Request) -> Any:
    kind = request.matchdict["kind"]
    spec = TAXONOMIES[kind]
    model = spec["model"]
    raw_id = request.matchdict["id"]
    row = None if raw_id == "new" else object_or_404(request, model, raw_id)
    form = spec["form"](request, obj=row)
    context = {"kind": kind, "spec": spec, "form": form, "row": row}
    if request.method != "POST":
        return context
    if not form.validate():
        request.response.status = 400
        return context
    target = row or model()
    place_before = services.place_of(target) if isinstance(target, Venue) and row is not None else None
    for field in form:
        value = field.data.strip() if isinstance(field.data, str) else field.data
        setattr(target, field.name, (value or None) if field.name.endswith("_en") else value)
    if hasattr(model, "slug"):
        wanted = (form.slug.data or "").strip() or getattr(target, spec["name_field"])
        target.slug = services.unique_slug(request.dbsession, model, wanted, exclude_id=getattr(row, "id", None))
    if hasattr(model, "position"):
        target.position = form.position.data or 0
    request.dbsession.add(target)
    if place_before is not None and services.place_of(target) != place_before:
        services.venue_moved(request.dbsession, target, utcnow())
    request.flash_message(_("Saved."))
    return HTTPSeeOther(request.route_path("admin.events.taxonomy", kind=kind))


@view_config(route_name="admin.events.taxonomy_delete", request_method="POST", permission=MANAGE)
def taxonomy_delete(request: Request) -> Response:
    kind = request.matchdict["kind"]
    spec = TAXONOMIES[kind]
    row = object_or_404(request, spec["model"], request.matchdict["id"])
    used = services.events_using(request.dbsession, spec["column"], row.id)
    if used:
        request.flash_message(_("${count} events use it, so it cannot be deleted.", mapping={"count": used}),
                              "error")
    else:
        request.dbsession.delete(row)
        request.flash_message(_("Deleted."))
    return HTTPSeeOther(request.route_path("admin.events.taxonomy", kind=kind))


# --- dashboard charts -------------------------------------------------------------------------


@view_config(route_name="admin.events.chart", permission=Permission.STAFF_DASHBOARD)
def year_chart(request: Request) -> Response:
    year = utcnow().astimezone(services.local_timezone(request)).year
    monthly = services.monthly_figures(request.dbsession, year, services.local_timezone(request))
    return charts.svg_response(charts.by_month(request, request.matchdict["chart"], monthly))
