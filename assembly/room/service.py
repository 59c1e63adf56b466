"""The live room's rules: lifecycle, agenda and timers, attendance, proxies, quorum, the floor.

Plain functions on a Meeting. Each change announces itself (`meetings.service.announce_change`:
the version goes up, a signal goes out); the caller commits, and only then do screens hear of it.
"""

from __future__ import annotations

import math
from datetime import datetime

from flask_babel import lazy_gettext
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.signals import meeting_closed
from assembly.extensions import db
from assembly.meetings.models import (
    AgendaItem,
    Attendance,
    CheckInMethod,
    FloorKind,
    FloorRequest,
    FloorStatus,
    Meeting,
    MeetingStatus,
    Proxy,
    SpeakerPolicy,
)
from assembly.meetings.service import agenda_tree, announce_change
from assembly.organisations.models import Delegate, Membership, NetworkMembership
from assembly.permissions import Action, can_in_meeting


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


def not_live():
    return _error("meeting_not_live", lazy_gettext("The meeting is not live."), 409)


def _require_live(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.LIVE:
        raise not_live()


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


# --- lifecycle and agenda ---------------------------------------------------------------------


def agenda(meeting: Meeting) -> list[AgendaItem]:
    """Accepted items in running order: each top-level item followed by its sub-items."""
    return [entry for item, children in agenda_tree(meeting) for entry in (item, *children)]


def start_meeting(meeting: Meeting) -> None:
    if meeting.status == MeetingStatus.LIVE:
        raise _error("already_live", lazy_gettext("The meeting has already started."), 409)
    if meeting.status != MeetingStatus.CONVENED:
        raise _error(
            "not_convened",
            lazy_gettext("Only a convened meeting can start: convene it first."),
            409,
        )
    now = utcnow()
    meeting.status = MeetingStatus.LIVE
    meeting.started_at = now
    items = agenda(meeting)
    if items and meeting.current_item_id is None:
        _open(meeting, items[0], now)
    announce_change(meeting)


def end_meeting(meeting: Meeting) -> None:
    _require_live(meeting)
    now = utcnow()
    current = _current_item(meeting)
    if current is not None:
        _pause(current, now)
    speaking = current_speech(meeting)
    if speaking is not None:
        speaking.status, speaking.ended_at = FloorStatus.DONE, now
    for request in waiting_requests(meeting):
        request.status = FloorStatus.WITHDRAWN
    from assembly.commitments.review import carry_forward  # commitments build on meetings

    carry_forward(meeting, now)
    meeting.status = MeetingStatus.CLOSED
    meeting.ended_at = now
    announce_change(meeting)
    meeting_closed.send(meeting)


def _current_item(meeting: Meeting) -> AgendaItem | None:
    return db.session.get(AgendaItem, meeting.current_item_id) if meeting.current_item_id else None


def _pause(item: AgendaItem, now: datetime) -> None:
    if item.timer_started_at is not None:
        item.timer_elapsed += (now - item.timer_started_at).total_seconds()
        item.timer_started_at = None


def _open(meeting: Meeting, item: AgendaItem, now: datetime) -> None:
    """Make `item` current: the previous item's timer pauses, this one's runs."""
    previous = _current_item(meeting)
    if previous is not None and previous.id != item.id:
        _pause(previous, now)
    meeting.current_item_id = item.id
    if item.opened_at is None:
        item.opened_at = now
    if item.timer_started_at is None:
        item.timer_started_at = now


def go_to_item(meeting: Meeting, item_id: int) -> None:
    _require_live(meeting)
    item = next((i for i in agenda(meeting) if i.id == item_id), None)
    if item is None:
        raise _error("unknown_item", lazy_gettext("This item is not on the meeting's agenda."), 404)
    _open(meeting, item, utcnow())
    announce_change(meeting)


def next_item(meeting: Meeting) -> None:
    _require_live(meeting)
    items = agenda(meeting)
    ids = [i.id for i in items]
    position = ids.index(meeting.current_item_id) + 1 if meeting.current_item_id in ids else 0
    if position >= len(items):
        raise _error("no_next_item", lazy_gettext("This is the last item of the agenda."), 409)
    _open(meeting, items[position], utcnow())
    announce_change(meeting)


TIMER_ACTIONS = ("start", "pause", "reset")


def timer(meeting: Meeting, action: str) -> None:
    _require_live(meeting)
    item = _current_item(meeting)
    if item is None:
        raise _error("no_current_item", lazy_gettext("No agenda item is under way."), 409)
    now = utcnow()
    if action == "start":
        if item.timer_started_at is not None:
            raise _error("timer_running", lazy_gettext("The timer is already running."), 409)
        item.timer_started_at = now
    elif action == "pause":
        if item.timer_started_at is None:
            raise _error("timer_not_running", lazy_gettext("The timer is not running."), 409)
        _pause(item, now)
    elif action == "reset":
        item.timer_elapsed = 0.0
        if item.timer_started_at is not None:
            item.timer_started_at = now
    else:
        raise _error("bad_timer_action", lazy_gettext("Unknown timer action."))
    announce_change(meeting)


# --- who may be in the room -------------------------------------------------------------------


def by_organisations(meeting: Meeting) -> bool:
    """In a network, whatever the kind of meeting, its participants are the delegates of its
    member organisations: the quorum counts organisations represented, and no one holds
    another's proxy (an organisation is represented by any of its delegates instead)."""
    return meeting.organisation.is_network


def _delegations(meeting: Meeting, *columns):
    """The network's active delegates (still members of the organisation they represent)."""
    return (
        select(*columns)
        .select_from(Delegate)
        .join(NetworkMembership, Delegate.network_membership_id == NetworkMembership.id)
        .join(
            Membership,
            (Membership.organisation_id == NetworkMembership.member_id)
            & (Membership.user_id == Delegate.user_id),
        )
        .where(
            NetworkMembership.network_id == meeting.organisation_id,
            NetworkMembership.left_at.is_(None),
            Delegate.ended_at.is_(None),
            Membership.left_at.is_(None),
        )
    )


def participants_query(meeting: Meeting):
    """Ids of the people who may take part: members, and in a network its delegates."""
    members = select(Membership.user_id).where(
        Membership.organisation_id == meeting.organisation_id, Membership.left_at.is_(None)
    )
    if not meeting.organisation.is_network:
        return members
    return members.union(_delegations(meeting, Delegate.user_id))


def _may_take_part(meeting: Meeting, user: User) -> bool:
    return can_in_meeting(user, Action.TAKE_PART, meeting)


def attendance_of(meeting: Meeting, user_id: int, *, lock: bool = False) -> Attendance | None:
    """`lock` before changing it: a simultaneous twin then waits, and finds the change made."""
    query = select(Attendance).where(
        Attendance.meeting_id == meeting.id, Attendance.user_id == user_id
    )
    return db.session.scalar(query.with_for_update() if lock else query)


def is_present(meeting: Meeting, user_id: int) -> bool:
    record = attendance_of(meeting, user_id)
    return record is not None and record.left_at is None


def _not_participant():
    return _error(
        "not_a_participant",
        lazy_gettext("This person is not a member who can take part in this meeting."),
        403,
    )


def check_in(
    meeting: Meeting, person: User, *, by: User, method: CheckInMethod = CheckInMethod.SELF
) -> tuple[Attendance, bool]:
    """The person is in the room. Returns their attendance and whether they already were:
    checking in someone present (a double tap, or staff marking someone who has just checked
    themselves in) changes nothing and is no error, since what was asked is so."""
    _require_live(meeting)
    if not _may_take_part(meeting, person):
        raise _not_participant()
    # A first arrival's twin is stopped by the unique index instead (events.py runs it again).
    record = attendance_of(meeting, person.id, lock=True)
    if record is not None and record.left_at is None:
        return record, True
    if record is None:
        record = Attendance(
            meeting_id=meeting.id,
            user_id=person.id,
            arrived_at=utcnow(),
            method=method,
            checked_in_by_id=by.id,
        )
        db.session.add(record)
    else:  # back after leaving: punctuality keeps the first arrival
        record.left_at = None
    # Someone who arrives no longer needs the proxy they gave.
    for proxy in active_proxies(meeting, grantor_id=person.id):
        proxy.revoked_at = utcnow()
    announce_change(meeting)
    return record, False


def check_out(meeting: Meeting, person: User) -> bool:
    """The person leaves. Returns whether they had already left (a repeated tap: nothing
    changes, no error); someone who never arrived cannot leave."""
    _require_live(meeting)
    record = attendance_of(meeting, person.id, lock=True)
    if record is None:
        raise _error("not_checked_in", lazy_gettext("Not checked in."), 409)
    if record.left_at is not None:
        return True
    now = utcnow()
    record.left_at = now
    # Proxies held lapse with their holder's leaving.
    for proxy in active_proxies(meeting, holder_id=person.id):
        proxy.revoked_at = now
    for request in waiting_requests(meeting):
        if request.user_id == person.id:
            request.status = FloorStatus.WITHDRAWN
    announce_change(meeting)
    return False


def minutes_late(meeting: Meeting, record: Attendance) -> int:
    seconds = (record.arrived_at - meeting.starts_at).total_seconds()
    return max(0, math.floor(seconds / 60))


# --- proxies -----------------------------------------------------------------------------------


def active_proxies(meeting: Meeting, *, grantor_id=None, holder_id=None) -> list[Proxy]:
    query = select(Proxy).where(Proxy.meeting_id == meeting.id, Proxy.revoked_at.is_(None))
    if grantor_id is not None:
        query = query.where(Proxy.grantor_id == grantor_id)
    if holder_id is not None:
        query = query.where(Proxy.holder_id == holder_id)
    return list(db.session.scalars(query))


def grant_proxy(meeting: Meeting, grantor: User, holder: User, *, by: User) -> Proxy:
    """The absent `grantor` is represented by the present `holder` in this meeting."""
    _require_live(meeting)
    if by_organisations(meeting):
        raise _error(
            "no_proxies_in_network",
            lazy_gettext(
                "In a network, member organisations are represented by their delegates: "
                "there are no proxies."
            ),
        )
    if grantor.id == holder.id:
        raise _error("proxy_to_self", lazy_gettext("Nobody can hold their own proxy."))
    if not _may_take_part(meeting, grantor) or not _may_take_part(meeting, holder):
        raise _not_participant()
    if is_present(meeting, grantor.id):
        raise _error(
            "grantor_present",
            lazy_gettext("%(name)s is present and votes in person.", name=grantor.display_name),
            409,
        )
    if not is_present(meeting, holder.id):
        raise _error(
            "holder_absent",
            lazy_gettext("Only a member who is present can hold a proxy."),
            409,
        )
    if active_proxies(meeting, grantor_id=grantor.id):
        raise _error(
            "already_represented",
            lazy_gettext("%(name)s is already represented.", name=grantor.display_name),
            409,
        )
    limit = meeting.organisation.max_proxies
    if len(active_proxies(meeting, holder_id=holder.id)) >= limit:
        raise _error(
            "proxy_limit",
            lazy_gettext(
                "%(name)s already holds the most proxies the organisation allows (%(limit)s).",
                name=holder.display_name,
                limit=limit,
            ),
            409,
        )
    proxy = Proxy(
        meeting_id=meeting.id, grantor_id=grantor.id, holder_id=holder.id, recorded_by_id=by.id
    )
    db.session.add(proxy)
    announce_change(meeting)
    return proxy


def revoke_proxy(meeting: Meeting, grantor: User) -> None:
    _require_live(meeting)
    proxies = active_proxies(meeting, grantor_id=grantor.id)
    if not proxies:
        raise _error("no_proxy", lazy_gettext("There is no proxy to withdraw."), 404)
    for proxy in proxies:
        proxy.revoked_at = utcnow()
    announce_change(meeting)


# --- quorum -------------------------------------------------------------------------------------


def quorum(meeting: Meeting) -> dict:
    """Who is represented against the organisation's rule.

    A co-operative's meetings count present members plus the proxies they hold; every meeting
    of a network (plenary, workshop or any other) counts member organisations with at least one
    delegate present, whoever else (the network's own staff) is in the room.
    """
    percent = meeting.organisation.quorum_percent
    present_ids = select(Attendance.user_id).where(
        Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None)
    )
    present = db.session.scalar(select(func.count()).select_from(present_ids.subquery()))
    if by_organisations(meeting):
        eligible = db.session.scalar(
            select(func.count(NetworkMembership.id)).where(
                NetworkMembership.network_id == meeting.organisation_id,
                NetworkMembership.left_at.is_(None),
            )
        )
        represented = db.session.scalar(
            _delegations(meeting, func.count(func.distinct(NetworkMembership.member_id))).where(
                Delegate.user_id.in_(present_ids)
            )
        )
        proxies, basis = 0, "organisations"
    else:
        member_ids = select(Membership.user_id).where(
            Membership.organisation_id == meeting.organisation_id, Membership.left_at.is_(None)
        )
        eligible = db.session.scalar(select(func.count()).select_from(member_ids.subquery()))
        present_members = db.session.scalar(
            select(func.count(Attendance.id)).where(
                Attendance.meeting_id == meeting.id,
                Attendance.left_at.is_(None),
                Attendance.user_id.in_(member_ids),
            )
        )
        proxies = db.session.scalar(
            select(func.count(Proxy.id)).where(
                Proxy.meeting_id == meeting.id, Proxy.revoked_at.is_(None)
            )
        )
        represented, basis = present_members + proxies, "members"
    required = math.ceil(eligible * percent / 100) if eligible else 0
    return {
        "basis": basis,
        "percent": percent,
        "eligible": eligible,
        "present": present,
        "proxies": proxies,
        "represented": represented,
        "required": required,
        "met": eligible > 0 and represented >= required,
    }


