"""The outbox: every email is a row first, written in the business transaction."""

import datetime
import enum
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dimoskopio.db import Base, utcnow
from dimoskopio.i18n import _


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


OUTBOX_STATUS_LABELS = {
    OutboxStatus.PENDING: _("Waiting"),
    OutboxStatus.SENDING: _("Sending"),
    OutboxStatus.SENT: _("Sent"),
    OutboxStatus.FAILED: _("Failed"),
}


class OutboxMessage(Base):
    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(5))
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(998))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"filename", "content_type", "content_base64"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, name="outbox_status", native_enum=False, length=10,
             values_callable=lambda statuses: [status.value for status in statuses]),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime.datetime | None]

    @property
    def can_be_sent_again(self) -> bool:
        """Staff may retry a message only once delivery has stopped trying by itself."""
        return self.status is OutboxStatus.FAILED

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.template} {self.status.value}>"
