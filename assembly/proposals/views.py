"""Proposals: list, write, support, deliberate, schedule, amend, their history; and the
organisation's register of decisions."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from assembly.commitments.service import commitments_of_decisions
from assembly.commitments.service import today as commitments_today
from assembly.core.actions import carry_out, organisation_for, refuse, require_confirmation
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting, MeetingStatus
from assembly.minutes.service import readable_minutes
from assembly.organisations.models import Organisation
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import (
    AUTHOR,
    Action,
    authorise_proposal,
    authorise_writer,
    can,
    can_in_meeting,
    can_on_proposal,
)
from assembly.proposals import service
from assembly.proposals.forms import (
    AmendmentForm,
    CommentForm,
    ProposalForm,
    ScheduleForm,
    id_or_none,
)
from assembly.proposals.models import (
    Amendment,
    AmendmentStatus,
    Proposal,
    ProposalStatus,
)

bp = Blueprint("proposals", __name__)

STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.SCHEDULED: _l("Scheduled"),
    ProposalStatus.IN_VOTE: _l("In vote"),
    ProposalStatus.ADOPTED: _l("Adopted"),
    ProposalStatus.REJECTED: _l("Rejected"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
    ProposalStatus.POSTPONED: _l("Postponed"),
}
AMENDMENT_LABELS = {
    AmendmentStatus.PROPOSED: _l("Proposed"),
    AmendmentStatus.ACCEPTED: _l("Accepted"),
    AmendmentStatus.REJECTED: _l("Rejected"),
    AmendmentStatus.WITHDRAWN: _l("Withdrawn"),
}
# How a poll's tally names its counts and outcomes (assembly/voting/counting.py).
TALLY_LABELS = {
    "yes": _l("In favour"),
    "no": _l("Against"),
    "abstain": _l("Abstentions"),
    "agree": _l("In agreement"),
    "stand_aside": _l("Stand-asides"),
    "object": _l("Objections"),
}
OUTCOME_LABELS = {
    "adopted": _l("Adopted"),
    "rejected": _l("Rejected"),
    "blocked": _l("Blocked"),
    "reported": _l("Reported"),
    "chosen": _l("Chosen"),
    "elected": _l("Elected"),
    "tie": _l("Tie"),
}

# Which form field shows a refusal from the service.
_ERROR_FIELDS = {
    "bad_value": "title",
    "not_a_member": "co_authors",
    "meeting_closed": "meeting",
    "needs_meeting": "meeting",
    "invalid_agenda_item": "agenda_item",
    "edited_meanwhile": "body",
    "base_changed": "body",
    "amendment_unchanged": "body",
}


@bp.app_context_processor  # meetings' pages show proposals' statuses too
def _labels():
    return {
        "status_label": lambda status: str(STATUS_LABELS.get(status, status)),
        "amendment_label": lambda status: str(AMENDMENT_LABELS.get(status, status)),
    }


# --- helpers ---------------------------------------------------------------------------------


def _organisation(slug: str, action: Action = Action.VIEW) -> Organisation:
    return organisation_for(slug, action)


def _proposal(slug: str, proposal_id: int, action: Action | str = Action.VIEW) -> Proposal:
    organisation = organisation_by_slug(slug)
    proposal = service.proposal_in(organisation, proposal_id) if organisation else None
    authorise_proposal(current_user, action, proposal)
    return proposal


def _amendment(proposal: Proposal, amendment_id: int) -> Amendment:
    amendment = service.amendment_in(proposal, amendment_id)
    if amendment is None:
        abort(404)
    return amendment


def _detail_url(proposal: Proposal, anchor: str | None = None) -> str:
    url = url_for("proposals.detail", slug=proposal.organisation.slug, proposal_id=proposal.id)
    return url + (f"#{anchor}" if anchor else "")


def _to_detail(proposal: Proposal, anchor: str | None = None):
    return redirect(_detail_url(proposal, anchor))


def _refuse(error: DomainError, proposal: Proposal, anchor: str | None = None):
    db.session.rollback()  # before the address is read from the proposal
    if error.status == 404:
        abort(404)
    return refuse(error, _detail_url(proposal, anchor))


def _show_error(form, error: DomainError) -> None:
    """The service's refusal, on the field it concerns; 404 for what is not found."""
    db.session.rollback()
    if error.status == 404:
        abort(404)
    name = _ERROR_FIELDS.get(error.code)
    field = form[name] if name and name in form else None
    if field is None:
        field = next(iter(f for f in form if f.type not in ("CSRFTokenField", "HiddenField")))
    field.errors = [*field.errors, str(error)]


