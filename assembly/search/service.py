"""The search index kept in step with its sources, and searches over it as one person.

Keeping in step: every flush notes which searchable records were created, changed (in a field the
index holds) or deleted; just before the transaction commits, those records are read back and
their index rows rewritten with plain SQL in the same transaction. A record and its index row
are therefore committed, or rolled back, together. Records that die with their meeting or
organisation also go with them by the index's own foreign keys (ON DELETE CASCADE).

Who may read a row is written on it as scope tokens, so the engine filters by access before it
ranks anything (a member of one of fifty organisations ranks that organisation's matches, not
everyone's): `o12` for everyone with standing in organisation 12, `o12p` for those who prepare
its meetings (draft meetings and their agendas), `o12e` for those who edit its minutes (draft
minutes), `o12d` for those who manage its proposals (drafts), `o12a7` for person 7 named on a draft
(an author of a draft proposal; the facilitator, secretary or an approver of draft minutes),
`o12m` for the readers of a network's approved minutes without standing in it. `scope_tokens`
derives a person's tokens from assembly/permissions.py (`standing`, `can`,
`reads_minutes_through_member`); no rule is decided here.

The same column carries tokens to filter by, not to read by: the kind (`k`), the status (`s`)
and the people a record is tied to (`u7`), so the engine narrows by them in its own index.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import DateTime, delete, event, func, insert, inspect, select, text
from sqlalchemy.orm import Session

from assembly.commitments.models import Commitment, CommitmentOwner, CommitmentStatus
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting, MeetingStatus
from assembly.minutes.models import (
    Minutes,
    MinutesApproval,
    MinutesApprover,
    MinutesStatus,
    MinutesVersion,
)
from assembly.organisations.models import (
    Delegate,
    Membership,
    MinutesReaders,
    NetworkMembership,
    Organisation,
)
from assembly.permissions import Action, can, reads_minutes_through_member, standing
from assembly.proposals.models import Proposal, ProposalAuthor, ProposalStatus
from assembly.search import terms as words
from assembly.search.models import FTS_TABLE, SearchDocument
from assembly.search.terms import RESERVED as R
from assembly.voting.models import Decision
from assembly.workshops.models import Topic

KINDS = ("meeting", "item", "topic", "proposal", "decision", "commitment", "minutes")
# Draft minutes (or a correction awaiting approval) have a row of their own beside the
# approved text's: found as "minutes" by those who may read them.
MINUTES_DRAFT = "minutes_draft"
# The statuses one may filter by, per kind.
STATUSES = {
    "meeting": tuple(MeetingStatus),
    "proposal": tuple(ProposalStatus),
    "commitment": tuple(CommitmentStatus),
    "minutes": tuple(MinutesStatus),
}
PAGE = 20
SHORTLIST = 300  # PostgreSQL ranks at most this many matches (see _postgres)
TITLE_MAX = 300
SCOPE_MAX = 200  # the column's length

# The fields of each source that the index holds: a change elsewhere (a meeting's live state, a
# topic's position) leaves the index alone.
_WATCHED = {
    # Its facilitator and secretary: whom its records are tied to, who reads draft minutes.
    Meeting: (
        "title",
        "place",
        "starts_at",
        "status",
        "organisation_id",
        "facilitator_id",
        "secretary_id",
    ),
    AgendaItem: ("title", "description", "meeting_id"),
    Topic: ("title", "main_points", "removed_at", "meeting_id"),
    # A proposal is touched (updated_at) when its authors change: a draft's readers.
    Proposal: ("title", "body", "status", "organisation_id", "updated_at"),
    Decision: ("title", "text", "decided_at", "organisation_id", "proposal_id"),
    Commitment: ("what", "status", "organisation_id"),
    Minutes: ("status", "organisation_id"),
    MinutesVersion: ("text", "approved_at"),
    CommitmentOwner: ("user_id",),
}
_KIND_OF = {
    Meeting: "meeting",
    AgendaItem: "item",
    Topic: "topic",
    Proposal: "proposal",
    Decision: "decision",
    Commitment: "commitment",
    Minutes: "minutes",
}
# Records that change who reads or is tied to another one: the key of that one.
_PART_OF = {
    ProposalAuthor: lambda session, o: ("proposal", o.proposal_id),
    CommitmentOwner: lambda session, o: ("commitment", o.commitment_id),
    MinutesVersion: lambda session, o: ("minutes", o.minutes_id),
    MinutesApprover: lambda session, o: ("minutes", o.minutes_id),
    MinutesApproval: lambda session, o: _minutes_key(session, o.version_id),
}
# Kinds whose rows one source writes together: refreshing it rewrites (or removes) them all.
_SIBLINGS = {"minutes": (MINUTES_DRAFT,), MINUTES_DRAFT: ("minutes",)}


def _minutes_key(session: Session, version_id: int):
    version = session.get(MinutesVersion, version_id)
    return ("minutes", version.minutes_id) if version is not None else None


def token(value) -> str:
    """A value as part of a scope token: letters and digits only (`in_progress` would be two
    words to the engines)."""
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


# --- what a record looks like in the index ------------------------------------------------------


def _meeting_scope(meeting: Meeting) -> str:
    org = meeting.organisation_id
    return f"{R}o{org}p" if meeting.status == MeetingStatus.DRAFT else f"{R}o{org}"


def _scope(readers: str, kind: str, status, people) -> str:
    """Who may read (the first token always kept), the kind and status, then the people tied to
    the record, as long as they fit: a person left out is a filter that misses, a reader left
    out (a draft's tenth approver) one who does not find it, never one who finds too much."""
    first, *more = readers.split()
    tokens = [first, f"{R}k{kind}"]
    if status:
        tokens.append(f"{R}s{token(status)}")
    scope = " ".join(tokens)
    for extra in [*more, *(f"{R}u{user_id}" for user_id in dict.fromkeys(people) if user_id)]:
        if len(scope) + 1 + len(extra) <= SCOPE_MAX:
            scope += " " + extra
    return scope


def _row(
    kind,
    source_id,
    organisation_id,
    title,
    body,
    at,
    scope,
    status="",
    meeting_id=None,
    people=(),
    found_as=None,
):
    """`found_as`: the kind it is filtered by when not its own (draft minutes as minutes)."""
    title = " ".join((title or "").split())[:TITLE_MAX] or "—"
    return {
        "kind": kind,
        "source_id": source_id,
        "organisation_id": organisation_id,
        "meeting_id": meeting_id,
        "title": title,
        "body": body or "",
        "happened_at": at,
        "status": str(status or ""),
        "scope": _scope(scope, found_as or kind, status, people),
        "title_terms": words.index_terms(title),
        "body_terms": words.index_terms(body or ""),
    }


def _meeting_rows(meeting: Meeting, with_minutes: bool = True) -> list[dict]:
    scope = _meeting_scope(meeting)
    rows = [
        _row(
            "meeting",
            meeting.id,
            meeting.organisation_id,
            meeting.title,
            meeting.place,
            meeting.starts_at,
            scope,
            meeting.status,
            meeting.id,
            people=(meeting.facilitator_id, meeting.secretary_id),
        )
    ]
    minutes = with_minutes and minutes_of(meeting)
    if minutes:
        rows += _minutes_rows(minutes, meeting)
    for item in db.session.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)):
        rows.append(_item_row(item, meeting))
    for topic in db.session.scalars(select(Topic).where(Topic.meeting_id == meeting.id)):
        if topic.removed_at is None:
            rows.append(_topic_row(topic, meeting))
    return rows


