"""Pages of the live room: the room itself, the projector, and participation figures."""

from __future__ import annotations

import segno
from flask import Blueprint, abort, make_response, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select

from assembly.commitments.service import owner_options
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import Action, authorise, authorise_meeting, can_in_meeting
from assembly.room import service
from assembly.room.notes import NOTES_MAX
from assembly.room.participation import meeting_figures, organisation_trend
from assembly.room.wording import quorum_text, room_js_plurals

bp = Blueprint("room", __name__)
bp.add_app_template_global(quorum_text)
bp.add_app_template_global(room_js_plurals)


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
    can_record = can_in_meeting(current_user, Action.RECORD_ATTENDANCE, meeting)
    return render_template(
        "room/room.html",
        meeting=meeting,
        organisation=meeting.organisation,
        can_run=can_in_meeting(current_user, Action.RUN_MEETINGS, meeting),
        can_record=can_record,
        # Who may answer for a commitment recorded here (the same rule as recording them).
        commitment_owners=owner_options(meeting.organisation) if can_record else [],
        can_group=can_in_meeting(current_user, Action.GROUP_CARDS, meeting),
        # The live notes go into the minutes draft: those who edit the minutes write them.
        can_write_notes=can_in_meeting(current_user, Action.EDIT_MINUTES, meeting),
        notes_max=NOTES_MAX,
        # Only what can be done is offered: a network's meetings have no proxies.
        proxies=not service.by_organisations(meeting),
    )


@bp.get("/projector/<token>")
def projector(token: str):
    meeting = db.session.scalar(select(Meeting).where(Meeting.projector_token == token[:64]))
    if meeting is None:
        abort(404)
    check_in_url = url_for(
        "room.room",
        slug=meeting.organisation.slug,
        meeting_id=meeting.id,
        checkin="qr",
        _external=True,
    )
    qr = segno.make(check_in_url, error="m")
    svg = qr.svg_inline(scale=6, dark="#1b1b1f", light="#ffffff", border=2, omitsize=True)
    response = make_response(
        render_template(
            "room/projector.html",
            meeting=meeting,
            token=token,
            check_in_url=check_in_url,
            qr_svg=Markup(svg),
        )
    )
    # The secret is in the URL: keep it out of referrers and caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/o/<slug>/meetings/<int:meeting_id>/participation")
@login_required
def participation(slug: str, meeting_id: int):
    meeting = meeting_in(slug, meeting_id)
    authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
    return render_template(
        "room/participation.html",
        meeting=meeting,
        organisation=meeting.organisation,
        figures=meeting_figures(meeting),
    )


@bp.get("/o/<slug>/participation")
@login_required
def trend(slug: str):
    organisation = organisation_by_slug(slug)
    authorise(current_user, Action.VIEW_MEETINGS, organisation)
    return render_template(
        "room/trend.html", organisation=organisation, rows=organisation_trend(organisation)
    )
