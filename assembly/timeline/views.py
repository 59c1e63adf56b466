"""The timeline page of an organisation."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from assembly.commitments.service import today
from assembly.core.actions import organisation_for
from assembly.timeline import service

bp = Blueprint("timeline", __name__)


def _year(value: str | None) -> int | None:
    """A year from the address; anything else is the default year, not an error."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) == 4 else None


@bp.get("/o/<slug>/timeline")
@login_required
def index(slug: str):
    organisation = organisation_for(slug)
    timeline = service.timeline(current_user, organisation, _year(request.args.get("year")))
    return render_template(
        "timeline/index.html", organisation=organisation, timeline=timeline, today=today()
    )
