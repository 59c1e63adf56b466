"""What people see and do with polls outside the socket protocol: lists, the ballot on an HTML
form, reminders, closing polls past their time, and results laid out as tables.

Voting here takes the same path as the live room's `vote` event: the ballot is checked by
`counting.validate_ballot` and handed to the ballot writer, which acknowledges it once committed.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.extensions import db
from assembly.meetings.models import Attendance, Meeting, Notification
from assembly.organisations.models import Organisation
from assembly.permissions import Action, can, can_in_meeting
from assembly.voting import counting, service
from assembly.voting.explain import (
    explain,
    number,
    outcome,
    percent,
    rule,
    tie_breaks,
    to_decimal,
)
from assembly.voting.models import (
    Ballot,
    Eligibility,
    Poll,
    PollMethod,
    PollStatus,
    VoteRecord,
)
from assembly.voting.snapshot import open_poll_snapshot
from assembly.voting.writer import Close, writer

POLL_REMINDER = "poll_reminder"

# What a voter is told when a ballot cannot be counted (codes of counting.BallotInvalid).

VOTE_CHOICES = {
    "yes_no": [("yes", _l("Yes")), ("no", _l("No")), ("abstain", _l("Abstain"))],
    "consent": [
        ("agree", _l("Agree")),
        ("stand_aside", _l("Stand aside")),
        ("object", _l("Object")),
    ],
}
GRADIENT_LEVELS = [
    (5, _l("Full support")),
    (4, _l("Support")),
    (3, _l("Support with reservations")),
    (2, _l("Doubts, but I go along")),
    (1, _l("Disagree, but I do not block")),
    (0, _l("I block")),
]


# --- who may see and run a poll -------------------------------------------------------------------


def meeting_of(poll: Poll) -> Meeting | None:
    return db.session.get(Meeting, poll.meeting_id) if poll.meeting_id else None


def may_see(user, poll: Poll, organisation: Organisation) -> bool:
    meeting = meeting_of(poll)
    if meeting is not None:
        visible = can_in_meeting(user, Action.VIEW_MEETINGS, meeting)
    else:
        visible = can(user, Action.VIEW_MEETINGS, organisation)
    return visible and (poll.status != PollStatus.DRAFT or may_run(user, poll, organisation))


def may_run(user, poll: Poll, organisation: Organisation) -> bool:
    meeting = meeting_of(poll)
    if meeting is not None:
        return can_in_meeting(user, Action.RUN_MEETINGS, meeting)
    return can(user, Action.RUN_MEETINGS, organisation)


def polls_of(organisation: Organisation, user, limit: int = 300) -> dict[str, list[Poll]]:
    """The organisation's polls this person may see, newest first: open, closed, drafts."""
    polls = db.session.scalars(
        select(Poll)
        .where(Poll.organisation_id == organisation.id)
        .order_by(Poll.id.desc())
        .limit(limit)
    )
    shown: dict[str, list[Poll]] = {"open": [], "closed": [], "drafts": []}
    for poll in polls:
        if not may_see(user, poll, organisation):
            continue
        if poll.status == PollStatus.OPEN:
            shown["open"].append(poll)
        elif poll.status == PollStatus.CLOSED:
            shown["closed"].append(poll)
        elif poll.status == PollStatus.DRAFT:
            shown["drafts"].append(poll)
    return shown


# --- closing on time ------------------------------------------------------------------------------


def close_overdue(organisation_id: int, poll_id: int | None = None) -> list[int]:
    """Close (through the ballot writer) the open polls whose closing time has passed."""
    query = select(Poll.id).where(
        Poll.organisation_id == organisation_id,
        Poll.status == PollStatus.OPEN,
        Poll.closes_at.is_not(None),
        Poll.closes_at <= utcnow(),
    )
    if poll_id is not None:
        query = query.where(Poll.id == poll_id)
    due = list(db.session.scalars(query))
    if not due:
        return []
    db.session.commit()  # hold no transaction while the writer works
    for due_id in due:
        try:
            writer.submit(Close(due_id))
        except DomainError as error:
            if error.code != "not_open":  # someone else closed it a moment ago: nothing to do
                raise
    return due


def close(poll_id: int, hands: dict | None = None) -> dict:
    """Close now: ballots queued before this are counted, any after it refused. A show of
    hands closes with the counts taken in the room."""
    db.session.commit()
    return writer.submit(Close(poll_id, hands))


