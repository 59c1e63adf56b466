"""Socket.IO handlers of the live room: thin. Rules live in live/service.py, rights in
permissions.py. Every handler answers with an acknowledgement ({"ok": true, ...} or
{"ok": false, "error": {...}}); a refused event also gets an `error` event and changes nothing.
The protocol is documented in docs/realtime.md.
"""

from __future__ import annotations

import functools
import logging

from flask import request
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_socketio import emit, join_room
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db, socketio
from assembly.live import service
from assembly.live.broadcast import (
    forget_touched,
    person_room,
    room,
    send_touched,
    staff_room,
)
from assembly.meetings.models import CheckInMethod, FloorKind, Meeting
from assembly.permissions import Action, authorise_meeting, can_in_meeting

log = logging.getLogger(__name__)


class BadPayload(DomainError):
    code = "bad_payload"

    def default_message(self):
        return lazy_gettext("The request is malformed.")


def _error_body(event: str, error: Exception) -> dict:
    if isinstance(error, DomainError):
        return {"event": event, "code": error.code, "status": error.status, "message": str(error)}
    if isinstance(error, IntegrityError):  # a simultaneous duplicate lost the race
        message = lazy_gettext("Someone changed this at the same time. Please try again.")
        return {"event": event, "code": "conflict", "status": 409, "message": str(message)}
    if isinstance(error, HTTPException):
        messages = {
            403: lazy_gettext("You do not have permission to do this."),
            404: lazy_gettext("We could not find this meeting."),
        }
        code = error.code or 400
        message = messages.get(code, error.description)
        return {
            "event": event,
            "code": error.name.lower().replace(" ", "_"),
            "status": code,
            "message": str(message),
        }
    message = lazy_gettext(
        "Something went wrong on our side. It has been logged; please try again."
    )
    return {"event": event, "code": "internal", "status": 500, "message": str(message)}


def refuse(name: str, error: Exception) -> dict:
    """Undo what the refused event began, tell its sender (an `error` event), and say why."""
    db.session.rollback()
    forget_touched()
    if not isinstance(error, DomainError | HTTPException | IntegrityError):
        log.exception("Socket event %s failed", name)
    body = _error_body(name, error)
    emit("error", body)
    return {"ok": False, "error": body}


def live_event(name: str):
    """Register a handler that validates, acknowledges, reports errors and frees the session."""

    def decorator(fn):
        @socketio.on(name)
        @functools.wraps(fn)
        def handler(payload=None, *_extra):
            try:
                if payload is None:
                    payload = {}
                if not isinstance(payload, dict):
                    raise BadPayload()
                return {"ok": True, **(fn(payload) or {})}
            except Exception as error:
                return refuse(name, error)
            finally:
                # Flask's request teardown does not run for socket events.
                db.session.remove()

        return handler

    return decorator


def in_request_context(app, sid: str, event: str, fn, *args):
    """Run `fn` as Flask-SocketIO runs a handler: in the sender's request context (their
    session, language and `current_user`), for handlers registered without one."""
    with app.request_context(socketio.server.get_environ(sid)):
        request.sid, request.namespace = sid, "/"
        request.event = {"message": event, "args": args}
        return fn(*args)


# Set on connect: who is behind a connection, for the handlers that run without a request
# context. The session cookie cannot change during a connection, so neither can this.
USER_ID = "assembly.user_id"


def _int(payload: dict, key: str, *, required: bool = True) -> int | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    if isinstance(value, str):
        if not value.isdigit():
            raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
        value = int(value)
    if not 0 < value < 2**31:
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    return value


def _choice(payload: dict, key: str, options, default=None):
    value = payload.get(key, default)
    if value not in options:
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    return value


def _meeting(payload: dict, action: Action) -> Meeting:
    meeting = db.session.get(Meeting, _int(payload, "meeting_id"))
    authorise_meeting(current_user, action, meeting)
    return meeting


def _person(payload: dict, key: str, meeting: Meeting, action_for_others: Action) -> User:
    """The person an event is about: the sender, or someone else if the sender may act for them."""
    user_id = _int(payload, key, required=False)
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
    """After a change: commit, tell the people concerned, schedule the room's new state."""
    db.session.commit()
    for person in {p.id: p for p in people}.values():
        socketio.emit("you", service.personal_state(meeting, person), to=person_room(person.id))
    send_touched()
    return {"version": meeting.version}


@socketio.on("connect")
def connect(auth=None):
    # The projector connects without an account; everything it may do is checked on `join`.
    if current_user.is_authenticated:
        join_room(person_room(current_user.id))
        request.environ[USER_ID] = current_user.id
    db.session.remove()


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
        return {"state": service.room_state(meeting)}
    meeting = _meeting(payload, Action.VIEW_MEETINGS)
    join_room(room(meeting.id))
    answer = {"state": service.room_state(meeting)}
    if can_in_meeting(current_user, Action.RECORD_ATTENDANCE, meeting):
        join_room(staff_room(meeting.id))
        answer["roster"] = service.roster(meeting)
    answer["you"] = service.personal_state(meeting, db.session.get(User, current_user.id))
    return answer


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
    service.go_to_item(meeting, _int(payload, "item_id"))
    return _changed(meeting)


@live_event("item_next")
def item_next(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.next_item(meeting)
    return _changed(meeting)


@live_event("timer")
def timer(payload: dict):
    meeting = _meeting(payload, Action.RUN_MEETINGS)
    service.timer(meeting, _choice(payload, "action", service.TIMER_ACTIONS))
    return _changed(meeting)


@live_event("check_in")
def check_in(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    person = _person(payload, "user_id", meeting, Action.RECORD_ATTENDANCE)
    if person.id == current_user.id:
        method = CheckInMethod(_choice(payload, "method", ("self", "qr"), "self"))
    else:
        method = CheckInMethod.FACILITATOR
    service.check_in(meeting, person, by=current_user, method=method)
    return {**_changed(meeting, person), "you": service.personal_state(meeting, person)}


@live_event("check_out")
def check_out(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    person = _person(payload, "user_id", meeting, Action.RECORD_ATTENDANCE)
    holders = [p.holder for p in service.active_proxies(meeting, holder_id=person.id)]
    service.check_out(meeting, person)
    return _changed(meeting, person, *holders)


@live_event("proxy_grant")
def proxy_grant(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    grantor = _person(payload, "grantor_id", meeting, Action.RECORD_ATTENDANCE)
    holder = db.session.get(User, _int(payload, "holder_id"))
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
def floor_request(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    kind = FloorKind(_choice(payload, "kind", [k.value for k in FloorKind], "contribution"))
    request = service.request_floor(meeting, db.session.get(User, current_user.id), kind)
    answer = _changed(meeting)
    return {**answer, "request_id": request.id}


@live_event("floor_withdraw")
def floor_withdraw(payload: dict):
    meeting = _meeting(payload, Action.TAKE_PART)
    service.withdraw_floor(meeting, db.session.get(User, current_user.id))
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
