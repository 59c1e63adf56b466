"""Polls: who may vote, opening with quorum, casting (through the ballot writer), closing,
results and the decision register. Plain functions; callers commit unless said otherwise."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from fractions import Fraction

from flask_babel import lazy_gettext, lazy_ngettext
from sqlalchemy import func, insert, select, update

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db
from assembly.meetings.models import Attendance, Meeting, MeetingStatus, Proxy
from assembly.meetings.service import announce_change
from assembly.organisations.models import Delegate, Membership, NetworkMembership, Organisation
from assembly.proposals.models import Proposal, ProposalStatus
from assembly.room import service as room
from assembly.voting import counting, sealing
from assembly.voting.models import (
    Ballot,
    Decision,
    Eligibility,
    Poll,
    PollMethod,
    PollOption,
    PollStatus,
    VoteRecord,
    Weighting,
)

OPTION_METHODS = {
    PollMethod.SINGLE,
    PollMethod.APPROVAL,
    PollMethod.DOTS,
    PollMethod.SCORE,
    PollMethod.RANKED_IRV,
    PollMethod.RANKED_SCHULZE,
}
MAJORITIES = ("simple", "absolute", "two_thirds", "three_quarters")
# A show of hands asks one question with one answer per hand.
HANDS_METHODS = {PollMethod.YES_NO, PollMethod.CONSENT, PollMethod.SINGLE}
HANDS_VALUES = {
    PollMethod.YES_NO: ("yes", "no", "abstain"),
    PollMethod.CONSENT: ("agree", "stand_aside", "object"),
}
# Outcomes that are decisions of the assembly, for the register.
DECIDED = {"adopted", "chosen", "elected"}

BALLOT_ERRORS = {
    "invalid_choice": lazy_gettext("Choose your answer before voting."),
    "unknown_option": lazy_gettext("One of the options you chose is not in this poll."),
    "duplicate_option": lazy_gettext("Each option can have only one place in your ranking."),
    "too_many_dots": lazy_gettext("You placed more dots than you have."),
    "incomplete_ranking": lazy_gettext("This poll asks you to rank every option."),
    "incomplete_scores": lazy_gettext("This poll asks you to score every option."),
    "out_of_range": lazy_gettext("A value is out of range."),
}


def _error(code: str, message, status: int = 400) -> DomainError:
    return DomainError(message, code=code, status=status)


def poll_closed_error() -> DomainError:
    return _error("poll_closed", lazy_gettext("The poll is closed."), 409)


# --- creating -----------------------------------------------------------------------------------


def normalise_config(method: PollMethod, config: dict, option_count: int) -> dict:
    """Check a poll's settings for its method; returns the settings kept."""
    config = dict(config or {})
    if method == PollMethod.YES_NO:
        majority = config.get("majority", "simple")
        abstentions = config.get("abstentions", "excluded")
        if majority not in MAJORITIES or abstentions not in ("excluded", "included"):
            raise _error("bad_config", lazy_gettext("Choose a majority rule for the poll."))
        return {"majority": majority, "abstentions": abstentions}
    if method == PollMethod.CONSENT:
        objections = config.get("max_objections", 0)
        if isinstance(objections, bool) or not isinstance(objections, int) or objections < 0:
            raise _error("bad_config", lazy_gettext("The tolerated objections must be 0 or more."))
        return {"max_objections": objections}
    if method == PollMethod.GRADIENT:
        return {}
    if option_count < 2:
        raise _error("too_few_options", lazy_gettext("A poll among options needs at least two."))
    seats = config.get("seats", 1)
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats < option_count:
        raise _error("bad_config", lazy_gettext("The seats must be fewer than the options."))
    kept = {"seats": seats, "election": bool(config.get("election", False))}
    if method == PollMethod.DOTS:
        dots = config.get("dots", 3)
        if isinstance(dots, bool) or not isinstance(dots, int) or not 1 <= dots <= 100:
            raise _error("bad_config", lazy_gettext("Give each voter between 1 and 100 dots."))
        kept["dots"] = dots
    if method == PollMethod.SCORE:
        kept["require_all"] = bool(config.get("require_all", True))
    if method in (PollMethod.RANKED_IRV, PollMethod.RANKED_SCHULZE):
        kept["require_full_ranking"] = bool(config.get("require_full_ranking", False))
    return kept


