"""Campaigns over HTTP: the staff's screens (list, compose, preview, test, send or schedule, pause,
resume, cancel, progress, batches in doubt) and the public archive of past campaigns."""

from typing import Any

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.accounts.models import EMAIL_MAX_LENGTH
from dimoskopio.db import lock_row, utcnow
from dimoskopio.i18n import LANGUAGE_LABELS, _, format_datetime
from dimoskopio.mail.services import MailDeliveryError
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, page_count, requested_page
from incubator.services import all_cohorts
from mailing import campaign_services, delivery, services
from mailing.campaign_services import CAMPAIGNS_PER_PAGE, CampaignTemplateError, allowed_actions
from mailing.delivery import CampaignStateError
from mailing.forms import (
    AUDIENCE_LANGUAGE_LABELS,
    MERGE_FIELD_HELP,
    CampaignForm,
    ScheduleForm,
    SendNowForm,
    SendTestForm,
)
from mailing.models import (
    CAMPAIGN_STATUS_LABELS,
    SEGMENT_KIND_LABELS,
    Campaign,
    CampaignBatch,
    CampaignStatus,
)

MANAGE = Permission.MAILING_MANAGE
ARCHIVE_PER_PAGE = 20

# The preview shows the email in an <iframe srcdoc>, which runs under this page's policy: the
# site's policy with the email's inline styles allowed (the frame's sandbox still runs nothing).
PREVIEW_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

SEND_REFUSALS = {
    "state": _("Only a draft or a scheduled campaign can be sent."),
    "nobody": _("Nobody is in the audience of this campaign, so it was not sent. Choose other topics or segments."),
}
SCHEDULE_REFUSALS = {
    "state": _("Only a draft or a scheduled campaign can be scheduled."),
    "past": _("Choose a time in the future."),
}
ACTION_MESSAGES = {
    "pause": _("The campaign is paused. Resume it to send it to the rest."),
    "resume": _("Sending goes on."),
    "cancel": _("The campaign is cancelled: nobody else will receive it."),
    "unschedule": _("The campaign is no longer scheduled; it is a draft again."),
    "duplicate": _("This is a new draft, a copy of the campaign. Change what you need, then send it."),
    "delete": _("The draft is deleted."),
    "publish": _("The campaign is in the public archive."),
    "unpublish": _("The campaign is no longer in the public archive."),
}
BATCH_DECISIONS = {
    "sent": (True, _("The batch is counted as sent.")),
    "resend": (False, _("The batch will be sent again.")),
}


def _campaign(request: Request, lock: bool = False) -> Campaign:
    """The campaign of the URL; locked when the request changes its state, so that two people
    (or staff and the worker) cannot move it two ways at once."""
    campaign = object_or_404(request, Campaign, request.matchdict["id"])
    if lock:
        lock_row(request.dbsession, campaign)
    return campaign


def _to_campaign(request: Request, campaign: Campaign) -> HTTPSeeOther:
    return HTTPSeeOther(request.route_path("admin.mailing.campaign", id=campaign.id))


def _refused(request: Request, campaign: Campaign) -> HTTPSeeOther:
    status = request.localizer.translate(CAMPAIGN_STATUS_LABELS[campaign.status])
    request.flash_message(_("This cannot be done while the campaign is “${status}”.", mapping={"status": status}),
                          "error")
    return _to_campaign(request, campaign)


# --- the list ---------------------------------------------------------------------------------


@view_config(route_name="admin.mailing.campaigns", renderer="admin/mailing/campaigns.jinja2", permission=MANAGE)
def campaigns(request: Request) -> dict[str, Any]:
    raw_status = request.GET.get("status", "")
    status = CampaignStatus(raw_status) if raw_status in CampaignStatus._value2member_map_ else None
    page = requested_page(request)
    rows, total = campaign_services.campaigns_page(request.dbsession, status, page)
    return {
        "campaigns": rows,
        "total": total,
        "page": page,
        "pages": page_count(total, CAMPAIGNS_PER_PAGE),
        "status": status,
        "query": {"status": status.value if status else ""},
        "status_labels": CAMPAIGN_STATUS_LABELS,
        "sent": campaign_services.sent_counts(request.dbsession, [campaign.id for campaign in rows]),
    }


