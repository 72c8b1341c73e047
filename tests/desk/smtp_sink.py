"""A real SMTP server for the tests, on a thread: it speaks enough SMTP (EHLO/HELO, MAIL, RCPT,
DATA, RSET, NOOP, QUIT) for Django's SMTP backend and keeps every message it accepts, parsed.
Not a mock of our code: the server under test connects to it over TCP as it would to a real
mail server, with the settings it reads from the environment."""
from __future__ import annotations

import socketserver
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        sink: SMTPSink = self.server.sink  # type: ignore[attr-defined]
        self.reply("220 sink.test ESMTP")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("latin-1").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                self.reply("250-sink.test")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 sink.test")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline()
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                sink.accept(sender, recipients, b"".join(lines))
                self.reply("250 OK: queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SMTPSink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.sink = self  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def accept(self, sender: str, recipients: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append((sender, recipients, message_from_bytes(data, policy=policy.default)))

    def wait_for(self, count: int, timeout: float = 15.0) -> list[tuple[str, list[str], EmailMessage]]:
        """The messages once `count` have arrived (polling with a deadline)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)  # polling the sink until the deadline
        raise AssertionError(f"{len(self.messages)} message(s) arrived, {count} expected")

    def __enter__(self) -> SMTPSink:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
