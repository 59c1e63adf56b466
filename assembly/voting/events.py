"""Socket.IO handlers for polls: open, vote, close. Thin; see voting/service.py and writer.py."""

from __future__ import annotations

import functools
import re

from flask import Flask
from flask_babel import lazy_gettext
from flask_login import current_user
from werkzeug.exceptions import NotFound

from assembly.core.errors import DomainError
from assembly.extensions import db, socketio
from assembly.live.events import (
    USER_ID,
    BadPayload,
    in_request_context,
    int_field,
    live_event,
    refuse,
)
from assembly.meetings.models import Meeting
from assembly.permissions import Action, authorise_meeting
from assembly.voting import service
from assembly.voting.models import Poll, PollStatus
from assembly.voting.snapshot import open_poll_snapshot
from assembly.voting.writer import Close, writer

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_VOTER_KEY = re.compile(r"^[uo]:[1-9][0-9]{0,9}$")


def _poll(payload: dict, action: Action) -> tuple[Poll, Meeting]:
    """The poll of a meeting the sender may view (NotFound otherwise, and for a `meeting_id` that
    is not the poll's), if the sender may do `action` (Forbidden otherwise)."""
    poll = db.session.get(Poll, int_field(payload, "poll_id"))
    meeting = db.session.get(Meeting, poll.meeting_id) if poll and poll.meeting_id else None
    meeting_id = int_field(payload, "meeting_id", required=False)
    if meeting is not None and meeting_id not in (None, meeting.id):
        raise NotFound()
    authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
    authorise_meeting(current_user, action, meeting)
    return poll, meeting


@live_event("poll_open")
def poll_open(payload: dict):
    poll, meeting = _poll(payload, Action.RUN_MEETINGS)
    service.open_poll(poll)
    db.session.commit()
    return {"version": meeting.version}


@live_event("poll_close")
def poll_close(payload: dict):
    poll, _meeting = _poll(payload, Action.RUN_MEETINGS)
    poll_id = poll.id
    hands = payload.get("hands")
    if hands is not None and not isinstance(hands, dict):
        raise BadPayload(lazy_gettext("The request is missing a valid %(field)s.", field="hands"))
    db.session.remove()  # the writer does the work; hold no connection while waiting
    result = writer.submit(Close(poll_id, hands))
    return {"result": result}


@live_event("vote_on_behalf")
def vote_on_behalf(payload: dict):
    """The facilitator records the ballot of someone present without a phone (open ballots)."""
    _poll_id, _meeting_id, client_id, voter_key = _ballot_fields(payload)
    poll, _meeting = _poll(payload, Action.RUN_MEETINGS)
    if voter_key is None:
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="voter_key")
        )
    if poll.status != PollStatus.OPEN:
        _refuse_closed_or_hidden(payload)
    return service.cast_on_behalf(poll, current_user, voter_key, payload.get("choice"), client_id)


@live_event("vote")
def vote(payload: dict):
    """A ballot, with every check and every refusal in the sender's language. A burst of ballots
    comes through `_vote_fast` below, which hands here whatever it cannot take itself."""
    poll_id, meeting_id, client_id, voter_key = _ballot_fields(payload)
    user_id = current_user.id if current_user.is_authenticated else 0
    snapshot = open_poll_snapshot(poll_id)
    if snapshot is None or meeting_id not in (None, snapshot.meeting_id):
        _refuse_closed_or_hidden(payload)
    try:
        return service.cast_ballot(poll_id, user_id, payload.get("choice"), client_id, voter_key)
    except DomainError as error:
        if error.code == "not_eligible":
            _poll(payload, Action.TAKE_PART)  # an outsider learns nothing, a member learns why
        raise


