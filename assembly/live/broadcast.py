"""Sends each meeting's room state to its screens, coalesced.

A change marks its meeting; a background task sends the state of marked meetings at most every
BROADCAST_INTERVAL_MS. With N people acting at once that is one message per screen per
interval instead of N (a broadcast per action sends N x N messages: see docs/realtime.md).
The state is read from the database after the change was committed.

Ballot counts (`poll_progress`) are paced by the room's size as well: at most
PROGRESS_MESSAGES_PER_SECOND messages a second per meeting, so a 30-person room sees each
count at once while a 2,000-screen room gets one a second, and a burst of 2,000 ballots is not
slowed by the 2,000 x 2,000 messages of its own progress.
"""

from __future__ import annotations

import logging
import threading
import time

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
        self._rosters: set[int] = set()
        self._progress: set[int] = set()
        self._next_progress: dict[int, float] = {}  # meeting -> when its counts may go again
        self._lock = threading.Lock()
        self._task = None
        self.app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self.app = app
        self._dirty = set()
        self._rosters = set()
        self._progress = set()
        self._next_progress = {}
        self._task = None

    @property
    def interval(self) -> float:
        return self.app.config["BROADCAST_INTERVAL_MS"] / 1000

    def _progress_pause(self, meeting_id: int) -> float:
        """How long the meeting's screens wait for the next count, by how many they are."""
        manager = socketio.server.manager
        screens = sum(1 for _ in manager.get_participants("/", room(meeting_id)))
        return max(self.interval, screens / self.app.config["PROGRESS_MESSAGES_PER_SECOND"])

    def mark(self, meeting_id: int, *, roster: bool = True) -> None:
        """Schedule the meeting's new state for its screens (call after committing).

        `roster=False` when attendance did not change: the staff's list is not resent.
        """
        if self.interval <= 0:
            self.send(meeting_id, roster=roster)
            return
        with self._lock:
            self._dirty.add(meeting_id)
            if roster:
                self._rosters.add(meeting_id)
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
                due, self._dirty = self._dirty, set()
                rosters, self._rosters = self._rosters, set()
                # A full state carries the counts too; other counts wait for their room's turn.
                waiting = self._progress - due
                counts = {m for m in waiting if self._next_progress.get(m, 0.0) <= now}
                self._progress = waiting - counts
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
                    self._next_progress[meeting_id] = now + self._progress_pause(meeting_id)
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
