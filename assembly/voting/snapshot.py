"""What a vote needs to know about its poll, kept in memory while the poll is open.

A burst of ballots must not cost a dozen queries each: the poll's method, options and electorate
do not change once it is open (the electorate is frozen at opening), so each process reads them
once. The database stays the judge: the ballot writer re-checks that the poll is still open in
the same transaction that stores the ballot, so a stale snapshot can never let a late ballot in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select

from assembly.extensions import db
from assembly.meetings.models import Proxy
from assembly.voting.models import Poll, PollStatus, Weighting


@dataclass(frozen=True)
class PollSnapshot:
    id: int
    organisation_id: int
    meeting_id: int | None
    method: str
    config: dict
    option_ids: tuple[int, ...]
    electorate: frozenset[str]
    # Who may cast the votes that are not their own: proxies and organisations' delegates.
    casters: dict[str, frozenset[int]]
    person_weighting: bool
    show_of_hands: bool = False

    def voter_keys_for(self, user_id: int) -> list[str]:
        keys = []
        own = f"u:{user_id}"
        # Someone who gave their proxy is represented: the holder casts that vote, not them.
        if self.person_weighting and own in self.electorate and own not in self.casters:
            keys.append(own)
        keys.extend(
            key for key, users in sorted(self.casters.items()) if user_id in users and key != own
        )
        return keys


_polls: dict[int, PollSnapshot] = {}
_lock = threading.Lock()
_building = threading.Lock()


def open_poll_snapshot(poll_id: int) -> PollSnapshot | None:
    """The snapshot of an open poll, or None if the poll is not open (as far as we know)."""
    cached = _polls.get(poll_id)
    if cached is not None:
        return cached
    if db.session().in_transaction():
        # This caller already holds a pooled connection. Waiting in line for the build could
        # wedge the pool: the one building may be waiting for a connection that callers like
        # this one hold while they wait. So it reads the poll itself, on its own connection.
        return _read(poll_id)
    # One build at a time among callers that hold no connection: the first ballots of a burst
    # arrive together, and where the driver yields (PostgreSQL under gevent) each would otherwise
    # build its own, all 2,000.
    with _building:
        cached = _polls.get(poll_id)
        if cached is not None:
            return cached
        return _read(poll_id)


def _read(poll_id: int) -> PollSnapshot | None:
    poll = db.session.get(Poll, poll_id)
    if poll is None or poll.status != PollStatus.OPEN:
        return None
    snapshot = _build(poll)
    with _lock:
        return _polls.setdefault(poll_id, snapshot)


def clear() -> None:
    with _lock:
        _polls.clear()


def forget(poll_id: int) -> None:
    with _lock:
        _polls.pop(poll_id, None)


def _build(poll: Poll) -> PollSnapshot:
    from assembly.voting.service import _delegations

    casters: dict[str, set[int]] = {}
    if poll.weighting == Weighting.PERSON:
        if poll.meeting_id is not None:
            for grantor, holder in db.session.execute(
                select(Proxy.grantor_id, Proxy.holder_id).where(
                    Proxy.meeting_id == poll.meeting_id, Proxy.revoked_at.is_(None)
                )
            ):
                key = f"u:{grantor}"
                if key in poll.electorate:
                    casters.setdefault(key, set()).add(holder)
    else:
        for org_id, user_id in _delegations(poll.organisation_id):
            key = f"o:{org_id}"
            if key in poll.electorate:
                casters.setdefault(key, set()).add(user_id)
    return PollSnapshot(
        id=poll.id,
        organisation_id=poll.organisation_id,
        meeting_id=poll.meeting_id,
        method=poll.method.value,
        config=dict(poll.config or {}),
        option_ids=tuple(o.id for o in poll.options),
        electorate=frozenset(poll.electorate or {}),
        casters={key: frozenset(users) for key, users in casters.items()},
        person_weighting=poll.weighting == Weighting.PERSON,
        show_of_hands=poll.show_of_hands,
    )