# --- the floor ---------------------------------------------------------------------------------


def waiting_requests(meeting: Meeting) -> list[FloorRequest]:
    return list(
        db.session.scalars(
            select(FloorRequest)
            .where(
                FloorRequest.meeting_id == meeting.id,
                FloorRequest.status == FloorStatus.WAITING,
            )
            .order_by(FloorRequest.requested_at, FloorRequest.id)
        )
    )


def current_speech(meeting: Meeting) -> FloorRequest | None:
    return db.session.scalar(
        select(FloorRequest).where(
            FloorRequest.meeting_id == meeting.id, FloorRequest.status == FloorStatus.SPEAKING
        )
    )


def request_floor(meeting: Meeting, person: User, kind: FloorKind) -> tuple[FloorRequest, bool]:
    """The person asks for the floor. Returns the request and whether it was already there:
    asking again for the same kind while waiting (a double tap) changes nothing and is no
    error; asking for another kind is refused, since the list keeps one request per person."""
    _require_live(meeting)
    if not is_present(meeting, person.id):
        raise _error("not_present", lazy_gettext("Check in first to ask for the floor."), 409)
    waiting = next((r for r in waiting_requests(meeting) if r.user_id == person.id), None)
    if waiting is not None:
        if waiting.kind == kind:
            return waiting, True
        raise _error("already_waiting", lazy_gettext("You are already on the speakers list."), 409)
    # A simultaneous twin is stopped by the unique index (events.py runs it again).
    request = FloorRequest(
        meeting_id=meeting.id,
        agenda_item_id=meeting.current_item_id,
        user_id=person.id,
        kind=kind,
        requested_at=utcnow(),
    )
    db.session.add(request)
    announce_change(meeting)
    return request, False


