from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from dimoskopio.accounts.services import count_users
from dimoskopio.db import utcnow
from dimoskopio.mail.models import OutboxStatus
from dimoskopio.mail.services import count_by_status
from dimoskopio.security import Permission
from events.services import fill_rate, local_timezone, monthly_figures, upcoming_with_counts

UPCOMING_ON_DASHBOARD = 8


@view_config(route_name="admin.dashboard", renderer="admin/dashboard.jinja2",
             permission=Permission.STAFF_DASHBOARD)
def dashboard(request: Request) -> dict[str, Any]:
    mail = count_by_status(request.dbsession)
    tz = local_timezone(request)
    now = utcnow()
    upcoming = upcoming_with_counts(request.dbsession, now, UPCOMING_ON_DASHBOARD)
    return {
        "upcoming": [(event, counts, fill_rate(event, counts)) for event, counts in upcoming],
        "year": now.astimezone(tz).year,
        "months": monthly_figures(request.dbsession, now.astimezone(tz).year, tz),
        "user_count": count_users(request.dbsession),
        "mail_pending": mail[OutboxStatus.PENDING] + mail[OutboxStatus.SENDING],
        "mail_failed": mail[OutboxStatus.FAILED],
        "mail_sent": mail[OutboxStatus.SENT],
    }
