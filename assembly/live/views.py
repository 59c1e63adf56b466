"""Pages of the live room: the room itself, the projector, and participation figures."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.permissions import Action, authorise_meeting, can_in_meeting

bp = Blueprint("live", __name__)


def meeting_in(slug: str, meeting_id: int) -> Meeting | None:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.organisation.slug != slug:
        return None
    return meeting


@bp.get("/o/<slug>/meetings/<int:meeting_id>/live")
@login_required
def room(slug: str, meeting_id: int):
    meeting = meeting_in(slug, meeting_id)
    authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
    return render_template(
        "live/room.html",
        meeting=meeting,
        organisation=meeting.organisation,
        can_run=can_in_meeting(current_user, Action.RUN_MEETINGS, meeting),
        can_record=can_in_meeting(current_user, Action.RECORD_ATTENDANCE, meeting),
    )


@bp.get("/projector/<token>")
def projector(token: str):
    meeting = db.session.scalar(select(Meeting).where(Meeting.projector_token == token))
    if meeting is None:
        abort(404)
    return render_template("live/projector.html", meeting=meeting, token=token)
