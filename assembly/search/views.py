"""The search page: one box over everything the person may read, with filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext, lazy_pgettext
from flask_login import current_user, login_required

from assembly.core.labels import label
from assembly.minutes.models import MinutesStatus
from assembly.proposals.service import decision_follow_up
from assembly.search import service
from assembly.search.terms import QUERY_MAX

bp = Blueprint("search", __name__)

KIND_LABELS = {
    "meeting": lazy_gettext("Meetings"),
    "item": lazy_gettext("Agenda items"),
    "topic": lazy_gettext("Workshop topics"),
    "proposal": lazy_gettext("Proposals"),
    "decision": lazy_gettext("Decisions"),
    "commitment": lazy_gettext("Commitments"),
    "minutes": lazy_pgettext("meeting record", "Minutes"),
}


def _status_labels() -> dict[str, list[tuple[str, str]]]:
    """The statuses offered, per kind, as ("kind:status", label)."""
    from assembly.commitments.forms import STATUS_LABELS as COMMITMENT
    from assembly.proposals.views import STATUS_LABELS as PROPOSAL

    names = {
        "meeting": {s: label(s) for s in service.STATUSES["meeting"]},
        "proposal": PROPOSAL,
        "commitment": COMMITMENT,
        "minutes": {
            MinutesStatus.DRAFT: lazy_gettext("Draft"),
            MinutesStatus.APPROVED: lazy_gettext("Approved"),
        },
    }
    return {
        kind: [(f"{kind}:{s.value}", str(names[kind][s])) for s in statuses]
        for kind, statuses in service.STATUSES.items()
    }


def _status(value: str | None) -> tuple[str, str] | None:
    """("kind", "status") from "kind:status", if it is one offered."""
    kind, _sep, status = (value or "").partition(":")
    if status and status in service.STATUSES.get(kind, ()):
        return kind, status
    return None


def _day(value: str | None) -> date | None:
    """A date filter; a malformed or far-fetched date is no filter, not an error."""
    try:
        day = date.fromisoformat((value or "").strip()[:10]) if value else None
    except ValueError:
        return None
    return day if day and 1900 <= day.year <= 2999 else None


def _page(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 4 else 1


@bp.get("/search")
@login_required
def index():
    query = (request.args.get("q") or "")[:QUERY_MAX]
    slug = request.args.get("org") or ""
    kind = request.args.get("kind") or ""
    kind = kind if kind in service.KINDS else ""
    status = _status(request.args.get("status"))
    if status:
        kind = status[0]  # a status is of one kind
    since, until = _day(request.args.get("from")), _day(request.args.get("to"))
    page = _page(request.args.get("page"))
    organisations = service.readable_organisations(current_user)
    chosen = next((o for o in organisations if o.slug == slug), None)
    people = service.people_to_filter_by(current_user, organisations)
    person = request.args.get("person") or ""
    person = next((user_id for user_id, _name in people if str(user_id) == person), None)
    results = None
    if query.strip():
        results = service.search(
            current_user,
            query,
            organisation=chosen,
            kind=kind or None,
            status=status[1] if status else None,
            person=person,
            since=datetime.combine(since, datetime.min.time()) if since else None,
            until=datetime.combine(until + timedelta(days=1), datetime.min.time())
            if until
            else None,
            offset=(page - 1) * service.PAGE,
        )
    next_page = None
    if results is not None and results.total > page * service.PAGE:
        kept = ("q", "org", "kind", "status", "person", "from", "to")
        arguments = {k: v for k, v in request.args.items() if k in kept}
        next_page = url_for("search.index", **arguments, page=page + 1)
    return render_template(
        "search/index.html",
        query=query,
        results=results,
        organisations=organisations,
        chosen=chosen,
        kind=kind,
        kinds=KIND_LABELS,
        statuses=_status_labels(),
        status=":".join(status) if status else "",
        people=people,
        person=person,
        since=since,
        until=until,
        next_page=next_page,
        # A decision's minutes and the commitments it led to, under its result.
        follow_up=decision_follow_up(
            current_user, [h.id for h in results.hits if h.kind == "decision"] if results else []
        ),
    )
