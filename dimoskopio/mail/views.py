"""Staff screens for the outbox: what was sent, what waits, what failed, and a retry button."""

from typing import Any

from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.i18n import _
from dimoskopio.mail.models import OUTBOX_STATUS_LABELS, OutboxMessage, OutboxStatus
from dimoskopio.mail.services import build_mime_message, list_messages, requeue_message
from dimoskopio.security import Permission
from dimoskopio.web import object_or_404, page_count, requested_page

PER_PAGE = 50


def _message(request: Request) -> OutboxMessage:
    return object_or_404(request, OutboxMessage, request.matchdict["id"])


@view_config(route_name="admin.mail", renderer="admin/mail.jinja2", permission=Permission.MAIL_VIEW)
def outbox(request: Request) -> dict[str, Any]:
    status_name = request.GET.get("status", "")
    status = OutboxStatus(status_name) if status_name in {s.value for s in OutboxStatus} else None
    page = requested_page(request)
    messages, total = list_messages(request.dbsession, status, page, PER_PAGE)
    return {
        "messages": messages,
        "status": status_name if status else "",
        "statuses": list(OutboxStatus),
        "page": page,
        "pages": page_count(total, PER_PAGE),
        "total": total,
        "backend": request.registry.settings["mail.backend"],
        "status_labels": OUTBOX_STATUS_LABELS,
    }


@view_config(route_name="admin.mail.message", renderer="admin/mail_message.jinja2",
             permission=Permission.MAIL_VIEW)
def message_detail(request: Request) -> dict[str, Any]:
    return {"message": _message(request), "status_labels": OUTBOX_STATUS_LABELS}


@view_config(route_name="admin.mail.eml", permission=Permission.MAIL_VIEW)
def message_eml(request: Request) -> Response:
    message = _message(request)
    return Response(
        body=build_mime_message(message).as_bytes(),
        content_type="message/rfc822",
        content_disposition=f'attachment; filename="message-{message.id}.eml"',
    )


@view_config(route_name="admin.mail.retry", request_method="POST", permission=Permission.MAIL_MANAGE)
def retry(request: Request) -> Response:
    message = _message(request)
    if message.can_be_sent_again:
        requeue_message(request, message)
        request.flash_message(_("The message will be sent again."))
    return HTTPSeeOther(request.route_path("admin.mail.message", id=message.id))


@view_config(route_name="admin.mail.html", permission=Permission.MAIL_VIEW)
def message_html(request: Request) -> Response:
    """The HTML part on its own, framed by the message page; it may style itself but run nothing."""
    message = _message(request)
    response = Response(body=message.body_html.encode(), content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'; sandbox"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
