"""The mail layer: outbox in the business transaction, delivery after commit, retries, never lost."""

import base64
import datetime
import email
import email.policy
import socket

import pytest
from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.mail import send_email
from dimoskopio.mail.models import OutboxMessage, OutboxStatus
from dimoskopio.mail.services import (
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    SWEEP_GRACE,
    FileMailer,
    IMailer,
    build_mime_message,
    claim_message,
    retry_delay_seconds,
)
from dimoskopio.mail.tasks import sweep_outbox
from dimoskopio.tasks import huey, task_request
from tests.conftest import mailer_in_use

CONTEXT = {"name": "Ελένη Σταυρακάκη", "link": "http://localhost/account/verify?token=abc", "hours": 72}


def queue(recipient="eleni@example.gr", locale_name="el", template="verify-email", **kwargs):
    with task_request() as request:
        message = send_email(request, template, recipient, CONTEXT, locale_name=locale_name, **kwargs)
        return message.id


def load(dbsession, message_id):
    dbsession.rollback()  # end the read snapshot so the worker's commits are visible
    dbsession.expire_all()
    return dbsession.get(OutboxMessage, message_id)


def test_message_is_written_to_the_outbox_and_delivered_only_after_commit(app, dbsession, mail_dir, run_tasks):
    message_id = queue()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.PENDING
    assert not list(mail_dir.glob("*.eml"))
    assert run_tasks() == 1
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    [path] = mail_dir.glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "eleni@example.gr"
    assert "Ελένη Σταυρακάκη" in parsed.get_body(("plain",)).get_content()
    assert "Ελένη Σταυρακάκη" in parsed.get_body(("html",)).get_content()


def test_rolled_back_transaction_queues_nothing(app, dbsession, run_tasks):
    with pytest.raises(RuntimeError), task_request() as request:
        send_email(request, "verify-email", "eleni@example.gr", CONTEXT)
        raise RuntimeError("business rule failed after the email was queued")
    assert dbsession.scalars(select(OutboxMessage)).all() == []
    assert run_tasks() == 0


def test_email_is_rendered_in_the_recipients_language(app, dbsession):
    english = load(dbsession, queue(locale_name="en"))
    greek = load(dbsession, queue(locale_name="el"))
    assert english.subject == "Confirm your email address"
    assert english.locale == "en" and greek.locale == "el"
    assert greek.subject != english.subject
    assert '<html lang="el">' in greek.body_html
    assert '<html lang="en">' in english.body_html


def test_text_part_is_not_html_escaped_but_html_part_is(app, dbsession):
    with task_request() as request:
        message = send_email(request, "verify-email", "a@example.gr",
                             {**CONTEXT, "name": "Tom & <Jerry>"}, locale_name="en")
    row = load(dbsession, message.id)
    assert "Tom & <Jerry>" in row.body_text
    assert "Tom &amp; &lt;Jerry&gt;" in row.body_html


