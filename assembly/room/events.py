"""Socket.IO handlers of the live room: thin. Rules live in room/service.py, rights in
permissions.py, the protocol's plumbing in live/events.py (see docs/realtime.md).
"""

from __future__ import annotations

import functools

from flask_babel import lazy_gettext
from flask_login import current_user
from flask_socketio import join_room
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db, socketio
from assembly.live.broadcast import person_room, room, staff_room
from assembly.live.events import BadPayload, choice_field, int_field, live_event, text_field
from assembly.meetings.models import CheckInMethod, FloorKind, Meeting, MeetingKind
from assembly.permissions import Action, authorise_meeting, can_in_meeting
from assembly.room import notes, service


def _meeting(payload: dict, action: Action) -> Meeting:
    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_meeting(current_user, action, meeting)
    return meeting


def _person(payload: dict, key: str, meeting: Meeting, action_for_others: Action) -> User:
    """The person an event is about: the sender, or someone else if the sender may act for them."""
    user_id = int_field(payload, key, required=False)
    if user_id is None or user_id == current_user.id:
        return db.session.get(User, current_user.id)
    authorise_meeting(current_user, action_for_others, meeting)
    person = db.session.get(User, user_id)
    if person is None:
        raise DomainError(
            lazy_gettext("This person is not a member who can take part in this meeting."),
            code="not_a_participant",
            status=404,
        )
    return person


def _changed(meeting: Meeting, *people: User) -> dict:
    """After a change: commit and tell the people concerned (the room hears of it through
    the change's signal once committed)."""
    db.session.commit()
    for person in {p.id: p for p in people}.values():
        socketio.emit("you", service.personal_state(meeting, person), to=person_room(person.id))
    return {"version": meeting.version}


def _unchanged(meeting: Meeting) -> dict:
    """A repeated action found what it asks for already done: success, nothing new to send."""
    db.session.rollback()
    return {"version": meeting.version, "already": True}


def _settled(handler):
    """Run `handler` (it commits); if a simultaneous twin (a double tap on a slow network) won
    the race at the database's unique index, run it again once: it then finds the twin's work
    done and answers as the twin would have, instead of with a false error."""

    @functools.wraps(handler)
    def run(payload: dict):
        try:
            return handler(payload)
        except IntegrityError:
            db.session.rollback()
            return handler(payload)

    return run


@live_event("join")
def join(payload: dict) -> dict:
    token = payload.get("projector_token")
    if token is not None:
        meeting = (
            db.session.scalar(select(Meeting).where(Meeting.projector_token == str(token)[:64]))
            if isinstance(token, str)
            else None
        )
        if meeting is None:
            raise DomainError(
                lazy_gettext("This projector link is not valid."), code="not_found", status=404
            )
        join_room(room(meeting.id))
        return {"state": service.room_state(meeting), **_board(meeting, None, staff=False)}
    meeting = _meeting(payload, Action.VIEW_MEETINGS)
    join_room(room(meeting.id))
    answer = {"state": service.room_state(meeting)}
    if can_in_meeting(current_user, Action.RECORD_ATTENDANCE, meeting):
        join_room(staff_room(meeting.id))
        answer["roster"] = service.roster(meeting)
    me = db.session.get(User, current_user.id)
    answer["you"] = service.personal_state(meeting, me)
    staff = can_in_meeting(current_user, Action.GROUP_CARDS, meeting)
    return {**answer, **_board(meeting, me, staff=staff)}


def _board(meeting: Meeting, viewer: User | None, *, staff: bool) -> dict:
    """A workshop's whole board, with the state: a screen coming back has everything at once."""
    if meeting.kind != MeetingKind.WORKSHOP:
        return {}
    from assembly.workshops.service import board_state

    return {"board": board_state(meeting, viewer, staff=staff)}


@live_event("present_people")
def present_people(payload: dict):
    """Who is in the room now: for an absent member choosing who holds their proxy."""
    meeting = _meeting(payload, Action.TAKE_PART)
    return {"people": service.present_people(meeting)}


