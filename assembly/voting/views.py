"""Poll pages: preparing polls (in a meeting or open for days), voting on an HTML form, results.

The live room votes over Socket.IO (voting/events.py); these pages serve the polls every member
votes on from wherever they are, the full result record, and the form facilitators prepare
polls with. Rights come from permissions.py, rules from voting/service.py and voting/pages.py.
"""

from __future__ import annotations

import re
import secrets
from datetime import time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden, NotFound

from assembly.accounts.models import User
from assembly.core.actions import carry_out, organisation_for, require_confirmation
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.extensions import db
from assembly.meetings import service as meetings
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.organisations.models import Organisation
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import Action, authorise, authorise_meeting, can
from assembly.proposals.models import Proposal
from assembly.voting import pages, service
from assembly.voting.explain import js_strings, number, rule
from assembly.voting.forms import METHOD_HINTS, PollForm
from assembly.voting.models import Eligibility, Poll, PollMethod, PollStatus, Weighting

bp = Blueprint("voting", __name__)

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")

# Which form field shows a refusal from the service.
_ERROR_FIELDS = {
    "too_few_options": ("options", "candidates"),
    "duplicate_option": ("options",),
    "needs_meeting": ("eligibility",),
    "not_a_network": ("weighting",),
    "hands_room": ("show_of_hands",),
    "hands_secret": ("show_of_hands",),
}
_CONFIG_FIELDS = {
    PollMethod.YES_NO: "majority",
    PollMethod.CONSENT: "max_objections",
    PollMethod.DOTS: "dots",
}


@bp.app_template_global()
def poll_js_strings() -> dict:
    return js_strings()


@bp.app_template_global()
def polls_of_meeting(meeting: Meeting) -> list[Poll]:
    return service.meeting_polls(meeting.id)


# --- helpers ------------------------------------------------------------------------------------


def _organisation(slug: str, action: Action = Action.VIEW_MEETINGS) -> Organisation:
    return organisation_for(slug, action)


def _poll(slug: str, poll_id: int, action: Action = Action.VIEW_MEETINGS) -> Poll:
    """The poll, if this person may see it (drafts only for those who run it) and do `action`."""
    organisation = organisation_by_slug(slug)
    poll = db.session.get(Poll, poll_id)
    if organisation is None or poll is None or poll.organisation_id != organisation.id:
        raise NotFound()
    meeting = pages.meeting_of(poll)
    if meeting is not None:
        authorise_meeting(current_user, Action.VIEW_MEETINGS, meeting)
    else:
        authorise(current_user, Action.VIEW_MEETINGS, organisation)
    runs = pages.may_run(current_user, poll, organisation)
    if poll.status == PollStatus.DRAFT and not runs:
        raise NotFound()  # drafts are for those preparing them; to others they do not exist
    if action == Action.RUN_MEETINGS and not runs:
        raise Forbidden()
    if action == Action.TAKE_PART:
        if meeting is not None:
            authorise_meeting(current_user, action, meeting)
        else:
            authorise(current_user, action, organisation)
    return poll


def _poll_url(slug: str, poll_id: int) -> str:
    return url_for("voting.poll", slug=slug, poll_id=poll_id)


def _to_poll(slug: str, poll_id: int):
    return redirect(_poll_url(slug, poll_id))


def _show_error(form: PollForm, error: DomainError) -> None:
    names = _ERROR_FIELDS.get(error.code, ())
    if error.code == "bad_config":
        names = (_CONFIG_FIELDS.get(form.method_value, "seats"),)
    if error.code == "too_few_options" and form.election.data:
        names = ("candidates",)
    field = next((form[name] for name in names if name in form), form.title)
    field.errors = [*field.errors, str(error)]