def _item_row(item: AgendaItem, meeting: Meeting) -> dict:
    return _row(
        "item",
        item.id,
        meeting.organisation_id,
        item.title,
        item.description,
        meeting.starts_at,
        _meeting_scope(meeting),
        item.state,
        meeting.id,
    )


def _topic_row(topic: Topic, meeting: Meeting) -> dict:
    return _row(
        "topic",
        topic.id,
        meeting.organisation_id,
        topic.title,
        topic.main_points,
        meeting.starts_at,
        _meeting_scope(meeting),
        "",
        meeting.id,
    )


def minutes_of(meeting: Meeting) -> Minutes | None:
    return db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))


def _authors(proposal_id: int | None) -> list[int]:
    if proposal_id is None:
        return []
    return list(
        db.session.scalars(
            select(ProposalAuthor.user_id)
            .where(ProposalAuthor.proposal_id == proposal_id)
            .order_by(ProposalAuthor.user_id)
        )
    )


def _proposal_row(proposal: Proposal) -> dict:
    org = proposal.organisation_id
    authors = _authors(proposal.id)
    if proposal.status == ProposalStatus.DRAFT:
        scope = " ".join([f"{R}o{org}d", *(f"{R}o{org}a{user_id}" for user_id in authors)])
    else:
        scope = f"{R}o{org}"
    return _row(
        "proposal",
        proposal.id,
        org,
        proposal.title,
        proposal.body,
        proposal.created_at,
        scope,
        proposal.status,
        people=authors,
    )


