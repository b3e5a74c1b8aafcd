"""Mentoring pages: the public directory of mentors, the mentor's own screens (profile, office
hours, assigned startups, sessions, calendar feed), and founders' booking of office hours.

Other people's objects answer 404 alike, whether they exist or not: a mentor sees only the
startups assigned to them, a founder only their startups' sessions and their mentors' slots."""

from collections.abc import Callable
from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config
from wtforms import SelectChoice

from dimoskopio.accounts.models import Role
from dimoskopio.db import utcnow
from dimoskopio.i18n import LANGUAGE_LABELS, _, format_datetime
from dimoskopio.markdown import render_markdown
from dimoskopio.security import Permission
from dimoskopio.web import page_or_last, reachable_or_404, requested_page
from events.feed_views import private_feed_response
from events.feeds import webcal
from incubator import mentor_services as mentoring
from incubator import services
from incubator.mentor_forms import BookingForm, CancelForm, MentorProfileForm, NotesForm, RescheduleForm, SlotForm
from incubator.models import (
    SESSION_MODE_LABELS,
    STARTUP_STAGE_LABELS,
    STARTUP_STATUS_LABELS,
    MentorProfile,
    MentorSession,
    Startup,
)
from incubator.views import DIRECTORY_PER_PAGE, SEARCH_MAX_LENGTH, own_startup_or_404

# What each refusal of the rules tells the person who met it.
REFUSALS = {
    "past": _("This time has already passed."),
    "too-far": _("Office hours may be published at most a year ahead."),
    "length": _("A slot lasts between 15 minutes and 4 hours."),
    "overlap": _("You already have office hours at this time."),
    "withdrawn": _("The mentor has withdrawn this time."),
    "taken": _("Someone has just booked this time. Please choose another one."),
    "started": _("The session has already started."),
    "cancelled": _("This session was cancelled."),
    "other-mentor": _("Choose one of the mentor's open times."),
    "not-started": _("Notes can be written once the session has started."),
    "not-assigned": _("The mentor is no longer assigned to your startup."),
}
# A time someone else has just booked is a conflict; the other refusals are bad requests.
REFUSAL_STATUS = {"taken": 409}


def _refused(request: Request, reason: str) -> Any:
    request.response.status = REFUSAL_STATUS.get(reason, 400)
    return REFUSALS[reason]


# --- the public directory ---------------------------------------------------------------------


def _directory_filters(request: Request) -> mentoring.DirectoryFilters:
    """Filters from the query string; values that make no sense are ignored, not an error."""
    params = request.GET
    language = params.get("language", "")
    return mentoring.DirectoryFilters(
        q=params.get("q", "")[:SEARCH_MAX_LENGTH].strip(),
        tag=params.get("tag", "")[:SEARCH_MAX_LENGTH].strip(),
        language=language if language in LANGUAGE_LABELS else "",
    )


@view_config(route_name="mentors.directory", renderer="incubator/mentors/directory.jinja2")
def directory(request: Request) -> dict[str, Any]:
    filters = _directory_filters(request)
    listing = page_or_last(request.dbsession, mentoring.directory_mentors(filters), requested_page(request),
                           DIRECTORY_PER_PAGE)
    query = {"q": filters.q, "tag": filters.tag, "language": filters.language}
    return {
        "mentors": listing.rows,
        "total": listing.total,
        "page": listing.page,
        "pages": listing.pages,
        "query": query,
        "filtered": any(query.values()),
        "tags": mentoring.directory_tags(request.dbsession),
        "languages": LANGUAGE_LABELS,
    }


@view_config(route_name="mentors.profile", renderer="incubator/mentors/profile.jinja2")
def public_profile(request: Request) -> dict[str, Any]:
    mentor = mentoring.listed_mentor(request.dbsession, request.matchdict["slug"])
    if mentor is None:
        raise HTTPNotFound()
    return {"mentor": mentor, "bio": render_markdown(mentor.bio),
            "mentor_languages": mentoring.profile_languages(mentor), "languages": LANGUAGE_LABELS}


