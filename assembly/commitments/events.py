"""Socket.IO handlers for commitments in the live room: thin. Rules live in
commitments/service.py, rights in permissions.py, the plumbing in live/events.py (see
docs/realtime.md). Every screen of the organisation's live meetings hears of a change through
`commitment_changed` once it commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assembly.accounts.models import User
from assembly.commitments import service
from assembly.commitments.models import Commitment, CommitmentStatus, TimeFrame
from assembly.extensions import db
from assembly.live.events import BadPayload, choice_field, int_field, live_event
from assembly.meetings.models import Meeting
from assembly.permissions import (
    Action,
    authorise_commitment,
    authorise_meeting,
    authorise_recording_commitments,
    can_in_meeting,
)
from assembly.room.service import not_live
from assembly.voting.models import Decision, Poll

CLIENT_ID_MAX = 64
OWNERS_MAX = 20


def _bad(field: str) -> BadPayload:
    return BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=field))


def _text(payload: dict, key: str, limit: int, *, required: bool = False) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(key)
    return value


def _date(payload: dict, key: str) -> date | None:
    value = payload.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) != 10:
        raise _bad(key)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(key) from None


def _flag(payload: dict, key: str) -> bool:
    value = payload.get(key, False)
    if not isinstance(value, bool):
        raise _bad(key)
    return value


def _owners(payload: dict) -> list[service.OwnerChoice]:
    """Owners as the room's select names them (`u:7`, or `o:3:7` for a person of a member
    organisation of a network): one, or a list."""
    value = payload.get("owners")
    keys = [value] if isinstance(value, str) else value
    if not isinstance(keys, list) or len(keys) > OWNERS_MAX:
        raise _bad("owners")
    if not all(isinstance(k, str) and len(k) <= 40 for k in keys):
        raise _bad("owners")
    return [service.OwnerChoice.parse(k) for k in keys]


def _source(payload: dict, meeting: Meeting) -> tuple[str, int]:
    """A decision just taken (named by its decision or its poll), else the item under way,
    else the meeting itself. Another meeting's decision or poll is not found."""
    decision_id = int_field(payload, "decision_id", required=False)
    poll_id = int_field(payload, "poll_id", required=False)
    if decision_id is not None:
        decision = db.session.get(Decision, decision_id)
        if decision is None or decision.meeting_id != meeting.id:
            raise service.NotFound()
        return "decision", decision.id
    if poll_id is not None:
        poll = db.session.get(Poll, poll_id)
        if poll is None or poll.meeting_id != meeting.id:
            raise service.NotFound()
        decision_id = db.session.scalar(
            select(Decision.id).where(Decision.poll_id == poll.id).order_by(Decision.id).limit(1)
        )
        return ("decision", decision_id) if decision_id else ("poll", poll.id)
    if meeting.current_item_id is not None:
        return "agenda_item", meeting.current_item_id
    return "meeting", meeting.id


def _record(payload: dict, meeting: Meeting, client_id: str | None) -> dict:
    if client_id is not None:
        earlier = service.recorded_by_client(current_user, client_id)
        if earlier is not None:
            db.session.rollback()
            return {"commitment_id": earlier.id, "already": True}
    commitment = service.create_commitment(
        meeting.organisation,
        what=_text(payload, "what", service.WHAT_MAX, required=True),
        owners=_owners(payload),
        due_on=_date(payload, "due_on"),
        time_frame=TimeFrame(choice_field(payload, "time_frame", list(TimeFrame), "short")),
        made_by=db.session.get(User, current_user.id),
        source=_source(payload, meeting),
        confirm_past=_flag(payload, "confirm_past"),
        client_id=client_id,
    )
    db.session.commit()
    return {"commitment_id": commitment.id}


@live_event("commitment_record")
def commitment_record(payload: dict):
    """The meeting's facilitator or secretary records who does what by when."""
    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_recording_commitments(current_user, meeting)
    if meeting.status != "live":
        raise not_live()
    client_id = _text(payload, "client_id", CLIENT_ID_MAX)
    if client_id is not None and not client_id.strip():
        raise _bad("client_id")
    try:
        return _record(payload, meeting, client_id)
    except IntegrityError:
        # A simultaneous resend won at the unique index: answer as it was answered.
        db.session.rollback()
        if client_id is None:
            raise
        return _record(payload, meeting, client_id)


@live_event("commitment_update")
def commitment_update(payload: dict):
    """A status, a renegotiated due date or a progress note: staff for any commitment of the
    organisation, an owner for their own (and, in its room, the meeting's named staff)."""
    commitment = db.session.get(Commitment, int_field(payload, "commitment_id"))
    meeting_id = int_field(payload, "meeting_id", required=False)
    meeting = db.session.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting_id is not None:
        authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
        if commitment is None or commitment.organisation_id != meeting.organisation_id:
            raise service.NotFound()
    named_staff = meeting is not None and can_in_meeting(
        current_user, Action.RECORD_ATTENDANCE, meeting
    )
    authorise_commitment(current_user, commitment, update=not named_staff)
    status = payload.get("status")
    if status is not None and status not in list(CommitmentStatus):
        raise _bad("status")
    service.update_commitment(
        commitment,
        actor=db.session.get(User, current_user.id),
        status=status,
        due_on=_date(payload, "due_on"),
        note=_text(payload, "note", service.NOTE_MAX) or "",
    )
    db.session.commit()
    return {"commitment_id": commitment.id, "status": commitment.status.value}