def _ballot_fields(payload: dict) -> tuple[int, int | None, str, str | None]:
    """A ballot's poll_id, meeting_id (optional), client_id and voter_key (optional), checked;
    BadPayload for any of them malformed. The choice is checked against the poll's method."""
    poll_id = int_field(payload, "poll_id")
    meeting_id = int_field(payload, "meeting_id", required=False)
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not _CLIENT_ID.match(client_id):
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="client_id")
        )
    voter_key = payload.get("voter_key")
    if voter_key is not None and not (isinstance(voter_key, str) and _VOTER_KEY.match(voter_key)):
        raise BadPayload(
            lazy_gettext("The request is missing a valid %(field)s.", field="voter_key")
        )
    return poll_id, meeting_id, client_id, voter_key


def init_app(app: Flask) -> None:
    """Put `_vote_fast` in front of `vote`; after socketio.init_app, which makes the server."""
    socketio.server.on("vote", functools.partial(_vote_fast, app))


def _vote_fast(app: Flask, sid: str, payload=None, *_extra):
    """`vote` for a well-formed ballot of a voter in an open poll, without Flask's request context.

    Building a request context for each event (parsing the session cookie, matching a URL) was
    a sixth of the server's time in a 2,000-ballot burst. A ballot needs none of it: the voter's
    id was kept on connect, and the open poll's snapshot settles everything else. Anything else
    (a refusal to explain, a malformed payload, an anonymous screen) goes to `vote`, in the
    sender's request context, so refusals read the same on both paths.
    """
    with app.app_context():
        try:
            try:
                cast = _prepare_fast(sid, payload)
            except Exception:
                # Refused, or failed, before anything was written: `vote` explains why (or
                # answers `internal`), so no ballot goes unanswered.
                db.session.rollback()
                cast = None
            if cast is None:
                return in_request_context(app, sid, "vote", vote, payload)
            try:
                return {"ok": True, **service.store_ballot(cast)}
            except Exception as error:  # the writer refused it (e.g. closed meanwhile)
                return in_request_context(app, sid, "vote", refuse, "vote", error)
        finally:
            db.session.remove()


def _prepare_fast(sid: str, payload):
    """The ballot if everything needed is at hand and well-formed; None to take the long way."""
    # A connection whose log-in has ended is closed (live/sessions.py): its environ is gone.
    user_id = (socketio.server.get_environ(sid) or {}).get(USER_ID)
    if not user_id or not isinstance(payload, dict):
        return None
    poll_id, meeting_id, client_id, voter_key = _ballot_fields(payload)
    cast = service.prepare_ballot(poll_id, user_id, payload.get("choice"), client_id, voter_key)
    if meeting_id is not None and meeting_id != cast.meeting_id:
        return None
    return cast


def _refuse_closed_or_hidden(payload: dict):
    """The poll is not open: say why, to those allowed to know it exists."""
    poll, _meeting = _poll(payload, Action.TAKE_PART)
    if poll.status == PollStatus.DRAFT:
        raise DomainError(
            lazy_gettext("The poll is not open yet."), code="poll_not_open", status=409
        )
    raise service.poll_closed_error()


# --- what the room's screens ask for beyond the state (see docs/realtime.md) -------------------


@live_event("poll_drafts")
def poll_drafts(payload: dict):
    """The meeting's draft polls, for those who run it: drafts are not in the room's state."""
    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_meeting(current_user, Action.RUN_MEETINGS, meeting)
    polls = service.meeting_polls(meeting.id, include_drafts=True)
    return {"polls": [service.poll_state(p) for p in polls if p.status == PollStatus.DRAFT]}


@live_event("poll_ballots")
def poll_ballots(payload: dict):
    """The votes the sender may cast in the meeting's open polls (their own, proxies held, their
    organisation's), named, and whether each is in already: who voted is never secret, what is."""
    from assembly.voting.pages import voter_choices

    meeting = db.session.get(Meeting, int_field(payload, "meeting_id"))
    authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
    polls = service.meeting_polls(meeting.id)
    return {
        "polls": {
            str(p.id): voter_choices(p, current_user.id)
            for p in polls
            if p.status == PollStatus.OPEN
        }
    }
