"""Background work of the incubator: KPI report reminders."""

from pyramid.request import Request

from dimoskopio.db import utcnow
from dimoskopio.tasks import crontab, periodic_task
from incubator import kpi_services


# Huey reads crontabs in UTC, and 08:00 in Athens is 06:00 UTC in winter but 05:00 UTC in summer:
# the task runs every hour, and the service sends from 08:00 at the centre. A reminder is recorded
# before it is queued, so reruns and a second worker never send it twice.
@periodic_task(crontab(minute="5"))
def send_kpi_reminders(request: Request) -> int:
    """Email founders whose KPI report is due today, or became overdue."""
    return kpi_services.send_reminders(request, utcnow())