def create_poll(
    organisation: Organisation,
    *,
    title: str,
    method: PollMethod,
    config: dict | None = None,
    options: list[str] | None = None,
    candidates: list[User] | None = None,
    secret: bool = False,
    eligibility: Eligibility = Eligibility.PRESENT,
    weighting: Weighting = Weighting.PERSON,
    allow_change: bool = False,
    show_running_results: bool = False,
    show_of_hands: bool = False,
    meeting: Meeting | None = None,
    proposal: Proposal | None = None,
    closes_at=None,
    created_by: User | None = None,
) -> Poll:
    labels = [o.strip() for o in (options or []) if o and o.strip()]
    if candidates:
        labels = [c.display_name for c in candidates]
    if method not in OPTION_METHODS:
        labels = []
    if len(set(labels)) != len(labels):
        raise _error("duplicate_option", lazy_gettext("Each option must be different."))
    if eligibility == Eligibility.PRESENT and meeting is None:
        raise _error(
            "needs_meeting", lazy_gettext("Only a poll in a meeting can be for those present.")
        )
    if weighting != Weighting.PERSON and not organisation.is_network:
        raise _error("not_a_network", lazy_gettext("Only a network weighs votes by organisation."))
    if show_of_hands:
        if method not in HANDS_METHODS:
            raise _error(
                "hands_method",
                lazy_gettext(
                    "A show of hands counts yes/no, consent or one option per person; "
                    "choose one of those."
                ),
            )
        if eligibility != Eligibility.PRESENT or weighting == Weighting.MEMBERSHIP:
            raise _error(
                "hands_room",
                lazy_gettext(
                    "A show of hands is counted in the room, one hand per vote: it is for those "
                    "present, not weighted by membership."
                ),
            )
        if secret:
            raise _error("hands_secret", lazy_gettext("A show of hands cannot be secret."))
    poll = Poll(
        organisation_id=organisation.id,
        meeting_id=meeting.id if meeting else None,
        agenda_item_id=meeting.current_item_id if meeting else None,
        proposal_id=proposal.id if proposal else None,
        title=title.strip(),
        method=method,
        config=normalise_config(method, config or {}, len(labels)),
        secret=secret,
        eligibility=eligibility,
        weighting=weighting,
        allow_change=allow_change and not show_of_hands,
        show_running_results=show_running_results and not secret and not show_of_hands,
        show_of_hands=show_of_hands,
        closes_at=closes_at,
        created_by_id=created_by.id if created_by else None,
    )
    for position, label in enumerate(labels):
        poll.options.append(
            PollOption(
                position=position,
                label=label[:200],
                candidate_id=candidates[position].id if candidates else None,
            )
        )
    db.session.add(poll)
    db.session.flush()
    return poll


# --- the electorate ----------------------------------------------------------------------------


def _person(user_id: int) -> str:
    return f"u:{user_id}"


def _organisation_key(organisation_id: int) -> str:
    return f"o:{organisation_id}"


def _member_counts(network_id: int) -> dict[int, int]:
    rows = db.session.execute(
        select(NetworkMembership.member_id, func.count(Membership.id))
        .join(
            Membership,
            (Membership.organisation_id == NetworkMembership.member_id)
            & Membership.left_at.is_(None),
        )
        .where(NetworkMembership.network_id == network_id, NetworkMembership.left_at.is_(None))
        .group_by(NetworkMembership.member_id)
    ).all()
    return dict(rows)


def _delegations(network_id: int) -> list[tuple[int, int]]:
    """(member organisation id, delegate user id) for every active delegate."""
    return list(
        db.session.execute(
            select(NetworkMembership.member_id, Delegate.user_id)
            .join(Delegate, Delegate.network_membership_id == NetworkMembership.id)
            .join(
                Membership,
                (Membership.organisation_id == NetworkMembership.member_id)
                & (Membership.user_id == Delegate.user_id)
                & Membership.left_at.is_(None),
            )
            .where(
                NetworkMembership.network_id == network_id,
                NetworkMembership.left_at.is_(None),
                Delegate.ended_at.is_(None),
            )
        ).all()
    )


def _present_ids(meeting: Meeting) -> set[int]:
    return set(
        db.session.scalars(
            select(Attendance.user_id).where(
                Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None)
            )
        )
    )


