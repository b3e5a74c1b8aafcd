"""The one mail layer: render an email in its recipient's language, queue it, deliver it."""

import base64
import datetime
import email.policy
import email.utils
import http.client
import logging
import os
import tempfile
import time
import urllib.error
import uuid
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from pyramid.request import Request
from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Content,
    CustomArg,
    Email,
    Header,
    Mail,
    MailSettings,
    SandBoxMode,
    To,
)
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from zope.interface import Interface, implementer

from dimoskopio.db import utcnow
from dimoskopio.i18n import DEFAULT_CENTRE_NAME, TRANSLATION_DOMAIN, centre_name, localizer_for
from dimoskopio.mail.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 6 * 3600
# A message claimed this long ago by a worker that never reported back is tried again.
CLAIM_LEASE = datetime.timedelta(minutes=10)
# Each message has its own task (sent after commit, or scheduled for its retry); the sweep only
# rescues messages whose task was lost, so it leaves alone those due for less than this.
SWEEP_GRACE = datetime.timedelta(minutes=5)


class MailDeliveryError(Exception):
    """Delivery failed; `transient` tells whether trying again later may succeed, `uncertain`
    that the request reached the provider but its answer never came back (it may have taken it)."""

    def __init__(self, message: str, transient: bool, retry_after: int | None = None,
                 uncertain: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.uncertain = uncertain


@dataclass(frozen=True)
class BatchRecipient:
    """One person of a batch: their address, the values of the merge fields, their own headers
    (List-Unsubscribe...) and the ids the provider's events will carry back."""

    email: str
    name: str
    substitutions: dict[str, str]
    headers: dict[str, str]
    custom_args: dict[str, str]


@dataclass(frozen=True)
class BatchMessage:
    """One message for many people: the same content, each recipient with their own merge data."""

    sender: str
    subject: str
    text: str
    html: str
    categories: list[str]
    custom_args: dict[str, str]
    recipients: list[BatchRecipient]


def personalize(template: str, substitutions: dict[str, str]) -> str:
    """What the provider does with each recipient's substitutions."""
    for key, value in substitutions.items():
        template = template.replace(key, value)
    return template


class IMailer(Interface):
    def send(message: OutboxMessage) -> str | None:  # noqa: N805 - zope.interface style
        """Hand the message to the transport; return its provider id or raise MailDeliveryError."""

    def send_batch(batch: BatchMessage) -> str | None:  # noqa: N805 - zope.interface style
        """Hand one message for many recipients to the transport in one request."""


# Python folds a long non-ASCII header into several encoded words and drops the space between
# them ("Εργαστήριο επιχειρηματικότητας" came back as one word); RFC 5322's own line limit lets
# a subject stay one encoded word.
MIME_POLICY = email.policy.SMTP.clone(max_line_length=998)


def _mime(sender: str, recipient: str, subject: str, date: datetime.datetime, message_id: str,
          headers: dict[str, str], text: str, html: str) -> EmailMessage:
    mime = EmailMessage(policy=MIME_POLICY)
    mime["From"] = sender
    mime["To"] = recipient
    mime["Subject"] = subject
    mime["Date"] = email.utils.format_datetime(date)
    mime["Message-ID"] = message_id
    for name, value in headers.items():
        mime[name] = value
    mime.set_content(text)
    mime.add_alternative(html, subtype="html")
    return mime


def build_mime_message(message: OutboxMessage) -> EmailMessage:
    """The RFC 5322 form of an outbox message (what the file backend writes)."""
    mime = _mime(message.sender, message.recipient, message.subject, message.created_at,
                 f"<outbox-{message.id}@dimoskopio>", message.headers or {}, message.body_text, message.body_html)
    for attachment in message.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        mime.add_attachment(
            base64.b64decode(attachment["content_base64"]),
            maintype=maintype,
            subtype=subtype.split(";")[0],
            filename=attachment["filename"],
        )
    return mime


@implementer(IMailer)
class FileMailer:
    """Development backend: each message becomes an .eml file in a directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path_for(self, message: OutboxMessage) -> Path:
        return self.directory / f"{message.id:08d}-{message.template.replace('/', '-')}.eml"

    def _write(self, target: Path, mime: EmailMessage) -> None:
        """Whole or not at all: a reader never sees half a message."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=self.directory, delete=False) as handle:
                handle.write(mime.as_bytes())
            os.replace(handle.name, target)
        except OSError as error:
            raise MailDeliveryError(f"cannot write {self.directory}: {error}", transient=True) from error

    def send(self, message: OutboxMessage) -> str | None:
        target = self.path_for(message)
        self._write(target, build_mime_message(message))
        return target.name

    def send_batch(self, batch: BatchMessage) -> str | None:
        """Each person's message as SendGrid would make it from their personalization."""
        batch_id = uuid.uuid4().hex
        for number, recipient in enumerate(batch.recipients):
            values = recipient.substitutions
            mime = _mime(batch.sender, str(Address(display_name=recipient.name, addr_spec=recipient.email)),
                         personalize(batch.subject, values), utcnow(), f"<batch-{batch_id}-{number}@dimoskopio>",
                         recipient.headers, personalize(batch.text, values), personalize(batch.html, values))
            self._write(self.directory / f"batch-{batch_id}-{number:04d}.eml", mime)
        return batch_id


@implementer(IMailer)
class SendGridMailer:
    """Production backend: SendGrid's v3 mail/send API."""

    def __init__(self, api_key: str, host: str, timeout: float, sandbox: bool = False) -> None:
        self.api_key = api_key
        self.host = host
        self.timeout = timeout
        self.sandbox = sandbox

    def to_sendgrid(self, message: OutboxMessage) -> Mail:
        sender_name, sender_address = email.utils.parseaddr(message.sender)
        mail = Mail(
            from_email=Email(sender_address, sender_name or None),
            to_emails=To(message.recipient),
            subject=message.subject,
        )
        mail.add_content(Content("text/plain", message.body_text))
        mail.add_content(Content("text/html", message.body_html))
        for name, value in (message.headers or {}).items():
            mail.add_header(Header(name, value))
        mail.add_custom_arg(CustomArg("outbox_id", str(message.id)))
        for item in message.attachments or []:
            mail.add_attachment(
                Attachment(
                    file_content=item["content_base64"],
                    file_name=item["filename"],
                    file_type=item["content_type"],
                    disposition="attachment",
                )
            )
        if self.sandbox:
            mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
        return mail

    def batch_request_body(self, batch: BatchMessage) -> dict[str, Any]:
        """The v3 Mail Send JSON: one personalization per recipient, the content said once."""
        sender_name, sender_address = email.utils.parseaddr(batch.sender)
        personalizations = []
        for recipient in batch.recipients:
            to = {"email": recipient.email}
            if recipient.name:
                to["name"] = recipient.name
            personalizations.append({
                "to": [to],
                "substitutions": recipient.substitutions,
                "headers": recipient.headers,
                "custom_args": recipient.custom_args,
            })
        body: dict[str, Any] = {
            "personalizations": personalizations,
            "from": {"email": sender_address, **({"name": sender_name} if sender_name else {})},
            "subject": batch.subject,
            "content": [{"type": "text/plain", "value": batch.text}, {"type": "text/html", "value": batch.html}],
            "categories": batch.categories,
            "custom_args": batch.custom_args,
        }
        if self.sandbox:
            body["mail_settings"] = {"sandbox_mode": {"enable": True}}
        return body

    def send(self, message: OutboxMessage) -> str | None:
        return self._post(self.to_sendgrid(message).get())

    def send_batch(self, batch: BatchMessage) -> str | None:
        return self._post(self.batch_request_body(batch))

    def _post(self, body: dict[str, Any]) -> str | None:
        client = SendGridAPIClient(api_key=self.api_key, host=self.host)
        try:
            response = client.client.mail.send.post(request_body=body, timeout=self.timeout)
        except HTTPError as error:
            status = error.status_code
            retry_after = _retry_after(error.headers)
            detail = f"SendGrid answered {status}: {_short(error.body)}"
            raise MailDeliveryError(detail, transient=status == 429 or status >= 500,
                                    retry_after=retry_after) from error
        except urllib.error.URLError as error:
            # urllib wraps only what failed before the request was fully sent.
            raise MailDeliveryError(f"SendGrid unreachable: {error}", transient=True) from error
        except (TimeoutError, ConnectionError, http.client.HTTPException) as error:
            raise MailDeliveryError(f"SendGrid did not answer: {error!r}", transient=True,
                                    uncertain=True) from error
        headers = response.headers
        return headers.get("X-Message-Id") if headers is not None else None


def _retry_after(headers: Any) -> int | None:
    """Seconds to wait, from Retry-After or from SendGrid's X-RateLimit-Reset (a Unix time)."""
    if headers is None:
        return None
    try:
        if headers.get("Retry-After") is not None:
            return max(0, int(headers.get("Retry-After")))
        if headers.get("X-RateLimit-Reset") is not None:
            return max(1, int(headers.get("X-RateLimit-Reset")) - int(time.time()))
    except ValueError:
        return None
    return None


def _short(body: Any) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    return str(body)[:500]


def mailer_from_settings(settings: dict[str, Any]) -> IMailer:
    backend = settings["mail.backend"]
    if backend == "file":
        return FileMailer(settings["mail.file_dir"])
    if backend == "sendgrid":
        return SendGridMailer(
            api_key=settings["sendgrid.api_key"],
            host=settings["sendgrid.host"],
            timeout=settings["sendgrid.timeout"],
            sandbox=settings["sendgrid.sandbox"],
        )
    raise ValueError(f"unknown mail.backend {backend!r}: use 'file' or 'sendgrid'")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailRenderer:
    """Renders templates/email/<name>/{subject.txt,body.txt,body.html} in a given language."""

    def __init__(self, environment: Environment) -> None:
        # Plain-text parts must not be HTML-escaped (only the .html part is), and the newline
        # after a block tag is kept so that paragraphs of the text part stay apart.
        self.environment = environment.overlay(
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            trim_blocks=False,
        )

    def render(self, name: str, locale_name: str, context: dict[str, Any]) -> RenderedEmail:
        localizer = localizer_for(locale_name)

        def gettext(message: str, mapping: dict[str, Any] | None = None) -> str:
            return localizer.translate(message, domain=TRANSLATION_DOMAIN, mapping=mapping)

        def ngettext(singular: str, plural: str, n: int) -> str:
            return localizer.pluralize(singular, plural, n, domain=TRANSLATION_DOMAIN)

        variables = {
            **context,
            "locale_name": locale_name,
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
        }
        parts = [
            self.environment.get_template(f"email/{name}/{part}").render(variables)
            for part in ("subject.txt", "body.txt", "body.html")
        ]
        subject = " ".join(parts[0].split())
        return RenderedEmail(subject=subject, text=parts[1].strip() + "\n", html=parts[2])


def email_renderer(request: Request) -> EmailRenderer:
    registry = request.registry
    renderer = registry.get("email_renderer")
    if renderer is None:
        from pyramid_jinja2 import IJinja2Environment

        environment = registry.queryUtility(IJinja2Environment, name=".jinja2")
        renderer = registry["email_renderer"] = EmailRenderer(environment)
    return renderer


def localized_sender(settings: dict[str, Any], locale_name: str) -> str:
    """The From header; the shipped centre name is shown in the recipient's language."""
    name, address = email.utils.parseaddr(settings["mail.sender"])
    if name == DEFAULT_CENTRE_NAME:
        name = centre_name(settings, localizer_for(locale_name))
    return str(Address(display_name=name, addr_spec=address)) if name else address


def send_email(
    request: Request,
    template: str,
    recipient: str,
    context: dict[str, Any],
    locale_name: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> OutboxMessage:
    """Queue an email in the current transaction; the worker delivers it after commit."""
    from dimoskopio.mail.tasks import deliver_message

    locale_name = locale_name or request.locale_name
    settings = request.registry.settings
    base_context = {
        "centre_name": centre_name(settings, localizer_for(locale_name)),
        "base_url": settings["dimoskopio.base_url"],
    }
    rendered = email_renderer(request).render(template, locale_name, {**base_context, **context})
    message = OutboxMessage(
        template=template,
        locale=locale_name,
        sender=localized_sender(settings, locale_name),
        recipient=recipient,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        headers=headers or {},
        attachments=attachments or [],
    )
    request.dbsession.add(message)
    request.dbsession.flush()
    request.enqueue(deliver_message, message.id)
    return message


def _abandoned(now: datetime.datetime) -> Any:
    """Claimed by a worker that never reported back (it crashed or was killed mid-send)."""
    return (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at < now - CLAIM_LEASE)


def _deliverable(now: datetime.datetime, pending_since: datetime.datetime) -> Any:
    return or_(
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= pending_since),
        _abandoned(now) & (OutboxMessage.attempts < MAX_ATTEMPTS),
    )


def claim_message(dbsession: Session, message_id: int, now: datetime.datetime) -> OutboxMessage | None:
    """Mark a due message as being sent by this worker; None if another worker has it or it is done."""
    claimed = dbsession.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _deliverable(now, pending_since=now))
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return dbsession.get(OutboxMessage, message_id, populate_existing=True)


