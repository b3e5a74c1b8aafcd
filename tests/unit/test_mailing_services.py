"""The signed newsletter links without the web layer: a token names one subscriber for one
purpose, a new link salt revokes the links already sent, and anything malformed names nobody.
Also the suppression list's small rules. Rows live in the real database."""

import pytest
from sqlalchemy import func, select

from dimoskopio.db import utcnow
from dimoskopio.web import MAX_ID
from mailing import services
from mailing.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason

SECRET = "unit-test-secret"
PURPOSES = ("confirm", "preferences", "unsubscribe")


def make_subscriber(dbsession, email: str = "eleni@example.gr", salt: str = "a" * 64) -> Subscriber:
    subscriber = Subscriber(email=email, name="Ελένη", locale="el", status=SubscriberStatus.ACTIVE, link_salt=salt)
    dbsession.add(subscriber)
    dbsession.commit()
    return subscriber


@pytest.fixture
def subscriber(dbsession) -> Subscriber:
    return make_subscriber(dbsession)


def found(dbsession, token: str, purpose: str = "preferences", secret: str = SECRET) -> Subscriber | None:
    return services.subscriber_for_token(dbsession, secret, purpose, token)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_names_its_subscriber(dbsession, subscriber, purpose):
    token = services.link_token(SECRET, purpose, subscriber)

    assert token.startswith(f"{subscriber.id}-")
    assert token.isascii() and "/" not in token and "=" not in token  # safe in a URL path as it is
    assert found(dbsession, token, purpose) is subscriber


def test_the_token_is_stable_until_the_salt_changes(dbsession, subscriber):
    first = services.link_token(SECRET, "preferences", subscriber)

    assert services.link_token(SECRET, "preferences", subscriber) == first
    subscriber.link_salt = "b" * 64
    dbsession.commit()

    assert services.link_token(SECRET, "preferences", subscriber) != first


def test_a_token_is_good_for_its_own_purpose_only(dbsession, subscriber):
    for purpose in PURPOSES:
        token = services.link_token(SECRET, purpose, subscriber)
        for other in PURPOSES:
            assert (found(dbsession, token, other) is subscriber) == (other == purpose), (purpose, other)


def test_each_subscriber_has_their_own_tokens(dbsession, subscriber):
    other = make_subscriber(dbsession, email="other@example.gr")  # the same salt, even
    mine = services.link_token(SECRET, "preferences", subscriber)
    theirs = services.link_token(SECRET, "preferences", other)

    assert mine.split("-", 1)[1] != theirs.split("-", 1)[1]
    assert found(dbsession, f"{other.id}-{mine.split('-', 1)[1]}") is None
    assert found(dbsession, theirs) is other


def test_a_new_link_salt_revokes_the_links_already_sent(dbsession, subscriber):
    token = services.link_token(SECRET, "unsubscribe", subscriber)

    subscriber.link_salt = "c" * 64
    dbsession.commit()

    assert found(dbsession, token, "unsubscribe") is None
    assert found(dbsession, services.link_token(SECRET, "unsubscribe", subscriber), "unsubscribe") is subscriber


def test_a_changed_address_revokes_the_links_already_sent(dbsession, subscriber):
    token = services.link_token(SECRET, "preferences", subscriber)

    subscriber.email = "new-address@example.gr"
    dbsession.commit()

    assert found(dbsession, token) is None


def test_another_secret_signs_other_tokens(dbsession, subscriber):
    token = services.link_token(SECRET, "preferences", subscriber)

    assert found(dbsession, token, secret="another-secret") is None


def test_a_deleted_subscriber_s_token_names_nobody(dbsession, subscriber):
    token = services.link_token(SECRET, "preferences", subscriber)
    dbsession.delete(subscriber)
    dbsession.commit()

    assert found(dbsession, token) is None


def test_a_tampered_signature_is_refused(dbsession, subscriber):
    token = services.link_token(SECRET, "preferences", subscriber)
    subscriber_id, signature = token.split("-", 1)

    for index in range(len(signature)):
        changed = signature[:index] + ("B" if signature[index] == "A" else "A") + signature[index + 1:]
        assert found(dbsession, f"{subscriber_id}-{changed}") is None, index
    for bad in (signature[:-1], signature + "A", signature.upper() if signature != signature.upper() else "x",
                "", "-" + signature):
        assert found(dbsession, f"{subscriber_id}-{bad}") is None, bad


@pytest.mark.parametrize("make_bad", [
    lambda subscriber_id, signature: f"0-{signature}",
    lambda subscriber_id, signature: f"-1-{signature}",
    lambda subscriber_id, signature: f"{MAX_ID + 1}-{signature}",
    lambda subscriber_id, signature: f"{'9' * 11}-{signature}",
    lambda subscriber_id, signature: f"{'1' * 5000}-{signature}",  # no slow huge-integer parsing
    lambda subscriber_id, signature: f"{'0' * 11}{subscriber_id}-{signature}",
    lambda subscriber_id, signature: f"+{subscriber_id}-{signature}",
    lambda subscriber_id, signature: f" {subscriber_id}-{signature}",
    lambda subscriber_id, signature: f"{subscriber_id}.0-{signature}",
    lambda subscriber_id, signature: f"٣-{signature}",  # an Arabic-Indic digit: isdigit() but not ASCII
    lambda subscriber_id, signature: f"{subscriber_id}²-{signature}",
    lambda subscriber_id, signature: f"{subscriber_id}-{signature[:-1]}é",
    lambda subscriber_id, signature: f"{subscriber_id}-{signature}\u0000",
    lambda subscriber_id, signature: f"{subscriber_id}-",
    lambda subscriber_id, signature: f"{subscriber_id}",
    lambda subscriber_id, signature: f"{subscriber_id}{signature}",
    lambda subscriber_id, signature: "",
    lambda subscriber_id, signature: "-",
    lambda subscriber_id, signature: f"abc-{signature}",
    lambda subscriber_id, signature: f"{subscriber_id}-{signature * 50}",
])
def test_malformed_tokens_name_nobody(dbsession, subscriber, make_bad):
    subscriber_id, signature = services.link_token(SECRET, "preferences", subscriber).split("-", 1)

    assert found(dbsession, make_bad(subscriber_id, signature)) is None


def test_a_zero_padded_id_still_needs_the_right_signature(dbsession, subscriber):
    """Leading zeros name the same row; the signature still has to be the subscriber's."""
    subscriber_id, signature = services.link_token(SECRET, "preferences", subscriber).split("-", 1)

    assert found(dbsession, f"0{subscriber_id}-{'A' * len(signature)}") is None


# --- the suppression list ------------------------------------------------------------------------


def test_suppressing_is_idempotent_and_keeps_the_first_reason(dbsession):
    now = utcnow()

    services.suppress(dbsession, " Eleni@Example.GR ", SuppressionReason.BOUNCED, now)
    services.suppress(dbsession, "eleni@example.gr", SuppressionReason.UNSUBSCRIBED, now)
    dbsession.commit()

    rows = list(dbsession.scalars(select(Suppression)))
    assert [(row.email, row.reason) for row in rows] == [("eleni@example.gr", SuppressionReason.BOUNCED)]
    assert services.is_suppressed(dbsession, "ELENI@example.gr")
    assert not services.is_suppressed(dbsession, "other@example.gr")
    assert dbsession.scalar(select(func.count()).select_from(Suppression)) == 1