def electorate(poll: Poll, organisation: Organisation, meeting: Meeting | None) -> dict[str, float]:
    """Who may vote and with what weight, as the poll opens."""
    if poll.weighting != Weighting.PERSON:
        delegations = _delegations(organisation.id)
        organisations = {org_id for org_id, _user in delegations}
        if poll.weighting == Weighting.MEMBERSHIP:
            counts = _member_counts(organisation.id)
        if poll.eligibility == Eligibility.PRESENT:
            present = _present_ids(meeting)
            organisations = {org_id for org_id, user in delegations if user in present}
        return {
            _organisation_key(org_id): float(
                counts.get(org_id, 0) if poll.weighting == Weighting.MEMBERSHIP else 1
            )
            for org_id in sorted(organisations)
        }
    participants = (
        set(db.session.scalars(room.participants_query(meeting)))
        if meeting
        else set(
            db.session.scalars(
                select(Membership.user_id).where(
                    Membership.organisation_id == organisation.id, Membership.left_at.is_(None)
                )
            )
        )
    )
    if poll.eligibility == Eligibility.ALL_MEMBERS:
        return {_person(uid): 1.0 for uid in sorted(participants)}
    present = _present_ids(meeting) & participants
    keys = {_person(uid): 1.0 for uid in sorted(present)}
    for grantor in db.session.scalars(
        select(Proxy.grantor_id).where(
            Proxy.meeting_id == meeting.id,
            Proxy.revoked_at.is_(None),
            Proxy.holder_id.in_(present),
        )
    ):
        if grantor in participants:
            keys[_person(grantor)] = 1.0
    return keys


# --- opening and closing ------------------------------------------------------------------------


def open_poll(poll: Poll) -> None:
    if poll.status != PollStatus.DRAFT:
        raise _error("not_draft", lazy_gettext("This poll has already been opened."), 409)
    organisation = db.session.get(Organisation, poll.organisation_id)
    meeting = db.session.get(Meeting, poll.meeting_id) if poll.meeting_id else None
    if meeting is not None:
        if meeting.status != MeetingStatus.LIVE and poll.eligibility == Eligibility.PRESENT:
            raise room.not_live()
        quorum = room.quorum(meeting)
        if not quorum["met"]:
            raise _error(
                "no_quorum",
                lazy_gettext("There is no quorum: the poll cannot open."),
                409,
            )
        poll.quorum_at_open = quorum
        announce_change(meeting, urgent=True, roster=False)  # every screen needs it now
    poll.electorate = electorate(poll, organisation, meeting)
    if not poll.electorate:
        raise _error("nobody_eligible", lazy_gettext("Nobody can vote in this poll yet."), 409)
    poll.status = PollStatus.OPEN
    poll.opened_at = utcnow()
    if poll.proposal_id:
        db.session.get(Proposal, poll.proposal_id).status = ProposalStatus.IN_VOTE


def progress(poll: Poll) -> dict:
    voted = db.session.scalar(select(func.count()).where(VoteRecord.poll_id == poll.id))
    return {"eligible": len(poll.electorate or {}), "voted": voted}


def _options(poll: Poll) -> list[int]:
    return [o.id for o in poll.options]


def tally(poll: Poll) -> dict:
    ballots = [
        (choice, Fraction(weight).limit_denominator(1000))
        for choice, weight in db.session.execute(
            select(Ballot.choice, Ballot.weight).where(Ballot.poll_id == poll.id)
        )
    ]
    eligible = sum(
        (Fraction(w).limit_denominator(1000) for w in (poll.electorate or {}).values()),
        Fraction(0),
    )
    return counting.count(poll.method.value, poll.config, _options(poll), ballots, eligible)


def close_poll(poll: Poll, hands: dict | None = None) -> dict:
    """Close and count. The caller runs this through the ballot writer, after earlier ballots.
    A show of hands is closed with the counts the facilitator took (`hands`)."""
    if poll.status != PollStatus.OPEN:
        raise _error("not_open", lazy_gettext("This poll is not open."), 409)
    meeting = db.session.get(Meeting, poll.meeting_id) if poll.meeting_id else None
    raised = _hands_ballots(poll, hands) if poll.show_of_hands else None
    poll.status = PollStatus.CLOSED
    poll.closed_at = utcnow()
    if poll.secret:
        _unseal(poll)
    result = tally(poll)
    result["voted"] = raised if raised is not None else progress(poll)["voted"]
    result["eligible"] = len(poll.electorate)
    poll.result = result
    if meeting is not None:
        poll.quorum_at_close = room.quorum(meeting)
        announce_change(meeting, urgent=True, roster=False)
    proposal = db.session.get(Proposal, poll.proposal_id) if poll.proposal_id else None
    if proposal is not None:
        adopted = result.get("outcome") == "adopted"
        proposal.status = ProposalStatus.ADOPTED if adopted else ProposalStatus.REJECTED
    if result.get("outcome") in DECIDED:
        _record_decision(poll, result, proposal)
    return result


