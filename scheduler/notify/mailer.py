"""Sending e-mail: a small Protocol, an SMTP implementation, and the shape of an invite e-mail."""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from email.message import EmailMessage
from typing import Literal, Protocol

#: SMTP conversations are short; a stuck server must not hold a sender for long (the outbox lease
#: of :mod:`scheduler.notify.service` assumes a batch finishes well within it).
DEFAULT_TIMEOUT = 20.0


class Mailer(Protocol):
    """Something that delivers an e-mail or raises."""

    #: The envelope sender and From address (e.g. ``noreply@aanhuis.example``).
    sender: str

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` or raise (``smtplib.SMTPException`` or ``OSError``)."""
        ...


class SmtpMailer:
    """Delivers over SMTP with the standard library, one connection per message.

    ``starttls`` upgrades the connection with certificate verification before logging in; ``user``
    and ``password`` are optional (a relay inside the municipality's network often needs none).
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None,
        password: str | None,
        starttls: bool,
        sender: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not host:
            raise ValueError("an SMTP host is required")
        if not 0 < port < 65536:
            raise ValueError(f"invalid SMTP port {port}")
        if "@" not in sender:
            raise ValueError("the sender must be an e-mail address")
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.starttls = starttls
        self.sender = sender
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message``; the envelope sender is :attr:`sender` (bounces come back there)."""
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(message, from_addr=self.sender)


def build_email(
    *,
    sender: str,
    sender_name: str,
    reply_to: str,
    recipient: str,
    subject: str,
    body: str,
    message_id: str,
    ics: str | None = None,
    ics_method: Literal["REQUEST", "CANCEL"] | None = None,
) -> EmailMessage:
    """An e-mail with a plain-text body and, when given, the calendar invite.

    The invite follows the layout Google Calendar sends, which Outlook, Gmail and Apple Mail all
    recognise as a meeting message::

        multipart/mixed
          multipart/alternative
            text/plain                                   the body
            text/calendar; method=REQUEST; charset=UTF-8 the iTIP part clients act on
          application/ics; name=invite.ics               the same file, to save or open by hand

    The attachment is ``application/ics`` so clients do not process the iTIP message twice.
    """
    message = EmailMessage()
    message["From"] = email.utils.formataddr((sender_name, sender))
    message["To"] = recipient
    message["Reply-To"] = reply_to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = message_id
    # RFC 3834: automatic replies (holiday notices) are not sent back to automatic messages.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if ics is None:
        return message
    if ics_method not in ("REQUEST", "CANCEL"):
        raise ValueError("an invite needs ics_method REQUEST or CANCEL")
    message.add_alternative(ics.encode(), maintype="text", subtype="calendar")
    message.add_attachment(
        ics.encode(), maintype="application", subtype="ics", filename="invite.ics"
    )
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            part.set_param("method", ics_method)
            # A bytes payload gets no charset; the iTIP part must declare UTF-8 (Dutch text).
            part.set_param("charset", "UTF-8")
        elif part.get_content_type() == "application/ics":
            part.set_param("name", "invite.ics")  # older clients read the name from here
    return message