# --- voting ---------------------------------------------------------------------------------------


def voter_choices(poll: Poll, user_id: int) -> list[dict]:
    """The votes this person may cast in the poll, named, and whether each is in already."""
    if poll.status != PollStatus.OPEN:
        return []
    snapshot = open_poll_snapshot(poll.id)
    keys = snapshot.voter_keys_for(user_id) if snapshot else []  # the same rule as casting
    if not keys:
        return []
    voted = set(
        db.session.scalars(
            select(VoteRecord.voter_key).where(
                VoteRecord.poll_id == poll.id, VoteRecord.voter_key.in_(keys)
            )
        )
    )
    return [
        {
            "voter_key": key,
            "name": voter_name(key, user_id),
            "own": key == f"u:{user_id}",
            "voted": key in voted,
        }
        for key in keys
    ]


def voter_name(key: str, user_id: int) -> str:
    kind, _sep, raw = key.partition(":")
    if kind == "u" and raw == str(user_id):
        return str(_l("Your vote"))
    if kind == "u":
        user = db.session.get(User, int(raw))
        return str(_l("Proxy of %(name)s", name=user.display_name if user else "?"))
    organisation = db.session.get(Organisation, int(raw))
    return str(_l("For %(organisation)s", organisation=organisation.name if organisation else "?"))


def _int_or_invalid(value) -> int:
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 6:
        raise counting.BallotInvalid("invalid_choice", f"{text[:20]!r} is not a number")
    return int(text)


def ballot_from_form(poll: Poll, form) -> dict:
    """A ballot's raw choice from a plain HTML form (checked afterwards like any other)."""
    method = poll.method
    options = poll.options
    if method in (PollMethod.YES_NO, PollMethod.CONSENT):
        return {"vote": form.get("vote")}
    if method == PollMethod.GRADIENT:
        return {"level": _int_or_invalid(form.get("level"))}
    if method == PollMethod.SINGLE:
        return {"option": form.get("option")}
    if method == PollMethod.APPROVAL:
        return {"options": form.getlist("options")}
    if method == PollMethod.DOTS:
        dots = {}
        for option in options:
            raw = form.get(f"dots-{option.id}", "").strip()
            if raw:
                dots[str(option.id)] = _int_or_invalid(raw)
        return {"dots": dots}
    if method == PollMethod.SCORE:
        scores = {}
        for option in options:
            raw = form.get(f"score-{option.id}", "").strip()
            if raw:
                scores[str(option.id)] = _int_or_invalid(raw)
        return {"scores": scores}
    ranks = {}
    for option in options:
        raw = form.get(f"rank-{option.id}", "").strip()
        if raw:
            ranks[option.id] = _int_or_invalid(raw)
    if len(set(ranks.values())) != len(ranks):
        raise counting.BallotInvalid("duplicate_option", "two options share a place")
    position = {o.id: i for i, o in enumerate(options)}
    return {"ranking": sorted(ranks, key=lambda o: (ranks[o], position[o]))}


def ballot_error(invalid: counting.BallotInvalid) -> DomainError:
    return DomainError(service.BALLOT_ERRORS[invalid.code], code=invalid.code, status=400)


def cast(poll: Poll, user_id: int, voter_key: str, form, client_id: str) -> dict:
    """One ballot from an HTML form, through the same path as a phone's."""
    if poll.status == PollStatus.DRAFT:
        raise DomainError(_l("The poll is not open yet."), code="poll_not_open", status=409)
    try:
        raw = ballot_from_form(poll, form)
    except counting.BallotInvalid as invalid:
        raise ballot_error(invalid) from invalid
    return service.cast_ballot(poll.id, user_id, raw, client_id, voter_key)


def cast_on_behalf(poll: Poll, staff, voter_key: str, form, client_id: str) -> dict:
    """The facilitator records a present person's ballot from the poll page's form."""
    try:
        raw = ballot_from_form(poll, form)
    except counting.BallotInvalid as invalid:
        raise ballot_error(invalid) from invalid
    return service.cast_on_behalf(poll, staff, voter_key, raw, client_id)


def hands_from_form(poll: Poll, form) -> dict:
    """The counts of a show of hands from the poll page's closing form."""
    hands = {}
    for value in service.hands_values(poll):
        raw = (form.get(f"hands-{value}") or "").strip() or "0"
        if not raw.isdigit() or len(raw) > 6:
            raise DomainError(
                _l("Each count must be a whole number, 0 or more."), code="hands_count"
            )
        hands[value] = int(raw)
    return hands