def _record_decision(poll: Poll, result: dict, proposal: Proposal | None) -> None:
    """Every poll that decided something enters the register: a proposal with its text, a
    question adopted, an option chosen or people elected (named in the text)."""
    if proposal is not None:
        title, text = proposal.title, proposal.body
    else:
        labels = {o.id: o.label for o in poll.options}
        title = poll.title
        text = "\n".join(f"- {labels[w]}" for w in result.get("winners", []) if w in labels)
    db.session.add(
        Decision(
            organisation_id=poll.organisation_id,
            meeting_id=poll.meeting_id,
            proposal_id=proposal.id if proposal else None,
            poll_id=poll.id,
            title=title,
            text=text,
            decided_at=poll.closed_at,
            tally=result,
        )
    )


def hands_values(poll: Poll) -> list[str]:
    """What the hands are counted for: the method's answers, or the options' ids."""
    if poll.method in HANDS_VALUES:
        return list(HANDS_VALUES[poll.method])
    return [str(o.id) for o in poll.options]


def _hands_ballots(poll: Poll, hands) -> int:
    """Write the counted hands as unit ballots (nobody's); returns how many hands were raised."""
    values = hands_values(poll)
    if not isinstance(hands, dict) or not hands:
        raise _error("hands_missing", lazy_gettext("Enter how many hands were raised."))
    counts = {}
    for key, count in hands.items():
        if str(key) not in values:
            raise _error("hands_unknown", lazy_gettext("One of the counts is not for this poll."))
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _error(
                "hands_count", lazy_gettext("Each count must be a whole number, 0 or more.")
            )
        counts[str(key)] = count
    total = sum(counts.values())
    if total > len(poll.electorate or {}):
        raise _error(
            "too_many_hands",
            lazy_ngettext(
                "%(num)s hand counted, but only %(eligible)s can vote. Count again.",
                "%(num)s hands counted, but only %(eligible)s can vote. Count again.",
                total,
                eligible=len(poll.electorate or {}),
            ),
        )
    if poll.method == PollMethod.SINGLE:
        choices = {key: {"option": int(key)} for key in counts}
    else:
        choices = {key: {"vote": key} for key in counts}
    rows = [
        {"key": uuid.uuid4().hex, "poll_id": poll.id, "choice": choices[key], "weight": 1.0}
        for key, count in counts.items()
        for _ in range(count)
    ]
    if rows:
        db.session.execute(insert(Ballot), rows)
    return total


def _unseal(poll: Poll) -> None:
    """Open the secret poll's sealed choices into anonymous unit ballots, in random order, and
    clear the seals: all in the closing transaction (see sealing.py)."""
    ballots = []
    for voter_key, sealed in db.session.execute(
        select(VoteRecord.voter_key, VoteRecord.sealed).where(
            VoteRecord.poll_id == poll.id, VoteRecord.sealed.is_not(None)
        )
    ):
        choice = sealing.open_seal(poll.id, voter_key, sealed)
        # A weighted vote (an organisation weighted by its members) becomes that many ballots
        # of one, so that no ballot's weight names who cast it.
        units = Fraction(poll.electorate.get(voter_key, 1)).limit_denominator(1000)
        if units.denominator != 1:
            raise ValueError(f"poll {poll.id}: a secret poll's weights must be whole numbers")
        ballots += [
            {"key": uuid.uuid4().hex, "poll_id": poll.id, "choice": choice, "weight": 1.0}
            for _ in range(units.numerator)
        ]
    _shuffle(ballots)
    db.session.execute(update(VoteRecord).where(VoteRecord.poll_id == poll.id).values(sealed=None))
    if ballots:
        db.session.execute(insert(Ballot), ballots)


_shuffle = secrets.SystemRandom().shuffle


def receipt(client_id: str) -> str:
    return hashlib.sha256(client_id.encode()).hexdigest()


def poll_state(poll: Poll) -> dict:
    """What every screen shows of a poll. Secret polls show results only once closed."""
    running = poll.status == PollStatus.OPEN and poll.show_running_results and not poll.secret
    return {
        "id": poll.id,
        "title": poll.title,
        "method": poll.method.value,
        "config": poll.config,
        "options": [{"id": o.id, "label": o.label} for o in poll.options],
        "secret": poll.secret,
        "eligibility": poll.eligibility.value,
        "weighting": poll.weighting.value,
        "allow_change": poll.allow_change,
        "show_of_hands": poll.show_of_hands,
        "status": poll.status.value,
        "progress": progress(poll),
        "result": poll.result
        if poll.status == PollStatus.CLOSED
        else tally(poll)
        if running
        else None,
    }


def meeting_polls(meeting_id: int, *, include_drafts: bool = False) -> list[Poll]:
    query = select(Poll).where(Poll.meeting_id == meeting_id)
    if not include_drafts:
        query = query.where(Poll.status != PollStatus.DRAFT)
    return list(db.session.scalars(query.order_by(Poll.id)))