def retry_delay_seconds(attempts: int, retry_after: int | None = None) -> int:
    delay = min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_RETRY_SECONDS))
    return delay


def record_delivery(dbsession: Session, message_id: int, provider_message_id: str | None,
                    now: datetime.datetime) -> None:
    message = dbsession.get(OutboxMessage, message_id)
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.provider_message_id = provider_message_id
    message.last_error = None


def record_failure(dbsession: Session, message_id: int, error: MailDeliveryError,
                   now: datetime.datetime) -> OutboxMessage:
    """Set the next attempt with back-off, or stop trying (the message is kept, never deleted)."""
    message = dbsession.get(OutboxMessage, message_id)
    message.last_error = str(error)[:2000]
    if error.transient and message.attempts < MAX_ATTEMPTS:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + datetime.timedelta(
            seconds=retry_delay_seconds(message.attempts, error.retry_after)
        )
    else:
        message.status = OutboxStatus.FAILED
    return message


def overdue_message_ids(dbsession: Session, now: datetime.datetime, limit: int = 500) -> list[int]:
    """Messages whose delivery task was lost (enqueue failed, queue flushed, worker vanished)."""
    query = (
        select(OutboxMessage.id)
        .where(_deliverable(now, pending_since=now - SWEEP_GRACE))
        .order_by(OutboxMessage.next_attempt_at)
        .limit(limit)
    )
    return list(dbsession.scalars(query))


