"""The Event Webhook's signature check without the web layer: SendGrid's ECDSA signature over the
timestamp and the raw body, with the key as SendGrid shows it; anything forged, stale, from the
future or malformed is refused, and garbage never raises."""

import base64
import datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from mailing.webhook import (
    SIGNATURE_HEADER,
    SIGNATURE_MAX_AGE,
    SIGNATURE_MAX_CLOCK_SKEW,
    TIMESTAMP_HEADER,
    verify_signature,
)
from tests.functional.conftest import tampered
from tests.sendgrid_server import WebhookSigner

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
BODY = b'[{"email":"eleni@example.gr","event":"delivered","sg_event_id":"abc","timestamp":1795000000}]'


@pytest.fixture(scope="module")
def signer() -> WebhookSigner:
    return WebhookSigner()


def signed(signer: WebhookSigner, body: bytes = BODY, at: datetime.datetime = NOW) -> tuple[str, str]:
    headers = signer.headers(body, timestamp=int(at.timestamp()))
    return headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER]


def check(signer: WebhookSigner, signature: str | None, timestamp: str | None, body: bytes = BODY,
          public_key: str | None = None) -> bool:
    return verify_signature(signer.public_key if public_key is None else public_key, body, signature, timestamp, NOW)


def encoded_public_key(private_key) -> str:
    der = private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def test_a_call_signed_by_sendgrid_just_now_is_accepted(signer):
    assert check(signer, *signed(signer)) is True


def test_a_key_wrapped_over_lines_is_read_as_the_same_key(signer):
    key = signer.public_key
    assert check(signer, *signed(signer), public_key=f"{key[:40]}\n{key[40:]}\n") is True


def test_a_changed_body_is_refused(signer):
    signature, timestamp = signed(signer)
    assert check(signer, signature, timestamp, body=BODY.replace(b"delivered", b"bounce")) is False
    assert check(signer, signature, timestamp, body=BODY + b" ") is False


def test_a_changed_signature_or_timestamp_is_refused(signer):
    signature, timestamp = signed(signer)
    assert check(signer, tampered(signature), timestamp) is False
    assert check(signer, signature, str(int(timestamp) - 1)) is False


def test_a_signature_made_with_another_key_is_refused(signer):
    assert check(signer, *signed(WebhookSigner())) is False


@pytest.mark.parametrize("age", [datetime.timedelta(0), SIGNATURE_MAX_AGE - datetime.timedelta(seconds=1),
                                 -SIGNATURE_MAX_CLOCK_SKEW + datetime.timedelta(seconds=1)])
def test_a_signature_within_the_window_is_accepted(signer, age):
    assert check(signer, *signed(signer, at=NOW - age)) is True


@pytest.mark.parametrize("age", [SIGNATURE_MAX_AGE + datetime.timedelta(seconds=1), datetime.timedelta(days=1),
                                 -SIGNATURE_MAX_CLOCK_SKEW - datetime.timedelta(seconds=1),
                                 -datetime.timedelta(days=1)])
def test_a_stale_or_future_signature_is_refused(signer, age):
    assert check(signer, *signed(signer, at=NOW - age)) is False


@pytest.mark.parametrize("signature", [None, "", "not base64!", "QUJD", "AAAA", "ΑΒΓ=", "=" * 8,
                                       base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()])
def test_a_missing_or_garbage_signature_is_refused(signer, signature):
    _signature, timestamp = signed(signer)
    assert check(signer, signature, timestamp) is False


@pytest.mark.parametrize("timestamp", [None, "", "abc", "12.5", "-1", " 1795000000", "1795000000 ", "1e9",
                                       "١٧٩٥٠٠٠٠٠٠", "9" * 5000])
def test_a_missing_or_non_numeric_timestamp_is_refused(signer, timestamp):
    signature, _timestamp = signed(signer)
    assert check(signer, signature, timestamp) is False


def test_a_timestamp_the_signature_was_made_over_but_not_a_number_is_refused(signer):
    """The check is on the header's text, not only on the signature made over it."""
    headers = signer.headers(BODY, timestamp=int(NOW.timestamp()))
    timestamp = headers[TIMESTAMP_HEADER] + ".0"
    signature = base64.b64encode(signer.private_key.sign(timestamp.encode() + BODY, ec.ECDSA(hashes.SHA256())))
    assert check(signer, signature.decode(), timestamp) is False


@pytest.mark.parametrize("public_key", [
    "not a key", "QUJD", "ΑΒΓ",
    encoded_public_key(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
    encoded_public_key(ec.generate_private_key(ec.SECP384R1())),
])
def test_a_garbage_or_wrong_kind_of_key_refuses_everything(signer, public_key):
    assert check(signer, *signed(signer), public_key=public_key) is False


def test_a_signature_made_on_another_curve_is_refused():
    """SendGrid signs with P-256; a key of another curve is a misconfiguration, even one that verifies."""
    private_key = ec.generate_private_key(ec.SECP384R1())
    timestamp = str(int(NOW.timestamp()))
    signature = base64.b64encode(private_key.sign(timestamp.encode() + BODY, ec.ECDSA(hashes.SHA256()))).decode()
    assert verify_signature(encoded_public_key(private_key), BODY, signature, timestamp, NOW) is False


def test_no_key_refuses_everything(signer):
    assert verify_signature("", BODY, *signed(signer), NOW) is False