# --- composing --------------------------------------------------------------------------------


def _compose(request: Request, campaign: Campaign | None) -> Any:
    dbsession = request.dbsession
    named_events = [segment.event_id for segment in campaign.segments if segment.event_id] if campaign else []
    form = CampaignForm(request, services.topics(dbsession), campaign_services.segment_events(dbsession, named_events),
                        campaign_services.segment_categories(dbsession), all_cohorts(dbsession))
    if request.method == "POST":
        if form.validate():
            saved = campaign_services.save_campaign(
                dbsession, campaign or Campaign(created_by_id=request.user.id), form.values(), form.chosen_topics(),
                form.segments())
            request.flash_message(_("The campaign is saved."))
            return _to_campaign(request, saved)
        request.response.status = 400
    elif campaign is not None:
        form.fill(campaign)
    return {"form": form, "campaign": campaign, "merge_fields": MERGE_FIELD_HELP}


@view_config(route_name="admin.mailing.campaign_new", renderer="admin/mailing/campaign_edit.jinja2",
             permission=MANAGE)
def campaign_new(request: Request) -> Any:
    return _compose(request, None)


@view_config(route_name="admin.mailing.campaign_edit", renderer="admin/mailing/campaign_edit.jinja2",
             permission=MANAGE)
def campaign_edit(request: Request) -> Any:
    campaign = _campaign(request, lock=request.method == "POST")
    if "edit" not in allowed_actions(campaign):
        request.flash_message(
            _("Only a draft or a scheduled campaign can change. Duplicate it to send a changed copy."), "error")
        return _to_campaign(request, campaign)
    return _compose(request, campaign)


# --- the campaign's page ----------------------------------------------------------------------


def campaign_page(request: Request, campaign: Campaign, **forms: Any) -> dict[str, Any]:
    """The campaign's page; `forms` are those that came back with errors (one is also `form`,
    whose errors mark the page's title)."""
    dbsession = request.dbsession
    started = campaign.started_at is not None
    # Once started, whom the ledger fixed; before, whom it would reach now (if it still can go out).
    progress = delivery.progress(dbsession, campaign.id) if started else None
    if progress is not None:
        recipients = progress.total
    elif "send" in allowed_actions(campaign):
        recipients = campaign_services.audience_count(dbsession, campaign)
    else:
        recipients = None
    send_form = forms.pop("send_form", None) or SendNowForm(request)
    if recipients is not None:
        send_form.show_recipients(recipients)
    return {
        "campaign": campaign,
        "actions": allowed_actions(campaign),
        "status_labels": CAMPAIGN_STATUS_LABELS,
        "segment_labels": SEGMENT_KIND_LABELS,
        "audience_labels": AUDIENCE_LANGUAGE_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "segments": campaign_services.segment_summaries(dbsession, campaign),
        "recipients": recipients,
        "progress": progress,
        "problem_batches": delivery.problem_batches(dbsession, campaign.id) if started else [],
        "webhook_configured": bool(request.registry.settings.get("sendgrid.webhook_public_key")),
        "send_form": send_form,
        "schedule_form": ScheduleForm(request, campaign.scheduled_at),
        "test_form": SendTestForm(request, data={"addresses": request.user.email}),
        "form": None,
        **forms,
    }


@view_config(route_name="admin.mailing.campaign", renderer="admin/mailing/campaign.jinja2", permission=MANAGE)
def show_campaign(request: Request) -> dict[str, Any]:
    return campaign_page(request, _campaign(request))


@view_config(route_name="admin.mailing.campaign_progress", renderer="json", permission=MANAGE)
def campaign_progress(request: Request) -> dict[str, Any]:
    """How far the sending has come, for the progress bar (dimoskopio/static/js/progress.js)."""
    campaign = _campaign(request)
    state = delivery.progress(request.dbsession, campaign.id)
    return {**state.as_json(), "running": campaign.status is CampaignStatus.SENDING,
            "issued": state.sent + state.skipped}


