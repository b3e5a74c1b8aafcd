"""Several workers on one campaign at once (PostgreSQL, real threads, real commits): one holds the
campaign, no batch goes twice, and a batch claimed by one is never claimed by another."""

from collections import Counter

from sqlalchemy import select

from dimoskopio.db import utcnow
from dimoskopio.tasks import task_request
from mailing import delivery
from mailing.models import BatchStatus, Campaign, CampaignBatch, CampaignStatus
from mailing.tasks import send_campaign
from tests.functional.test_campaign_delivery import make_campaign, make_subscribers, make_topic, start
from tests.postgres.test_concurrency import run_together


def test_four_workers_on_one_campaign_send_each_recipient_once(app, dbsession, settings, sendgrid):
    settings["mailing.batch_size"] = 50
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 500)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)
    run_together(4, lambda _index: send_campaign.call_local(campaign_id))
    # Whoever did not get the lease left the campaign to the one that did, which finished it.
    with task_request() as request:
        statuses = Counter(request.dbsession.scalars(select(CampaignBatch.status).where(
            CampaignBatch.campaign_id == campaign_id)))
        assert delivery.progress(request.dbsession, campaign_id).sent == 500
        assert request.dbsession.get(Campaign, campaign_id).status is CampaignStatus.SENT
    assert statuses == {BatchStatus.ACCEPTED: 10}
    delivered = Counter(sendgrid.delivered_addresses())
    assert len(delivered) == 500 and set(delivered.values()) == {1}
    assert len(sendgrid.received) == 10


def test_two_claims_of_the_same_batch_only_one_wins(app, dbsession, sendgrid):
    topic = make_topic(dbsession)
    make_subscribers(dbsession, topic, 5)
    campaign_id = make_campaign(dbsession, topic).id
    dbsession.commit()
    start(campaign_id)

    def claim(_index):
        with task_request() as request:
            batch = delivery.claim_batch(request.dbsession, campaign_id, utcnow())
            return batch.id if batch is not None else None

    claims = run_together(6, claim)
    assert sum(1 for claimed in claims if claimed is not None) == 1