def withdraw_floor(meeting: Meeting, person: User) -> bool:
    """The person leaves the speakers list. Returns whether their request was already
    withdrawn (a repeated tap: no error); one who was called meanwhile is no longer waiting."""
    _require_live(meeting)
    mine = list(
        db.session.scalars(
            select(FloorRequest)
            .where(
                FloorRequest.meeting_id == meeting.id,
                FloorRequest.user_id == person.id,
                FloorRequest.status == FloorStatus.WAITING,
            )
            .with_for_update()  # a simultaneous twin waits, then finds it withdrawn
        )
    )
    if not mine:
        latest = db.session.scalar(
            select(FloorRequest.status)
            .where(FloorRequest.meeting_id == meeting.id, FloorRequest.user_id == person.id)
            .order_by(FloorRequest.requested_at.desc(), FloorRequest.id.desc())
            .limit(1)
        )
        if latest == FloorStatus.WITHDRAWN:
            return True
        raise _error("not_waiting", lazy_gettext("You are not on the speakers list."), 409)
    for request in mine:
        request.status = FloorStatus.WITHDRAWN
    announce_change(meeting)
    return False


def ordered_queue(meeting: Meeting) -> list[FloorRequest]:
    """The speakers list in calling order, under the meeting's policy.

    Points of order always go first. First come, first served orders the rest by arrival.
    Progressive puts people who have not yet spoken in this meeting before those who have
    (fewest speeches first), and within a tier alternates self-described genders when it
    can, starting from the gender of the last person called.
    """
    waiting = waiting_requests(meeting)
    first = [r for r in waiting if r.kind == FloorKind.POINT_OF_ORDER]
    rest = [r for r in waiting if r.kind != FloorKind.POINT_OF_ORDER]
    if meeting.speaker_policy != SpeakerPolicy.PROGRESSIVE or not rest:
        return first + rest
    spoken = dict(
        db.session.execute(
            select(FloorRequest.user_id, func.count(FloorRequest.id))
            .where(
                FloorRequest.meeting_id == meeting.id,
                FloorRequest.status.in_([FloorStatus.SPEAKING, FloorStatus.DONE]),
            )
            .group_by(FloorRequest.user_id)
        ).all()
    )
    user_ids = {r.user_id for r in rest}
    last = db.session.scalar(
        select(FloorRequest.user_id)
        .where(
            FloorRequest.meeting_id == meeting.id,
            FloorRequest.status.in_([FloorStatus.SPEAKING, FloorStatus.DONE]),
        )
        .order_by(FloorRequest.started_at.desc(), FloorRequest.id.desc())
        .limit(1)
    )
    if last is not None:
        user_ids.add(last)
    genders = dict(
        db.session.execute(select(User.id, User.gender).where(User.id.in_(user_ids))).all()
    )
    previous_gender = genders.get(last)
    pool = sorted(rest, key=lambda r: (spoken.get(r.user_id, 0), r.requested_at, r.id))
    ordered: list[FloorRequest] = []
    while pool:
        tier = spoken.get(pool[0].user_id, 0)
        candidates = [r for r in pool if spoken.get(r.user_id, 0) == tier]
        choice = candidates[0]
        if previous_gender is not None:
            different = [
                r
                for r in candidates
                if genders.get(r.user_id) is not None and genders.get(r.user_id) != previous_gender
            ]
            if different and genders.get(choice.user_id) in (previous_gender, None):
                choice = different[0]
        ordered.append(choice)
        pool.remove(choice)
        if genders.get(choice.user_id) is not None:
            previous_gender = genders[choice.user_id]
    return first + ordered


