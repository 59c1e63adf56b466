"""Socket.IO handler of the commitments review in the room: thin. Rules live in
commitments/review.py, rights in permissions.py (see docs/realtime.md)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext
from flask_login import current_user

from assembly.accounts.models import User
from assembly.commitments import review
from assembly.commitments.models import CommitmentStatus
from assembly.extensions import db
from assembly.live.events import BadPayload, choice_field, int_field, live_event
from assembly.meetings.models import Meeting
from assembly.permissions import Action, authorise_meeting

NOTE_FIELD_MAX = 2000


def _date_field(payload: dict, key: str) -> date | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field=key)
        ) from None


def _note_field(payload: dict) -> str:
    note = payload.get("note", "")
    if note is None:
        return ""
    if not isinstance(note, str):
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field="note"))
    return note


@live_event("commitment_review")
def commitment_review(payload: dict):
    """The meeting's staff (those who record attendance: facilitator, secretary, admin, the
    meeting's named facilitator or secretary) record what the review decided about one."""
    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_meeting(current_user, Action.RECORD_ATTENDANCE, meeting)
    commitment_id = int_field(payload, "commitment_id")
    status = choice_field(payload, "status", [None, *(s.value for s in CommitmentStatus)])
    row = review.review_commitment(
        meeting,
        commitment_id,
        actor=db.session.get(User, current_user.id),
        status=CommitmentStatus(status) if status else None,
        due_on=_date_field(payload, "due_on"),
        note=_note_field(payload),
    )
    outcome = row.outcome.value
    db.session.commit()
    return {"version": meeting.version, "commitment_id": commitment_id, "outcome": outcome}