@view_config(route_name="mentors.feed", request_method=("GET", "HEAD"))
def feed(request: Request) -> Response:
    """The mentor's sessions, at an address only they know; private to caches. In the mentor's
    language unless the subscription asks for another (?lang=en)."""
    mentor = mentoring.mentor_by_feed_token(request.dbsession, request.matchdict["token"])
    if mentor is None:
        raise HTTPNotFound()
    wanted = request.GET.get("lang")
    locale_name = wanted if wanted in LANGUAGE_LABELS else mentor.user.locale
    return private_feed_response(request, mentoring.build_feed(request, mentor, locale_name, utcnow()),
                                 "office-hours.ics")


# --- the mentor's own screens -----------------------------------------------------------------


def is_mentor(request: Request) -> bool:
    """Whether the account navigation links to the mentor's screens."""
    user = request.user
    return user is not None and user.role == Role.MENTOR


def _own_profile(request: Request) -> MentorProfile | None:
    return mentoring.profile_of(request.dbsession, request.user)


def _profile_or_redirect(request: Request) -> MentorProfile:
    """The mentor's profile; a mentor without one is sent to write it first."""
    profile = _own_profile(request)
    if profile is None:
        request.flash_message(_("Write your mentor profile first."), queue="info")
        raise HTTPSeeOther(request.route_path("mentoring.profile"))
    return profile


@view_config(route_name="mentoring.home", renderer="incubator/mentors/mentoring.jinja2",
             permission=Permission.MENTORING)
def mentoring_home(request: Request) -> dict[str, Any]:
    profile = _own_profile(request)
    if profile is None:
        return {"profile": None}
    upcoming, past = mentoring.split_sessions(mentoring.mentor_sessions(request.dbsession, profile), utcnow())
    feed_url = request.public_url("mentors.feed", token=profile.feed_token)
    return {
        "profile": profile,
        "assignments": mentoring.mentor_assignments(request.dbsession, profile),
        "upcoming": upcoming,
        "past": past,
        "minutes": mentoring.logged_minutes(past),
        "feed_url": feed_url,
        "webcal_url": webcal(feed_url),
        "status_labels": STARTUP_STATUS_LABELS,
    }


@view_config(route_name="mentoring.profile", renderer="incubator/mentors/edit_profile.jinja2",
             permission=Permission.MENTORING)
def edit_own_profile(request: Request) -> Any:
    profile = _own_profile(request)
    form = MentorProfileForm(request)
    if request.method != "POST":
        if profile is not None:
            form.fill(profile)
        return {"form": form, "suggested_tags": services.SUGGESTED_TAGS}
    if form.validate():
        profile = profile or mentoring.new_profile(request.dbsession, request.user)
        mentoring.save_profile(request.dbsession, profile, form.values())
        request.flash_message(_("Saved."))
        return HTTPSeeOther(request.route_path("mentoring.profile"))
    request.response.status = 400
    return {"form": form, "suggested_tags": services.SUGGESTED_TAGS}


@view_config(route_name="mentoring.feed_reset", request_method="POST", permission=Permission.MENTORING)
def reset_feed(request: Request) -> Response:
    mentoring.reset_feed_token(request.dbsession, _profile_or_redirect(request))
    request.flash_message(_("Your calendar has a new link. Subscribe again with it; the old one no longer works."))
    return HTTPSeeOther(request.route_path("mentoring.home", _anchor="calendar"))


def _slots_page(request: Request, profile: MentorProfile, form: SlotForm) -> dict[str, Any]:
    return {"form": form, "mode_labels": SESSION_MODE_LABELS,
            "slots": mentoring.mentor_slots(request.dbsession, profile, utcnow())}


@view_config(route_name="mentoring.slots", renderer="incubator/mentors/slots.jinja2",
             permission=Permission.MENTORING)
def slots(request: Request) -> Any:
    profile = _profile_or_redirect(request)
    form = SlotForm(request)
    if request.method != "POST":
        return _slots_page(request, profile, form)
    if form.validate():
        try:
            mentoring.publish_slot(request.dbsession, profile, form.values(), utcnow())
        except mentoring.MentoringRefused as refused:
            form.add_error("start" if refused.reason != "length" else "minutes", REFUSALS[refused.reason])
        else:
            request.flash_message(_("Your office hours are published."))
            return HTTPSeeOther(request.route_path("mentoring.slots"))
    request.response.status = 400
    return _slots_page(request, profile, form)


