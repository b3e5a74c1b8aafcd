"""The staff's newsletter screens: subscribers (search, filters, export, edit, consent history)
and the suppression list."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from dimoskopio.security import Permission
from dimoskopio.web import csv_download, object_or_404, page_count, requested_page, row_id
from mailing import services
from mailing.forms import ImportForm, StaffSubscriberForm, TopicForm, chosen_topics
from mailing.models import (
    CONSENT_ACTION_LABELS,
    CONSENT_SOURCE_LABELS,
    SUBSCRIBER_STATUS_LABELS,
    SUPPRESSION_REASON_LABELS,
    ConsentSource,
    MailingTopic,
    Subscriber,
    SubscriberStatus,
    Suppression,
)

MANAGE = Permission.MAILING_MANAGE
SEARCH_MAX_LENGTH = 200


def _filters(request: Request) -> services.SubscriberFilters:
    params = request.GET
    status = params.get("status", "")
    topic = params.get("topic", "")
    return services.SubscriberFilters(
        q=params.get("q", "")[:SEARCH_MAX_LENGTH].strip(),
        status=SubscriberStatus(status) if status in SubscriberStatus._value2member_map_ else None,
        topic_id=row_id(topic),
    )


@view_config(route_name="admin.mailing.subscribers", renderer="admin/mailing/subscribers.jinja2", permission=MANAGE)
def subscribers(request: Request) -> dict[str, Any]:
    filters = _filters(request)
    page = requested_page(request)
    rows, total = services.subscribers_page(request.dbsession, filters, page)
    topics = services.topics(request.dbsession)
    return {
        "subscribers": rows,
        "total": total,
        "page": page,
        "pages": page_count(total, services.SUBSCRIBERS_PER_PAGE),
        "filters": filters,
        "query": {"q": filters.q, "status": filters.status.value if filters.status else "",
                  "topic": filters.topic_id or ""},
        "topics": topics,
        "topic_names": {topic.id: topic.localized("name", request.locale_name) for topic in topics},
        "status_labels": SUBSCRIBER_STATUS_LABELS,
        "counts": services.status_counts(request.dbsession),
    }


@view_config(route_name="admin.mailing.subscribers_csv", permission=MANAGE)
def subscribers_csv(request: Request) -> Response:
    """The subscribers the filters find, with their topics and when they consented."""
    filters = _filters(request)
    topics = {topic.id: topic.slug for topic in services.topics(request.dbsession)}
    translate = request.localizer.translate
    rows = (
        [row.email, row.name, row.locale, translate(SUBSCRIBER_STATUS_LABELS[row.status]),
         " ".join(sorted(topics[topic_id] for topic_id in row.topic_ids if topic_id in topics)),
         row.created_at.isoformat(), row.confirmed_at.isoformat() if row.confirmed_at else "",
         row.unsubscribed_at.isoformat() if row.unsubscribed_at else ""]
        for row in services.all_subscribers(request.dbsession, filters)
    )
    header = [translate(label) for label in (_("Email"), _("Name"), _("Language"), _("Status"), _("Topics"),
                                             _("Asked"), _("Confirmed"), _("Unsubscribed"))]
    return csv_download("subscribers.csv", header, rows)


@view_config(route_name="admin.mailing.subscriber", renderer="admin/mailing/subscriber.jinja2", permission=MANAGE)
def subscriber(request: Request) -> Any:
    found = object_or_404(request, Subscriber, request.matchdict["id"])
    topics = services.topics(request.dbsession)
    form = StaffSubscriberForm(request, topics)
    now = utcnow()
    if request.method == "POST" and request.POST.get("action") == "unsubscribe":
        services.unsubscribe(request, found, ConsentSource.PREFERENCES, services.client_address(request), now)
        request.flash_message(_("The person is unsubscribed and on the suppression list."))
        return HTTPSeeOther(request.route_path("admin.mailing.subscriber", id=found.id))
    if request.method == "POST":
        if form.validate():
            services.staff_edit(request, found, (form.name.data or "").strip(), form.language.data,
                                chosen_topics(form.topics, topics), now)
            request.flash_message(_("Saved."))
            return HTTPSeeOther(request.route_path("admin.mailing.subscriber", id=found.id))
        request.response.status = 400
    else:
        form.name.data = found.name
        form.language.data = found.locale
        form.topics.data = [str(topic_id) for topic_id in sorted(found.topic_ids)]
    return {
        "subscriber": found,
        "form": form,
        "history": services.consent_history(request.dbsession, found.id),
        "status_labels": SUBSCRIBER_STATUS_LABELS,
        "action_labels": CONSENT_ACTION_LABELS,
        "source_labels": CONSENT_SOURCE_LABELS,
        "suppressed": services.is_suppressed(request.dbsession, found.email),
    }


@view_config(route_name="admin.mailing.suppressions", renderer="admin/mailing/suppressions.jinja2",
             permission=MANAGE)
def suppressions(request: Request) -> dict[str, Any]:
    q = request.GET.get("q", "")[:SEARCH_MAX_LENGTH].strip()
    page = requested_page(request)
    rows, total = services.suppressions_page(request.dbsession, q, page)
    return {"suppressions": rows, "total": total, "page": page, "q": q, "query": {"q": q},
            "pages": page_count(total, services.SUBSCRIBERS_PER_PAGE), "reason_labels": SUPPRESSION_REASON_LABELS}


TOPIC_SLUG_REFUSALS = {
    "taken": _("Another topic has this short name."),
    "fixed": _("The application finds this topic by its short name (event registrations, the weekly digest): it "
               "cannot change."),
}
IMPORT_ERRORS = {
    "encoding": _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”."),
    "no_email_column": _("The first row must name the columns, one of them “email”."),
    "too_many_rows": _("The file has more than ${count} rows. Split it and import the parts."),
    "broken_quotes": _("The file has a quotation mark that is never closed, so its rows cannot be told apart. "
                       "Correct it in your spreadsheet and save it as CSV again."),
}
IMPORT_OUTCOME_LABELS = {
    services.ImportOutcome.ADDED: _("added"),
    services.ImportOutcome.TOPICS_ADDED: _("already subscribed; topics added"),
    services.ImportOutcome.UNCHANGED: _("already subscribed to these topics"),
    services.ImportOutcome.INVALID: _("not a valid email address"),
    services.ImportOutcome.DUPLICATE: _("appears earlier in the file"),
    services.ImportOutcome.SUPPRESSED: _("on the suppression list: not added"),
}


@view_config(route_name="admin.mailing.import", renderer="admin/mailing/import.jinja2", permission=MANAGE)
def import_subscribers(request: Request) -> dict[str, Any]:
    """Check a CSV and show a report for every row; import only when asked to."""
    topics = services.topics(request.dbsession)
    form = ImportForm(request, topics)
    context: dict[str, Any] = {"form": form, "report": None, "applied": False, "error": None,
                               "outcome_labels": IMPORT_OUTCOME_LABELS, "outcomes": list(services.ImportOutcome)}
    if request.method != "POST":
        return context
    if not form.validate():
        request.response.status = 400
        return context
    rows, error = services.read_import(form.file.data)
    if error:
        request.response.status = 400
        return {**context, "error": request.localizer.translate(
            _(IMPORT_ERRORS[error], mapping={"count": services.IMPORT_MAX_ROWS}))}
    report = services.import_subscribers(request, rows, chosen_topics(form.topics, topics), form.note.data.strip(),
                                         bool(form.confirm.data), utcnow())
    return {**context, "report": report, "applied": bool(form.confirm.data)}


@view_config(route_name="admin.mailing.topics", renderer="admin/mailing/topics.jinja2", permission=MANAGE)
def topics(request: Request) -> dict[str, Any]:
    return {"topics": services.topics(request.dbsession),
            "counts": services.topic_subscriber_counts(request.dbsession)}


@view_config(route_name="admin.mailing.topic", renderer="admin/mailing/topic.jinja2", permission=MANAGE)
def topic(request: Request) -> Any:
    raw_id = request.matchdict["id"]
    found = None if raw_id == "new" else object_or_404(request, MailingTopic, raw_id)
    form = TopicForm(request, obj=found)
    if request.method == "POST":
        if form.validate():
            refusal = services.topic_slug_refusal(request.dbsession, found, form.slug.data)
            if refusal is None:
                values = {field.name: field.data for field in form}
                services.save_topic(request.dbsession, found or MailingTopic(), values)
                request.flash_message(_("Saved."))
                return HTTPSeeOther(request.route_path("admin.mailing.topics"))
            form.add_error("slug", TOPIC_SLUG_REFUSALS[refusal])
        request.response.status = 400
    return {"form": form, "topic": found}


@view_config(route_name="admin.mailing.suppression_lift", request_method="POST", permission=MANAGE)
def lift_suppression(request: Request) -> Response:
    found = object_or_404(request, Suppression, request.matchdict["id"])
    services.lift_suppression(request.dbsession, found)
    request.flash_message(request.localizer.translate(_(
        "${email} is off the suppression list. Campaigns still reach it only if the person subscribes and confirms.",
        mapping={"email": found.email})))
    return HTTPSeeOther(request.route_path("admin.mailing.suppressions"))
