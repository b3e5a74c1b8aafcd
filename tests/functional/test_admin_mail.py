"""Staff screens for the outbox: list, filter, read a message, download it, send a failed one again."""


from dimoskopio.accounts.models import Role
from dimoskopio.mail import send_email
from dimoskopio.mail.models import OutboxMessage, OutboxStatus
from dimoskopio.tasks import task_request


def queue_message(recipient="anna@example.gr", name="Άννα <b>Ζερβού</b>"):
    with task_request() as request:
        return send_email(request, "verify-email", recipient,
                          {"name": name, "link": "http://localhost/account/verify?token=t", "hours": 72},
                          locale_name="en").id



def test_staff_sees_queued_and_sent_messages(testapp, staff, run_tasks):
    queue_message("first@example.gr")
    run_tasks()
    queue_message("second@example.gr")
    page = testapp.get("/admin/mail")
    assert "first@example.gr" in page.text and "second@example.gr" in page.text
    pending = testapp.get("/admin/mail", {"status": "pending"})
    assert "second@example.gr" in pending.text
    assert "first@example.gr" not in pending.text
    assert testapp.get("/admin/mail", {"status": "bogus", "page": "x"}).status_int == 200


def test_message_detail_shows_both_parts_safely(testapp, staff):
    message_id = queue_message()
    detail = testapp.get(f"/admin/mail/{message_id}")
    assert "Confirm your email address" in detail.text
    assert "Άννα &lt;b&gt;Ζερβού&lt;/b&gt;" in detail.text
    assert 'sandbox=""' in detail.text
    html = testapp.get(f"/admin/mail/{message_id}/html")
    assert html.content_type == "text/html"
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "script-src" not in html.headers["Content-Security-Policy"]


def test_message_downloads_as_eml(testapp, staff):
    message_id = queue_message()
    response = testapp.get(f"/admin/mail/{message_id}.eml")
    assert response.content_type == "message/rfc822"
    assert b"Subject: Confirm your email address" in response.body
    assert f'message-{message_id}.eml' in response.headers["Content-Disposition"]


def test_failed_message_can_be_sent_again(testapp, staff, dbsession, run_tasks, mail_dir):
    message_id = queue_message()
    dbsession.rollback()
    row = dbsession.get(OutboxMessage, message_id)
    row.status = OutboxStatus.FAILED
    row.attempts = 12
    row.last_error = "SendGrid answered 400: invalid address"
    dbsession.commit()
    from dimoskopio.tasks import huey

    huey.flush()
    detail = testapp.get(f"/admin/mail/{message_id}")
    assert "invalid address" in detail.text
    detail.forms["retry-form"].submit().follow()
    run_tasks()
    dbsession.rollback()
    dbsession.expire_all()
    assert dbsession.get(OutboxMessage, message_id).status is OutboxStatus.SENT
    assert len(list(mail_dir.glob("*.eml"))) == 1


def test_retry_of_a_message_that_did_not_fail_changes_nothing(testapp, staff, dbsession):
    message_id = queue_message()
    csrf = testapp.get(f"/admin/mail/{message_id}").forms[0]["csrf_token"].value
    testapp.post(f"/admin/mail/{message_id}/retry", {"csrf_token": csrf})
    dbsession.rollback()
    row = dbsession.get(OutboxMessage, message_id)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 0


def test_unknown_message_is_404(testapp, staff):
    assert testapp.get("/admin/mail/999999", status=404).status_int == 404
    assert testapp.get("/admin/mail/abc", status=404).status_int == 404


def test_members_cannot_read_the_outbox(testapp, logged_in):
    logged_in(Role.MEMBER)
    message_id = queue_message()
    assert testapp.get("/admin/mail", status=403).status_int == 403
    assert testapp.get(f"/admin/mail/{message_id}", status=403).status_int == 403
    assert testapp.get(f"/admin/mail/{message_id}.eml", status=403).status_int == 403
