"""Links that name one row and prove it: `{id}-{signature}`. The signature covers the row's own
salt, so drawing a new salt revokes every link given out before it."""

import base64
import hashlib
import hmac

from dimoskopio.web import row_id


def row_signature(secret: str, *parts: object) -> str:
    """A short URL-safe HMAC-SHA256 of the parts (a purpose, the row's id, its salt...)."""
    message = ":".join(str(part) for part in parts).encode()
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()[:18]).decode()


def row_token(row_id: int, signature: str) -> str:
    return f"{row_id}-{signature}"


def read_row_token(token: str) -> tuple[int, str] | None:
    """The row id and signature a token carries, or None for one no row can have."""
    raw_id, _, signature = token.partition("-")
    number = row_id(raw_id)
    if number is None:
        return None
    # compare_digest refuses non-ASCII text with an error, not a mismatch.
    if not (signature and signature.isascii()):
        return None
    return number, signature


def signatures_match(given: str, expected: str) -> bool:
    return hmac.compare_digest(given, expected)
