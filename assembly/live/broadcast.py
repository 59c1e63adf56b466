"""Sends each meeting's room state to its screens, coalesced.

A change marks its meeting; a background task sends the state of marked meetings at most every
BROADCAST_INTERVAL_MS. With N people acting at once that is one message per screen per
interval instead of N (a broadcast per action sends N x N messages: see docs/realtime.md).
The state is read from the database after the change was committed.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from assembly.extensions import db, socketio

log = logging.getLogger(__name__)


_TOUCHED = "assembly.touched_meetings"


def touch(meeting) -> None:
    """Record a change the room will see: bump the version, send the state after the commit."""
    from assembly.meetings.models import Meeting

    meeting.version = Meeting.version + 1
    db.session.info.setdefault(_TOUCHED, set()).add(meeting.id)


def send_touched() -> None:
    """After a request or event committed: schedule the state of every meeting it changed."""
    for meeting_id in db.session.info.pop(_TOUCHED, ()):
        broadcaster.mark(meeting_id)


def forget_touched() -> None:
    db.session.info.pop(_TOUCHED, None)


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def staff_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:staff"


def person_room(user_id: int) -> str:
    return f"user:{user_id}"


class Broadcaster:
    def __init__(self) -> None:
        self._dirty: set[int] = set()
        self._lock = threading.Lock()
        self._task = None
        self.app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self.app = app
        self._dirty = set()
        self._task = None

    @property
    def interval(self) -> float:
        return self.app.config["BROADCAST_INTERVAL_MS"] / 1000

    def mark(self, meeting_id: int) -> None:
        """Schedule the meeting's new state for its screens (call after committing)."""
        if self.interval <= 0:
            self.send(meeting_id)
            return
        with self._lock:
            self._dirty.add(meeting_id)
            if self._task is None:
                self._task = socketio.start_background_task(self._run)

    def _run(self) -> None:
        while True:
            socketio.sleep(self.interval)
            with self._lock:
                due, self._dirty = self._dirty, set()
            for meeting_id in due:
                try:
                    with self.app.app_context():
                        try:
                            self.send(meeting_id)
                        finally:
                            db.session.remove()
                except Exception:  # one bad meeting must not stop the others' updates
                    log.exception("Broadcasting meeting %s failed", meeting_id)

    def send(self, meeting_id: int) -> None:
        from assembly.live.service import room_state, roster
        from assembly.meetings.models import Meeting

        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None:
            return
        socketio.emit("state", room_state(meeting), to=room(meeting_id))
        socketio.emit(
            "roster",
            {"meeting_id": meeting_id, "people": roster(meeting)},
            to=staff_room(meeting_id),
        )


broadcaster = Broadcaster()