@live_event("meeting_start")
def meeting_start(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.start_meeting(meeting)
    return _changed(meeting)


@live_event("meeting_end")
def meeting_end(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.end_meeting(meeting)
    answer = _changed(meeting)
    if meeting.series_id is not None:
        from assembly.meetings.service import schedule_series

        schedule_series(meeting.series, utcnow())
        db.session.commit()
    return answer


@live_event("item_go")
def item_go(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.go_to_item(meeting, int_field(payload, "item_id"))
    return _changed(meeting)


@live_event("item_next")
def item_next(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.next_item(meeting)
    return _changed(meeting)


@live_event("timer")
def timer(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.timer(meeting, choice_field(payload, "action", service.TIMER_ACTIONS))
    return _changed(meeting)


@live_event("check_in")
@_settled
def check_in(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    person = _person(payload, "user_id", meeting, Action.RECORD_ATTENDANCE)
    own = person.id == current_user.id
    if own:
        method = CheckInMethod(choice_field(payload, "method", ("self", "qr"), "self"))
    else:
        method = CheckInMethod.FACILITATOR
    _record, already = service.check_in(meeting, person, by=current_user, method=method)
    answer = _unchanged(meeting) if already else _changed(meeting, person)
    # `you` is the sender's own situation: staff checking someone else in get the roster.
    return {**answer, "you": service.personal_state(meeting, person)} if own else answer


@live_event("check_out")
def check_out(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    person = _person(payload, "user_id", meeting, Action.RECORD_ATTENDANCE)
    holders = [p.holder for p in service.active_proxies(meeting, holder_id=person.id)]
    if service.check_out(meeting, person):
        return _unchanged(meeting)
    return _changed(meeting, person, *holders)


@live_event("proxy_grant")
def proxy_grant(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    grantor = _person(payload, "grantor_id", meeting, Action.RECORD_ATTENDANCE)
    holder = db.session.get(User, int_field(payload, "holder_id"))
    if holder is None:
        raise DomainError(
            lazy_gettext("This person is not a member who can take part in this meeting."),
            code="not_a_participant",
            status=404,
        )
    service.grant_proxy(meeting, grantor, holder, by=current_user)
    return _changed(meeting, grantor, holder)


@live_event("proxy_revoke")
def proxy_revoke(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    grantor = _person(payload, "grantor_id", meeting, Action.RECORD_ATTENDANCE)
    holders = [p.holder for p in service.active_proxies(meeting, grantor_id=grantor.id)]
    service.revoke_proxy(meeting, grantor)
    return _changed(meeting, grantor, *holders)


@live_event("floor_request")
@_settled
def floor_request(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    kind = FloorKind(choice_field(payload, "kind", [k.value for k in FloorKind], "contribution"))
    request, already = service.request_floor(meeting, db.session.get(User, current_user.id), kind)
    if already:
        request_id = request.id
        return {**_unchanged(meeting), "request_id": request_id}
    return {**_changed(meeting), "request_id": request.id}


@live_event("floor_withdraw")
def floor_withdraw(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    if service.withdraw_floor(meeting, db.session.get(User, current_user.id)):
        return _unchanged(meeting)
    return _changed(meeting)


@live_event("floor_next")
def floor_next(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    speech = service.call_next(meeting)
    answer = _changed(meeting)
    return {**answer, "speaker_id": speech.user_id}


@live_event("floor_end")
def floor_end(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.end_speech(meeting)
    return _changed(meeting)


@live_event("notes_save")
def notes_save(payload: dict):
    """The secretary saves an agenda item's notes, from the revision their text started at."""
    meeting = _meeting(payload, Action.EDIT_MINUTES)
    base = payload.get("revision")
    if isinstance(base, bool) or not isinstance(base, int) or not 0 <= base < 2**31:
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="revision")
        )
    # Past the limit, the service says so plainly; far past it, the request is not notes at all.
    text = text_field(payload, "text", 4 * notes.NOTES_MAX, required=True)
    item, already = notes.save_notes(
        meeting,
        int_field(payload, "item_id"),
        text,
        base_revision=base,
        by=db.session.get(User, current_user.id),
    )
    revision = item.notes_revision
    answer = _unchanged(meeting) if already else _changed(meeting)
    return {**answer, "revision": revision}
