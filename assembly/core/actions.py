"""What every page that changes something does, once: find the thing in its organisation,
authorise, check the confirmation, run the service, then commit or refuse, say so, redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect
from flask_login import current_user

from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.extensions import db
from assembly.organisations.models import Organisation
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import Action, authorise


def organisation_for(slug: str, action: Action = Action.VIEW) -> Organisation:
    """The organisation, if the person may do `action` in it (NotFound or Forbidden)."""
    organisation = organisation_by_slug(slug)
    authorise(current_user, action, organisation)
    return organisation


def require_confirmation() -> None:
    """Buttons that change things send a confirmation form (and its CSRF token)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def carry_out(
    change: Callable[[], Any],
    *,
    to: str | Callable[[Any], str],
    done: str | Callable[[Any], str] | None = None,
    category: str = "success",
    refused_to: str | None = None,
):
    """Run `change`; commit, flash `done` and redirect `to` (either may be a function of the
    change's result), or, when a rule says no, roll back, flash why and redirect to
    `refused_to` (or `to`, if it is a plain address). A refusal that is a 404 stays a 404."""
    try:
        result = change()
    except DomainError as error:
        db.session.rollback()
        if error.status == 404:
            abort(404)
        flash(str(error), "error")
        return redirect(refused_to or to)
    db.session.commit()
    message = done(result) if callable(done) else done
    if message:
        flash(message, category)
    return redirect(to(result) if callable(to) else to)


def refuse(error: DomainError, to: str):
    """A refusal found before anything ran: say why and go back."""
    db.session.rollback()
    flash(str(error), "error")
    return redirect(to)
