"""Sends each meeting's room state to its screens, coalesced.

A change marks its meeting; a background task sends the state of marked meetings at most every
BROADCAST_INTERVAL_MS. With N people acting at once that is one message per screen per
interval instead of N (a broadcast per action sends N x N messages: see docs/realtime.md).
The state is read from the database after the change was committed.

Rooms are also paced by their size: at most ROOM_MESSAGES_PER_SECOND messages a second per
meeting, so a 30-screen room gets every update within 150 ms while a 2,000-screen room gets one a
second, and a burst of 2,000 ballots or check-ins is not slowed down by the 2,000 x 2,000
messages of its own updates. A poll opening or closing is never held back (`urgent`).
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask

from assembly.extensions import db, socketio

log = logging.getLogger(__name__)


_TOUCHED = "assembly.touched_meetings"


_URGENT = "assembly.urgent_meetings"


def touch(meeting, *, urgent: bool = False) -> None:
    """Record a change the room will see: bump the version, send the state after the commit.

    `urgent` for what every screen needs at once whatever the room's size (a poll opening).
    """
    from assembly.meetings.models import Meeting

    meeting.version = Meeting.version + 1
    db.session.info.setdefault(_TOUCHED, set()).add(meeting.id)
    if urgent:
        db.session.info.setdefault(_URGENT, set()).add(meeting.id)


def send_touched() -> None:
    """After a request or event committed: schedule the state of every meeting it changed."""
    urgent = db.session.info.pop(_URGENT, set())
    for meeting_id in db.session.info.pop(_TOUCHED, ()):
        broadcaster.mark(meeting_id, urgent=meeting_id in urgent)


def forget_touched() -> None:
    db.session.info.pop(_TOUCHED, None)
    db.session.info.pop(_URGENT, None)


def room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def staff_room(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:staff"


def person_room(user_id: int) -> str:
    return f"user:{user_id}"


class Broadcaster:
    def __init__(self) -> None:
        self._dirty: set[int] = set()
        self._rosters: set[int] = set()
        self._progress: set[int] = set()
        self._urgent: set[int] = set()
        self._next_send: dict[int, float] = {}  # meeting -> when its room may get more
        self._lock = threading.Lock()
        self._task = None
        self.app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self.app = app
        self._dirty = set()
        self._rosters = set()
        self._progress = set()
        self._urgent = set()
        self._next_send = {}
        self._task = None

    @property
    def interval(self) -> float:
        return self.app.config["BROADCAST_INTERVAL_MS"] / 1000

    def _room_pause(self, meeting_id: int) -> float:
        """How long the meeting's screens wait for their next update, by how many they are.

        Counted in this process: with several processes each sends to its own share of the room.
        """
        manager = socketio.server.manager
        screens = sum(1 for _ in manager.get_participants("/", room(meeting_id)))
        return max(self.interval, screens / self.app.config["ROOM_MESSAGES_PER_SECOND"])

    def mark(self, meeting_id: int, *, roster: bool = True, urgent: bool = False) -> None:
        """Schedule the meeting's new state for its screens (call after committing).

        `roster=False` when attendance did not change: the staff's list is not resent.
        `urgent`: at the next tick, even if the room had an update a moment ago.
        """
        if self.interval <= 0:
            self.send(meeting_id, roster=roster)
            return
        with self._lock:
            self._dirty.add(meeting_id)
            if roster:
                self._rosters.add(meeting_id)
            if urgent:
                self._urgent.add(meeting_id)
            self._start()

    def mark_progress(self, meeting_id: int) -> None:
        """Ballots came in: only the polls' counts changed, so send just those (a few bytes)."""
        if self.interval <= 0:
            self.send_progress(meeting_id)
            return
        with self._lock:
            self._progress.add(meeting_id)
            self._start()

    def _start(self) -> None:
        if self._task is None:
            self._task = socketio.start_background_task(self._run)

    def _run(self) -> None:
        pause = self.interval
        while True:
            socketio.sleep(pause)
            now = time.monotonic()
            with self._lock:
                turn = {m for m in self._dirty | self._progress if self._next_send.get(m, 0) <= now}
                due = self._dirty & (turn | self._urgent)
                self._dirty -= due
                self._urgent -= due
                rosters = self._rosters & due
                self._rosters -= due
                # A full state carries the counts too; other counts wait for their room's turn.
                counts = (self._progress & turn) - due
                self._progress -= due | counts
            started = time.perf_counter()
            for meeting_id, only_counts in [(m, False) for m in due] + [(m, True) for m in counts]:
                try:
                    with self.app.app_context():
                        try:
                            if only_counts:
                                self.send_progress(meeting_id)
                            else:
                                self.send(meeting_id, roster=meeting_id in rosters)
                        finally:
                            db.session.remove()
                    self._next_send[meeting_id] = now + self._room_pause(meeting_id)
                except Exception:  # one bad meeting must not stop the others' updates
                    log.exception("Broadcasting meeting %s failed", meeting_id)
            # Sending to thousands of screens takes time of its own: keep it to a third of the
            # server's time, so a burst of ballots is never starved by the updates it causes.
            pause = max(self.interval, 2 * (time.perf_counter() - started))

    def send_progress(self, meeting_id: int) -> None:
        from assembly.voting.service import open_poll_progress

        socketio.emit("poll_progress", open_poll_progress(meeting_id), to=room(meeting_id))

    def send(self, meeting_id: int, *, roster: bool = True) -> None:
        from assembly.live.service import room_state
        from assembly.live.service import roster as attendance_list
        from assembly.meetings.models import Meeting

        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None:
            return
        socketio.emit("state", room_state(meeting), to=room(meeting_id))
        if roster:
            socketio.emit(
                "roster",
                {"meeting_id": meeting_id, "people": attendance_list(meeting)},
                to=staff_room(meeting_id),
            )


broadcaster = Broadcaster()