def call_next(meeting: Meeting) -> FloorRequest:
    _require_live(meeting)
    queue = ordered_queue(meeting)
    if not queue:
        raise _error("queue_empty", lazy_gettext("Nobody is waiting for the floor."), 409)
    now = utcnow()
    speaking = current_speech(meeting)
    if speaking is not None:
        speaking.status, speaking.ended_at = FloorStatus.DONE, now
    chosen = queue[0]
    chosen.status, chosen.started_at = FloorStatus.SPEAKING, now
    announce_change(meeting)
    return chosen


def end_speech(meeting: Meeting) -> None:
    _require_live(meeting)
    speaking = current_speech(meeting)
    if speaking is None:
        raise _error("nobody_speaking", lazy_gettext("Nobody has the floor."), 409)
    speaking.status, speaking.ended_at = FloorStatus.DONE, utcnow()
    announce_change(meeting)


# --- what screens show -------------------------------------------------------------------------


def _person(user_id: int, names: dict[int, str]) -> dict:
    return {"user_id": user_id, "name": names.get(user_id, "")}


def room_state(meeting: Meeting) -> dict:
    """Everything the room shows, in one message: what a (re)joining screen needs."""
    now = utcnow()
    items = agenda(meeting)
    speaking = current_speech(meeting)
    queue = ordered_queue(meeting)
    ids = {r.user_id for r in queue} | ({speaking.user_id} if speaking else set())
    names = (
        dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())
        if ids
        else {}
    )
    return {
        "version": meeting.version,
        "now": iso(now),
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "kind": meeting.kind.value,
            "status": meeting.status.value,
            "starts_at": iso(meeting.starts_at),
            "planned_end_at": iso(meeting.planned_end_at),
            "started_at": iso(meeting.started_at),
            "ended_at": iso(meeting.ended_at),
            "speaker_policy": meeting.speaker_policy.value,
            "speaking_limit_seconds": meeting.speaking_limit_seconds,
        },
        "current_item_id": meeting.current_item_id,
        "agenda": [
            {
                "id": item.id,
                "parent_id": item.parent_id,
                "title": item.title,
                "kind": item.kind.value,
                "planned_minutes": item.planned_minutes,
                "elapsed_seconds": round(item.timer_elapsed, 1),
                "running_since": iso(item.timer_started_at),
                "opened": item.opened_at is not None,
            }
            for item in items
        ],
        "floor": {
            "speaking": (
                {
                    **_person(speaking.user_id, names),
                    "request_id": speaking.id,
                    "kind": speaking.kind.value,
                    "started_at": iso(speaking.started_at),
                }
                if speaking
                else None
            ),
            "queue": [
                {**_person(r.user_id, names), "request_id": r.id, "kind": r.kind.value}
                for r in queue
            ],
        },
        "attendance": quorum(meeting),
        "polls": _polls(meeting),
        "commitments": _commitments(meeting, items),
        "commitments_review": _commitments_review(meeting),
        "notes": _notes(meeting),
    }


