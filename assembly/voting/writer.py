"""The ballot writer: one queue per process, group commit, acknowledgement after commit.

Handlers validate a ballot, then hand it here and wait. The writer takes everything queued,
stores it in one transaction, commits, and only then wakes each handler with its outcome
(so a ballot is acknowledged only once it is on disk, and one fsync serves many ballots).
Closing a poll goes through the same queue: every ballot queued before the close is counted;
any ballot after it is refused with "poll closed". Across processes the same holds through the
poll row: casting and closing both write it first, so the database orders them.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from assembly.core import signals
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db, socketio
from assembly.voting.models import Ballot, Poll, PollStatus, VoteRecord
from assembly.voting.sealing import scrub_after_close, seal
from assembly.voting.snapshot import forget

log = logging.getLogger(__name__)

MAX_BATCH = 5000


@dataclass
class Cast:
    poll_id: int
    voter_key: str
    cast_by_id: int
    choice: dict
    receipt: str
    meeting_id: int | None = None
    done: threading.Event = field(default_factory=threading.Event)
    outcome: dict | None = None
    error: DomainError | None = None


@dataclass
class Close:
    poll_id: int
    hands: dict | None = None  # a show of hands: the counts the facilitator took
    done: threading.Event = field(default_factory=threading.Event)
    outcome: dict | None = None
    error: Exception | None = None


class BallotWriter:
    def __init__(self) -> None:
        self.app: Flask | None = None
        self._queue: queue.Queue | None = None
        self._lock = threading.Lock()
        self._task = None
        self.batches = 0  # for the benchmark: how many transactions served the ballots

    def init_app(self, app: Flask) -> None:
        from assembly.voting import snapshot

        self.app = app
        self._queue = queue.Queue()
        self._task = None
        snapshot.clear()  # a new app may be a new database: no snapshot carries over

    def _ensure_running(self) -> None:
        with self._lock:
            if self._task is None:
                self._task = socketio.start_background_task(self._run, self._queue)

    def submit(self, operation, timeout: float = 30.0):
        """Queue an operation and wait until it is committed (or refused)."""
        self._ensure_running()
        self._queue.put(operation)
        if not operation.done.wait(timeout):
            raise DomainError(code="timeout", status=503)
        if operation.error is not None:
            raise operation.error
        return operation.outcome

    def _run(self, own_queue: queue.Queue) -> None:
        while True:
            batch = [own_queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(own_queue.get_nowait())
                except queue.Empty:
                    break
            with self.app.app_context():
                try:
                    self._process(batch)
                except Exception as error:  # never leave a voter waiting on a crash
                    log.exception("Ballot writer failed on a batch of %s", len(batch))
                    for operation in batch:
                        if not operation.done.is_set():
                            operation.error = error
                            operation.done.set()
                finally:
                    db.session.remove()

    def _process(self, batch: list) -> None:
        casts: list[Cast] = []
        for operation in batch:
            if isinstance(operation, Cast):
                casts.append(operation)
                continue
            self._write_casts(casts)
            casts = []
            self._close(operation)
        self._write_casts(casts)

    def _write_casts(self, casts: list[Cast]) -> None:
        if not casts:
            return
        try:
            self._store(casts)
            db.session.commit()
            self.batches += 1
        except (IntegrityError, DBAPIError):
            # Another process wrote one of these voters at the same moment: one at a time.
            db.session.rollback()
            for cast in casts:
                cast.outcome, cast.error = None, None
                try:
                    self._store([cast])
                    db.session.commit()
                except (IntegrityError, DBAPIError):
                    db.session.rollback()
                    self._store([cast])  # now sees the other process's row: a resend or a refusal
                    db.session.commit()
        # Screens hear of the new count no later than the voter hears their ballot is in.
        signals.ballots_counted.send(
            self, meeting_ids={c.meeting_id for c in casts if c.meeting_id is not None}
        )
        for cast in casts:
            cast.done.set()

    def _store(self, casts: list[Cast]) -> None:
        from assembly.voting.service import poll_closed_error

        open_polls = {}
        for poll_id in sorted({c.poll_id for c in casts}):
            # Writing the poll row first orders this transaction against a concurrent close.
            touched = db.session.execute(
                update(Poll)
                .where(Poll.id == poll_id, Poll.status == PollStatus.OPEN)
                .values(status=PollStatus.OPEN)
            ).rowcount
            if touched:
                open_polls[poll_id] = db.session.get(Poll, poll_id)
        keys = {(c.poll_id, c.voter_key) for c in casts}
        existing = {
            (r.poll_id, r.voter_key): r
            for r in db.session.scalars(
                select(VoteRecord).where(
                    VoteRecord.poll_id.in_({p for p, _k in keys}),
                    VoteRecord.voter_key.in_({k for _p, k in keys}),
                )
            )
        }
        # New rows go in with two bulk inserts: a burst costs two statements, not 2N objects.
        new_records: dict[tuple[int, str], dict] = {}
        new_ballots: dict[tuple[int, str], dict] = {}
        for cast in casts:
            poll = open_polls.get(cast.poll_id)
            if poll is None:
                cast.error = poll_closed_error()
                continue
            key = (cast.poll_id, cast.voter_key)
            if key in existing:
                self._again(poll, existing[key], cast)
                continue
            if key in new_records:  # the same voter twice in one batch
                if new_records[key]["receipt"] == cast.receipt:
                    cast.outcome = {"stored": True, "resent": True}
                elif poll.allow_change:
                    new_records[key].update(receipt=cast.receipt, sealed=_sealed(poll, cast))
                    if not poll.secret:
                        new_ballots[key]["choice"] = cast.choice
                    cast.outcome = {"stored": True, "changed": True}
                else:
                    cast.error = DomainError(_already_voted(), code="already_voted", status=409)
                continue
            new_records[key] = {
                "poll_id": poll.id,
                "voter_key": cast.voter_key,
                "receipt": cast.receipt,
                "cast_by_id": cast.cast_by_id,
                "sealed": _sealed(poll, cast),
            }
            if not poll.secret:  # a secret choice stays sealed in its record until the close
                new_ballots[key] = _ballot(poll, cast)
            cast.outcome = {"stored": True}
        if new_records:
            db.session.execute(insert(VoteRecord), list(new_records.values()))
        if new_ballots:
            db.session.execute(insert(Ballot), list(new_ballots.values()))
        db.session.flush()

    def _again(self, poll: Poll, record: VoteRecord, cast: Cast) -> None:
        """A second ballot for a voter: the same one resent, a change, or a refusal."""
        if record.receipt == cast.receipt:
            cast.outcome = {"stored": True, "resent": True}
            return
        if poll.allow_change:
            if poll.secret:
                record.sealed = _sealed(poll, cast)
            else:
                ballot = db.session.scalar(
                    select(Ballot).where(
                        Ballot.poll_id == poll.id, Ballot.voter_key == cast.voter_key
                    )
                )
                ballot.choice, ballot.cast_by_id, ballot.cast_at = (
                    cast.choice,
                    cast.cast_by_id,
                    utcnow(),
                )
            record.receipt, record.cast_by_id = cast.receipt, cast.cast_by_id
            cast.outcome = {"stored": True, "changed": True}
            return
        cast.error = DomainError(_already_voted(), code="already_voted", status=409)

    def _close(self, operation: Close) -> None:
        from assembly.voting.service import close_poll

        try:
            poll = db.session.get(Poll, operation.poll_id)
            operation.outcome = close_poll(poll, operation.hands)
            secret = poll.secret
            db.session.commit()
            forget(operation.poll_id)
            if secret:
                scrub_after_close()
        except Exception as error:
            db.session.rollback()
            operation.error = error
        meeting_id = db.session.scalar(select(Poll.meeting_id).where(Poll.id == operation.poll_id))
        signals.ballots_counted.send(self, meeting_ids={meeting_id} - {None})
        operation.done.set()


def _already_voted():
    from flask_babel import lazy_gettext

    return lazy_gettext("This vote has already been cast.")


def _sealed(poll: Poll, cast: Cast) -> bytes | None:
    if not poll.secret:
        return None
    return seal(poll.id, cast.voter_key, cast.choice, len(poll.options))


def _ballot(poll: Poll, cast: Cast) -> dict:
    """An open poll's ballot: whose, cast by whom, when."""
    return {
        "key": uuid.uuid4().hex,
        "poll_id": poll.id,
        "choice": cast.choice,
        "weight": float(poll.electorate.get(cast.voter_key, 1.0)),
        "voter_key": cast.voter_key,
        "cast_by_id": cast.cast_by_id,
        "cast_at": utcnow(),
    }


writer = BallotWriter()
