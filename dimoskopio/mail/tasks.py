"""Delivery of queued email by the worker."""

import logging

from pyramid.request import Request

from dimoskopio.db import utcnow
from dimoskopio.mail.models import OutboxStatus
from dimoskopio.mail.services import (
    IMailer,
    MailDeliveryError,
    claim_message,
    give_up_abandoned_messages,
    overdue_message_ids,
    record_delivery,
    record_failure,
)
from dimoskopio.tasks import crontab, periodic_task, schedule, task

log = logging.getLogger(__name__)


@task()
def deliver_message(request: Request, message_id: int) -> None:
    message = claim_message(request.dbsession, message_id, utcnow())
    if message is None:
        return
    # The claim is committed before the slow network call so that no other worker sends it too.
    request.tm.commit()
    request.tm.begin()
    mailer = request.registry.getUtility(IMailer)
    try:
        provider_id = mailer.send(message)
    except Exception as error:
        if not isinstance(error, MailDeliveryError):
            # An error nobody foresaw (a TLS failure, a bug) is recorded and retried like any other.
            log.exception("unexpected error delivering outbox %s", message_id)
            error = MailDeliveryError(f"{type(error).__name__}: {error}", transient=True)
        failed = record_failure(request.dbsession, message_id, error, utcnow())
        log.warning("mail %s to outbox %s: %s (now %s)", message.template, message_id, error, failed.status)
        if failed.status is OutboxStatus.PENDING:
            schedule(request, deliver_message, failed.next_attempt_at, message_id)
        return
    record_delivery(request.dbsession, message_id, provider_id, utcnow())


@periodic_task(crontab(minute="*"))
def sweep_outbox(request: Request) -> None:
    """Rescue messages whose delivery task was lost; the claim keeps a message from going twice."""
    now = utcnow()
    give_up_abandoned_messages(request.dbsession, now)
    for message_id in overdue_message_ids(request.dbsession, now):
        request.enqueue(deliver_message, message_id)