def test_file_mailer_writes_text_html_and_attachments(tmp_path):
    message = OutboxMessage(
        id=7, template="event/confirmation", locale="el", sender="Dimoskopio <no-reply@example.gr>",
        recipient="nikos@example.gr", subject="You are on the waiting list: Εργαστήριο επιχειρηματικότητας",
        body_text="Γεια σας\n", body_html="<p>Γεια σας</p>",
        headers={"List-Id": "<events.dimoskopio.example>"},
        attachments=[{"filename": "event.ics", "content_type": "text/calendar; method=REQUEST",
                      "content_base64": base64.b64encode(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n").decode()}],
        created_at=utcnow(),
    )
    name = FileMailer(tmp_path).send(message)
    parsed = email.message_from_bytes((tmp_path / name).read_bytes(), policy=email.policy.default)
    # A subject mixing English and a Greek title keeps the spaces between its words.
    assert parsed["Subject"] == "You are on the waiting list: Εργαστήριο επιχειρηματικότητας"
    assert parsed["List-Id"] == "<events.dimoskopio.example>"
    assert parsed.get_body(("plain",)).get_content().strip() == "Γεια σας"
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "event.ics"
    assert attachment.get_payload(decode=True).startswith(b"BEGIN:VCALENDAR")
    assert not [p for p in tmp_path.iterdir() if p.name != name], "no temporary files are left behind"


def test_file_mailer_failure_is_transient_and_keeps_the_message(app, registry, dbsession, tmp_path, run_tasks):
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the mail directory should be")
    with mailer_in_use(registry, FileMailer(blocked)):
        message_id = queue()
        run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert "cannot write" in row.last_error


def test_sendgrid_receives_the_full_message(app, dbsession, sendgrid, run_tasks):
    attachment = {"filename": "invite.ics", "content_type": "text/calendar",
                  "content_base64": base64.b64encode(b"BEGIN:VCALENDAR").decode()}
    message_id = queue(headers={"List-Unsubscribe": "<https://example.gr/u/1>"}, attachments=[attachment])
    run_tasks()
    [received] = sendgrid.received
    assert received.path == "/v3/mail/send"
    assert received.headers["Authorization"] == "Bearer SG.test-key"
    body = received.body
    assert body["personalizations"][0]["to"] == [{"email": "eleni@example.gr"}]
    assert body["from"] == {"email": "no-reply@dimoskopio.example", "name": "Δημοσκόπιο"}, "in Greek for Greek mail"
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["headers"] == {"List-Unsubscribe": "<https://example.gr/u/1>"}
    assert body["custom_args"] == {"outbox_id": str(message_id)}
    assert body["attachments"][0]["filename"] == "invite.ics"
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.SENT
    assert row.provider_message_id


def test_sendgrid_sandbox_mode_is_sent_when_configured(app, registry, sendgrid, run_tasks):
    registry.getUtility(IMailer).sandbox = True
    queue()
    run_tasks()
    assert sendgrid.received[0].body["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_rate_limited_message_is_retried_after_the_back_off(app, dbsession, sendgrid, run_tasks):
    sendgrid.answer_next(429, {"Retry-After": "600"}, b'{"errors":[{"message":"too many requests"}]}')
    before = utcnow()
    message_id = queue()
    run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert "429" in row.last_error
    assert row.next_attempt_at >= before + datetime.timedelta(seconds=600)
    [retry] = huey.scheduled()
    assert retry.eta == row.next_attempt_at.replace(tzinfo=None), "the retry is scheduled for then"

    sweep_outbox.call_local()
    assert run_tasks() == 0, "not due yet: the sweep leaves it alone"

    # Ten minutes later: the scheduled retry runs.
    row.next_attempt_at = utcnow() - datetime.timedelta(seconds=1)
    dbsession.commit()
    later = retry.eta + datetime.timedelta(seconds=1)
    for due in huey.read_schedule(later):
        huey.execute(due, timestamp=later)
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.SENT
    assert row.attempts == 2
    assert len(sendgrid.received) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(app, dbsession, sendgrid, run_tasks, status):
    sendgrid.answer_next(status)
    message_id = queue()
    run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.PENDING
    assert str(status) in row.last_error


def test_rejected_message_fails_permanently_but_is_kept_and_can_be_retried(app, dbsession, sendgrid, run_tasks):
    sendgrid.answer_next(400, body=b'{"errors":[{"message":"invalid to address"}]}')
    message_id = queue()
    run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.FAILED
    assert "invalid to address" in row.last_error


def test_timeouts_and_unreachable_hosts_are_transient(app, registry, dbsession, sendgrid, run_tasks):
    sendgrid.delay_seconds = 1.5
    registry.getUtility(IMailer).timeout = 0.3
    first = queue()
    run_tasks()
    assert load(dbsession, first).status is OutboxStatus.PENDING

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    registry.getUtility(IMailer).host = f"http://127.0.0.1:{closed_port}"
    second = queue()
    run_tasks()
    row = load(dbsession, second)
    assert row.status is OutboxStatus.PENDING
    assert "unreachable" in row.last_error


def test_gives_up_after_the_last_attempt_without_losing_the_message(app, dbsession, sendgrid, run_tasks):
    message_id = queue()
    row = load(dbsession, message_id)
    row.attempts = MAX_ATTEMPTS - 1
    dbsession.commit()
    sendgrid.answer_next(503)
    run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.FAILED
    assert row.attempts == MAX_ATTEMPTS
    assert row.body_text, "the message itself is still there"


def test_back_off_doubles_and_is_capped():
    delays = [retry_delay_seconds(attempt) for attempt in range(1, 12)]
    assert delays[:4] == [60, 120, 240, 480]
    assert max(delays) == 6 * 3600
    assert retry_delay_seconds(1, retry_after=900) == 900


def test_a_message_is_claimed_by_one_worker_only(app, dbsession):
    message_id = queue()
    now = utcnow()
    with task_request() as request:
        assert claim_message(request.dbsession, message_id, now) is not None
    with task_request() as request:
        assert claim_message(request.dbsession, message_id, now) is None, "already being sent"
    later = now + CLAIM_LEASE + datetime.timedelta(seconds=1)
    with task_request() as request:
        reclaimed = claim_message(request.dbsession, message_id, later)
        assert reclaimed is not None, "a worker that vanished mid-send does not strand the message"
        assert reclaimed.attempts == 2


def test_sweep_delivers_messages_whose_task_was_lost(app, dbsession, run_tasks, mail_dir):
    message_id = queue()
    huey.flush()
    assert run_tasks() == 0
    sweep_outbox.call_local()
    assert run_tasks() == 0, "a message just queued is its own task's job, not the sweep's"

    row = load(dbsession, message_id)
    row.next_attempt_at = utcnow() - SWEEP_GRACE - datetime.timedelta(seconds=1)
    dbsession.commit()
    sweep_outbox.call_local()
    assert run_tasks() == 1
    assert len(list(mail_dir.glob("*.eml"))) == 1


def test_delivered_message_is_never_sent_twice(app, dbsession, sendgrid, run_tasks):
    message_id = queue()
    from dimoskopio.mail.tasks import deliver_message

    deliver_message(message_id)
    run_tasks()
    sweep_outbox.call_local()
    run_tasks()
    assert len(sendgrid.received) == 1


def test_mime_form_matches_the_outbox_row(app, dbsession):
    row = load(dbsession, queue(locale_name="en"))
    mime = build_mime_message(row)
    assert mime["Subject"] == "Confirm your email address"
    assert mime["Message-ID"] == f"<outbox-{row.id}@dimoskopio>"


def test_an_unforeseen_error_is_recorded_and_retried(app, registry, dbsession, run_tasks):
    class BrokenMailer:
        def send(self, message):
            raise ConnectionAbortedError("TLS went away")

    with mailer_in_use(registry, BrokenMailer()):
        message_id = queue()
        run_tasks()
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.PENDING
    assert "TLS went away" in row.last_error
    assert len(huey.scheduled()) == 1


def test_a_message_whose_worker_always_vanishes_is_failed_not_retried_forever(app, dbsession, run_tasks):
    message_id = queue()
    huey.flush()
    row = load(dbsession, message_id)
    row.status = OutboxStatus.SENDING
    row.attempts = MAX_ATTEMPTS
    row.claimed_at = utcnow() - CLAIM_LEASE - datetime.timedelta(minutes=1)
    dbsession.commit()
    sweep_outbox.call_local()
    assert run_tasks() == 0
    row = load(dbsession, message_id)
    assert row.status is OutboxStatus.FAILED
    assert "worker stopped" in row.last_error
