"""Local servers that notification channels send to in tests (an HTTP webhook receiver, an SMTP server), and a keyring.

Both listen on 127.0.0.1 on a free port, record what arrives and run in a thread; the
HTTP one answers from a script (status, headers) so a test can make a channel fail,
ask for a Retry-After, then take the message.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator


@dataclass
class ReceivedRequest:
    """One request the webhook server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    """time.monotonic() when it arrived."""

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class WebhookServer:
    """A scripted HTTP server: each request takes the next (status, headers) answer, then 200."""

    host: str = "127.0.0.1"
    port: int = 0
    requests: list[ReceivedRequest] = field(default_factory=list)
    answers: deque[tuple[int, dict[str, str]]] = field(default_factory=deque)

    def answer(self, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Queue an answer for the next ``times`` requests."""
        for _ in range(times):
            self.answers.append((status, headers or {}))

    @property
    def base(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"{self.host}:{self.port}"

    def start(self) -> "WebhookServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.requests.append(ReceivedRequest(self.command, self.path, dict(self.headers.items()), body,
                                                       time.monotonic()))
                status, headers = server.answers.popleft() if server.answers else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                payload = b"ok" if status < 300 else b"{\"error\": \"scripted\"}"
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPServer:
    """aiosmtpd on 127.0.0.1 in its own thread, keeping every message it gets."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.port = free_port()

    def start(self) -> "SMTPServer":
        from aiosmtpd.controller import Controller

        server = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
                server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                server.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def bodies(self, message: EmailMessage) -> Iterator[tuple[str, str]]:
        """(content type, text) of every text part of ``message``."""
        for part in message.walk():
            if part.get_content_maintype() == "text":
                yield part.get_content_type(), part.get_content()


class MemoryKeyring:
    """A keyring backend's three methods, in memory (not a KeyringBackend subclass: those register
    themselves and would become every test's OS keyring)."""

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)
