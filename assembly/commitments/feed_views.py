"""The personal calendar feed: the page where a person makes, replaces or turns off its address,
and the address itself, read by calendar apps without logging in."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from assembly.commitments import feed as service
from assembly.core.actions import carry_out, require_confirmation
from assembly.core.clock import utcnow
from assembly.core.forms import ConfirmForm
from assembly.extensions import db, limiter

bp = Blueprint("calendar", __name__)
log = logging.getLogger(__name__)

# The address is a secret: no page it is shown on, nor the feed, hands it on as a Referer, and
# no cache keeps it.
_PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _page(token: str | None = None, status: int = 200):
    html = render_template(
        "commitments/calendar.html",
        feed=service.feed_of(current_user),
        url=service.feed_url(token) if token else None,
        confirm=ConfirmForm(),
    )
    return html, status, _PRIVATE


@bp.get("/commitments/calendar")
@login_required
def settings():
    return _page()


@bp.post("/commitments/calendar")
@login_required
def create():
    require_confirmation()
    token = service.new_feed(current_user)
    db.session.commit()
    return _page(token)


@bp.post("/commitments/calendar/off")
@login_required
def revoke():
    require_confirmation()
    return carry_out(
        lambda: service.revoke_feed(current_user),
        done=_("Your calendar address no longer works."),
        category="info",
        to=url_for("calendar.settings"),
    )


@bp.get("/calendar/<token>.ics")
@limiter.limit(lambda: current_app.config["CALENDAR_RATE_LIMIT"])
def feed(token: str):
    feed = service.feed_for_token(token)
    if feed is None:
        abort(404)
    try:
        now = utcnow()
        body = service.calendar(feed.user, now)
        service.note_read(feed, now)
        db.session.commit()
    except Exception:
        # Logged here, without the address: the app's own handler would log the path.
        log.exception("The calendar feed of account %s failed", feed.user_id)
        db.session.rollback()
        abort(500)
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            **_PRIVATE,
            "Content-Disposition": 'inline; filename="assembly.ics"',
            "X-Robots-Tag": "noindex",
        },
    )
