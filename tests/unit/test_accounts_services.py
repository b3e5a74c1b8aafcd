"""Account rules without the web layer: passwords, sign-up, lockout, tokens, roles, the user list."""

import base64
import datetime
import json
import time
from unittest import mock

import argon2
import pytest
from itsdangerous.timed import TimestampSigner

from dimoskopio.accounts import services
from dimoskopio.accounts.models import Role, User
from dimoskopio.accounts.services import (
    EmailTaken,
    LoginOutcome,
    TokenError,
    TokenPurpose,
    TokenService,
)
from dimoskopio.db import utcnow

SECRET = "unit-test-secret"
PASSWORD = "correct horse battery"
LOCKOUT = datetime.timedelta(minutes=10)


@pytest.fixture
def cheap_hashing():
    """The lowered-cost hasher of the suite (tests/conftest.py); production's is checked below."""
    return services._hasher


@pytest.fixture
def user(dbsession, cheap_hashing):
    user = services.create_user(dbsession, "maria@example.gr", "Μαρία", PASSWORD, verified=True)
    dbsession.commit()
    return user


# --- passwords ----------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_at_recommended_cost():
    # The suite lowers the cost of `_hasher`; these are the parameters production uses.
    parameters = services.PASSWORD_HASH_PARAMETERS

    assert parameters.type is argon2.Type.ID
    # OWASP: at least 19 MiB of memory with 2 passes, or more memory with fewer.
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2


def test_a_password_checks_only_against_its_own_hash(cheap_hashing):
    user = User(password_hash=services.hash_password(PASSWORD))

    assert services.check_password(user, PASSWORD)
    assert not services.check_password(user, PASSWORD.upper())
    assert not services.check_password(User(password_hash="not a hash"), PASSWORD)


def test_an_outdated_hash_is_upgraded_at_the_next_correct_login(cheap_hashing, monkeypatch):
    user = User(password_hash=cheap_hashing.hash(PASSWORD))
    stronger = argon2.PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    monkeypatch.setattr(services, "_hasher", stronger)

    assert not services.check_password(user, "wrong password")
    assert argon2.extract_parameters(user.password_hash).memory_cost == 1024
    assert services.check_password(user, PASSWORD)
    assert argon2.extract_parameters(user.password_hash).memory_cost == 2048


def test_a_new_password_logs_out_every_other_session_and_lifts_a_lock(dbsession, user):
    user.failed_logins, user.locked_until = 3, utcnow() + LOCKOUT
    phone, laptop = (services.start_session(dbsession, user, agent) for agent in ("phone", "laptop"))
    laptop_session = services.find_session(dbsession, laptop)
    changed_before = user.password_changed_at

    services.set_password(dbsession, user, "a brand new passphrase", keep=laptop_session)
    dbsession.commit()

    assert services.check_password(user, "a brand new passphrase")
    assert (user.failed_logins, user.locked_until) == (0, None)
    assert user.password_changed_at > changed_before
    assert services.find_session(dbsession, phone) is None
    assert services.find_session(dbsession, laptop) is not None


def test_an_idle_session_ends_and_is_deleted_by_the_housekeeping(dbsession, user):
    token = services.start_session(dbsession, user, "old tablet")
    dbsession.commit()
    later = utcnow() + services.SESSION_IDLE_LIMIT + datetime.timedelta(minutes=1)

    assert services.find_session(dbsession, token, now=later) is None
    assert services.delete_expired_sessions(dbsession, now=later) == 1
    assert services.list_sessions(dbsession, user) == []


def test_using_a_session_updates_its_last_activity_now_and_then(dbsession, user):
    token = services.start_session(dbsession, user, "")
    found = services.find_session(dbsession, token)
    first_seen = found.last_seen_at
    soon = first_seen + datetime.timedelta(minutes=1)
    assert services.find_session(dbsession, token, now=soon).last_seen_at == first_seen
    later = first_seen + services.SESSION_TOUCH_INTERVAL + datetime.timedelta(minutes=1)
    assert services.find_session(dbsession, token, now=later).last_seen_at == later


