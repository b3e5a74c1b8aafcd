from typing import Any

from pyramid.request import Request
from pyramid.view import view_config
from sqlalchemy import func, select

from dimoskopio.accounts.models import User
from dimoskopio.mail.models import OutboxMessage, OutboxStatus
from dimoskopio.security import Permission


@view_config(route_name="admin.dashboard", renderer="admin/dashboard.jinja2",
             permission=Permission.STAFF_DASHBOARD)
def dashboard(request: Request) -> dict[str, Any]:
    dbsession = request.dbsession
    mail_counts = dict(
        dbsession.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    )
    return {
        "user_count": dbsession.scalar(select(func.count()).select_from(User)),
        "mail_pending": mail_counts.get(OutboxStatus.PENDING, 0) + mail_counts.get(OutboxStatus.SENDING, 0),
        "mail_failed": mail_counts.get(OutboxStatus.FAILED, 0),
        "mail_sent": mail_counts.get(OutboxStatus.SENT, 0),
    }
