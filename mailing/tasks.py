"""The worker's side of campaigns: sending, resuming after a crash, scheduled sends, the digest."""

from pyramid.request import Request

from dimoskopio.db import utcnow
from dimoskopio.tasks import crontab, periodic_task, schedule, task
from mailing import delivery, digest
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
        try:
            delivery.start_sending(request, request.dbsession.get(Campaign, campaign_id), now)
        except delivery.CampaignStateError:
            continue  # unscheduled or sent by hand since it was read
    for campaign_id in delivery.campaigns_to_resume(request.dbsession, now):
        request.enqueue(send_campaign, campaign_id)
    delivery.finish_abandoned(request.dbsession, now)


# Huey reads crontabs in UTC (utc=True), and 07:00 in Athens is 05:00 UTC in winter but 04:00 UTC
# in summer: the task runs every hour on Mondays (UTC), and the service acts only in the hour
# when it is 07:00 at the centre.
@periodic_task(crontab(day_of_week="1", minute="0"))
def weekly_digest(request: Request) -> None:
    """Draft (or send) the weekly digest, as staff chose on the digest screen."""
    digest.run_weekly_digest(request, utcnow())
