"""Reminders: an in-app notice (and a mail, when a mail server is configured) to each owner of an
open commitment that is due within DUE_SOON_DAYS, and again once it is overdue.

One notice per owner, commitment, kind and due date, kept so by a unique index: running the job
twice, from cron and from a server at once, reminds nobody twice; a renegotiated due date
reminds again. Closed commitments remind nobody, nor owners who left the organisation.

`assembly remind` runs it once (for cron); `assembly serve` runs it every hour
(REMINDER_MINUTES) in the background.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import force_locale, format_date, gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assembly.accounts.models import User
from assembly.commitments.models import Commitment
from assembly.commitments.service import CLOSED, DUE_SOON_DAYS
from assembly.core.clock import utcnow
from assembly.core.i18n import normalise
from assembly.core.mail import deliver
from assembly.core.text import render_markdown
from assembly.core.urls import absolute_url
from assembly.extensions import db
from assembly.meetings.models import Notification
from assembly.permissions import may_read_commitment

log = logging.getLogger(__name__)

DUE_SOON = "commitment_due_soon"
OVERDUE = "commitment_overdue"
KINDS = (DUE_SOON, OVERDUE)


def plain_text(what: str, limit: int = 300) -> str:
    """A commitment's Markdown as one line of plain text (mail subjects, calendars, notices)."""
    text = " ".join(render_markdown(what).striptags().split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _reminded(commitment_id: int, user_id: int, kind: str, due_on) -> bool:
    return (
        db.session.scalar(
            select(Notification.id).where(
                Notification.commitment_id == commitment_id,
                Notification.user_id == user_id,
                Notification.kind == kind,
                Notification.due_on == due_on,
            )
        )
        is not None
    )


def due_reminders(now: datetime) -> list[Notification]:
    """Add the notices not given yet (flushed, not committed) and return them."""
    today = now.date()
    commitments = db.session.scalars(
        select(Commitment)
        .where(
            Commitment.status.not_in(CLOSED),
            Commitment.due_on.is_not(None),
            Commitment.due_on <= today + timedelta(days=DUE_SOON_DAYS),
        )
        .order_by(Commitment.due_on, Commitment.id)
    )
    created = []
    for commitment in commitments:
        kind = OVERDUE if commitment.due_on < today else DUE_SOON
        for user_id in sorted({o.user_id for o in commitment.owners}):
            if _reminded(commitment.id, user_id, kind, commitment.due_on):
                continue
            user = db.session.get(User, user_id)
            if not user.active or not may_read_commitment(user, commitment):
                continue  # a closed account, or someone who left: not theirs any more
            notice = Notification(
                user_id=user_id,
                organisation_id=commitment.organisation_id,
                commitment_id=commitment.id,
                due_on=commitment.due_on,
                kind=kind,
                created_at=now,
            )
            try:
                with db.session.begin_nested():
                    db.session.add(notice)
            except IntegrityError:
                continue  # another process reminded them a moment ago
            created.append(notice)
    return created


def mail_reminder(notice: Notification) -> None:
    """The notice as a mail, in its reader's language, linking to the commitment."""
    user = db.session.get(User, notice.user_id)
    commitment = notice.commitment
    organisation = commitment.organisation
    locale = normalise(user.locale) or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        what = plain_text(commitment.what)
        due = format_date(notice.due_on, "full")
        if notice.kind == OVERDUE:
            subject = gettext("Overdue commitment: %(what)s", what=plain_text(what, 80))
            opening = gettext(
                "A commitment of yours in %(organisation)s was due on %(date)s and is not done "
                "yet:",
                organisation=organisation.name,
                date=due,
            )
        else:
            subject = gettext("Commitment due soon: %(what)s", what=plain_text(what, 80))
            opening = gettext(
                "A commitment of yours in %(organisation)s is due on %(date)s:",
                organisation=organisation.name,
                date=due,
            )
        body = gettext(
            "%(opening)s\n\n%(what)s\n\nUpdate it (in progress, done, a new date) here:\n"
            "%(link)s\n\nAll your commitments: %(mine)s",
            opening=opening,
            what=what,
            link=absolute_url(
                "commitments.detail", slug=organisation.slug, commitment_id=commitment.id
            ),
            mine=absolute_url("commitments.mine"),
        )
    deliver(
        user.email,
        subject,
        body,
        organisation_id=organisation.id,
        recipient_user_id=user.id,
    )


def send_reminders(now: datetime) -> list[Notification]:
    """The job: give the notices due at `now`, then mail each when mail is configured.

    Commits (it runs outside any request): the notices first, so that a second process sees
    them and mails nobody twice; then each mail as it goes out.
    """
    notices = due_reminders(now)
    db.session.commit()
    if current_app.config.get("MAIL_SERVER"):
        for notice in notices:
            mail_reminder(notice)
            db.session.commit()
    return notices


class ReminderClock:
    """Runs `send_reminders` every REMINDER_MINUTES in a running server (0: never)."""

    def start(self, app: Flask) -> None:
        minutes = app.config.get("REMINDER_MINUTES") or 0
        if minutes > 0:
            from assembly.extensions import socketio

            socketio.start_background_task(self._run, app, minutes)

    def _run(self, app: Flask, minutes: int) -> None:
        from assembly.extensions import socketio

        while True:
            self.run_once(app)
            socketio.sleep(minutes * 60)

    def run_once(self, app: Flask) -> int:
        with app.app_context():
            try:
                return len(send_reminders(utcnow()))
            except Exception:  # the next round tries again
                log.exception("Sending commitment reminders failed")
                db.session.rollback()
                return 0
            finally:
                db.session.remove()


clock = ReminderClock()