def _create(form: PollForm, organisation: Organisation, meeting: Meeting | None) -> Poll | None:
    candidates = None
    if form.method_value in service.OPTION_METHODS and form.election.data:
        candidates = [db.session.get(User, user_id) for user_id in form.candidates.data]
    proposal = db.session.get(Proposal, int(form.proposal.data)) if form.proposal.data else None
    if "eligibility" in form:
        eligibility = Eligibility(form.eligibility.data)
    else:
        eligibility = Eligibility.ALL_MEMBERS
    weighting = Weighting(form.weighting.data) if "weighting" in form else Weighting.PERSON
    try:
        return service.create_poll(
            organisation,
            title=form.title.data,
            method=form.method_value,
            config=form.config(),
            options=form.option_labels(),
            candidates=candidates,
            secret=form.secret.data == "secret",
            eligibility=eligibility,
            weighting=weighting,
            allow_change=form.allow_change.data,
            show_running_results=form.show_running_results.data,
            show_of_hands=meeting is not None
            and form.show_of_hands.data
            and form.method_value in service.HANDS_METHODS,
            meeting=meeting,
            proposal=proposal,
            closes_at=form.closes_at(),
            created_by=current_user,
        )
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return None


def _form_page(form: PollForm, organisation: Organisation, meeting: Meeting | None):
    action = (
        url_for("voting.create_in_meeting", slug=organisation.slug, meeting_id=meeting.id)
        if meeting
        else url_for("voting.create", slug=organisation.slug)
    )
    return render_template(
        "voting/form.html",
        organisation=organisation,
        meeting=meeting,
        form=form,
        action=action,
        hints=METHOD_HINTS,
    ), 400 if form.errors else 200


def _defaults(organisation: Organisation, meeting: Meeting | None) -> dict:
    # In a network, organisations vote through their delegates unless the form says otherwise.
    defaults = {
        "weighting": (
            Weighting.ORGANISATION if organisation.is_network else Weighting.PERSON
        ).value,
        "closes_time": time(20, 0),
    }
    if meeting is None:
        defaults["closes_on"] = meetings.to_local(utcnow()).date() + timedelta(days=7)
    return defaults


# --- creating polls -----------------------------------------------------------------------------


def _meeting(slug: str, meeting_id: int) -> Meeting:
    organisation = organisation_by_slug(slug)
    meeting = meetings.meeting_in(organisation, meeting_id) if organisation else None
    authorise_meeting(current_user, Action.RUN_MEETINGS, meeting)
    return meeting


