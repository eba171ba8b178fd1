"""Email backends that fail on purpose, and a fake WhatsApp Cloud API server.

The fake server listens on 127.0.0.1 only, on a port the operating system
picks, and returns the next scripted reply to each request.
"""

import json
import os
import smtplib
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend


class FailingEmailBackend(EmailBackend):
    """The in-memory backend, raising the queued errors before it delivers.

    Tests put exceptions in ``errors``; each send raises the next one, and
    sends after the list is empty deliver to mail.outbox.
    """

    errors: list[BaseException] = []
    attempts = 0

    def send_messages(self, email_messages: Any) -> int:
        type(self).attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return super().send_messages(email_messages)


def disconnected() -> smtplib.SMTPServerDisconnected:
    return smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def mailbox_full() -> smtplib.SMTPRecipientsRefused:
    return smtplib.SMTPRecipientsRefused({"x@contoh.co.id": (550, b"No such user")})


@dataclass
class FakeWhatsApp:
    """Scripted replies, and the requests the fake Cloud API received."""

    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    counter: int = 0

    def next_reply(self) -> tuple[int, dict[str, Any]]:
        if self.replies:
            return self.replies.pop(0)
        self.counter += 1
        return 200, {"messages": [{"id": f"wamid.test{self.counter}"}]}


@contextmanager
def fake_whatsapp_server() -> Iterator[FakeWhatsApp]:
    fake = FakeWhatsApp()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            fake.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "body": json.loads(self.rfile.read(length)),
                }
            )
            status, body = fake.next_reply()
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v21.0"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class FileDropBackend(BaseEmailBackend):
    """Write each email to a file, for a worker in another process to deliver.

    NOTIFY_TEST_MAIL_DIR is the folder. While the file named by
    NOTIFY_TEST_HANG_FILE exists, the first send removes it and then hangs,
    as a worker does that stops in the middle of sending.
    """

    def send_messages(self, email_messages: Any) -> int:
        hang_file = os.environ.get("NOTIFY_TEST_HANG_FILE", "")
        if hang_file and os.path.exists(hang_file):
            os.remove(hang_file)
            time.sleep(120)
        folder = Path(os.environ["NOTIFY_TEST_MAIL_DIR"])
        for email in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(email.message().as_bytes())
        return len(email_messages)
