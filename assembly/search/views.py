"""The search page: one box over everything the person may read, with filters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_login import current_user, login_required

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
}


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
    since, until = _day(request.args.get("from")), _day(request.args.get("to"))
    page = _page(request.args.get("page"))
    organisations = service.readable_organisations(current_user)
    chosen = next((o for o in organisations if o.slug == slug), None)
    results = None
    if query.strip():
        results = service.search(
            current_user,
            query,
            organisation=chosen,
            kind=kind or None,
            since=datetime.combine(since, datetime.min.time()) if since else None,
            until=datetime.combine(until + timedelta(days=1), datetime.min.time())
            if until
            else None,
            offset=(page - 1) * service.PAGE,
        )
    next_page = None
    if results is not None and results.total > page * service.PAGE:
        arguments = {
            k: v for k, v in request.args.items() if k in ("q", "org", "kind", "from", "to")
        }
        next_page = url_for("search.index", **arguments, page=page + 1)
    return render_template(
        "search/index.html",
        query=query,
        results=results,
        organisations=organisations,
        chosen=chosen,
        kind=kind,
        kinds=KIND_LABELS,
        since=since,
        until=until,
        next_page=next_page,
        # A decision's minutes and the commitments it led to, under its result.
        follow_up=decision_follow_up(
            current_user, [h.id for h in results.hits if h.kind == "decision"] if results else []
        ),
    )