def _decision_row(decision: Decision) -> dict:
    org = decision.organisation_id
    return _row(
        "decision",
        decision.id,
        org,
        decision.title,
        decision.text,
        decision.decided_at,
        f"{R}o{org}",
        people=_authors(decision.proposal_id),
    )


def _commitment_row(commitment: Commitment) -> dict:
    org = commitment.organisation_id
    return _row(
        "commitment",
        commitment.id,
        org,
        commitment.what,
        commitment.what if len(commitment.what or "") > TITLE_MAX else "",
        commitment.created_at,
        f"{R}o{org}",
        commitment.status,
        people=db.session.scalars(
            select(CommitmentOwner.user_id)
            .where(CommitmentOwner.commitment_id == commitment.id)
            .order_by(CommitmentOwner.id)
        ),
    )


_MD_TAG = re.compile(r"<[^>\n]*>")
_MD_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_MD_LINE_START = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*[-*_=|: \t]{3,}$", re.MULTILINE)
_MD_MARKS = re.compile(r"[*`~]+|(?<![^\W_])_+|_+(?![^\W_])")


def plain_text(markdown: str) -> str:
    """Markdown as the words a reader sees, cheaply: no tags, link targets, heading, list,
    quote or emphasis marks, table rules (the index and its snippets show words, not syntax)."""
    text = _MD_TAG.sub(" ", markdown or "")
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_RULE.sub("", text)
    text = _MD_LINE_START.sub("", text)
    text = _MD_MARKS.sub("", text).replace("|", " ")
    return html.unescape(text)


def _minutes_rows(minutes: Minutes, meeting: Meeting) -> list[dict]:
    """The approved text, for every reader of the minutes; and the version under way when it is
    not that one, for those who keep the minutes and those named on them (as
    minutes.service.readable_versions reads them)."""
    # Read from the database (all flushed by now), not from collections loaded earlier.
    db.session.expire(minutes, ["versions", "approvers"])
    org = minutes.organisation_id
    title = f"Acta: {meeting.title}"
    signed_by = (meeting.facilitator_id, meeting.secretary_id)
    rows = []
    published = minutes.published
    if published is not None:
        rows.append(
            _row(
                "minutes",
                minutes.id,
                org,
                title,
                plain_text(published.text),
                meeting.starts_at,
                f"{R}o{org} {R}o{org}m",
                MinutesStatus.APPROVED,
                meeting.id,
                people=signed_by,
            )
        )
    latest = minutes.latest if minutes.versions else None
    if latest is not None and latest is not published:
        approvers = [a.user_id for a in minutes.approvers]
        named = dict.fromkeys(u for u in (*signed_by, *approvers) if u)
        rows.append(
            _row(
                MINUTES_DRAFT,
                minutes.id,
                org,
                title,
                plain_text(latest.text),
                meeting.starts_at,
                " ".join([f"{R}o{org}e", *(f"{R}o{org}a{user_id}" for user_id in named)]),
                MinutesStatus.DRAFT,
                meeting.id,
                people=signed_by,
                found_as="minutes",
            )
        )
    return rows


