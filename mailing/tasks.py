"""The worker's side of campaigns: sending, resuming after a crash, scheduled sends, the digest."""

from pyramid.request import Request

from dimoskopio.db import utcnow
from dimoskopio.tasks import crontab, periodic_task, schedule, task
from mailing import delivery
from mailing.campaign_services import due_scheduled
from mailing.models import Campaign


@task()
def send_campaign(request: Request, campaign_id: int) -> None:
    outcome = delivery.send_campaign_batches(request, campaign_id)
    if outcome.resume_at is not None:
        schedule(request, send_campaign, outcome.resume_at, campaign_id)


@periodic_task(crontab(minute="*"))
def sweep_campaigns(request: Request) -> None:
    """Start campaigns whose time has come, and take over those whose worker died."""
    now = utcnow()
    delivery.mark_abandoned_in_doubt(request.dbsession, now)
    for campaign_id in due_scheduled(request.dbsession, now):
        delivery.start_sending(request, request.dbsession.get(Campaign, campaign_id), now)
    for campaign_id in delivery.campaigns_to_resume(request.dbsession, now):
        request.enqueue(send_campaign, campaign_id)