def _can_prepare(organisation: Organisation) -> bool:
    return can(current_user, Action.PREPARE_MEETINGS, organisation)


def _link_options(organisation: Organisation, *, include_drafts: bool, keep: int | None = None):
    meetings = service.open_meetings(organisation, include_drafts=include_drafts)
    if keep is not None and keep not in {m.id for m in meetings}:
        kept = db.session.get(Meeting, keep)
        if kept is not None and kept.status != MeetingStatus.CLOSED:
            meetings.append(kept)
    return meetings, service.agenda_items(meetings)


def _proposal_form(organisation: Organisation, anchor_id: int, proposal: Proposal | None = None):
    form = ProposalForm()
    meetings, items = _link_options(
        organisation,
        include_drafts=_can_prepare(organisation),
        keep=proposal.meeting_id if proposal else None,
    )
    others = [u for u in service.active_members(organisation) if u.id != anchor_id]
    return form.setup(others, meetings, items)


# --- list, write, edit -----------------------------------------------------------------------


@bp.get("/o/<slug>/proposals")
@login_required
def index(slug: str):
    organisation = _organisation(slug)
    proposals = service.visible_proposals(
        organisation,
        current_user,
        all_drafts=can(current_user, Action.MANAGE_PROPOSALS, organisation),
    )
    groups = {
        "drafts": [p for p in proposals if p.status == ProposalStatus.DRAFT],
        "open": [p for p in proposals if p.status not in service.CLOSED | {ProposalStatus.DRAFT}],
        "closed": [p for p in proposals if p.status in service.CLOSED],
    }
    return render_template(
        "proposals/index.html",
        organisation=organisation,
        groups=groups,
        authors=service.authors_of_many(proposals),
        support=service.support_counts(proposals),
        can_propose=can(current_user, Action.PROPOSE, organisation),
    )


