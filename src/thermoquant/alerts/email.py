"""E-mail over SMTP: implicit TLS (``ssl``, usually port 465), ``starttls`` (usually 587) or plain (``none``,
for a relay on the same machine), with login when a user name is configured."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from thermoquant.alerts.notifier import MAX_BYTES, PLATFORM_LIMITS, Delivery, Message
from thermoquant.secrets import mask

DEFAULT_PORTS = {"ssl": 465, "starttls": 587, "none": 25}


@dataclass
class EmailNotifier:
    """Sends one message to every recipient in one SMTP transaction.

    ``ca_file``: a CA bundle to trust besides the system's (a private mail server); ``context``: a ready TLS
    context (tests). A refused login or refused recipients are not retried; a lost connection or a 4xx reply is.
    """

    name: str
    host: str
    sender: str
    recipients: Sequence[str]
    port: int | None = None
    security: str = "ssl"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    ca_file: str | None = None
    context: ssl.SSLContext | None = field(default=None, repr=False)
    rate_limits: tuple[tuple[int, float], ...] = PLATFORM_LIMITS["email"]
    max_bytes: int = MAX_BYTES["email"]

    kind = "email"

    def _context(self) -> ssl.SSLContext:
        return self.context or ssl.create_default_context(cafile=self.ca_file)

    def _connect(self) -> smtplib.SMTP:
        port = self.port or DEFAULT_PORTS[self.security]
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, port, timeout=self.timeout, context=self._context())
        smtp = smtplib.SMTP(self.host, port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=self._context())
        return smtp

    def build(self, message: Message) -> EmailMessage:
        """The e-mail: UTF-8 text, subject = the title."""
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.sender
        mail["To"] = ", ".join(self.recipients)
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.text)
        return mail

    def send(self, message: Message) -> Delivery:
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(self.build(message))
        except smtplib.SMTPAuthenticationError as exc:
            return Delivery(
                False, str(exc.smtp_code), self._mask(f"登录被拒 login refused: {exc.smtp_error!r}")
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return Delivery(
                False, "recipients", self._mask(f"收件人被拒 recipients refused: {list(exc.recipients)}")
            )
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            return Delivery(False, str(exc.smtp_code), self._mask(repr(exc.smtp_error)), retry=not permanent)
        except (smtplib.SMTPException, OSError) as exc:
            return Delivery(False, "transport", self._mask(f"{type(exc).__name__}: {exc}"), retry=True)
        if refused:
            return Delivery(
                False, "recipients", self._mask(f"部分收件人被拒 some recipients refused: {refused}")
            )
        return Delivery(True, "250", "accepted")

    def _mask(self, text: str) -> str:
        return mask(text, self.password)[:300]
