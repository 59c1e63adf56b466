"""The secretary's live notes, one text per agenda item.

Written in the room by those who may edit the meeting's minutes, while the meeting is live; every
screen of the room reads the current item's notes in the room state, and the minutes draft puts
each item's notes under it (minutes/drafting.py). A save names the revision it started from: one
based on text that someone else has saved over meanwhile is refused, never silently lost.
"""

from __future__ import annotations

from flask_babel import format_number, lazy_gettext
from sqlalchemy import select, update

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting, MeetingStatus
from assembly.meetings.service import announce_change
from assembly.room.service import agenda, iso, not_live

NOTES_MAX = 20_000


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


def stale_notes() -> DomainError:
    return _error(
        "notes_stale",
        lazy_gettext(
            "Someone else saved these notes meanwhile. Their text is shown now; "
            "your version is kept beside it to copy from."
        ),
        409,
    )


def save_notes(
    meeting: Meeting, item_id: int, text: str, *, base_revision: int, by: User
) -> tuple[AgendaItem, bool]:
    """Replace the notes of one agenda item of the live meeting. Returns the item and whether
    they already said exactly this (nothing changes, no error)."""
    if meeting.status != MeetingStatus.LIVE:
        raise not_live()
    item = next((i for i in agenda(meeting) if i.id == item_id), None)
    if item is None:
        raise _error("unknown_item", lazy_gettext("This item is not on the meeting's agenda."), 404)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > NOTES_MAX:
        raise _error(
            "notes_too_long",
            lazy_gettext(
                "The notes can be at most %(limit)s characters long (these have %(count)s).",
                limit=format_number(NOTES_MAX),
                count=format_number(len(text)),
            ),
        )
    if item.notes == text:  # already so (a resend whose answer was lost): nothing to refuse
        return item, True
    # Compare and set in one statement: of two saves from the same revision, one wins and the
    # other finds the revision moved on (PostgreSQL re-checks the condition after the lock).
    saved = db.session.execute(
        update(AgendaItem)
        .where(AgendaItem.id == item.id, AgendaItem.notes_revision == base_revision)
        .values(
            notes=text,
            notes_revision=base_revision + 1,
            notes_saved_by_id=by.id,
            notes_saved_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:
        raise stale_notes()
    db.session.refresh(item)
    announce_change(meeting, roster=False)
    return item, False


def notes_state(meeting: Meeting) -> dict | None:
    """The current item's notes, for the room state: only that item's, since the state goes to
    every screen after every change (the other items' notes are in the minutes draft)."""
    if meeting.current_item_id is None:
        return None
    row = db.session.execute(
        select(
            AgendaItem.id,
            AgendaItem.notes,
            AgendaItem.notes_revision,
            AgendaItem.notes_saved_at,
            User.display_name,
        )
        .outerjoin(User, User.id == AgendaItem.notes_saved_by_id)
        .where(AgendaItem.id == meeting.current_item_id)
    ).one_or_none()
    if row is None:
        return None
    item_id, text, revision, saved_at, saved_by = row
    return {
        "item_id": item_id,
        "text": text,
        "revision": revision,
        "saved_by": saved_by,
        "saved_at": iso(saved_at),
    }
