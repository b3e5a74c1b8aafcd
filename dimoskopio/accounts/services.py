"""Account rules: passwords, sign-up, login throttling, signed single-purpose tokens."""

import datetime
import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

import argon2
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from dimoskopio.accounts.models import USER_AGENT_MAX_LENGTH, LoginSession, Role, User
from dimoskopio.db import utcnow

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128
EMAIL_PATTERN = re.compile(r"^[^@\s<>(),;:\"\[\]\\]+@[^@\s<>(),;:\"\[\]\\]+\.[^@\s<>(),;:\"\[\]\\]{2,}$")

# RFC 9106's second recommendation (argon2id, 64 MiB, 3 passes): strong, and light enough for a web app.
PASSWORD_HASH_PARAMETERS = argon2.profiles.RFC_9106_LOW_MEMORY
_hasher = argon2.PasswordHasher.from_parameters(PASSWORD_HASH_PARAMETERS)
# Verified against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("dimoskopio-timing-equaliser")


class EmailTaken(Exception):
    pass


class TokenPurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose name, not a password
    CHANGE_EMAIL = "change-email"


TOKEN_MAX_AGE = {
    TokenPurpose.VERIFY_EMAIL: datetime.timedelta(days=3),
    TokenPurpose.RESET_PASSWORD: datetime.timedelta(hours=1),
    TokenPurpose.CHANGE_EMAIL: datetime.timedelta(days=1),
}


