"""Every package's models, imported so that the metadata (and Alembic) sees all tables."""

from dimoskopio.accounts.models import LoginSession, User
from dimoskopio.db import Base
from dimoskopio.mail.models import OutboxMessage

metadata = Base.metadata

__all__ = ["LoginSession", "OutboxMessage", "User", "metadata"]