def _notes(meeting: Meeting) -> dict | None:
    from assembly.room.notes import notes_state

    return notes_state(meeting)


def _commitments_review(meeting: Meeting) -> dict | None:
    from assembly.commitments.review import review_state

    return review_state(meeting)


def _polls(meeting: Meeting) -> list[dict]:
    from assembly.voting.service import meeting_polls, poll_state

    return [poll_state(poll) for poll in meeting_polls(meeting.id)]


def _commitments(meeting: Meeting, items: list[AgendaItem]) -> list[dict]:
    """The commitments made in this meeting, in the order they were recorded."""
    from sqlalchemy.orm import selectinload

    from assembly.commitments.models import Commitment, CommitmentOwner
    from assembly.core.text import render_markdown
    from assembly.voting.models import Decision, Poll

    commitments = list(
        db.session.scalars(
            select(Commitment)
            .where(Commitment.meeting_id == meeting.id)
            .options(
                selectinload(Commitment.owners).selectinload(CommitmentOwner.user),
                selectinload(Commitment.owners).selectinload(CommitmentOwner.owner_organisation),
            )
            .order_by(Commitment.id)
        )
    )
    titles = {item.id: item.title for item in items}

    def source(c: Commitment) -> str | None:
        if c.decision_id is not None:
            decision = db.session.get(Decision, c.decision_id)
            return decision.title if decision else None
        if c.poll_id is not None:
            poll = db.session.get(Poll, c.poll_id)
            return poll.title if poll else None
        if c.agenda_item_id is not None:
            if c.agenda_item_id not in titles:
                item = db.session.get(AgendaItem, c.agenda_item_id)
                titles[c.agenda_item_id] = item.title if item else None
            return titles[c.agenda_item_id]
        return None

    return [
        {
            "id": c.id,
            "what": str(render_markdown(c.what)),
            "owners": [
                {
                    "user_id": o.user_id,
                    "name": o.user.display_name,
                    "organisation": o.owner_organisation.name if o.owner_organisation else None,
                }
                for o in c.owners
            ],
            "due_on": c.due_on.isoformat() if c.due_on else None,
            "status": c.status.value,
            "time_frame": c.time_frame.value,
            "source": source(c),
        }
        for c in commitments
    ]