# --- emails and sign-up -------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["maria@example.gr", "m.papadaki+events@heraklion.gov.gr", "Μαρία@παράδειγμα.ελ"])
def test_valid_email_addresses(email):
    assert services.is_valid_email(email)


@pytest.mark.parametrize("email", [
    "", "maria", "maria@", "@example.gr", "maria@example", "maria@@example.gr", "maria @example.gr",
    "maria@example.g", "<maria>@example.gr", "maria@example.gr\n", "a" * 250 + "@example.gr", "' OR 1=1 --",
])
def test_invalid_email_addresses(email):
    assert not services.is_valid_email(email)


def test_sign_up_stores_a_normalized_address_and_a_trimmed_name(dbsession, cheap_hashing):
    user = services.create_user(dbsession, "  Maria@Example.GR ", "  Μαρία  ", PASSWORD, locale="en")

    assert (user.email, user.name, user.locale, user.role) == ("maria@example.gr", "Μαρία", "en", Role.MEMBER)
    assert not user.is_verified
    assert user.password_hash != PASSWORD


def test_an_address_is_taken_whatever_its_case(dbsession, user):
    with pytest.raises(EmailTaken):
        services.create_user(dbsession, "MARIA@example.gr", "Other", PASSWORD)


def test_users_are_found_by_address_whatever_its_case(dbsession, user):
    assert services.find_user_by_email(dbsession, " Maria@EXAMPLE.gr ") is user
    assert services.find_user_by_email(dbsession, "' OR 1=1 --") is None


# --- login and lockout --------------------------------------------------------------------------


def attempt(dbsession, password, now, email="maria@example.gr"):
    return services.authenticate(dbsession, email, password, max_failed=3, lockout=LOCKOUT, now=now)


def test_the_right_password_logs_in_and_clears_failures(dbsession, user):
    now = utcnow()
    attempt(dbsession, "wrong", now)

    result = attempt(dbsession, PASSWORD, now)

    assert (result.outcome, result.user) == (LoginOutcome.OK, user)
    assert (user.failed_logins, user.last_login_at) == (0, now)


def test_the_account_locks_after_the_last_allowed_failure_and_unlocks_in_time(dbsession, user):
    now = utcnow()
    assert attempt(dbsession, "wrong", now).outcome is LoginOutcome.INVALID
    assert attempt(dbsession, "wrong", now).outcome is LoginOutcome.INVALID

    third = attempt(dbsession, "wrong", now)

    assert (third.outcome, third.locked_until) == (LoginOutcome.LOCKED, now + LOCKOUT)
    assert attempt(dbsession, PASSWORD, now + LOCKOUT - datetime.timedelta(seconds=1)).outcome is LoginOutcome.LOCKED
    assert attempt(dbsession, PASSWORD, now + LOCKOUT + datetime.timedelta(seconds=1)).outcome is LoginOutcome.OK
    assert user.locked_until is None


def test_failures_while_locked_do_not_extend_the_lock(dbsession, user):
    now = utcnow()
    for _ in range(3):
        attempt(dbsession, "wrong", now)

    attempt(dbsession, "wrong", now + datetime.timedelta(minutes=5))

    assert user.locked_until == now + LOCKOUT


def test_an_unverified_account_with_the_right_password_is_told_to_verify(dbsession, cheap_hashing):
    services.create_user(dbsession, "new@example.gr", "New", PASSWORD)

    result = attempt(dbsession, PASSWORD, utcnow(), email="new@example.gr")

    assert result.outcome is LoginOutcome.UNVERIFIED
    assert result.user.last_login_at is None


def test_unknown_and_deactivated_accounts_are_just_wrong_logins(dbsession, user):
    user.is_active = False

    assert attempt(dbsession, PASSWORD, utcnow()).outcome is LoginOutcome.INVALID
    assert attempt(dbsession, PASSWORD, utcnow(), email="nobody@example.gr").outcome is LoginOutcome.INVALID


# --- emailed-link tokens ------------------------------------------------------------------------


def tokens() -> TokenService:
    return TokenService(SECRET)