def open_poll_progress(meeting_id: int) -> dict:
    """The counts of a meeting's open polls: the small message a burst of ballots causes."""
    polls = db.session.scalars(
        select(Poll).where(Poll.meeting_id == meeting_id, Poll.status == PollStatus.OPEN)
    )
    meeting = db.session.get(Meeting, meeting_id)
    return {
        "meeting_id": meeting_id,
        "version": meeting.version if meeting else 0,
        "polls": [
            {
                "id": poll.id,
                "progress": progress(poll),
                "result": tally(poll) if poll.show_running_results and not poll.secret else None,
            }
            for poll in polls
        ],
    }


def cast_ballot(
    poll_id: int, user_id: int, raw_choice, client_id: str, voter_key: str | None = None
) -> dict:
    """Check one ballot against the open poll and store it; returns once it is committed.

    The one path for every ballot, from a phone's socket or from an HTML form. Who may cast
    which vote comes from the poll's electorate, frozen when it opened (see snapshot.py).
    Raises `poll_closed` if the poll is not open, `not_eligible`, or a ballot error.
    """
    return store_ballot(prepare_ballot(poll_id, user_id, raw_choice, client_id, voter_key))


def prepare_ballot(
    poll_id: int,
    user_id: int,
    raw_choice,
    client_id: str,
    voter_key: str | None = None,
    *,
    on_behalf: bool = False,
):
    """The checks of `cast_ballot`, against the open poll's snapshot: the ballot to store, or a
    DomainError. Nothing is written. `on_behalf`: a facilitator records `voter_key`'s ballot
    (cast_on_behalf has checked the rest)."""
    from assembly.voting.snapshot import open_poll_snapshot
    from assembly.voting.writer import Cast

    poll = open_poll_snapshot(poll_id)
    if poll is None:
        raise poll_closed_error()
    if poll.show_of_hands:
        raise _error(
            "show_of_hands",
            lazy_gettext("This poll is counted by a show of hands in the room."),
            409,
        )
    keys = sorted(poll.electorate) if on_behalf else poll.voter_keys_for(user_id)
    chosen = (keys[0] if keys else None) if voter_key is None else voter_key
    if chosen not in keys:
        raise _error(
            "not_eligible",
            lazy_gettext("You cannot cast this vote: it is not yours, nor a proxy you hold."),
            403,
        )
    try:
        choice = counting.validate_ballot(
            poll.method, poll.config, list(poll.option_ids), raw_choice
        )
    except counting.BallotInvalid as invalid:
        raise _error(invalid.code, BALLOT_ERRORS[invalid.code], 400) from invalid
    return Cast(
        poll_id=poll.id,
        voter_key=chosen,
        cast_by_id=user_id,
        choice=choice,
        receipt=receipt(client_id),
        meeting_id=poll.meeting_id,
    )


def cast_on_behalf(poll: Poll, staff: User, voter_key: str, raw_choice, client_id: str) -> dict:
    """The facilitator records the ballot of someone present who has no phone at hand.

    Only with an open ballot (whoever records it sees the choice) and for a voter present now (or,
    in a plenary, an organisation with a delegate present); the record keeps who cast it.
    """
    if poll.secret:
        raise _error(
            "secret_on_behalf",
            lazy_gettext("A secret ballot is cast only by the voter, from their own phone."),
            409,
        )
    meeting = db.session.get(Meeting, poll.meeting_id) if poll.meeting_id else None
    if meeting is None or voter_key not in (poll.electorate or {}):
        raise _error(
            "not_eligible", lazy_gettext("This person or organisation cannot vote here."), 403
        )
    present = _present_ids(meeting)
    kind, _sep, number = voter_key.partition(":")
    if kind == "u":
        here = int(number) in present
    else:
        here = any(
            org == int(number) and user in present
            for org, user in _delegations(poll.organisation_id)
        )
    if not here:
        raise _error(
            "voter_absent",
            lazy_gettext("A vote can be recorded for someone only while they are present."),
            409,
        )
    return store_ballot(
        prepare_ballot(poll.id, staff.id, raw_choice, client_id, voter_key, on_behalf=True)
    )


def store_ballot(cast) -> dict:
    """Hand a prepared ballot to the writer; returns once it is committed (or refused)."""
    from assembly.voting.writer import writer

    db.session.remove()  # hold no connection while the writer commits
    return {"poll_id": cast.poll_id, "voter_key": cast.voter_key, **writer.submit(cast)}