def give_up_abandoned_messages(dbsession: Session, now: datetime.datetime) -> int:
    """Messages whose every attempt ended with the worker vanishing are failed, for staff to see."""
    result = dbsession.execute(
        update(OutboxMessage)
        .where(_abandoned(now), OutboxMessage.attempts >= MAX_ATTEMPTS)
        .values(status=OutboxStatus.FAILED, last_error="The worker stopped while sending, at every attempt.")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def list_messages(
    dbsession: Session, status: OutboxStatus | None, page: int, per_page: int
) -> tuple[list[OutboxMessage], int]:
    """One page of the outbox, newest first, and how many messages there are in all."""
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    total = dbsession.scalar(select(func.count()).select_from(query.subquery())) or 0
    messages = dbsession.scalars(
        query.order_by(OutboxMessage.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(messages), total


def count_by_status(dbsession: Session) -> dict[OutboxStatus, int]:
    counted = dict(dbsession.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return {status: counted.get(status, 0) for status in OutboxStatus}


def requeue_message(request: Request, message: OutboxMessage) -> None:
    """Staff asked to try a failed message again."""
    from dimoskopio.mail.tasks import deliver_message

    message.status = OutboxStatus.PENDING
    message.next_attempt_at = utcnow()
    message.attempts = 0
    request.enqueue(deliver_message, message.id)