@bp.route("/o/<slug>/proposals/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _organisation(slug, Action.PROPOSE)
    form = _proposal_form(organisation, current_user.id)
    if form.validate_on_submit():
        try:
            proposal = service.create_proposal(
                organisation,
                current_user,
                title=form.title.data,
                body=form.body.data,
                co_author_ids=form.co_authors.data or [],
                meeting_id=id_or_none(form.meeting.data),
                agenda_item_id=id_or_none(form.agenda_item.data),
                see_draft_meetings=_can_prepare(organisation),
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("Your draft has been saved. Only its authors see it until you submit it."),
                "success",
            )
            return _to_detail(proposal)
    return render_template(
        "proposals/form.html", organisation=organisation, form=form, proposal=None
    ), 400 if form.errors else 200


@bp.route("/o/<slug>/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, AUTHOR)
    organisation = proposal.organisation
    if proposal.status not in service.EDITABLE:
        return _refuse(service.NotEditable(), proposal)
    anchor = proposal.created_by_id or current_user.id
    form = _proposal_form(organisation, anchor, proposal)
    if request.method == "GET":
        form.title.data = proposal.title
        form.body.data = proposal.body
        form.co_authors.data = sorted(service.author_ids(proposal) - {anchor})
        form.meeting.data = str(proposal.meeting_id or "")
        form.agenda_item.data = str(proposal.agenda_item_id or "")
        form.version.data = str(service.current_version(proposal).number)
    status = 200
    if form.validate_on_submit():
        try:
            service.update_proposal(
                proposal,
                current_user,
                title=form.title.data,
                body=form.body.data,
                co_author_ids=form.co_authors.data or [],
                meeting_id=id_or_none(form.meeting.data),
                agenda_item_id=id_or_none(form.agenda_item.data),
                see_draft_meetings=_can_prepare(organisation),
                expected_version=id_or_none(form.version.data),
            )
        except DomainError as error:
            _show_error(form, error)
            status = error.status
            if isinstance(error, service.EditedMeanwhile):
                form.version.data = str(service.current_version(proposal).number)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _to_detail(proposal)
    if form.errors and status == 200:
        status = 400
    return render_template(
        "proposals/form.html", organisation=organisation, form=form, proposal=proposal
    ), status


# --- one proposal ----------------------------------------------------------------------------


@bp.get("/o/<slug>/proposals/<int:proposal_id>/")
@login_required
def detail(slug: str, proposal_id: int):
    return _detail_page(_proposal(slug, proposal_id))


def _detail_page(proposal: Proposal, status: int = 200, **forms):
    organisation = proposal.organisation
    propose = can(current_user, Action.PROPOSE, organisation)
    prepare = _can_prepare(organisation)
    is_author = can_on_proposal(current_user, AUTHOR, proposal)
    meeting = db.session.get(Meeting, proposal.meeting_id) if proposal.meeting_id else None
    item = db.session.get(AgendaItem, proposal.agenda_item_id) if proposal.agenda_item_id else None
    context = {
        "organisation": organisation,
        "proposal": proposal,
        "Status": ProposalStatus,
        "AmendmentStatus": AmendmentStatus,
        "authors": service.authors(proposal),
        "is_author": is_author,
        "supporters": service.supporters(proposal),
        "supporting": service.is_supporter(proposal, current_user),
        "support_open": proposal.status in service.OPEN,
        "can_support": propose and proposal.status in service.OPEN and not is_author,
        "comments": service.comments(proposal),
        "comments_open": service.comments_open(proposal),
        "can_comment": propose and service.comments_open(proposal),
        "amendments": [
            (a, service.amendment_diff(a), service.is_stale(a))
            for a in service.amendments(proposal)
        ],
        "amendments_open": service.amendments_open(proposal),
        "can_amend": propose and service.amendments_open(proposal),
        "current_version": service.current_version(proposal),
        "editable": is_author and proposal.status in service.EDITABLE,
        "withdrawable": is_author and proposal.status in service.WITHDRAWABLE,
        "can_schedule": prepare and proposal.status in service.SCHEDULABLE,
        "can_postpone": prepare and proposal.status in service.POSTPONABLE,
        "meeting": meeting,
        "meeting_visible": meeting is not None
        and can_in_meeting(current_user, Action.VIEW_MEETINGS, meeting),
        "item": item,
        "me": current_user.id,
        "confirm": ConfirmForm(),
    }
    context["comment_form"] = forms.get("comment_form") or CommentForm(prefix="comment")
    amendment_form = forms.get("amendment_form") or AmendmentForm(prefix="amend")
    if not amendment_form.body.data:
        amendment_form.body.data = proposal.body
    if not amendment_form.base_version.data:
        amendment_form.base_version.data = str(context["current_version"].number)
    context["amendment_form"] = amendment_form
    if context["can_schedule"]:
        schedule_form = forms.get("schedule_form") or ScheduleForm(prefix="schedule")
        meetings, items = _link_options(organisation, include_drafts=True)
        schedule_form.setup(meetings, items)
        if request.method == "GET":
            schedule_form.meeting.data = str(proposal.meeting_id or "")
            schedule_form.agenda_item.data = str(proposal.agenda_item_id or "")
        context["schedule_form"] = schedule_form
    return render_template("proposals/detail.html", **context), status


@bp.post("/o/<slug>/proposals/<int:proposal_id>/submit")
@login_required
def submit(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, AUTHOR)
    require_confirmation()
    return carry_out(
        lambda: service.submit(proposal),
        done=_("The proposal has been submitted: every member can now read and support it."),
        to=_detail_url(proposal),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/withdraw")
@login_required
def withdraw(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, AUTHOR)
    require_confirmation()
    return carry_out(
        lambda: service.withdraw(proposal),
        done=_("The proposal has been withdrawn."),
        category="info",
        to=_detail_url(proposal),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/schedule")
@login_required
def schedule(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PREPARE_MEETINGS)
    form = ScheduleForm(prefix="schedule")
    meetings, items = _link_options(proposal.organisation, include_drafts=True)
    form.setup(meetings, items)
    if not form.validate_on_submit():
        return _detail_page(proposal, 400, schedule_form=form)
    try:
        service.schedule(
            proposal,
            meeting_id=id_or_none(form.meeting.data),
            agenda_item_id=id_or_none(form.agenda_item.data),
        )
    except service.CannotSchedule as error:
        return _refuse(error, proposal)
    except DomainError as error:
        _show_error(form, error)
        return _detail_page(proposal, error.status, schedule_form=form)
    db.session.commit()
    flash(_("The proposal has been scheduled."), "success")
    return _to_detail(proposal)


@bp.post("/o/<slug>/proposals/<int:proposal_id>/postpone")
@login_required
def postpone(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PREPARE_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: service.postpone(proposal),
        done=_("The proposal has been postponed. It can be scheduled again."),
        category="info",
        to=_detail_url(proposal),
    )


# --- support and comments --------------------------------------------------------------------


@bp.post("/o/<slug>/proposals/<int:proposal_id>/support")
@login_required
def support(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    require_confirmation()
    try:
        service.support(proposal, current_user)
        db.session.commit()
    except DomainError as error:
        return _refuse(error, proposal, "support")
    except IntegrityError:  # a second click that raced the first: the primary key said no
        return _refuse(service.AlreadySupporting(), proposal, "support")
    flash(_("You support this proposal."), "success")
    return _to_detail(proposal, "support")


@bp.post("/o/<slug>/proposals/<int:proposal_id>/unsupport")
@login_required
def unsupport(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    require_confirmation()
    return carry_out(
        lambda: service.withdraw_support(proposal, current_user),
        done=_("You no longer support this proposal."),
        category="info",
        to=_detail_url(proposal, "support"),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/comments")
@login_required
def comment(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    form = CommentForm(prefix="comment")
    if not service.comments_open(proposal):
        return _refuse(service.CommentsClosed(), proposal, "comments")
    if not form.validate_on_submit():
        return _detail_page(proposal, 400, comment_form=form)
    return carry_out(
        lambda: service.add_comment(proposal, current_user, form.body.data),
        done=_("Your comment has been added."),
        to=lambda added: _detail_url(proposal, f"comment-{added.id}"),
        refused_to=_detail_url(proposal, "comments"),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/comments/<int:comment_id>/delete")
@login_required
def delete_comment(slug: str, proposal_id: int, comment_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    found = service.comment_in(proposal, comment_id)
    if found is None:
        abort(404)
    authorise_writer(current_user, found.user_id)
    require_confirmation()
    return carry_out(
        lambda: service.delete_comment(found),
        done=_("Your comment has been removed."),
        category="info",
        to=_detail_url(proposal, "comments"),
    )


# --- versions and amendments -----------------------------------------------------------------


@bp.get("/o/<slug>/proposals/<int:proposal_id>/history")
@login_required
def history(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id)
    rows = service.history(proposal)
    people = service.users_by_id(v.created_by_id for v, _t, _b in rows)
    return render_template(
        "proposals/history.html",
        organisation=proposal.organisation,
        proposal=proposal,
        rows=rows,
        people=people,
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/amendments")
@login_required
def amend(slug: str, proposal_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    form = AmendmentForm(prefix="amend")
    if not service.amendments_open(proposal):
        return _refuse(service.AmendmentsClosed(), proposal, "amendments")
    if not form.validate_on_submit():
        return _detail_page(proposal, 400, amendment_form=form)
    try:
        service.propose_amendment(
            proposal,
            current_user,
            body=form.body.data,
            rationale=form.rationale.data or "",
            base_version=int(form.base_version.data),
        )
    except DomainError as error:
        _show_error(form, error)
        if isinstance(error, service.BaseChanged):
            form.base_version.data = str(service.current_version(proposal).number)
        return _detail_page(proposal, error.status, amendment_form=form)
    db.session.commit()
    flash(_("Your amendment has been proposed. The authors may accept it or reject it."), "success")
    return _to_detail(proposal, "amendments")


@bp.post("/o/<slug>/proposals/<int:proposal_id>/amendments/<int:amendment_id>/accept")
@login_required
def accept_amendment(slug: str, proposal_id: int, amendment_id: int):
    proposal = _proposal(slug, proposal_id, AUTHOR)
    amendment = _amendment(proposal, amendment_id)
    require_confirmation()
    return carry_out(
        lambda: service.accept_amendment(amendment, current_user),
        done=lambda merged: _(
            "The amendment has been merged: the text is now version %(number)s.",
            number=merged.number,
        ),
        to=_detail_url(proposal, "amendments"),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/amendments/<int:amendment_id>/reject")
@login_required
def reject_amendment(slug: str, proposal_id: int, amendment_id: int):
    proposal = _proposal(slug, proposal_id, AUTHOR)
    amendment = _amendment(proposal, amendment_id)
    require_confirmation()
    return carry_out(
        lambda: service.reject_amendment(amendment),
        done=_("The amendment has been rejected."),
        category="info",
        to=_detail_url(proposal, "amendments"),
    )


@bp.post("/o/<slug>/proposals/<int:proposal_id>/amendments/<int:amendment_id>/withdraw")
@login_required
def withdraw_amendment(slug: str, proposal_id: int, amendment_id: int):
    proposal = _proposal(slug, proposal_id, Action.PROPOSE)
    amendment = _amendment(proposal, amendment_id)
    authorise_writer(current_user, amendment.author_id)
    require_confirmation()
    return carry_out(
        lambda: service.withdraw_amendment(amendment),
        done=_("Your amendment has been withdrawn."),
        category="info",
        to=_detail_url(proposal, "amendments"),
    )


# --- the decision register -------------------------------------------------------------------


def tally_summary(tally) -> dict:
    """A poll's tally as the register shows it: labelled counts, outcome, turnout."""
    tally = tally if isinstance(tally, dict) else {}
    counts = tally.get("counts") if isinstance(tally.get("counts"), dict) else {}
    outcome = tally.get("outcome")
    return {
        "counts": [(str(TALLY_LABELS.get(key, key)), value) for key, value in counts.items()],
        "outcome": str(OUTCOME_LABELS.get(outcome, outcome)) if outcome else "",
        "voted": tally.get("voted"),
        "eligible": tally.get("eligible"),
    }


def _number(value: str | None, low: int, high: int) -> int | None:
    """A page, year or id from the address; anything else is no value, not an error."""
    value = (value or "").strip()
    if not value.isdigit() or len(value) > 12:
        return None
    number = int(value)
    return number if low <= number <= high else None


@bp.get("/o/<slug>/decisions")
@login_required
def decisions(slug: str):
    """The decision log: every decision, newest first, with its meeting and minutes, and the
    commitments it led to with their follow-up."""
    organisation = _organisation(slug)
    query = (request.args.get("q") or "").strip()[: service.QUERY_MAX]
    log = service.decision_log(
        organisation,
        query=query,
        year=_number(request.args.get("year"), 1900, 2999),
        page=_number(request.args.get("page"), 1, 10**6) or 1,
        focus=_number(request.args.get("decision"), 1, 2**63 - 1),
    )
    found = log.decisions
    meetings = service.meetings_by_id(d.meeting_id for d in found)
    arguments = {"q": query} if query else {}
    if log.year:
        arguments["year"] = log.year
    return render_template(
        "proposals/decisions.html",
        organisation=organisation,
        log=log,
        decisions=found,
        explanations=service.decision_explanations(found),
        query=query,
        meetings=meetings,
        minutes_readable=readable_minutes(current_user, meetings.values()),
        commitments=commitments_of_decisions(d.id for d in found),
        today=commitments_today(),
        page_url=lambda number: url_for(
            "proposals.decisions", slug=organisation.slug, **arguments, page=number
        ),
        tally_summary=tally_summary,
        visible_proposals={
            d.proposal_id
            for d in found
            if d.proposal_id is not None
            and (p := db.session.get(Proposal, d.proposal_id)) is not None
            and can_on_proposal(current_user, Action.VIEW, p)
        },
    )