def _rows_for(kind: str, source_id: int) -> list[dict]:
    """The index rows a record has now (none if it is gone); a meeting brings its agenda and
    topics, whose date and readers follow it."""
    if kind == "meeting":
        meeting = db.session.get(Meeting, source_id)
        return _meeting_rows(meeting) if meeting else []
    if kind == "item":
        item = db.session.get(AgendaItem, source_id)
        meeting = item and db.session.get(Meeting, item.meeting_id)
        return [_item_row(item, meeting)] if meeting else []
    if kind == "topic":
        topic = db.session.get(Topic, source_id)
        if topic is None or topic.removed_at is not None:
            return []
        meeting = db.session.get(Meeting, topic.meeting_id)
        return [_topic_row(topic, meeting)] if meeting else []
    if kind == "proposal":
        proposal = db.session.get(Proposal, source_id)
        return [_proposal_row(proposal)] if proposal else []
    if kind == "decision":
        decision = db.session.get(Decision, source_id)
        return [_decision_row(decision)] if decision else []
    if kind in ("minutes", MINUTES_DRAFT):
        minutes = db.session.get(Minutes, source_id)
        meeting = minutes and db.session.get(Meeting, minutes.meeting_id)
        return _minutes_rows(minutes, meeting) if meeting else []
    commitment = db.session.get(Commitment, source_id)
    return [_commitment_row(commitment)] if commitment else []


