"""Housekeeping of accounts done by the worker."""

from pyramid.request import Request

from dimoskopio.accounts.services import delete_expired_sessions
from dimoskopio.tasks import crontab, periodic_task


@periodic_task(crontab(minute="17", hour="3"))
def forget_expired_sessions(request: Request) -> None:
    """Login sessions unused for longer than the idle limit are deleted (they no longer work)."""
    delete_expired_sessions(request.dbsession)