class TokenError(Exception):
    """The token is tampered with, expired, or already used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalize_email(value: str) -> str:
    return value.strip().lower()


def is_valid_email(value: str) -> bool:
    # fullmatch: with match(), "$" would also accept a trailing line break.
    return bool(EMAIL_PATTERN.fullmatch(value)) and len(value) <= 254


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        _hasher.verify(user.password_hash, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def find_user_by_email(dbsession: Session, email: str) -> User | None:
    return dbsession.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    dbsession: Session,
    email: str,
    name: str,
    password: str,
    role: Role = Role.MEMBER,
    locale: str = "el",
    verified: bool = False,
) -> User:
    email = normalize_email(email)
    user = User(
        email=email,
        name=name.strip(),
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        email_verified_at=utcnow() if verified else None,
    )
    try:
        # The unique constraint decides, also between two sign-ups at once; the savepoint keeps the
        # loser's transaction usable.
        with dbsession.begin_nested():
            dbsession.add(user)
    except IntegrityError as error:
        raise EmailTaken(email) from error
    return user


@dataclass
class SignUp:
    """What a sign-up did: `created` a new account, or found `user` already there (None when a
    simultaneous sign-up with the same address won the race)."""

    user: User | None
    created: bool


def sign_up(dbsession: Session, email: str, name: str, password: str, locale: str) -> SignUp:
    """Create an unverified account, or report the existing one, in about the same time either way
    so that the sign-up form does not reveal who has an account."""
    existing = find_user_by_email(dbsession, email)
    if existing is not None:
        hash_password(password)  # the time a new account's hash takes
        return SignUp(existing, created=False)
    try:
        return SignUp(create_user(dbsession, email, name, password, locale=locale), created=True)
    except EmailTaken:
        return SignUp(None, created=False)


class LoginOutcome(enum.StrEnum):
    OK = "ok"
    INVALID = "invalid"
    LOCKED = "locked"
    UNVERIFIED = "unverified"


@dataclass
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    locked_until: datetime.datetime | None = None


def authenticate(
    dbsession: Session,
    email: str,
    password: str,
    max_failed: int,
    lockout: datetime.timedelta,
    now: datetime.datetime | None = None,
) -> LoginResult:
    """Check credentials; after `max_failed` wrong passwords in a row the account locks for a while."""
    now = now or utcnow()
    user = find_user_by_email(dbsession, email)
    if user is None or not user.is_active:
        _hasher.verify(_DUMMY_HASH, "dimoskopio-timing-equaliser")
        return LoginResult(LoginOutcome.INVALID)
    checked = confirm_password(user, password, max_failed, lockout, now)
    if checked.outcome is not LoginOutcome.OK:
        return checked
    if not user.is_verified:
        return LoginResult(LoginOutcome.UNVERIFIED, user=user)
    user.last_login_at = now
    return LoginResult(LoginOutcome.OK, user=user)


def confirm_password(
    user: User,
    password: str,
    max_failed: int,
    lockout: datetime.timedelta,
    now: datetime.datetime | None = None,
) -> LoginResult:
    """Check the password of a known account (at login, or again before a sensitive change).

    Wrong guesses count the same everywhere, so the change-password form is no way around the lockout.
    """
    now = now or utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return LoginResult(LoginOutcome.LOCKED, user=user, locked_until=user.locked_until)
    if not check_password(user, password):
        # Counted in the database, not in Python: parallel guesses must not overwrite each other.
        dbsession = object_session(user)
        failures = dbsession.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        dbsession.refresh(user)
        if failures >= max_failed:
            user.locked_until = now + lockout
            user.failed_logins = 0
            return LoginResult(LoginOutcome.LOCKED, user=user, locked_until=user.locked_until)
        return LoginResult(LoginOutcome.INVALID, user=user)
    user.failed_logins = 0
    user.locked_until = None
    return LoginResult(LoginOutcome.OK, user=user)


# A session unused for this long has ended (the cookie's own lifetime is the same).
SESSION_IDLE_LIMIT = datetime.timedelta(days=14)
# last_seen_at is written at most this often, not on every request.
SESSION_TOUCH_INTERVAL = datetime.timedelta(minutes=10)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(dbsession: Session, user: User, user_agent: str) -> str:
    """A new login session; returns the token for the cookie (the database keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    dbsession.add(LoginSession(
        token_hash=_token_hash(token), user=user,
        user_agent=(user_agent or "")[:USER_AGENT_MAX_LENGTH],
    ))
    dbsession.flush()
    return token


def find_session(dbsession: Session, token: str, now: datetime.datetime | None = None) -> LoginSession | None:
    now = now or utcnow()
    found = dbsession.scalar(select(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
    if found is None or found.last_seen_at < now - SESSION_IDLE_LIMIT or not found.user.is_active:
        return None
    if found.last_seen_at < now - SESSION_TOUCH_INTERVAL:
        found.last_seen_at = now
    return found


def end_session(dbsession: Session, token: str) -> None:
    dbsession.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def end_other_sessions(dbsession: Session, user: User, keep: LoginSession | None = None) -> None:
    """Every other browser of this user is logged out (lost phone, shared computer, new password)."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep is not None:
        query = query.where(LoginSession.id != keep.id)
    dbsession.execute(query)


def list_sessions(dbsession: Session, user: User) -> list[LoginSession]:
    return list(dbsession.scalars(
        select(LoginSession).where(LoginSession.user_id == user.id).order_by(LoginSession.last_seen_at.desc())
    ))


def delete_expired_sessions(dbsession: Session, now: datetime.datetime | None = None) -> int:
    now = now or utcnow()
    return dbsession.execute(
        delete(LoginSession).where(LoginSession.last_seen_at < now - SESSION_IDLE_LIMIT)
    ).rowcount


def set_password(dbsession: Session, user: User, password: str, keep: LoginSession | None = None) -> None:
    """New password; every session but `keep` (the one making the change) is logged out."""
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    end_other_sessions(dbsession, user, keep)


def reset_password(dbsession: Session, user: User, password: str) -> None:
    """The emailed reset link was followed: new password, every session ended, and the address
    counts as confirmed (the link could only be read there)."""
    set_password(dbsession, user, password)
    if not user.is_verified:
        verify_email(user)


def _fingerprint(*values: Any) -> str:
    digest = hashlib.sha256("|".join(str(value) for value in values).encode()).hexdigest()
    return digest[:20]


def _token_binding(purpose: TokenPurpose, user: User) -> str:
    """What the token is tied to: once it changes (email verified, password set), the token is spent."""
    if purpose is TokenPurpose.VERIFY_EMAIL:
        return _fingerprint(user.email, user.email_verified_at)
    if purpose is TokenPurpose.RESET_PASSWORD:
        return _fingerprint(user.password_hash, user.email)
    return _fingerprint(user.pending_email)


class TokenService:
    """Signed, expiring, single-use tokens for emailed links. They carry no personal data."""

    def __init__(self, secret: str) -> None:
        self.secret = secret

    def _serializer(self, purpose: TokenPurpose) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=f"dimoskopio.accounts.{purpose.value}")

    def make(self, purpose: TokenPurpose, user: User) -> str:
        return self._serializer(purpose).dumps({"u": user.id, "b": _token_binding(purpose, user)})

    def load(self, purpose: TokenPurpose, token: str, dbsession: Session) -> User:
        max_age = int(TOKEN_MAX_AGE[purpose].total_seconds())
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age)
        except SignatureExpired as error:
            raise TokenError("expired") from error
        except BadSignature as error:
            raise TokenError("invalid") from error
        if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
            raise TokenError("invalid")
        user = dbsession.get(User, payload["u"])
        if user is None or not user.is_active:
            raise TokenError("invalid")
        if not hmac.compare_digest(str(payload.get("b")), _token_binding(purpose, user)):
            raise TokenError("used")
        return user


def verify_email(user: User) -> None:
    user.email_verified_at = utcnow()


def start_email_change(user: User, new_email: str) -> None:
    user.pending_email = normalize_email(new_email)


def request_email_change(dbsession: Session, user: User, new_email: str) -> bool:
    """Start a change unless another account has the address; the caller answers the same either
    way, so the form does not reveal accounts. True when a confirmation should be sent."""
    if find_user_by_email(dbsession, new_email) is not None:
        return False
    start_email_change(user, new_email)
    return True


def finish_email_change(dbsession: Session, user: User) -> None:
    if user.pending_email is None:
        raise TokenError("used")
    new_email = user.pending_email
    try:
        with dbsession.begin_nested():
            user.email = new_email
            user.pending_email = None
            user.email_verified_at = utcnow()
    except IntegrityError as error:
        raise EmailTaken(new_email) from error


def count_users(dbsession: Session) -> int:
    return dbsession.scalar(select(func.count()).select_from(User)) or 0


def list_users(
    dbsession: Session, search: str = "", role: Role | None = None, page: int = 1, per_page: int = 50
) -> tuple[list[User], int]:
    query = select(User)
    search = search.strip()
    if search:
        # autoescape: a "%" or "_" typed in the search box is looked for, not a wildcard.
        query = query.where(
            func.lower(User.email).contains(search.lower(), autoescape=True)
            | func.lower(User.name).contains(search.lower(), autoescape=True)
        )
    if role is not None:
        query = query.where(User.role == role)
    total = dbsession.scalar(select(func.count()).select_from(query.subquery()))
    users = dbsession.scalars(
        query.order_by(User.created_at.desc(), User.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(users), total or 0


def change_role(actor: User, user: User, role: Role) -> None:
    """Only admins grant or remove the admin role, and nobody demotes themselves."""
    if actor.id == user.id:
        raise PermissionError("cannot change your own role")
    if (role is Role.ADMIN or user.role is Role.ADMIN) and actor.role is not Role.ADMIN:
        raise PermissionError("only administrators manage administrators")
    user.role = role
