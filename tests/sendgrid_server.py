"""A local SendGrid-compatible HTTP server: checks requests as the v3 Mail Send API does, records
what it accepts and answers as told; and the signed Event Webhook calls SendGrid would make."""

import base64
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000
MAX_BODY_BYTES = 30 * 1024 * 1024
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int = 0
    message_id: str = ""
    # When it arrived (time.monotonic()), to check the pauses between requests.
    at: float = field(default_factory=time.monotonic)

    @property
    def recipients(self) -> list[str]:
        return [to["email"] for personalization in self.body.get("personalizations", [])
                for to in personalization.get("to", [])]


def mail_send_errors(body: Any) -> list[str]:
    """What the real API would refuse in a Mail Send body (the checks that matter to us)."""
    if not isinstance(body, dict):
        return ["the request body must be a JSON object"]
    errors = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return ["personalizations: at least one is required"]
    if len(personalizations) > MAX_PERSONALIZATIONS:
        errors.append(f"personalizations: at most {MAX_PERSONALIZATIONS}")
    addresses = []
    for personalization in personalizations:
        for kind in ("to", "cc", "bcc"):
            for recipient in personalization.get(kind, []) or []:
                if not EMAIL.fullmatch(str(recipient.get("email", ""))):
                    errors.append(f"{kind}: invalid email {recipient.get('email')!r}")
                addresses.append(str(recipient.get("email", "")).lower())
        if not personalization.get("to"):
            errors.append("personalizations.to: required")
        for name in ("substitutions", "headers", "custom_args"):
            values = personalization.get(name, {})
            if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
                errors.append(f"personalizations.{name}: values must be strings")
        if not (body.get("subject") or personalization.get("subject")):
            errors.append("subject: required")
    if len(addresses) > MAX_RECIPIENTS:
        errors.append(f"at most {MAX_RECIPIENTS} recipients in one request")
    if len(set(addresses)) != len(addresses):
        errors.append("each email address must be unique within a request")
    if not EMAIL.fullmatch(str((body.get("from") or {}).get("email", ""))):
        errors.append("from.email: required")
    content = body.get("content")
    if not isinstance(content, list) or not content or not all(item.get("value") for item in content):
        errors.append("content: at least one part with a value")
    elif content[0].get("type") != "text/plain" and any(item.get("type") == "text/plain" for item in content):
        errors.append("content: text/plain must come first")
    if not all(isinstance(v, str) for v in (body.get("custom_args") or {}).values()):
        errors.append("custom_args: values must be strings")
    return errors


@dataclass
class SendGridServer:
    """Answers POST /v3/mail/send with 202 unless a scripted answer is queued."""

    received: list[ReceivedRequest] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    delay_seconds: float = 0.0
    # Hold the answer to the request with this number (1 for the first) until `release()`.
    hold_request: int | None = None

    def __post_init__(self) -> None:
        owner = self
        self.lock = threading.Lock()
        self.held = threading.Event()
        self.released = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = None
                record = ReceivedRequest(self.path, dict(self.headers), body if isinstance(body, dict) else {})
                with owner.lock:
                    owner.received.append(record)
                    number = len(owner.received)
                    scripted = owner.scripted.pop(0) if owner.scripted else None
                if owner.delay_seconds:
                    time.sleep(owner.delay_seconds)
                if scripted is not None:
                    status, headers, answer = scripted
                elif self.path != "/v3/mail/send":
                    status, headers, answer = 404, {}, b'{"errors":[{"message":"not found"}]}'
                elif not self.headers.get("Authorization", "").startswith("Bearer "):
                    status, headers, answer = 401, {}, b'{"errors":[{"message":"unauthorized"}]}'
                elif length > MAX_BODY_BYTES:
                    status, headers, answer = 413, {}, b'{"errors":[{"message":"payload too large"}]}'
                elif errors := mail_send_errors(body):
                    status, headers = 400, {}
                    answer = json.dumps({"errors": [{"message": error} for error in errors]}).encode()
                else:
                    status, headers, answer = 202, {"X-Message-Id": uuid.uuid4().hex[:22]}, b""
                record.status = status
                record.message_id = headers.get("X-Message-Id", "")
                if number == owner.hold_request:
                    owner.held.set()
                    owner.released.wait(30)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def accepted(self) -> list[ReceivedRequest]:
        """Requests answered 202: what SendGrid would deliver."""
        return [request for request in self.received if request.status == 202]

    def delivered_addresses(self) -> list[str]:
        return [address for request in self.accepted for address in request.recipients]

    def answer_next(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"{}") -> None:
        self.scripted.append((status, headers or {}, body))

    def release(self) -> None:
        self.released.set()

    def start(self) -> "SendGridServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def webhook_events(request: ReceivedRequest, event: str = "processed", **extra: Any) -> list[dict[str, Any]]:
    """The Event Webhook's report of an accepted request: one event per recipient, carrying the
    request's and the personalization's custom_args as SendGrid does."""
    events = []
    for number, personalization in enumerate(request.body["personalizations"]):
        for to in personalization["to"]:
            events.append({
                "email": to["email"],
                "timestamp": int(time.time()),
                "event": event,
                "sg_event_id": uuid.uuid4().hex,
                "sg_message_id": f"{request.message_id}.filter{number:04d}.{uuid.uuid4().hex[:8]}",
                **(request.body.get("custom_args") or {}),
                **(personalization.get("custom_args") or {}),
                **extra,
            })
    return events


class WebhookSigner:
    """Signs Event Webhook calls as SendGrid does: ECDSA P-256 with SHA-256 over the timestamp
    followed by the raw body, base64 DER in the signature header."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key(self) -> str:
        """As SendGrid shows it: base64 DER SubjectPublicKeyInfo, no PEM armour."""
        der = self.private_key.public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        signature = self.private_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            "Content-Type": "application/json",
        }
