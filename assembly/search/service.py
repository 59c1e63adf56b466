"""The search index kept in step with its sources, and searches over it as one person.

Keeping in step: every flush notes which searchable records were created, changed (in a field the
index holds) or deleted; just before the transaction commits, those records are read back and
their index rows rewritten with plain SQL in the same transaction. A record and its index row
are therefore committed, or rolled back, together. Records that die with their meeting or
organisation also go with them by the index's own foreign keys (ON DELETE CASCADE).

Who may read a row is written on it as scope tokens, so the engine filters by access before it
ranks anything (a member of one of fifty organisations ranks that organisation's matches, not
everyone's): `o12` for everyone with standing in organisation 12, `o12p` for those who prepare
its meetings (draft meetings and their agendas), `o12d` for those who manage its proposals
(drafts), `o12a7` for the author 7 of a draft. `scope_tokens` derives a person's tokens from
assembly/permissions.py (`standing`, `can`); no rule is decided here.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy import DateTime, delete, event, insert, inspect, select, text
from sqlalchemy.orm import Session

from assembly.commitments.models import Commitment
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting, MeetingStatus
from assembly.organisations.models import Delegate, Membership, NetworkMembership, Organisation
from assembly.permissions import Action, can, standing
from assembly.proposals.models import Proposal, ProposalAuthor, ProposalStatus
from assembly.search import terms as words
from assembly.search.models import FTS_TABLE, SearchDocument
from assembly.search.terms import RESERVED as R
from assembly.voting.models import Decision
from assembly.workshops.models import Topic

KINDS = ("meeting", "item", "topic", "proposal", "decision", "commitment")
PAGE = 20
SHORTLIST = 300  # PostgreSQL ranks at most this many matches (see _postgres)
TITLE_MAX = 300

# The fields of each source that the index holds: a change elsewhere (a meeting's live state, a
# topic's position) leaves the index alone.
_WATCHED = {
    Meeting: ("title", "place", "starts_at", "status", "organisation_id"),
    AgendaItem: ("title", "description", "meeting_id"),
    Topic: ("title", "main_points", "removed_at", "meeting_id"),
    # A proposal is touched (updated_at) when its authors change: a draft's readers.
    Proposal: ("title", "body", "status", "organisation_id", "updated_at"),
    Decision: ("title", "text", "decided_at", "organisation_id"),
    Commitment: ("what", "status", "organisation_id"),
}
_KIND_OF = {
    Meeting: "meeting",
    AgendaItem: "item",
    Topic: "topic",
    Proposal: "proposal",
    Decision: "decision",
    Commitment: "commitment",
}


# --- what a record looks like in the index ------------------------------------------------------


def _meeting_scope(meeting: Meeting) -> str:
    org = meeting.organisation_id
    return f"{R}o{org}p" if meeting.status == MeetingStatus.DRAFT else f"{R}o{org}"


def _row(kind, source_id, organisation_id, title, body, at, scope, status="", meeting_id=None):
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
        "scope": f"{scope} {R}k{kind}",
        "title_terms": words.index_terms(title),
        "body_terms": words.index_terms(body or ""),
    }


def _meeting_rows(meeting: Meeting) -> list[dict]:
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
        )
    ]
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


def _proposal_row(proposal: Proposal) -> dict:
    org = proposal.organisation_id
    if proposal.status == ProposalStatus.DRAFT:
        authors = db.session.scalars(
            select(ProposalAuthor.user_id).where(ProposalAuthor.proposal_id == proposal.id)
        )
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
    )


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
    commitment = db.session.get(Commitment, source_id)
    return [_commitment_row(commitment)] if commitment else []


def write_rows(connection_or_session, rows: list[dict]) -> None:
    if rows:
        connection_or_session.execute(insert(SearchDocument), rows)


def refresh(keys) -> None:
    """Rewrite the index rows of these (kind, id) records from what the database holds now."""
    rows: dict[tuple[str, int], dict] = {}
    gone: set[tuple[str, int]] = set()
    for kind, source_id in sorted(set(keys)):
        gone.add((kind, source_id))
        for row in _rows_for(kind, source_id):
            rows[(row["kind"], row["source_id"])] = row
    gone |= set(rows)
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
        elif isinstance(obj, ProposalAuthor):  # a draft's readers
            pending.add(("proposal", obj.proposal_id))
    for obj in session.dirty:
        fields = _WATCHED.get(type(obj))
        if fields and _changed(obj, fields):
            pending.add((_KIND_OF[type(obj)], obj.id))
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
        (Meeting, _meeting_rows),
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
    for model in (Meeting, Proposal, Decision, Commitment):
        if db.session.scalar(select(model.id).limit(1)) is not None:
            reindex()
            db.session.commit()
            return
    db.session.rollback()


# --- searching -----------------------------------------------------------------------------------


def readable_organisations(user) -> list[Organisation]:
    """Where the person has standing: their organisations, and the networks they are a
    delegate in (as assembly/permissions.py decides)."""
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
    candidates = db.session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(theirs) | Organisation.id.in_(delegated))
        .order_by(Organisation.name)
    )
    return [o for o in candidates if standing(user, o) is not None]


def scope_tokens(user, organisations: list[Organisation]) -> list[str]:
    tokens = []
    for organisation in organisations:
        org = organisation.id
        tokens += [f"{R}o{org}", f"{R}o{org}a{user.id}"]
        if can(user, Action.PREPARE_MEETINGS, organisation):
            tokens.append(f"{R}o{org}p")
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
            return url_for("proposals.decisions", slug=slug, _anchor=f"decision-{self.id}")
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
    limit: int = PAGE,
    offset: int = 0,
    snippets: bool = True,
) -> Results:
    """What `user` may read that matches, best first (then newest), and how many match.

    `organisation` narrows to one of theirs (one they may not read finds nothing); `since` and
    `until` bound the date (until exclusive)."""
    query = words.parse(text_query)
    readable = readable_organisations(user)
    if organisation is not None:
        readable = [o for o in readable if o.id == organisation.id]
    if query.empty or not readable or (kind is not None and kind not in KINDS):
        return Results(query, 0, [], readable)
    tokens = scope_tokens(user, readable)
    limit = max(1, min(limit, 100))
    offset = max(0, min(offset, 10_000))
    if db.engine.dialect.name == "postgresql":
        total, ranked = _postgres(query, tokens, kind, since, until, limit, offset)
    else:
        total, ranked = _sqlite(query, tokens, kind, since, until, limit, offset)
    by_id = {o.id: o for o in readable}
    hits = []
    for d in ranked:
        if d.organisation_id not in by_id:  # never shown whatever the engine said
            continue
        hits.append(
            Hit(
                kind=d.kind,
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


def _sqlite(query, tokens, kind, since, until, limit, offset):
    scope = "scope : (" + " OR ".join(f'"{t}"' for t in tokens) + ")"
    if kind:
        scope += f' AND scope : "{R}k{kind}"'
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


def _postgres(query, tokens, kind, since, until, limit, offset):
    # Scope tokens are plain lexemes (no text term can take their form, see terms.RESERVED), so
    # the GIN index answers the whole condition exactly and no row's tsvector is re-read to check.
    # They are read with 'simple', as indexed; the words with the index's Spanish configuration.
    config = words.TS_CONFIG
    scope = "(" + " | ".join(f"'{t}'" for t in tokens) + ")"
    if kind:
        scope += f" & '{R}k{kind}'"
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
