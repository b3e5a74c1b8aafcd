"""A worker process killed in the middle of a campaign: the campaign is finished by another worker
and every recipient gets the message exactly once at the (local) SendGrid server."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import select

from dimoskopio.accounts.models import Role
from mailing.delivery import LEASE
from mailing.models import BatchStatus, Campaign, CampaignBatch, CampaignRecipient, CampaignStatus, RecipientStatus
from mailing.tasks import sweep_campaigns
from tests.conftest import ROOT
from tests.functional.conftest import csrf_token
from tests.functional.test_campaign_delivery import make_campaign, make_subscribers, make_topic, start
from tests.functional.test_commands import write_ini
from tests.sendgrid_server import SendGridServer, webhook_events

RECIPIENTS = 3500  # four requests of up to a thousand


@pytest.fixture
def server():
    running = SendGridServer().start()
    yield running
    running.stop()


class Worker:
    """`dimoskopio-worker` in a process of its own, on the tests' database and task queue."""

    def __init__(self, ini, log_path):
        self.ini = ini
        self.log_path = log_path
        self.process = None

    def start(self):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from dimoskopio.cli import worker; worker()", str(self.ini), "--workers", "1"],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


@pytest.fixture
def worker_ini(tmp_path, app_settings, server):
    return write_ini(tmp_path, app_settings["sqlalchemy.url"], **{
        "huey.sqlite_path": app_settings["huey.sqlite_path"],
        "mail.backend": "sendgrid",
        "sendgrid.api_key": "SG.test-key",
        "sendgrid.host": server.url,
        "sendgrid.timeout": "20",
        "dimoskopio.base_url": "http://localhost",
    })


def wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def as_if_time_passed(dbsession, campaign_id, delta):
    """The dead worker's claims age as they would while nobody holds them."""
    dbsession.rollback()
    dbsession.expire_all()
    campaign = dbsession.get(Campaign, campaign_id)
    campaign.lease_until -= delta
    for batch in dbsession.scalars(select(CampaignBatch).where(CampaignBatch.campaign_id == campaign_id,
                                                               CampaignBatch.claimed_at.is_not(None))):
        batch.claimed_at -= delta
    dbsession.commit()


def prepare_campaign(dbsession):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, RECIPIENTS)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    return campaign_id


def kill_during_third_request(server, worker_ini, tmp_path, campaign_id):
    server.hold_request = 3
    # Queued before the worker starts: on SQLite, the test's writes and the worker's must not meet.
    start(campaign_id)
    first = Worker(worker_ini, tmp_path / "worker.log").start()
    assert server.held.wait(60), (tmp_path / "worker.log").read_text()
    first.kill()
    server.release()
    wait_for(lambda: server.received[2].status != 0)


def ledger(dbsession, campaign_id):
    """The ledger's counts; the read is ended at once, so as not to hold up the worker's writes."""
    dbsession.rollback()
    counts = Counter(dbsession.scalars(select(CampaignRecipient.status)
                                       .where(CampaignRecipient.campaign_id == campaign_id)))
    dbsession.rollback()
    return counts


def campaign_status(dbsession, campaign_id):
    dbsession.rollback()
    status = dbsession.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
    dbsession.rollback()
    return status


def test_killed_worker_whose_request_was_taken_is_settled_by_the_webhook(
        app, dbsession, testapp, server, worker_ini, tmp_path, webhook_signer):
    campaign_id = prepare_campaign(dbsession)
    kill_during_third_request(server, worker_ini, tmp_path, campaign_id)
    # SendGrid took the third request; the worker died before hearing so.
    assert [request.status for request in server.received] == [202, 202, 202]

    as_if_time_passed(dbsession, campaign_id, LEASE + datetime.timedelta(seconds=1))
    # The sweep finds the batch in doubt and the campaign nobody holds, and queues the rest.
    sweep_campaigns.call_local()
    second = Worker(worker_ini, tmp_path / "worker.log").start()
    try:
        wait_for(lambda: len(server.received) == 4)
        # The fourth batch went; the third waits, in doubt, and is not sent again.
        wait_for(lambda: ledger(dbsession, campaign_id)[RecipientStatus.SENT] == RECIPIENTS - 1000)
        third = dbsession.scalar(select(CampaignBatch.status).where(CampaignBatch.campaign_id == campaign_id)
                                 .order_by(CampaignBatch.id).offset(2).limit(1))
        dbsession.rollback()
        assert third is BatchStatus.IN_DOUBT
        assert campaign_status(dbsession, campaign_id) is CampaignStatus.SENDING

        # SendGrid's Event Webhook reports what it processed from the third request.
        body = json.dumps(webhook_events(server.received[2])).encode()
        testapp.post("/newsletter/sendgrid/events", body, headers=webhook_signer.headers(body))
        time.sleep(1.0)
    finally:
        second.kill()

    assert ledger(dbsession, campaign_id) == {RecipientStatus.SENT: RECIPIENTS}
    assert campaign_status(dbsession, campaign_id) is CampaignStatus.SENT
    delivered = Counter(server.delivered_addresses())
    assert len(delivered) == RECIPIENTS
    assert set(delivered.values()) == {1}
    assert len(server.received) == 4


def test_killed_worker_whose_request_was_not_taken_is_sent_again_by_staff_decision(
        app, dbsession, testapp, logged_in, server, worker_ini, tmp_path):
    campaign_id = prepare_campaign(dbsession)
    server.answer_next(202)
    server.answer_next(202)
    server.answer_next(503)  # the third request fails, but the worker dies before it hears so
    kill_during_third_request(server, worker_ini, tmp_path, campaign_id)
    assert [request.status for request in server.received] == [202, 202, 503]

    as_if_time_passed(dbsession, campaign_id, LEASE + datetime.timedelta(seconds=1))
    sweep_campaigns.call_local()
    logged_in(Role.STAFF)
    second = Worker(worker_ini, tmp_path / "worker.log").start()
    try:
        wait_for(lambda: ledger(dbsession, campaign_id)[RecipientStatus.SENT] == RECIPIENTS - 1000)
        # No webhook event will ever name the third batch: staff, seeing it never reached anyone,
        # send it again from the campaign's page.
        batch_id = dbsession.scalar(select(CampaignBatch.id).where(CampaignBatch.campaign_id == campaign_id,
                                                                   CampaignBatch.status == BatchStatus.IN_DOUBT))
        dbsession.rollback()
        testapp.post(f"/admin/newsletter/campaigns/{campaign_id}/batches/{batch_id}",
                     {"csrf_token": csrf_token(testapp), "decision": "resend"}, status=303)
        wait_for(lambda: ledger(dbsession, campaign_id)[RecipientStatus.SENT] == RECIPIENTS)
        wait_for(lambda: campaign_status(dbsession, campaign_id) is CampaignStatus.SENT)
    finally:
        second.kill()

    delivered = Counter(server.delivered_addresses())
    assert len(delivered) == RECIPIENTS
    assert set(delivered.values()) == {1}