def hands_labels(poll: Poll) -> list[tuple[str, str]]:
    """(value, label) for each count a show of hands takes."""
    if poll.method.value in VOTE_CHOICES:
        return [(v, str(label)) for v, label in VOTE_CHOICES[poll.method.value]]
    return [(str(o.id), o.label) for o in poll.options]


# --- the roll: who voted (and, with an open ballot, what) -----------------------------------------


def _voter_names(keys) -> dict[str, str]:
    users = {int(k[2:]) for k in keys if k.startswith("u:")}
    orgs = {int(k[2:]) for k in keys if k.startswith("o:")}
    names = {}
    if users:
        for uid, name in db.session.execute(
            select(User.id, User.display_name).where(User.id.in_(users))
        ):
            names[f"u:{uid}"] = name
    if orgs:
        for oid, name in db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))
        ):
            names[f"o:{oid}"] = name
    return names


def describe_choice(poll: Poll, choice: dict | None) -> str:
    """A ballot's choice in words, with the options' labels."""
    if not choice:
        return ""
    labels = {o.id: o.label for o in poll.options}
    method = poll.method.value
    if method in VOTE_CHOICES:
        return str(dict(VOTE_CHOICES[method]).get(choice.get("vote"), choice.get("vote")))
    if method == "gradient":
        level = choice.get("level")
        return f"{level} · {dict(GRADIENT_LEVELS).get(level, '')}"
    if method == "single":
        return labels.get(choice.get("option"), "?")
    if method == "approval":
        return ", ".join(labels.get(o, "?") for o in choice.get("options", [])) or "—"
    if method == "dots":
        return ", ".join(f"{labels.get(int(o), '?')} × {n}" for o, n in choice["dots"].items())
    if method == "score":
        return ", ".join(f"{labels.get(int(o), '?')}: {n}" for o, n in choice["scores"].items())
    return " › ".join(labels.get(o, "?") for o in choice.get("ranking", []))


def roll(poll: Poll, *, with_choices: bool = True) -> list[dict]:
    """Everyone who could vote, whether they did, who cast it (a proxy, a delegate, the
    facilitator) and, with an open ballot, what they chose (once results are shown). A secret
    ballot's roll says who voted and never what."""
    if poll.status == PollStatus.DRAFT:
        return []
    keys = sorted(poll.electorate or {})
    records = {
        r.voter_key: r
        for r in db.session.scalars(select(VoteRecord).where(VoteRecord.poll_id == poll.id))
    }
    choices = {}
    if with_choices and not poll.secret:
        choices = dict(
            db.session.execute(
                select(Ballot.voter_key, Ballot.choice).where(
                    Ballot.poll_id == poll.id, Ballot.voter_key.is_not(None)
                )
            ).all()
        )
    names = _voter_names(keys)
    casters = {r.cast_by_id for r in records.values() if r.cast_by_id}
    caster_names = dict(
        db.session.execute(select(User.id, User.display_name).where(User.id.in_(casters))).all()
        if casters
        else []
    )
    rows = []
    for key in keys:
        record = records.get(key)
        cast_by = record.cast_by_id if record else None
        own = key == f"u:{cast_by}"
        rows.append(
            {
                "voter_key": key,
                "name": names.get(key, "?"),
                "voted": record is not None,
                "choice": describe_choice(poll, choices.get(key)) if record else "",
                "cast_by": None if own or cast_by is None else caster_names.get(cast_by, "?"),
            }
        )
    return sorted(rows, key=lambda r: r["name"].casefold())


def present_voters_without_ballot(poll: Poll) -> list[tuple[str, str]]:
    """(voter key, name) of those present who have not voted: the facilitator may record their
    ballot for them."""
    meeting = meeting_of(poll)
    if meeting is None or poll.status != PollStatus.OPEN or poll.secret or poll.show_of_hands:
        return []
    present = set(
        db.session.scalars(
            select(Attendance.user_id).where(
                Attendance.meeting_id == meeting.id, Attendance.left_at.is_(None)
            )
        )
    )
    delegations = service._delegations(poll.organisation_id) if poll.weighting != "person" else []
    present_orgs = {f"o:{org}" for org, user in delegations if user in present}
    here = {f"u:{uid}" for uid in present} | present_orgs
    voted = set(
        db.session.scalars(select(VoteRecord.voter_key).where(VoteRecord.poll_id == poll.id))
    )
    keys = [k for k in (poll.electorate or {}) if k in here and k not in voted]
    names = _voter_names(keys)
    return sorted(((k, names.get(k, "?")) for k in keys), key=lambda kv: kv[1].casefold())