def _also(keys: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Records whose rows follow these: a proposal's decisions (tied to its authors)."""
    proposals = [source_id for kind, source_id in keys if kind == "proposal"]
    if not proposals:
        return set()
    decisions = db.session.scalars(select(Decision.id).where(Decision.proposal_id.in_(proposals)))
    return {("decision", decision_id) for decision_id in decisions}


def write_rows(connection_or_session, rows: list[dict]) -> None:
    if rows:
        connection_or_session.execute(insert(SearchDocument), rows)


def refresh(keys) -> None:
    """Rewrite the index rows of these (kind, id) records from what the database holds now."""
    rows: dict[tuple[str, int], dict] = {}
    gone: set[tuple[str, int]] = set()
    keys = set(keys)
    for kind, source_id in sorted(keys | _also(keys)):
        gone.add((kind, source_id))
        for row in _rows_for(kind, source_id):
            rows[(row["kind"], row["source_id"])] = row
    gone |= set(rows)
    gone |= {(sibling, i) for kind, i in gone for sibling in _SIBLINGS.get(kind, ())}
    for kind, ids in itertools.groupby(sorted(gone), key=lambda key: key[0]):
        db.session.execute(
            delete(SearchDocument).where(
                SearchDocument.kind == kind,
                SearchDocument.source_id.in_([source_id for _, source_id in ids]),
            ),
            execution_options={"synchronize_session": False},
        )
    write_rows(db.session, list(rows.values()))


# --- keeping in step: session events --------------------------------------------------------------

_PENDING = "search_pending"


def _changed(obj, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def _collect(session: Session, _flush_context) -> None:
    pending = session.info.setdefault(_PENDING, set())
    for obj in itertools.chain(session.new, session.deleted):
        if type(obj) in _KIND_OF:
            pending.add((_KIND_OF[type(obj)], obj.id))
        elif type(obj) in _PART_OF:  # a draft's readers, a record's people, minutes' versions
            pending.add(_PART_OF[type(obj)](session, obj))
    for obj in session.dirty:
        fields = _WATCHED.get(type(obj))
        if fields and _changed(obj, fields):
            key = _PART_OF.get(type(obj))
            pending.add(key(session, obj) if key else (_KIND_OF[type(obj)], obj.id))
    pending.discard(None)
    if not pending:
        session.info.pop(_PENDING, None)


def _before_commit(session: Session) -> None:
    if not session.info.get(_PENDING) and not (session.new or session.dirty or session.deleted):
        return
    session.flush()  # what is still unflushed is noted too
    pending = session.info.pop(_PENDING, None)
    if pending and session is db.session():
        refresh(pending)
        session.info.pop(_PENDING, None)


def listen() -> None:
    """Keep the index in step with every session's commits (once per process)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "before_commit", _before_commit)


# --- rebuilding ----------------------------------------------------------------------------------


def reindex(batch: int = 500) -> int:
    """Rebuild the whole index from its sources; returns how many rows it holds."""
    db.session.execute(delete(SearchDocument))
    count = 0
    sources = [
        (Meeting, lambda m: _meeting_rows(m, with_minutes=False)),
        (Minutes, lambda minutes: _minutes_rows(minutes, minutes.meeting)),
        (Proposal, lambda p: [_proposal_row(p)]),
        (Decision, lambda d: [_decision_row(d)]),
        (Commitment, lambda c: [_commitment_row(c)]),
    ]
    for model, rows_of in sources:
        last = 0
        while True:
            chunk = list(
                db.session.scalars(
                    select(model).where(model.id > last).order_by(model.id).limit(batch)
                )
            )
            if not chunk:
                break
            rows = [row for record in chunk for row in rows_of(record)]
            write_rows(db.session, rows)
            count += len(rows)
            last = chunk[-1].id
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))
    db.session.info.pop(_PENDING, None)
    return count


def fill_if_empty() -> None:
    """Build the index if it is empty while there are records to find (after the upgrade that
    brought it, or after it was emptied by hand)."""
    if db.session.scalar(select(SearchDocument.id).limit(1)) is not None:
        return
    for model in (Meeting, Minutes, Proposal, Decision, Commitment):
        if db.session.scalar(select(model.id).limit(1)) is not None:
            reindex()
            db.session.commit()
            return
    db.session.rollback()


# --- searching -----------------------------------------------------------------------------------


def readable_organisations(user) -> list[Organisation]:
    """Where the person has standing: their organisations, and the networks they are a
    delegate in (as assembly/permissions.py decides); and the networks whose approved minutes
    they read through their organisation (of which they find those minutes only)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    theirs = select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.left_at.is_(None)
    )
    delegated = (
        select(NetworkMembership.network_id)
        .join(Delegate, Delegate.network_membership_id == NetworkMembership.id)
        .where(Delegate.user_id == user.id, Delegate.ended_at.is_(None))
    )
    opened = (
        select(NetworkMembership.network_id)
        .join(Organisation, Organisation.id == NetworkMembership.network_id)
        .where(
            NetworkMembership.member_id.in_(theirs),
            NetworkMembership.left_at.is_(None),
            Organisation.minutes_readers == MinutesReaders.MEMBER_ORGANISATIONS,
        )
    )
    candidates = db.session.scalars(
        select(Organisation)
        .where(
            Organisation.id.in_(theirs)
            | Organisation.id.in_(delegated)
            | Organisation.id.in_(opened)
        )
        .order_by(Organisation.name)
    )
    return [
        o
        for o in candidates
        if standing(user, o) is not None or reads_minutes_through_member(user, o)
    ]


def people_to_filter_by(user, organisations: list[Organisation]) -> list[tuple[int, str]]:
    """(id, name) of the people of the organisations the person has standing in: their members
    and, in a network, its delegates. Nobody from anywhere else."""
    from assembly.accounts.models import User

    ids = [o.id for o in organisations if standing(user, o) is not None]
    if not ids:
        return []
    members = select(Membership.user_id).where(
        Membership.organisation_id.in_(ids), Membership.left_at.is_(None)
    )
    delegates = (
        select(Delegate.user_id)
        .join(NetworkMembership, Delegate.network_membership_id == NetworkMembership.id)
        .where(
            NetworkMembership.network_id.in_(ids),
            NetworkMembership.left_at.is_(None),
            Delegate.ended_at.is_(None),
        )
    )
    return [
        (row.id, row.display_name)
        for row in db.session.execute(
            select(User.id, User.display_name)
            .where(User.id.in_(members) | User.id.in_(delegates))
            .order_by(func.lower(User.display_name), User.id)
        )
    ]


def scope_tokens(user, organisations: list[Organisation]) -> list[str]:
    tokens = []
    for organisation in organisations:
        org = organisation.id
        if standing(user, organisation) is None:
            if reads_minutes_through_member(user, organisation):
                tokens.append(f"{R}o{org}m")
            continue
        tokens += [f"{R}o{org}", f"{R}o{org}a{user.id}"]
        if can(user, Action.PREPARE_MEETINGS, organisation):
            tokens.append(f"{R}o{org}p")
        if can(user, Action.EDIT_MINUTES, organisation):
            tokens.append(f"{R}o{org}e")
        if can(user, Action.MANAGE_PROPOSALS, organisation):
            tokens.append(f"{R}o{org}d")
    return tokens


@dataclass
class Hit:
    kind: str
    id: int
    title: str
    title_html: Markup
    snippet: Markup
    organisation: Organisation
    happened_at: datetime
    status: str
    meeting_id: int | None

    def url(self) -> str:
        from flask import url_for

        slug = self.organisation.slug
        if self.kind == "meeting":
            return url_for("meetings.detail", slug=slug, meeting_id=self.id)
        if self.kind == "item":
            return url_for(
                "meetings.detail", slug=slug, meeting_id=self.meeting_id, _anchor=f"item-{self.id}"
            )
        if self.kind == "topic":
            return url_for("meetings.detail", slug=slug, meeting_id=self.meeting_id)
        if self.kind == "proposal":
            return url_for("proposals.detail", slug=slug, proposal_id=self.id)
        if self.kind == "decision":
            # The log is paged: `decision` opens the page it is on.
            return url_for(
                "proposals.decisions", slug=slug, decision=self.id, _anchor=f"decision-{self.id}"
            )
        if self.kind == "minutes":
            return url_for("minutes.show", slug=slug, meeting_id=self.meeting_id)
        return url_for("commitments.detail", slug=slug, commitment_id=self.id)

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "organisation": self.organisation.slug,
            "date": self.happened_at.date().isoformat(),
            "url": self.url(),
        }


