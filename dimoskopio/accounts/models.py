"""Accounts: people who log in, and their role."""

import datetime
import enum

from sqlalchemy import Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dimoskopio.db import Base, utcnow
from dimoskopio.i18n import _

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 120


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    MENTOR = "mentor"
    FOUNDER = "founder"
    MEMBER = "member"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", native_enum=False, length=20,
             values_callable=lambda roles: [role.value for role in roles]),
        default=Role.MEMBER,
    )
    locale: Mapped[str] = mapped_column(String(5), default="el")
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime.datetime | None]
    pending_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX_LENGTH))
    password_changed_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime.datetime | None]
    last_login_at: Mapped[datetime.datetime | None]
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def principals(self) -> list[str]:
        return [f"user:{self.id}", f"role:{self.role.value}"]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


USER_AGENT_MAX_LENGTH = 200


class LoginSession(Base):
    """One logged-in browser. The cookie holds a random token; only its hash is stored, so that
    logging out (or ending the session from another device) really ends it."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user: Mapped[User] = relationship(lazy="joined")
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX_LENGTH), default="")
    created_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime.datetime] = mapped_column(default=utcnow)

    @property
    def device(self) -> str:
        """A short name for the browser, like "Firefox · Windows" (empty when unknown)."""
        agent = self.user_agent
        browser = next((name for marker, name in _BROWSERS if marker in agent), "")
        system = next((name for marker, name in _SYSTEMS if marker in agent), "")
        return " · ".join(part for part in (browser, system) if part)


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", Android says "Linux".
_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


ROLE_LABELS = {
    Role.ADMIN: _("Administrator"),
    Role.STAFF: _("Staff"),
    Role.MENTOR: _("Mentor"),
    Role.FOUNDER: _("Founder"),
    Role.MEMBER: _("Member"),
}