# --- sending ----------------------------------------------------------------------------------


@view_config(route_name="admin.mailing.campaign_send", request_method="POST", permission=MANAGE,
             renderer="admin/mailing/campaign.jinja2")
def campaign_send(request: Request) -> Any:
    """Send now (once confirmed) or schedule, from the two forms of the campaign's page."""
    campaign = _campaign(request, lock=True)
    now = utcnow()
    if request.POST.get("when") == "later":
        form = ScheduleForm(request)
        if not form.validate():
            request.response.status = 400
            return campaign_page(request, campaign, schedule_form=form, form=form)
        refusal = campaign_services.schedule_refusal(campaign, form.when(), now)
        if refusal == "past":
            form.add_error("send_at", SCHEDULE_REFUSALS[refusal])
            request.response.status = 400
            return campaign_page(request, campaign, schedule_form=form, form=form)
        if refusal is not None:
            request.flash_message(SCHEDULE_REFUSALS[refusal], "error")
            return _to_campaign(request, campaign)
        campaign_services.schedule(campaign, form.when())
        when = format_datetime(campaign.scheduled_at, request.locale_name, request.registry["timezone"], "short")
        request.flash_message(_("The campaign will go out on ${when}.", mapping={"when": when}))
        return _to_campaign(request, campaign)
    refusal = campaign_services.send_refusal(request.dbsession, campaign)
    if refusal is not None:
        request.flash_message(SEND_REFUSALS[refusal], "error")
        return _to_campaign(request, campaign)
    form = SendNowForm(request)
    if not form.validate():
        request.response.status = 400
        return campaign_page(request, campaign, send_form=form, form=form)
    try:
        count = delivery.start_sending(request, campaign, now)
    except CampaignStateError:  # the scheduler started it a moment ago
        return _refused(request, campaign)
    request.flash_message(_("Sending has started. Recipients: ${count}. You may leave this page: the sending goes "
                            "on in the background.", mapping={"count": count}))
    return _to_campaign(request, campaign)


@view_config(route_name="admin.mailing.campaign_action", request_method="POST", permission=MANAGE)
def campaign_action(request: Request) -> Response:
    campaign = _campaign(request, lock=True)
    action = request.matchdict["action"]
    if action not in allowed_actions(campaign):
        return _refused(request, campaign)
    now = utcnow()
    try:
        if action == "pause":
            delivery.pause(campaign)
        elif action == "resume":
            delivery.resume(request, campaign, now)
        elif action == "cancel":
            delivery.cancel(request.dbsession, campaign, now)
        elif action == "unschedule":
            campaign_services.unschedule(campaign)
        elif action in ("publish", "unpublish"):
            campaign_services.set_in_archive(campaign, action == "publish")
        elif action == "duplicate":
            copy = campaign_services.duplicate(request.dbsession, campaign, request.user.id)
            request.flash_message(ACTION_MESSAGES[action])
            return HTTPSeeOther(request.route_path("admin.mailing.campaign_edit", id=copy.id))
        else:
            campaign_services.delete_draft(request.dbsession, campaign)
            request.flash_message(ACTION_MESSAGES[action])
            return HTTPSeeOther(request.route_path("admin.mailing.campaigns"))
    except CampaignStateError:
        return _refused(request, campaign)
    request.flash_message(ACTION_MESSAGES[action])
    return _to_campaign(request, campaign)