# --- reminders ------------------------------------------------------------------------------------


def non_voters(poll: Poll) -> set[int]:
    """The people who can still cast a vote nobody has cast yet (delegates for organisations)."""
    voted = set(
        db.session.scalars(select(VoteRecord.voter_key).where(VoteRecord.poll_id == poll.id))
    )
    missing = [key for key in (poll.electorate or {}) if key not in voted]
    people = {int(key[2:]) for key in missing if key.startswith("u:")}
    organisations = {int(key[2:]) for key in missing if key.startswith("o:")}
    if organisations:
        for organisation_id, user_id in service._delegations(poll.organisation_id):
            if organisation_id in organisations:
                people.add(user_id)
    if not people:
        return set()
    return set(
        db.session.scalars(select(User.id).where(User.id.in_(people), User.active.is_(True)))
    )


def remind_non_voters(poll: Poll) -> int:
    """An in-app notice for everyone who has not voted yet; returns how many were reminded.

    Someone with an unread reminder about the poll gets it moved to the top, not a second one.
    """
    if poll.status != PollStatus.OPEN:
        raise DomainError(_l("This poll is not open."), code="not_open", status=409)
    people = non_voters(poll)
    now = utcnow()
    unread = {
        n.user_id: n
        for n in db.session.scalars(
            select(Notification).where(
                Notification.poll_id == poll.id,
                Notification.kind == POLL_REMINDER,
                Notification.read_at.is_(None),
            )
        )
    }
    for user_id in sorted(people):
        if user_id in unread:
            unread[user_id].created_at = now
            continue
        db.session.add(
            Notification(
                user_id=user_id,
                organisation_id=poll.organisation_id,
                meeting_id=poll.meeting_id,
                poll_id=poll.id,
                kind=POLL_REMINDER,
                created_at=now,
            )
        )
    return len(people)


# --- results as tables ----------------------------------------------------------------------------


def _share(part, base) -> Decimal | None:
    part, base = to_decimal(part), to_decimal(base)
    if part is None or not base:
        return None
    return (part * 100 / base).quantize(Decimal("0.1"))


def _row(label, value, share=None, mark: str = "", extra: str = "") -> dict:
    return {
        "label": str(label),
        "value": number(value),
        "percent": percent(share) if share is not None else "—",
        "bar": float(share) if share is not None else 0.0,
        "mark": mark,
        "extra": extra,
    }


def _mark(option_id: int, result: dict) -> str:
    if option_id in (result.get("winners") or []):
        return "winner"
    if option_id in (result.get("tied") or []):
        return "tied"
    return ""


def result_view(poll: Poll, result: dict | None = None) -> dict | None:
    """A result laid out for a page: outcome, rule, explanation, rows with shares, and tables."""
    result = result if result is not None else poll.result
    if not result:
        return None
    labels = {o.id: o.label for o in poll.options}
    method = poll.method.value
    view = {
        "outcome": outcome(result),
        "outcome_key": result.get("outcome"),
        "method": method,
        "explanation": explain(result, labels),
        "rule": rule(method, poll.config),
        "columns": [str(_l("Votes")), str(_l("Share"))],
        "rows": [],
        "facts": [],
        "tables": [],
        "notes": [],
    }
    rows = view["rows"]
    if method in VOTE_CHOICES:
        counts = result.get("counts", {})
        shares = result.get("percentages")
        total = sum((to_decimal(v) or 0) for v in counts.values())
        for value, label in VOTE_CHOICES[method]:
            if shares is not None:
                share = to_decimal(shares[value]) if shares.get(value) is not None else None
            else:
                share = _share(counts.get(value, 0), total)
            rows.append(_row(label, counts.get(value, 0), share))
        if method == "yes_no" and result.get("abstentions") == "excluded":
            view["facts"].append((str(_l("Abstentions")), str(_l("not counted in the shares"))))
    elif method == "gradient":
        distribution = result.get("distribution", {})
        for level, label in GRADIENT_LEVELS:
            count = distribution.get(str(level), 0)
            rows.append(_row(f"{level} · {label}", count, _share(count, result.get("total"))))
        view["facts"] += [
            (str(_l("Average")), number(result.get("mean"))),
            (str(_l("Median")), number(result.get("median"))),
        ]
    elif method in ("single", "approval", "dots", "score"):
        totals = result.get("totals", {})
        base = (
            sum((to_decimal(v) or 0) for v in totals.values())
            if method == "dots"
            else result.get("cast_weight")
        )
        if method == "score":
            view["columns"] = [str(_l("Points")), str(_l("Average"))]
        for option_id in result.get("ranking", [o.id for o in poll.options]):
            total = totals.get(str(option_id), 0)
            if method == "score":
                average = (result.get("averages") or {}).get(str(option_id))
                row = _row(labels.get(option_id, option_id), total, None, _mark(option_id, result))
                row["percent"] = number(average)
                row["bar"] = float(to_decimal(average) or 0) * 20
            else:
                row = _row(
                    labels.get(option_id, option_id),
                    total,
                    _share(total, base),
                    _mark(option_id, result),
                )
            rows.append(row)
    elif method == "ranked_irv":
        _irv(result, labels, view)
    elif method == "ranked_schulze":
        _schulze(result, labels, view)
    return view