@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_a_token_names_its_user(dbsession, user, purpose):
    user.pending_email = "new@example.gr"

    assert tokens().load(purpose, tokens().make(purpose, user), dbsession) is user


def test_a_token_carries_no_personal_data(user):
    user.pending_email = "new@example.gr"
    token = tokens().make(TokenPurpose.CHANGE_EMAIL, user)
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))

    assert set(payload) == {"u", "b"}
    assert "maria" not in token and "new@" not in json.dumps(payload)


@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_a_token_expires(dbsession, user, purpose):
    age = services.TOKEN_MAX_AGE[purpose] + datetime.timedelta(seconds=5)
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(time.time() - age.total_seconds())):
        token = tokens().make(purpose, user)

    with pytest.raises(TokenError) as error:
        tokens().load(purpose, token, dbsession)
    assert error.value.reason == "expired"


def test_a_token_just_inside_its_lifetime_still_works(dbsession, user):
    age = services.TOKEN_MAX_AGE[TokenPurpose.RESET_PASSWORD] - datetime.timedelta(seconds=30)
    with mock.patch.object(TimestampSigner, "get_timestamp", return_value=int(time.time() - age.total_seconds())):
        token = tokens().make(TokenPurpose.RESET_PASSWORD, user)

    assert tokens().load(TokenPurpose.RESET_PASSWORD, token, dbsession) is user


@pytest.mark.parametrize("mangle", [
    # One character of the signature changed (the last one may carry only padding bits).
    lambda token: token[:-5] + ("B" if token[-5] == "A" else "A") + token[-4:],
    lambda token: token.split(".")[0],
    lambda token: "",
    lambda token: "not-a-token",
    lambda token: token + token,
])
def test_a_tampered_token_is_invalid(dbsession, user, mangle):
    token = tokens().make(TokenPurpose.VERIFY_EMAIL, user)

    with pytest.raises(TokenError) as error:
        tokens().load(TokenPurpose.VERIFY_EMAIL, mangle(token), dbsession)
    assert error.value.reason == "invalid"


def test_a_token_signed_with_another_secret_or_for_another_purpose_is_invalid(dbsession, user):
    foreign = TokenService("another secret").make(TokenPurpose.RESET_PASSWORD, user)
    verify = tokens().make(TokenPurpose.VERIFY_EMAIL, user)

    for token in (foreign, verify):
        with pytest.raises(TokenError) as error:
            tokens().load(TokenPurpose.RESET_PASSWORD, token, dbsession)
        assert error.value.reason == "invalid"


def test_a_token_for_a_deleted_or_deactivated_user_is_invalid(dbsession, user):
    token = tokens().make(TokenPurpose.RESET_PASSWORD, user)
    user.is_active = False

    with pytest.raises(TokenError):
        tokens().load(TokenPurpose.RESET_PASSWORD, token, dbsession)

    dbsession.delete(user)
    dbsession.flush()
    with pytest.raises(TokenError):
        tokens().load(TokenPurpose.RESET_PASSWORD, token, dbsession)


@pytest.mark.parametrize(("purpose", "spend"), [
    (TokenPurpose.VERIFY_EMAIL, lambda dbsession, user: services.verify_email(user)),
    (TokenPurpose.RESET_PASSWORD,
     lambda dbsession, user: services.reset_password(dbsession, user, "a brand new passphrase")),
    (TokenPurpose.CHANGE_EMAIL, lambda dbsession, user: services.start_email_change(user, "other@example.gr")),
], ids=["verify", "reset", "change email"])
def test_a_token_is_spent_once_what_it_stood_for_has_happened(dbsession, purpose, spend, cheap_hashing):
    user = services.create_user(dbsession, "maria@example.gr", "Μαρία", PASSWORD)
    user.pending_email = "new@example.gr"
    token = tokens().make(purpose, user)

    spend(dbsession, user)

    with pytest.raises(TokenError) as error:
        tokens().load(purpose, token, dbsession)
    assert error.value.reason == "used"


# --- email change -------------------------------------------------------------------------------