@dataclass
class Results:
    query: words.Query
    total: int
    hits: list[Hit]
    organisations: list[Organisation]


def search(
    user,
    text_query: str,
    *,
    organisation: Organisation | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    person: int | None = None,
    limit: int = PAGE,
    offset: int = 0,
    snippets: bool = True,
) -> Results:
    """What `user` may read that matches, best first (then newest), and how many match.

    `organisation` narrows to one of theirs (one they may not read finds nothing); `since` and
    `until` bound the date (until exclusive); `status` (one of STATUSES) and `person` (a user
    id) narrow to records in that status, and tied to that person."""
    query = words.parse(text_query)
    readable = readable_organisations(user)
    if organisation is not None:
        readable = [o for o in readable if o.id == organisation.id]
    if query.empty or not readable or (kind is not None and kind not in KINDS):
        return Results(query, 0, [], readable)
    tokens = scope_tokens(user, readable)
    if not tokens:
        return Results(query, 0, [], readable)
    # Every one of these must be on a row, besides one of `tokens`.
    required = [f"{R}k{kind}"] if kind else []
    if status:
        required.append(f"{R}s{token(status)}")
    if person is not None:
        required.append(f"{R}u{int(person)}")
    limit = max(1, min(limit, 100))
    offset = max(0, min(offset, 10_000))
    if db.engine.dialect.name == "postgresql":
        total, ranked = _postgres(query, tokens, required, since, until, limit, offset)
    else:
        total, ranked = _sqlite(query, tokens, required, since, until, limit, offset)
    by_id = {o.id: o for o in readable}
    hits = []
    for d in ranked:
        if d.organisation_id not in by_id:  # never shown whatever the engine said
            continue
        hits.append(
            Hit(
                kind="minutes" if d.kind == MINUTES_DRAFT else d.kind,
                id=d.source_id,
                title=d.title,
                title_html=words.highlight(d.title, query) if snippets else Markup(""),
                snippet=words.snippet(d.body, query) if snippets else Markup(""),
                organisation=by_id[d.organisation_id],
                happened_at=d.happened_at,
                status=d.status,
                meeting_id=d.meeting_id,
            )
        )
    return Results(query, total, hits, readable)