@view_config(route_name="mentoring.slot_withdraw", request_method="POST", permission=Permission.MENTORING)
def withdraw(request: Request) -> Response:
    profile = _profile_or_redirect(request)
    slot = reachable_or_404(request, lambda slot_id: mentoring.mentors_slot(request.dbsession, profile, slot_id))
    try:
        cancelled = mentoring.withdraw_slot(request, slot, utcnow())
    except mentoring.MentoringRefused as refused:
        request.flash_message(REFUSALS[refused.reason], queue="error")
    else:
        request.flash_message(_("The time is withdrawn; ${startup} has been told.",
                                mapping={"startup": cancelled.startup.name}) if cancelled
                              else _("The time is withdrawn."))
    return HTTPSeeOther(request.route_path("mentoring.slots"))


@view_config(route_name="mentoring.startup", renderer="incubator/mentors/mentee.jinja2",
             permission=Permission.MENTORING)
def mentee(request: Request) -> dict[str, Any]:
    """An assigned startup, read-only: its profile, team, needs, and the sessions with this mentor."""
    profile = _own_profile(request)
    startup = reachable_or_404(request, lambda startup_id: mentoring.assigned_startup(
        request.dbsession, profile, startup_id) if profile else None)
    return {"startup": startup, "description": render_markdown(startup.description),
            "sessions": mentoring.startup_sessions(request.dbsession, startup, profile),
            "status_labels": STARTUP_STATUS_LABELS, "stage_labels": STARTUP_STAGE_LABELS}


def _mentors_session_or_404(request: Request) -> tuple[MentorProfile, MentorSession]:
    profile = _own_profile(request)
    session = reachable_or_404(request, lambda session_id: mentoring.mentors_session(
        request.dbsession, profile, session_id) if profile else None)
    return profile, session


def _mentor_session_page(request: Request, session: MentorSession, notes_form: NotesForm,
                         cancel_form: CancelForm) -> dict[str, Any]:
    now = utcnow()
    return {"session": session, "notes_form": notes_form, "cancel_form": cancel_form,
            "notes_refusal": mentoring.notes_refusal(session, now),
            "cancellable": mentoring.change_refusal(session, now) is None,
            "mode_labels": SESSION_MODE_LABELS}


@view_config(route_name="mentoring.session", renderer="incubator/mentors/session.jinja2",
             permission=Permission.MENTORING)
def mentor_session(request: Request) -> Any:
    """A session the mentor holds; after it started, its notes and the minutes it lasted."""
    _profile, session = _mentors_session_or_404(request)
    form = NotesForm(request, obj=session)
    if request.method != "POST":
        return _mentor_session_page(request, session, form, CancelForm(request))
    if form.validate():
        try:
            mentoring.save_notes(session, form.notes.data, form.minutes_logged.data, utcnow())
        except mentoring.MentoringRefused as refused:
            form.add_error("notes", _refused(request, refused.reason))
            return _mentor_session_page(request, session, form, CancelForm(request))
        request.flash_message(_("Saved."))
        return HTTPSeeOther(request.route_path("mentoring.session", id=session.id))
    request.response.status = 400
    return _mentor_session_page(request, session, form, CancelForm(request))


def _cancel_session(request: Request, session: MentorSession, done: Any, done_url: str,
                    page: Callable[[CancelForm], dict[str, Any]]) -> Any:
    """Cancel the session from the posted form: to `done_url` with the `done` message, or back to
    the session's `page` with what went wrong next to the reason."""
    form = CancelForm(request)
    if form.validate():
        try:
            mentoring.cancel(request, session, request.user, form.reason.data or "", utcnow())
        except mentoring.MentoringRefused as refused:
            form.add_error("reason", _refused(request, refused.reason))
            return page(form)
        request.flash_message(done)
        return HTTPSeeOther(done_url)
    request.response.status = 400
    return page(form)


