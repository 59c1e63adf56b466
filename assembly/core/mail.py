"""Outgoing mail. Every message is recorded in the outbox; without SMTP an organisation's
message (an invitation, a convocation) waits there for its admins to pass on. A private message
(a password reset link) goes to its recipient only: the outbox keeps that it was sent, not its
text, so no admin, and no reader of the database, ever sees the link."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from assembly.accounts.models import OutboxMessage
from assembly.core.clock import utcnow
from assembly.extensions import db

log = logging.getLogger(__name__)

# What the outbox keeps of a private message (not translated: only operators read the table).
PRIVATE_BODY = "(private: sent to its recipient only, not kept)"


def deliver(
    recipient: str,
    subject: str,
    body: str,
    *,
    organisation_id: int | None = None,
    recipient_user_id: int | None = None,
    private: bool = False,
) -> OutboxMessage:
    """Record the message and send it if a mail server is configured. The caller commits.

    `private`: for the recipient's eyes only; its text is neither kept nor logged.
    """
    message = OutboxMessage(
        recipient=recipient,
        subject=subject[:200],
        body=PRIVATE_BODY if private else body,
        organisation_id=None if private else organisation_id,
        recipient_user_id=recipient_user_id,
    )
    db.session.add(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        if private:
            log.info("No mail server configured; a private message to %s was not sent", recipient)
        else:
            log.info("No mail server configured; message to %s kept for admins", recipient)
        return message
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    email["To"] = recipient
    email["Subject"] = subject
    email.set_content(body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(email)
        message.sent_at = utcnow()
    except (OSError, smtplib.SMTPException):
        # An organisation's message is still in its admins' outbox; a private one is lost.
        log.exception("Could not send mail to %s", recipient)
    return message
