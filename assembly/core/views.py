from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from assembly.core.forms import safe_next
from assembly.core.i18n import normalise
from assembly.extensions import db
from assembly.organisations.service import places_of

bp = Blueprint("core", __name__)


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return render_template("core/welcome.html")
    places = places_of(current_user)
    return render_template(
        "core/home.html", places=places, current_id=current_user.current_organisation_id
    )


@bp.post("/language/<code>")
def set_language(code: str):
    """The footer's language switch: remembered in the session, and on the profile if logged in."""
    locale = normalise(code)
    if locale:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(url_for("core.home")))


@bp.get("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", languages=list(current_app.config["LANGUAGES"]))
