"""An SMTP server for tests: aiosmtpd in a thread of the test process, collecting what it accepts."""
import asyncio
import email
import email.policy
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class SmtpSink:
    """Accepts every message, except for recipients in `reject` (550). `delay` slows each DATA (a slow
    server, so a burst lasts long enough to interrupt). Stop and start it again on the same port to
    simulate an outage. While `hang` is set, DATA gets no answer at all (a server that stopped
    responding); once it is cleared, those hung transactions are refused with 451 and nothing is recorded.
    It never offers STARTTLS (no TLS context), and it offers AUTH only with `credentials`."""

    def __init__(self, port, credentials=None):
        self.port = port
        self.url = f"smtp://127.0.0.1:{port}"
        self.messages = []
        self.reject = set()
        self.delay = 0.0
        self.hang = False
        self.hung = 0
        self.credentials = credentials
        self.logins = []
        self._in_progress = 0
        self._lock = threading.Lock()
        self._controller = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: recipient address rejected: no such mailbox" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._in_progress += 1
        try:
            return await self._data(envelope)
        finally:
            with self._lock:
                self._in_progress -= 1

    async def _data(self, envelope):
        if self.hang:
            self.hung += 1
            while self.hang:
                await asyncio.sleep(0.05)
            return "451 4.3.0 the server hung; nothing was delivered"
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append({
                "envelope_from": envelope.mail_from,
                "envelope_to": list(envelope.rcpt_tos),
                "to": str(message["To"]),
                "from": str(message["From"]),
                "subject": str(message["Subject"]),
                "message_id": str(message["Message-ID"]),
                "idempotency_key": str(message["Idempotency-Key"]),
                "text": message.get_body(("plain",)).get_content(),
                "html": message.get_body(("html",)).get_content(),
                "received_at": time.time(),
            })
        return "250 Message accepted for delivery"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login[0])
        return AuthResult(success=login == self.credentials)

    def start(self):
        kwargs = {}
        if self.credentials:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()
        return self

    def stop(self):
        if self._controller:
            self._controller.stop()
            self._controller = None

    def snapshot(self):
        with self._lock:
            return list(self.messages)

    def idle(self):
        """True when no message is being received: whatever a client sent has been recorded or refused."""
        with self._lock:
            return self._in_progress == 0

    def count(self):
        with self._lock:
            return len(self.messages)
