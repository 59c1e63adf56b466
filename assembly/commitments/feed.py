"""A person's private calendar feed: their open commitments on their due dates, and the coming
meetings of their organisations, at an address with a secret in it (calendar apps cannot log
in). Only the secret's SHA-256 is kept; a new address, or none, ends the old one at once.
Plain functions; callers commit."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import delete, select

from assembly.accounts.models import User
from assembly.commitments.forms import STATUS_LABELS
from assembly.commitments.models import CalendarFeed, Commitment, CommitmentOwner
from assembly.commitments.reminders import plain_text
from assembly.commitments.service import CLOSED, answered_in
from assembly.core.i18n import normalise
from assembly.core.urls import absolute_url
from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.meetings.service import meeting_event
from assembly.organisations.service import places_of

# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")
# A calendar app reads the feed every few minutes to hours: note it at most this often.
_READ_NOTED_EVERY = timedelta(hours=1)
MEETINGS_AHEAD = timedelta(days=180)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def new_feed(user: User) -> str:
    """A new secret for the person's feed, replacing any earlier one; returns the secret (shown
    once, never kept)."""
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token)))
    db.session.flush()
    return token


def revoke_feed(user: User) -> bool:
    """The feed's address stops working. False when there was none."""
    return bool(
        db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id)).rowcount
    )


def feed_url(token: str) -> str:
    return absolute_url("calendar.feed", token=token)


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed a secret opens, if any, and only for an active account."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    wanted = _hash(token)
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == wanted))
    # The lookup compares hashes of the secret, not the secret; compare again in constant time.
    if feed is None or not hmac.compare_digest(feed.token_hash, wanted):
        return None
    if not feed.user.active:
        return None
    return feed


def note_read(feed: CalendarFeed, now: datetime) -> None:
    if feed.last_read_at is None or now - feed.last_read_at >= _READ_NOTED_EVERY:
        feed.last_read_at = now


def open_commitments(user: User) -> list[Commitment]:
    """Open commitments the person answers for, in organisations they still belong to."""
    organisation_ids = [p.organisation.id for p in places_of(user)]
    if not organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(Commitment)
            .where(
                answered_in(user.id, organisation_ids),
                Commitment.owners.any(CommitmentOwner.user_id == user.id),
                Commitment.status.not_in(CLOSED),
                Commitment.due_on.is_not(None),
            )
            .order_by(Commitment.due_on, Commitment.id)
        )
    )


def coming_meetings(user: User, now: datetime) -> list[Meeting]:
    """Convened (or live) meetings of the person's organisations, from a day ago to six
    months ahead."""
    organisation_ids = [p.organisation.id for p in places_of(user)]
    if not organisation_ids:
        return []
    return list(
        db.session.scalars(
            select(Meeting)
            .where(
                Meeting.organisation_id.in_(organisation_ids),
                Meeting.status.in_((MeetingStatus.CONVENED, MeetingStatus.LIVE)),
                Meeting.starts_at >= now - timedelta(days=1),
                Meeting.starts_at <= now + MEETINGS_AHEAD,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )


def calendar(user: User, now: datetime) -> bytes:
    """The feed as iCalendar: each open commitment an all-day event on its due date, each
    coming meeting an event at its time; text in the person's language."""
    from icalendar import Calendar, Event

    locale = normalise(user.locale) or current_app.config["BABEL_DEFAULT_LOCALE"]
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "assembly"
    stamp = now.replace(tzinfo=UTC)
    with force_locale(locale):
        cal = Calendar()
        cal.add("prodid", "-//Assembly//Commitments//ES")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        name = gettext("My commitments (Assembly)")
        cal.add("x-wr-calname", name)
        cal.add("name", name)
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
        for c in open_commitments(user):
            link = absolute_url("commitments.detail", slug=c.organisation.slug, commitment_id=c.id)
            what = plain_text(c.what, 120)
            event = Event()
            event.add("uid", f"commitment-{c.id}@{host}")
            event.add("dtstamp", stamp)
            event.add("dtstart", c.due_on)
            event.add("dtend", c.due_on + timedelta(days=1))
            event.add(
                "summary",
                gettext(
                    "Due: %(what)s (%(organisation)s)", what=what, organisation=c.organisation.name
                ),
            )
            lines = [
                plain_text(c.what, 2000),
                "",
                gettext("Organisation: %(name)s", name=c.organisation.name),
                gettext("Status: %(status)s", status=STATUS_LABELS[c.status]),
            ]
            if c.due_on < now.date():
                lines.append(gettext("This commitment is overdue."))
            lines += ["", link]
            event.add("description", "\n".join(lines))
            event.add("url", link)
            event.add("categories", [gettext("Commitment")])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
        for meeting in coming_meetings(user, now):
            cal.add_component(meeting_event(meeting, stamp=stamp))
    return cal.to_ical()