def personal_state(meeting: Meeting, user: User) -> dict:
    record = attendance_of(meeting, user.id)
    held = active_proxies(meeting, holder_id=user.id)
    given = active_proxies(meeting, grantor_id=user.id)
    return {
        "user_id": user.id,
        "present": record is not None and record.left_at is None,
        "arrived_at": iso(record.arrived_at) if record else None,
        "minutes_late": minutes_late(meeting, record) if record else None,
        "proxies_held": [{"user_id": p.grantor_id, "name": p.grantor.display_name} for p in held],
        "represented_by": (
            {"user_id": given[0].holder_id, "name": given[0].holder.display_name} if given else None
        ),
    }


def present_people(meeting: Meeting) -> list[dict]:
    rows = db.session.execute(
        select(User.id, User.display_name)
        .join(Attendance, Attendance.user_id == User.id)
        .where(Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None))
        .order_by(func.lower(User.display_name))
    ).all()
    return [{"user_id": user_id, "name": name} for user_id, name in rows]


def roster(meeting: Meeting) -> list[dict]:
    """Every participant with their attendance, for the people who record it."""
    people = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(participants_query(meeting)))
        .order_by(func.lower(User.display_name))
    ).all()
    records = {
        a.user_id: a
        for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    holders = {
        p.grantor_id: p.holder_id
        for p in db.session.scalars(
            select(Proxy).where(Proxy.meeting_id == meeting.id, Proxy.revoked_at.is_(None))
        )
    }
    rows = []
    for user_id, name in people:
        record = records.get(user_id)
        rows.append(
            {
                "user_id": user_id,
                "name": name,
                "present": record is not None and record.left_at is None,
                "arrived_at": iso(record.arrived_at) if record else None,
                "left_at": iso(record.left_at) if record else None,
                "minutes_late": minutes_late(meeting, record) if record else None,
                "represented_by": holders.get(user_id),
            }
        )
    return rows
