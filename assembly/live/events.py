"""The socket protocol's plumbing, shared by every feature's handlers (room, voting, ...).

`live_event` registers a handler: it checks the payload is an object, acknowledges with
{"ok": true, ...} or {"ok": false, "error": {...}}, sends a refused event's sender an `error`
event, schedules the broadcasts of what the handler committed, and frees the database session
(Flask's request teardown does not run for socket events). See docs/realtime.md.
"""

from __future__ import annotations

import functools
import logging
from datetime import date

from flask import request
from flask_babel import lazy_gettext
from flask_login import current_user
from flask_socketio import emit, join_room
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from assembly.core.errors import DomainError
from assembly.extensions import db, socketio
from assembly.live.broadcast import person_room, send_committed

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
                answer = {"ok": True, **(fn(payload) or {})}
                send_committed()
                return answer
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


def int_field(payload: dict, key: str, *, required: bool = True) -> int | None:
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


def choice_field(payload: dict, key: str, options, default=None):
    value = payload.get(key, default)
    if value not in options:
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    return value


def date_field(payload: dict, key: str) -> date | None:
    """An ISO date (`2026-12-01`), or None when absent or empty."""
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


def text_field(payload: dict, key: str, limit: int, *, required: bool = False) -> str | None:
    """A string of at most `limit` characters; None when absent and not required."""
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field=key))
    return value


@socketio.on("connect")
def connect(auth=None):
    # The projector connects without an account; everything it may do is checked on `join`.
    if current_user.is_authenticated:
        join_room(person_room(current_user.id))
        request.environ[USER_ID] = current_user.id
    db.session.remove()