def _date_filters(since, until, params) -> str:
    sql = ""
    if since is not None:
        sql += " AND d.happened_at >= :since"
        params["since"] = since
    if until is not None:
        sql += " AND d.happened_at < :until"
        params["until"] = until
    return sql


_COLUMNS = "d.id, d.kind, d.source_id, d.organisation_id, d.meeting_id, d.title, d.body, "
_COLUMNS += "d.happened_at, d.status"


def _sqlite(query, tokens, required, since, until, limit, offset):
    scope = "scope : (" + " OR ".join(f'"{t}"' for t in tokens) + ")"
    for t in required:
        scope += f' AND scope : "{t}"'
    params = {"match": f"{scope} AND {words.fts5_match(query)}", "limit": limit, "offset": offset}
    dates = _date_filters(since, until, params)
    if dates:
        source = (
            f"FROM {FTS_TABLE} JOIN search_document d ON d.id = {FTS_TABLE}.rowid "
            f"WHERE {FTS_TABLE} MATCH :match{dates}"
        )
    else:
        source = f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match"
    # Title matches weigh four times body ones; the scope column does not count at all. bm25
    # cannot sit beside a window function, so the count is taken over the ranked rows.
    ranked = (
        "SELECT id, score, count(*) OVER () AS total FROM ("
        f"SELECT {FTS_TABLE}.rowid AS id, bm25({FTS_TABLE}, 0.0, 4.0, 1.0) AS score {source})"
    )
    return _page(ranked, f"SELECT count(*) {source}", params)


def _postgres(query, tokens, required, since, until, limit, offset):
    # Scope tokens are plain lexemes (no text term can take their form, see terms.RESERVED), so
    # the GIN index answers the whole condition exactly and no row's tsvector is re-read to check.
    # They are read with 'simple', as indexed; the words with the index's Spanish configuration.
    config = words.TS_CONFIG
    scope = "(" + " | ".join(f"'{t}'" for t in tokens) + ")"
    for t in required:
        scope += f" & '{t}'"
    params = {"q": words.tsquery(query), "scope": scope, "limit": limit, "offset": offset}
    params["shortlist"] = max(SHORTLIST, offset + limit)  # later pages: a longer list
    dates = _date_filters(since, until, params).replace("d.", "m.")
    # ts_rank reads each row's whole tsvector: a word in most of an organisation's records would
    # have it read thousands of them. So only a shortlist is ranked: those with the words in their
    # title first, then the newest. Weights D, C, B, A: body 0.1, title 1.0.
    ranked = (
        "SELECT d.id, -ts_rank('{0.1, 0.2, 0.0, 1.0}', d.terms, q) AS score, s.total FROM ("
        "SELECT m.id, count(*) OVER () AS total FROM search_document m, "
        f"to_tsquery('{config}', :q) q "
        f"WHERE m.terms @@ (q && to_tsquery('simple', :scope)){dates} "
        f"ORDER BY (to_tsvector('{config}', m.title_terms) @@ q) DESC, "
        "m.happened_at DESC, m.id DESC "
        "LIMIT :shortlist"
        f") s JOIN search_document d ON d.id = s.id, to_tsquery('{config}', :q) q"
    )
    count = (
        f"SELECT count(*) FROM search_document m, to_tsquery('{config}', :q) q "
        f"WHERE m.terms @@ (q && to_tsquery('simple', :scope)){dates}"
    )
    return _page(ranked, count, params)


def _page(ranked: str, count_sql: str, params: dict):
    """The page of index rows, best first, and how many match in all, in one round trip:
    `ranked` gives (id, score, total); only the page's rows are read in full."""
    sql = (
        f"SELECT {_COLUMNS}, r.total FROM ("
        f"SELECT id, score, total FROM ({ranked}) ranked "
        "ORDER BY score, id DESC LIMIT :limit OFFSET :offset"
        ") r JOIN search_document d ON d.id = r.id ORDER BY r.score, r.id DESC"
    )
    rows = db.session.execute(text(sql).columns(happened_at=DateTime), params).all()
    if rows:
        return rows[0].total, rows
    if params["offset"] == 0:
        return 0, []
    return db.session.execute(text(count_sql), params).scalar_one(), []
