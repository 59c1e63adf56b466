"""Named signals: how a feature says what changed without knowing who listens.

Services announce; the live package subscribes and carries the news to the room's screens (as
Indico's `core/signals` does for its plugins). No service imports `assembly.live`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

room_changed = _signals.signal(
    "room-changed",
    doc="""Something every screen of a meeting shows has changed (agenda, attendance, a poll).

    Sender: the Meeting, whose `version` was bumped. Keyword arguments: `urgent` (every screen
    needs it at once, whatever the room's size: a poll opening or closing) and `roster` (the
    attendance list changed too). Sent inside the transaction: listeners act once it commits.
    """,
)

ballots_counted = _signals.signal(
    "ballots-counted",
    doc="""Ballots or closes were committed by the ballot writer.

    Sender: the writer. Keyword argument: `meeting_ids`, the meetings whose polls' counts
    changed. Sent after the commit, outside any request.
    """,
)

sessions_ended = _signals.signal(
    "sessions-ended",
    doc="""Some of a person's log-ins ended (log-out, log out everywhere, a new password).

    Sender: the User. Connections opened with an ended log-in must stop: the live package closes
    them once the transaction commits (in every process). Sent inside the transaction.
    """,
)

board_changed = _signals.signal(
    "board-changed",
    doc="""Something on a workshop's board changed.

    Sender: the Meeting. Keyword arguments: `cards`, `topics` and `questions` (revealed), sets
    of ids; `settings` (True when the session's board settings changed); `version`, the board's
    new version, which every changed card and topic now carries. Sent inside the transaction:
    listeners act once it commits.
    """,
)

commitment_changed = _signals.signal(
    "commitment-changed",
    doc="""A commitment was made or changed (status, due date, text, owners, a progress note).

    Sender: the Commitment. Keyword argument: `kind`, the CommitmentEventKind recorded. Sent
    inside the transaction: listeners act once it commits.
    """,
)

meeting_closed = _signals.signal(
    "meeting-closed",
    doc="""A meeting has just been closed (its `ended_at` is set).

    Sender: the Meeting. Sent inside the transaction that closes it, after `room_changed`:
    listeners may add to the session (the minutes package drafts the minutes from the record),
    and what they add is committed with the closing.
    """,
)
