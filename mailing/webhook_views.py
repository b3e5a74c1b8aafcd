"""SendGrid's Event Webhook: where SendGrid reports what became of each campaign email."""

import logging

from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from dimoskopio.db import utcnow
from dimoskopio.i18n import _
from mailing import webhook

log = logging.getLogger(__name__)


def _answer(request: Request, status: int, message: str) -> Response:
    return Response(status=status, content_type="text/plain", charset="utf-8",
                    text=request.localizer.translate(message))


@view_config(route_name="mailing.sendgrid_events", request_method="POST", require_csrf=False)
def sendgrid_events(request: Request) -> Response:
    """Public, with no session or CSRF token: SendGrid's signature is what authenticates a call.
    SendGrid sends a call again until it gets a 2xx answer, so one is given once the events are
    recorded, duplicates included."""
    public_key = request.registry.settings["sendgrid.webhook_public_key"]
    if not public_key:
        # Unsigned events would let anyone suppress addresses or mark batches sent: no key, no webhook.
        return _answer(request, 403, _("The SendGrid Event Webhook is not enabled."))
    now = utcnow()
    body = request.body
    if not webhook.verify_signature(public_key, body, request.headers.get(webhook.SIGNATURE_HEADER),
                                    request.headers.get(webhook.TIMESTAMP_HEADER), now):
        log.warning("SendGrid Event Webhook: call from %s refused, its signature is missing, wrong or stale",
                    request.remote_addr)
        return _answer(request, 403, _("The signature is missing, wrong or too old."))
    events = webhook.parse_events(body)
    if events is None:
        return _answer(request, 400, _("Expected a JSON list of events."))
    summary = webhook.record_events(request, events, now)
    log.info("SendGrid Event Webhook: %d events recorded, %d duplicates, %d ignored",
             summary.recorded, summary.duplicates, summary.ignored)
    return Response(status=200)
