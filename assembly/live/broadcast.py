"""Sends each meeting's room state to its screens, coalesced.

Services announce changes through `core.signals.room_changed` inside their transaction; the
change is kept on the database session and scheduled only once that transaction commits (a
rollback forgets it), at the end of the request, socket event or writer batch that made it.

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
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from assembly.core import signals
from assembly.extensions import db, socketio

log = logging.getLogger(__name__)


_PENDING = "assembly.room_changes"  # announced in the open transaction
_COMMITTED = "assembly.room_changes_committed"  # committed, not yet scheduled


def _merge(into: dict, changes: dict) -> None:
    for meeting_id, (urgent, roster) in changes.items():
        was_urgent, had_roster = into.get(meeting_id, (False, False))
        into[meeting_id] = (was_urgent or urgent, had_roster or roster)


@signals.room_changed.connect
def _record(meeting, *, urgent: bool = False, roster: bool = True, **_extra) -> None:
    _merge(db.session.info.setdefault(_PENDING, {}), {meeting.id: (urgent, roster)})


# A board's changes: meeting -> {"cards": set, "topics": set, "questions": set, "settings": bool}.
_BOARD_PENDING = "assembly.board_changes"
_BOARD_COMMITTED = "assembly.board_changes_committed"
_BOARD_KINDS = ("cards", "topics", "questions")


def _merge_board(into: dict, changes: dict) -> None:
    for meeting_id, changed in changes.items():
        held = into.setdefault(
            meeting_id, {k: set() for k in (*_BOARD_KINDS, "versions")} | {"settings": False}
        )
        for kind in _BOARD_KINDS:
            held[kind] |= set(changed.get(kind, ()))
        # The board versions these changes made: a screen that misses one asks for the board.
        held["versions"] |= set(changed.get("versions", ()))
        if changed.get("version") is not None:
            held["versions"].add(changed["version"])
        held["settings"] = held["settings"] or bool(changed.get("settings"))


@signals.board_changed.connect
def _record_board(meeting, **changed) -> None:
    _merge_board(db.session.info.setdefault(_BOARD_PENDING, {}), {meeting.id: changed})


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        _merge(session.info.setdefault(_COMMITTED, {}), pending)
    board = session.info.pop(_BOARD_PENDING, None)
    if board:
        _merge_board(session.info.setdefault(_BOARD_COMMITTED, {}), board)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_BOARD_PENDING, None)


def send_committed() -> None:
    """Schedule what every meeting whose change the session has committed needs: its new
    state, and what changed on its workshop board."""
    # What was committed stays done: a failure to tell the screens is logged, never reported
    # to the sender as a failure of their action.
    for meeting_id, (urgent, roster) in db.session.info.pop(_COMMITTED, {}).items():
        try:
            broadcaster.mark(meeting_id, urgent=urgent, roster=roster)
        except Exception:
            log.exception("Scheduling the state of meeting %s failed", meeting_id)
    for meeting_id, changed in db.session.info.pop(_BOARD_COMMITTED, {}).items():
        try:
            broadcaster.mark_board(meeting_id, changed)
        except Exception:
            log.exception("Scheduling the board of meeting %s failed", meeting_id)


@signals.commitment_changed.connect
def _commitment_changed(commitment, **_extra) -> None:
    """Every live meeting of the commitment's organisation shows its commitments: each gets
    a new version, sent once this transaction commits (as any room change)."""
    from assembly.meetings.models import Meeting, MeetingStatus
    from assembly.meetings.service import announce_change

    live = db.session.scalars(
        select(Meeting).where(
            Meeting.organisation_id == commitment.organisation_id,
            Meeting.status == MeetingStatus.LIVE,
        )
    )
    for meeting in live:
        announce_change(meeting, roster=False)


@signals.ballots_counted.connect
def _counted(_writer, *, meeting_ids=(), **_extra) -> None:
    send_committed()  # a close announced the meeting's change: the result goes out at once
    for meeting_id in meeting_ids:
        broadcaster.mark_progress(meeting_id)


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
        self._boards: dict[int, dict] = {}  # meeting -> what changed on its board
        self._next_send: dict[int, float] = {}  # meeting -> when its room may get more
        self._lock = threading.Lock()
        self._task = None
        self.app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self.app = app

        @app.after_request
        def broadcast_committed_changes(response):
            send_committed()
            return response

        self._dirty = set()
        self._rosters = set()
        self._progress = set()
        self._urgent = set()
        self._boards = {}
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

    def mark_board(self, meeting_id: int, changed: dict) -> None:
        """Cards, topics or questions of the meeting's board changed: send just those."""
        if self.interval <= 0:
            self.send_board(meeting_id, changed)
            return
        with self._lock:
            _merge_board(self._boards, {meeting_id: changed})
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
                waiting = self._dirty | self._progress | set(self._boards)
                turn = {m for m in waiting if self._next_send.get(m, 0) <= now}
                due = self._dirty & (turn | self._urgent)
                self._dirty -= due
                self._urgent -= due
                rosters = self._rosters & due
                self._rosters -= due
                # A full state carries the counts too; other counts wait for their room's turn.
                counts = (self._progress & turn) - due
                self._progress -= due | counts
                boards = {m: self._boards.pop(m) for m in turn & set(self._boards)}
            started = time.perf_counter()
            sends = [(m, "state") for m in due] + [(m, "counts") for m in counts]
            sends += [(m, "board") for m in boards]
            for meeting_id, what in sends:
                try:
                    with self.app.app_context():
                        try:
                            if what == "counts":
                                self.send_progress(meeting_id)
                            elif what == "board":
                                self.send_board(meeting_id, boards[meeting_id])
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

    def send_board(self, meeting_id: int, changed: dict) -> None:
        from assembly.meetings.models import Meeting
        from assembly.workshops.service import board_delta

        meeting = db.session.get(Meeting, meeting_id)
        if meeting is None:
            return
        public, staff = board_delta(
            meeting,
            cards=changed.get("cards", ()),
            topics=changed.get("topics", ()),
            questions=changed.get("questions", ()),
            settings=changed.get("settings", False),
        )
        public["versions"] = sorted(changed.get("versions", ()))
        if staff is not None:
            staff["versions"] = public["versions"]
        socketio.emit("board_changes", public, to=room(meeting_id))
        if staff is not None:
            socketio.emit("board_changes", staff, to=staff_room(meeting_id))

    def send(self, meeting_id: int, *, roster: bool = True) -> None:
        from assembly.meetings.models import Meeting
        from assembly.room.service import room_state
        from assembly.room.service import roster as attendance_list

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
