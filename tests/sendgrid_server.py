"""A local SendGrid-compatible HTTP server: records what it receives and answers as told."""

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class SendGridServer:
    """Answers POST /v3/mail/send with 202 unless a scripted answer is queued."""

    received: list[ReceivedRequest] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                owner.received.append(
                    ReceivedRequest(self.path, dict(self.headers), json.loads(raw or b"{}"))
                )
                if owner.delay_seconds:
                    threading.Event().wait(owner.delay_seconds)
                if owner.scripted:
                    status, headers, body = owner.scripted.pop(0)
                elif self.path != "/v3/mail/send":
                    status, headers, body = 404, {}, b'{"errors":[{"message":"not found"}]}'
                elif not self.headers.get("Authorization", "").startswith("Bearer "):
                    status, headers, body = 401, {}, b'{"errors":[{"message":"unauthorized"}]}'
                else:
                    status, headers, body = 202, {"X-Message-Id": uuid.uuid4().hex}, b""
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
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

    def answer_next(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"{}") -> None:
        self.scripted.append((status, headers or {}, body))

    def start(self) -> "SendGridServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
