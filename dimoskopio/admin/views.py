from typing import Any

from pyramid.request import Request
from pyramid.view import view_config

from dimoskopio.accounts.services import count_users
from dimoskopio.mail.models import OutboxStatus
from dimoskopio.mail.services import count_by_status
from dimoskopio.security import Permission


@view_config(route_name="admin.dashboard", renderer="admin/dashboard.jinja2",
             permission=Permission.STAFF_DASHBOARD)
def dashboard(request: Request) -> dict[str, Any]:
    mail = count_by_status(request.dbsession)
    return {
        "user_count": count_users(request.dbsession),
        "mail_pending": mail[OutboxStatus.PENDING] + mail[OutboxStatus.SENDING],
        "mail_failed": mail[OutboxStatus.FAILED],
        "mail_sent": mail[OutboxStatus.SENT],
    }