@view_config(route_name="mentoring.session_cancel", request_method="POST",
             renderer="incubator/mentors/session.jinja2", permission=Permission.MENTORING)
def mentor_cancel(request: Request) -> Any:
    _profile, session = _mentors_session_or_404(request)
    return _cancel_session(
        request, session, _("The session is cancelled; the startup has been told."),
        request.route_path("mentoring.session", id=session.id),
        lambda form: _mentor_session_page(request, session, NotesForm(request, obj=session), form))


# --- founders: booking office hours -----------------------------------------------------------


@view_config(route_name="incubator.office_hours", renderer="incubator/mentors/office_hours.jinja2",
             permission=Permission.STARTUP_EDIT)
def office_hours(request: Request) -> dict[str, Any]:
    """Each of the founder's startups: its mentors, their open times, its sessions."""
    now = utcnow()
    return {"startups": [mentoring.founder_mentoring(request.dbsession, startup, now)
                         for startup in services.founder_startups(request.dbsession, request.user)],
            "mode_labels": SESSION_MODE_LABELS}


@view_config(route_name="incubator.office_hours_book", renderer="incubator/mentors/book.jinja2",
             permission=Permission.STARTUP_EDIT)
def book(request: Request) -> Any:
    """Book one of the startup's mentors' times; a time of a mentor not assigned to it is not found."""
    startup = own_startup_or_404(request)
    slot = reachable_or_404(request, lambda slot_id: mentoring.startup_slot(request.dbsession, startup, slot_id),
                            "slot_id")
    form = BookingForm(request)
    context = {"startup": startup, "slot": slot, "form": form, "mode_labels": SESSION_MODE_LABELS,
               "refusal": None, "bookable": True}
    if request.method != "POST":
        refusal = mentoring.booking_refusal(request.dbsession, slot, utcnow())
        if refusal is not None:
            context.update(refusal=REFUSALS[refusal], bookable=False)
        return context
    if form.validate():
        try:
            mentoring.book(request, startup, slot, request.user, form.topic.data, utcnow())
        except mentoring.MentoringRefused as refused:
            context.update(refusal=_refused(request, refused.reason), bookable=False)
            return context
        request.flash_message(_("Booked. You and the mentor will receive an invitation by email."))
        return HTTPSeeOther(request.route_path("incubator.office_hours", _anchor=f"startup-{startup.id}"))
    request.response.status = 400
    return context


def _founder_session_or_404(request: Request) -> tuple[Startup, MentorSession]:
    startup = own_startup_or_404(request)
    session = reachable_or_404(request, lambda session_id: mentoring.founder_session(
        request.dbsession, startup, session_id), "session_id")
    return startup, session


def _founder_session_page(request: Request, startup: Startup, session: MentorSession,
                          cancel_form: CancelForm | None = None,
                          reschedule_form: RescheduleForm | None = None) -> dict[str, Any]:
    now = utcnow()
    changeable = mentoring.change_refusal(session, now) is None
    reschedule_form = reschedule_form or RescheduleForm(request)
    cancel_form = cancel_form or CancelForm(request)
    # The page shows the times to move to only while the session may change, or to show what failed.
    if changeable or reschedule_form.errors or cancel_form.errors:
        _reschedule_choices(request, session, reschedule_form)
    else:
        reschedule_form.slot_id.choices = []
    return {"startup": startup, "session": session, "changeable": changeable,
            "cancel_form": cancel_form, "reschedule_form": reschedule_form,
            "notes": render_markdown(session.notes) if session.notes else None,
            "mode_labels": SESSION_MODE_LABELS}


def _reschedule_choices(request: Request, session: MentorSession, form: RescheduleForm) -> None:
    tz = request.registry["timezone"]
    form.slot_id.choices = [
        SelectChoice(slot.id, f"{format_datetime(slot.starts_at, request.locale_name, tz, 'short')}"
                              f"–{slot.ends_at.astimezone(tz):%H:%M}")
        for slot in mentoring.reschedule_choices(request.dbsession, session, utcnow())]