@view_config(route_name="admin.mailing.campaign_batch", request_method="POST", permission=MANAGE)
def campaign_batch(request: Request) -> Response:
    """Staff's decision on a batch in doubt: SendGrid took it, or it goes again."""
    campaign = _campaign(request, lock=True)
    batch = object_or_404(request, CampaignBatch, request.matchdict["batch_id"])
    if batch.campaign_id != campaign.id:
        raise HTTPNotFound()
    decision = BATCH_DECISIONS.get(request.POST.get("decision", ""))
    if decision is None:
        raise HTTPBadRequest()
    was_sent, message = decision
    try:
        delivery.settle_in_doubt(request, campaign, batch, was_sent, utcnow())
    except CampaignStateError:
        request.flash_message(_("This batch is no longer in doubt: it was settled meanwhile."), "error")
    else:
        request.flash_message(message)
    return _to_campaign(request, campaign)


# --- trying it out ----------------------------------------------------------------------------


@view_config(route_name="admin.mailing.campaign_preview", renderer="admin/mailing/campaign_preview.jinja2",
             permission=MANAGE)
def campaign_preview(request: Request) -> dict[str, Any]:
    """The message as one subscriber would receive it: the one asked for, or the first of the audience."""
    campaign = _campaign(request)
    dbsession = request.dbsession
    email_address = request.GET.get("email", "")[:EMAIL_MAX_LENGTH].strip()
    email_error = problem = message = None
    if email_address:
        subscriber = services.find_subscriber(dbsession, email_address)
        if subscriber is None:
            request.response.status = 404
            email_error = request.localizer.translate(_("No subscriber has this email address."))
    else:
        subscriber = campaign_services.first_in_audience(dbsession, campaign)
    if subscriber is not None:
        try:
            message = campaign_services.preview(request, campaign, subscriber)
        except CampaignTemplateError as error:
            problem = request.localizer.translate(_("The campaign cannot be shown: ${problem}",
                                                    mapping={"problem": error.message}))
    request.response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    return {"campaign": campaign, "email": email_address, "email_error": email_error, "subscriber": subscriber,
            "message": message, "problem": problem}


@view_config(route_name="admin.mailing.campaign_test", request_method="POST", permission=MANAGE,
             renderer="admin/mailing/campaign.jinja2")
def campaign_test(request: Request) -> Any:
    """Send the campaign to a few addresses now, marked as a test; it counts nowhere."""
    campaign = _campaign(request)
    form = SendTestForm(request)
    if not form.validate():
        request.response.status = 400
        return campaign_page(request, campaign, test_form=form, form=form)
    addresses = form.addresses_list()
    try:
        campaign_services.send_test(request, campaign, addresses)
    except MailDeliveryError as error:
        return _test_failed(request, campaign, form, str(error), 502)
    except CampaignTemplateError as error:
        return _test_failed(request, campaign, form, error.message, 400)
    request.flash_message(_("The test was sent to ${addresses}.", mapping={"addresses": ", ".join(addresses)}))
    return _to_campaign(request, campaign)


def _test_failed(request: Request, campaign: Campaign, form: SendTestForm, problem: str, status: int) -> dict[str, Any]:
    form.add_error("addresses", _("The test could not be sent: ${problem}", mapping={"problem": problem}))
    request.response.status = status
    return campaign_page(request, campaign, test_form=form, form=form)


# --- the public archive -----------------------------------------------------------------------


@view_config(route_name="mailing.archive", renderer="mailing/archive.jinja2")
def archive(request: Request) -> dict[str, Any]:
    page = requested_page(request)
    rows, total = campaign_services.archived(request.dbsession, page, ARCHIVE_PER_PAGE)
    return {
        "campaigns": [(row, campaign_services.archive_subject(request, row)) for row in rows],
        "total": total,
        "page": page,
        "pages": page_count(total, ARCHIVE_PER_PAGE),
        "query": {},
    }


@view_config(route_name="mailing.archive_item", renderer="mailing/archive_item.jinja2")
def archive_item(request: Request) -> dict[str, Any]:
    campaign = object_or_404(request, Campaign, request.matchdict["id"])
    if not campaign_services.is_archived(campaign):
        raise HTTPNotFound()
    return {
        "campaign": campaign,
        "subject": campaign_services.archive_subject(request, campaign),
        "content": campaign_services.archive_content(request, campaign),
    }