@bp.get("/o/<slug>/meetings/<int:meeting_id>/polls/new")
@login_required
def new_in_meeting(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    form = PollForm(data=_defaults(meeting.organisation, meeting))
    return _form_page(form.setup(meeting.organisation, meeting), meeting.organisation, meeting)


@bp.post("/o/<slug>/meetings/<int:meeting_id>/polls")
@login_required
def create_in_meeting(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    organisation = meeting.organisation
    room = url_for("room.room", slug=slug, meeting_id=meeting.id)
    if meeting.status == MeetingStatus.CLOSED:
        flash(_("The meeting is closed: it can have no new polls."), "error")
        return redirect(room)
    form = PollForm().setup(organisation, meeting)
    if form.validate_on_submit():
        poll = _create(form, organisation, meeting)
        if poll is not None:
            meetings.announce_change(meeting)  # those running the room see the new draft
            db.session.commit()
            flash(
                _(
                    "The poll “%(title)s” is ready as a draft: open it when the room is ready.",
                    title=poll.title,
                ),
                "success",
            )
            return redirect(room + "#polls")
    return _form_page(form, organisation, meeting)


@bp.route("/o/<slug>/polls/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _organisation(slug, Action.RUN_MEETINGS)
    defaults = _defaults(organisation, None) if request.method == "GET" else {}
    form = PollForm(data=defaults).setup(organisation)
    if form.validate_on_submit():
        poll = _create(form, organisation, None)
        if poll is not None:
            db.session.commit()
            flash(_("The poll has been created as a draft. Open it when you are ready."), "success")
            return _to_poll(slug, poll.id)
    return _form_page(form, organisation, None)


# --- lists and the poll's page ----------------------------------------------------------------


@bp.get("/o/<slug>/polls")
@login_required
def index(slug: str):
    organisation = _organisation(slug)
    pages.close_overdue(organisation.id)
    shown = pages.polls_of(organisation, current_user)
    return render_template(
        "voting/index.html",
        organisation=organisation,
        polls=shown,
        can_create=can(current_user, Action.RUN_MEETINGS, organisation),
        choices={p.id: pages.voter_choices(p, current_user.id) for p in shown["open"]},
        progress=service.progress,
        meeting_of=pages.meeting_of,
    )


@bp.get("/o/<slug>/polls/<int:poll_id>")
@login_required
def poll(slug: str, poll_id: int):
    found = _poll(slug, poll_id)
    organisation = db.session.get(Organisation, found.organisation_id)
    if pages.close_overdue(organisation.id, found.id):
        found = _poll(slug, poll_id)
    meeting = pages.meeting_of(found)
    shown = pages.shown_result(found)
    runs = pages.may_run(current_user, found, organisation)
    return render_template(
        "voting/poll.html",
        organisation=organisation,
        poll=found,
        meeting=meeting,
        proposal=db.session.get(Proposal, found.proposal_id) if found.proposal_id else None,
        runs=runs,
        choices=pages.voter_choices(found, current_user.id),
        progress=service.progress(found),
        view=pages.result_view(found, shown),
        roll=pages.roll(found, with_choices=shown is not None),
        behalf=pages.present_voters_without_ballot(found) if runs else [],
        hands=pages.hands_labels(found) if found.show_of_hands else [],
        client_id=secrets.token_hex(16),
        confirm=ConfirmForm(),
        vote_choices=pages.VOTE_CHOICES,
        gradient_levels=pages.GRADIENT_LEVELS,
        rule=rule(found.method.value, found.config),
        number=number,
    )


# --- voting, opening, closing, reminding ----------------------------------------------------


@bp.post("/o/<slug>/polls/<int:poll_id>/vote")
@login_required
def vote(slug: str, poll_id: int):
    found = _poll(slug, poll_id, Action.TAKE_PART)
    client_id = request.form.get("client_id", "")
    if not _CLIENT_ID.match(client_id):
        abort(400)
    if pages.close_overdue(found.organisation_id, found.id):
        found = _poll(slug, poll_id, Action.TAKE_PART)
    voter_key = request.form.get("voter_key", "")
    try:
        outcome = pages.cast(found, current_user.id, voter_key, request.form, client_id)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return _to_poll(slug, poll_id)
    if outcome.get("changed"):
        flash(_("Your vote has been changed."), "success")
    elif outcome.get("resent"):
        flash(_("Your vote was already in; it counts once."), "info")
    else:
        flash(_("Your vote is in."), "success")
    return _to_poll(slug, poll_id)


@bp.post("/o/<slug>/polls/<int:poll_id>/open")
@login_required
def open_poll(slug: str, poll_id: int):
    found = _poll(slug, poll_id, Action.RUN_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: service.open_poll(found), done=_("The poll is open."), to=_poll_url(slug, poll_id)
    )


@bp.post("/o/<slug>/polls/<int:poll_id>/vote-on-behalf")
@login_required
def vote_on_behalf(slug: str, poll_id: int):
    """The facilitator records the ballot of someone present who has no phone at hand."""
    found = _poll(slug, poll_id, Action.RUN_MEETINGS)
    client_id = request.form.get("client_id", "")
    if not _CLIENT_ID.match(client_id):
        abort(400)
    voter_key = request.form.get("voter_key", "")
    return carry_out(
        lambda: pages.cast_on_behalf(found, current_user, voter_key, request.form, client_id),
        done=_("The vote has been recorded, as cast by you on their behalf."),
        to=_poll_url(slug, poll_id) + "#roll",
        refused_to=_poll_url(slug, poll_id) + "#on-behalf",
    )


@bp.post("/o/<slug>/polls/<int:poll_id>/close")
@login_required
def close_poll(slug: str, poll_id: int):
    found = _poll(slug, poll_id, Action.RUN_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: pages.close(
            poll_id, pages.hands_from_form(found, request.form) if found.show_of_hands else None
        ),
        done=_("The poll is closed. This is its result."),
        to=_poll_url(slug, poll_id),
    )


@bp.post("/o/<slug>/polls/<int:poll_id>/remind")
@login_required
def remind(slug: str, poll_id: int):
    found = _poll(slug, poll_id, Action.RUN_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: pages.remind_non_voters(found),
        done=lambda count: (
            ngettext(
                "%(num)s person who has not voted yet was reminded.",
                "%(num)s people who have not voted yet were reminded.",
                count,
            )
            if count
            else _("Everyone has voted: nobody needed a reminder.")
        ),
        to=_poll_url(slug, poll_id),
    )