def test_an_email_change_happens_only_when_finished(dbsession, user):
    user.email_verified_at = None
    services.start_email_change(user, " New@Example.gr ")
    assert (user.email, user.pending_email) == ("maria@example.gr", "new@example.gr")

    services.finish_email_change(dbsession, user)

    assert (user.email, user.pending_email, user.is_verified) == ("new@example.gr", None, True)
    with pytest.raises(TokenError):
        services.finish_email_change(dbsession, user)


def test_an_email_change_to_an_address_taken_meanwhile_is_refused(dbsession, user):
    services.start_email_change(user, "taken@example.gr")
    services.create_user(dbsession, "taken@example.gr", "Other", PASSWORD)

    with pytest.raises(EmailTaken):
        services.finish_email_change(dbsession, user)
    assert user.email == "maria@example.gr"


# --- roles --------------------------------------------------------------------------------------


def person(user_id: int, role: Role) -> User:
    return User(id=user_id, role=role)


@pytest.mark.parametrize(("actor_role", "from_role", "to_role", "allowed"), [
    (Role.ADMIN, Role.MEMBER, Role.ADMIN, True),
    (Role.ADMIN, Role.ADMIN, Role.MEMBER, True),
    (Role.ADMIN, Role.STAFF, Role.MENTOR, True),
    (Role.STAFF, Role.MEMBER, Role.STAFF, True),
    (Role.STAFF, Role.MEMBER, Role.FOUNDER, True),
    (Role.STAFF, Role.STAFF, Role.MEMBER, True),
    (Role.STAFF, Role.MEMBER, Role.ADMIN, False),
    (Role.STAFF, Role.ADMIN, Role.MEMBER, False),
    (Role.STAFF, Role.ADMIN, Role.ADMIN, False),
])
def test_only_admins_grant_or_remove_the_admin_role(actor_role, from_role, to_role, allowed):
    actor, user = person(1, actor_role), person(2, from_role)

    if allowed:
        services.change_role(actor, user, to_role)
        assert user.role is to_role
    else:
        with pytest.raises(PermissionError):
            services.change_role(actor, user, to_role)
        assert user.role is from_role


@pytest.mark.parametrize("role", list(Role))
def test_nobody_changes_their_own_role(role):
    me = person(1, role)

    with pytest.raises(PermissionError):
        services.change_role(me, me, Role.MEMBER if role is Role.ADMIN else Role.ADMIN)
    assert me.role is role


# --- the user list ------------------------------------------------------------------------------


@pytest.fixture
def people(dbsession, cheap_hashing):
    for email, name, role in [
        ("maria@example.gr", "Μαρία Παπαδάκη", Role.MEMBER),
        ("nikos@example.gr", "Νίκος Ψαράκης", Role.MENTOR),
        ("under_score@example.gr", "Under Score", Role.MEMBER),
        ("percent@example.gr", "100% Ζάχαρη", Role.STAFF),
    ]:
        services.create_user(dbsession, email, name, PASSWORD, role=role)
    dbsession.commit()


def emails(found):
    return sorted(user.email for user in found[0])


def test_the_user_list_searches_email_and_name(dbsession, people):
    assert emails(services.list_users(dbsession, "NIKOS")) == ["nikos@example.gr"]
    assert emails(services.list_users(dbsession, "Παπαδάκη")) == ["maria@example.gr"]
    assert emails(services.list_users(dbsession, "  ")) == emails(services.list_users(dbsession))


def test_the_user_list_searches_for_wildcards_literally(dbsession, people):
    assert emails(services.list_users(dbsession, "_")) == ["under_score@example.gr"]
    assert emails(services.list_users(dbsession, "%")) == ["percent@example.gr"]
    assert emails(services.list_users(dbsession, "\\")) == []


def test_the_user_list_filters_by_role_and_counts_all_matches(dbsession, people):
    found, total = services.list_users(dbsession, role=Role.MEMBER, page=2, per_page=1)

    assert total == 2
    assert len(found) == 1


def test_a_page_past_the_end_is_empty(dbsession, people):
    assert services.list_users(dbsession, page=100000, per_page=50) == ([], 4)