def _irv(result: dict, labels: dict, view: dict) -> None:
    view["notes"] = tie_breaks(result, labels)
    rounds = result.get("rounds") or []
    first = rounds[0]["tallies"] if rounds else {}
    active = rounds[0]["active"] if rounds else 0
    ordered = sorted(labels, key=lambda o: -(to_decimal(first.get(str(o), 0)) or 0))
    view["columns"] = [str(_l("First preferences")), str(_l("Share"))]
    for option_id in ordered:
        count = first.get(str(option_id), 0)
        view["rows"].append(
            _row(labels[option_id], count, _share(count, active), _mark(option_id, result))
        )
    for seat in result.get("seat_results") or []:
        table = {
            "caption": str(_l("Rounds of the count"))
            if len(result.get("seat_results")) == 1
            else str(_l("Rounds of the count for place %(seat)s", seat=seat["seat"])),
            "columns": [str(_l("Round %(round)s", round=r["round"])) for r in seat["rounds"]],
            "rows": [],
        }
        out: set[str] = set()
        for option_id, label in labels.items():
            cells = []
            for r in seat["rounds"]:
                key = str(option_id)
                cells.append(
                    "" if key in out or key not in r["tallies"] else number(r["tallies"][key])
                )
                if r.get("eliminated") == option_id:
                    out.add(key)
            table["rows"].append({"label": label, "cells": cells})
        table["rows"].append(
            {
                "label": str(_l("Ballots with no preference left")),
                "cells": [number(r["exhausted"]) for r in seat["rounds"]],
            }
        )
        table["rows"].append(
            {
                "label": str(_l("Eliminated")),
                "cells": [
                    labels.get(r["eliminated"], "") if r.get("eliminated") else "—"
                    for r in seat["rounds"]
                ],
            }
        )
        view["tables"].append(table)


def _schulze(result: dict, labels: dict, view: dict) -> None:
    wins = result.get("wins", {})
    view["columns"] = [str(_l("Options it beats"))]
    for option_id in result.get("ranking", list(labels)):
        view["rows"].append(
            _row(
                labels.get(option_id, option_id),
                wins.get(str(option_id), 0),
                None,
                _mark(option_id, result),
            )
        )
    pairwise = result.get("pairwise") or {}
    table = {
        "caption": str(_l("Head to head: how many preferred the row's option to the column's")),
        "columns": list(labels.values()),
        "rows": [],
    }
    for a, label in labels.items():
        row = pairwise.get(str(a), {})
        table["rows"].append(
            {"label": label, "cells": ["—" if a == b else number(row.get(str(b))) for b in labels]}
        )
    view["tables"].append(table)


def shown_result(poll: Poll) -> dict | None:
    """The result a page may show: the final one, or the running count if the poll shows it."""
    if poll.status == PollStatus.CLOSED:
        return poll.result
    if poll.status == PollStatus.OPEN and poll.show_running_results and not poll.secret:
        return service.tally(poll)
    return None


def for_everyone(poll: Poll) -> bool:
    return poll.eligibility == Eligibility.ALL_MEMBERS