@view_config(route_name="incubator.office_hours_session", renderer="incubator/mentors/founder_session.jinja2",
             permission=Permission.STARTUP_EDIT)
def founder_session(request: Request) -> dict[str, Any]:
    startup, session = _founder_session_or_404(request)
    return _founder_session_page(request, startup, session)


@view_config(route_name="incubator.office_hours_cancel", request_method="POST",
             renderer="incubator/mentors/founder_session.jinja2", permission=Permission.STARTUP_EDIT)
def founder_cancel(request: Request) -> Any:
    startup, session = _founder_session_or_404(request)
    return _cancel_session(
        request, session, _("The session is cancelled; the mentor has been told."),
        request.route_path("incubator.office_hours", _anchor=f"startup-{startup.id}"),
        lambda form: _founder_session_page(request, startup, session, cancel_form=form))


@view_config(route_name="incubator.office_hours_reschedule", request_method="POST",
             renderer="incubator/mentors/founder_session.jinja2", permission=Permission.STARTUP_EDIT)
def founder_reschedule(request: Request) -> Any:
    startup, session = _founder_session_or_404(request)
    form = RescheduleForm(request)
    _reschedule_choices(request, session, form)
    if form.validate():
        try:
            mentoring.reschedule(request, session, form.slot_id.data, utcnow())
        except mentoring.MentoringRefused as refused:
            form.add_error("slot_id", _refused(request, refused.reason))
            return _founder_session_page(request, startup, session, reschedule_form=form)
        request.flash_message(_("The session is moved; you and the mentor will receive the new invitation."))
        return HTTPSeeOther(request.route_path("incubator.office_hours_session", id=startup.id,
                                               session_id=session.id))
    request.response.status = 400
    return _founder_session_page(request, startup, session, reschedule_form=form)


def includeme(config: Configurator) -> None:
    # Public (`/mentors` is a public contract); the feed's address holds only its secret.
    config.add_route("mentors.directory", "/mentors")
    config.add_route("mentors.feed", "/mentors/feed/{token}.ics")
    config.add_route("mentors.profile", "/mentors/{slug}")

    # The mentor's own screens; the account navigation links here only for mentors.
    config.add_route("mentoring.home", "/account/mentoring")
    config.add_route("mentoring.profile", "/account/mentoring/profile")
    config.add_route("mentoring.feed_reset", "/account/mentoring/calendar-link")
    config.add_route("mentoring.slots", "/account/mentoring/office-hours")
    config.add_route("mentoring.slot_withdraw", "/account/mentoring/office-hours/{id:\\d+}/withdraw")
    config.add_route("mentoring.startup", "/account/mentoring/startups/{id:\\d+}")
    config.add_route("mentoring.session", "/account/mentoring/sessions/{id:\\d+}")
    config.add_route("mentoring.session_cancel", "/account/mentoring/sessions/{id:\\d+}/cancel")
    config.add_request_method(is_mentor, "is_mentor", reify=True)

    # Founders book their mentors' office hours.
    config.add_route("incubator.office_hours", "/account/office-hours")
    config.add_route("incubator.office_hours_book", "/account/startups/{id:\\d+}/office-hours/{slot_id:\\d+}")
    config.add_route("incubator.office_hours_session", "/account/startups/{id:\\d+}/sessions/{session_id:\\d+}")
    config.add_route("incubator.office_hours_cancel",
                     "/account/startups/{id:\\d+}/sessions/{session_id:\\d+}/cancel")
    config.add_route("incubator.office_hours_reschedule",
                     "/account/startups/{id:\\d+}/sessions/{session_id:\\d+}/reschedule")

    # Staff.
    config.add_route("admin.incubator.mentors", "/admin/incubator/mentors")
    config.add_route("admin.incubator.mentor", "/admin/incubator/mentors/{id:\\d+}")
    config.add_route("admin.incubator.mentor_assign", "/admin/incubator/mentors/{id:\\d+}/assignments")
    config.add_route("admin.incubator.startup_mentors", "/admin/incubator/startups/{id:\\d+}/mentors")
    config.add_route("admin.incubator.assignment_remove", "/admin/incubator/mentor-assignments/{id:\\d+}/remove")
