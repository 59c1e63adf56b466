"""Outgoing mail. Every message is kept in the outbox; without SMTP it waits there for an admin."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from assembly.accounts.models import OutboxMessage
from assembly.core.clock import utcnow
from assembly.extensions import db

log = logging.getLogger(__name__)


def deliver(
    recipient: str,
    subject: str,
    body: str,
    *,
    organisation_id: int | None = None,
    recipient_user_id: int | None = None,
) -> OutboxMessage:
    """Record the message and send it if a mail server is configured. The caller commits."""
    message = OutboxMessage(
        recipient=recipient,
        subject=subject[:200],
        body=body,
        organisation_id=organisation_id,
        recipient_user_id=recipient_user_id,
    )
    db.session.add(message)
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("No mail server configured; message to %s kept for admins:\n%s", recipient, body)
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
        # The admin still sees it in the outbox, so the link is not lost.
        log.exception("Could not send mail to %s; kept in the outbox", recipient)
    return message
