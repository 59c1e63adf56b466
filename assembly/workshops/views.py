"""Participatory processes of problematisation workshops: the list, a process's page (sessions,
questions, topics and their main points), proposing and choosing questions with dots polls,
topics onward (proposals, prioritising), and the process as one document (Markdown, print).

Rights come from permissions.py; rules from workshops/processes.py. Everything is looked up
within the organisation in the address: another organisation's process is not found.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from assembly.core.actions import carry_out, organisation_for, require_confirmation
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.extensions import db
from assembly.meetings import service as meetings
from assembly.meetings.models import MeetingKind
from assembly.organisations.models import Organisation
from assembly.permissions import Action, can, can_in_meeting, can_see_proposal
from assembly.workshops import processes as service
from assembly.workshops.forms import (
    AddSessionForm,
    ChooseForm,
    IssueForm,
    IssuePollForm,
    NewSessionForm,
    ProcessForm,
    TopicPollForm,
    TopicProposalForm,
)
from assembly.workshops.models import Process

bp = Blueprint("workshops", __name__)

# Which form field shows a refusal from the service.
_ERROR_FIELDS = {
    "title_missing": "title",
    "title_too_long": "title",
    "description_too_long": "description",
    "issue_empty": "text",
    "issue_too_long": "text",
    "issue_duplicate": "text",
    "proposals_closed": "text",
    "bad_dots": "dots",
    "unknown_session": "session",
    "session_closed": "session",
    "unknown_candidate": "candidates",
    "already_chosen": "candidates",
    "none_chosen": "candidates",
    "unknown_meeting": "meeting",
    "not_a_workshop": "meeting",
    "in_a_process": "meeting",
}


@bp.app_template_global()
def workshop_topic_of(proposal):
    """The workshop topic a proposal came from, and its process (for a link back), or None."""
    topic = service.topic_of_proposal(proposal.id)
    if topic is None:
        return None
    process = service.process_of_meeting(topic.meeting_id)
    if process is None:
        return None
    return {"topic": topic, "process": process}


@bp.app_template_global()
def workshop_process_of(meeting):
    """The process a workshop meeting is a session of, or None."""
    if meeting.kind != MeetingKind.WORKSHOP:
        return None
    return service.process_of_meeting(meeting.id)


# --- helpers ------------------------------------------------------------------------------------


def _organisation(slug: str, action: Action = Action.VIEW_MEETINGS) -> Organisation:
    return organisation_for(slug, action)


def _process(slug: str, process_id: int, action: Action = Action.VIEW_MEETINGS) -> Process:
    """The process, if it is this organisation's and the person may do `action` in it."""
    organisation = _organisation(slug, Action.VIEW_MEETINGS)
    process = service.process_in(organisation, process_id)
    if process is None:
        abort(404)
    if action != Action.VIEW_MEETINGS:
        _organisation(slug, action)
    return process


def _process_url(process: Process, anchor: str | None = None) -> str:
    organisation = db.session.get(Organisation, process.organisation_id)
    url = url_for("workshops.detail", slug=organisation.slug, process_id=process.id)
    return url + (f"#{anchor}" if anchor else "")


def _show_error(form, error: DomainError) -> None:
    name = _ERROR_FIELDS.get(error.code)
    field = form[name] if name and name in form else None
    if field is None:
        field = next(f for f in form if f.type not in ("CSRFTokenField", "HiddenField"))
    field.errors = [*field.errors, str(error)]


def _overview(process: Process) -> list[service.SessionView]:
    """The sessions this person may see: drafts are for those who prepare meetings."""
    return [
        s
        for s in service.overview(process)
        if can_in_meeting(current_user, Action.VIEW_MEETINGS, s.meeting)
    ]


def _date(meeting) -> str:
    return format_date(meetings.to_local(meeting.starts_at), "long")


# --- the list, creating and editing ------------------------------------------------------------


@bp.get("/o/<slug>/processes")
@login_required
def index(slug: str):
    organisation = _organisation(slug)
    return render_template(
        "workshops/index.html",
        organisation=organisation,
        processes=service.processes_of(organisation),
        can_manage=can(current_user, Action.MANAGE_PROCESSES, organisation),
    )


@bp.route("/o/<slug>/processes/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _organisation(slug, Action.MANAGE_PROCESSES)
    form = ProcessForm()
    if form.validate_on_submit():
        try:
            process = service.create_process(
                organisation,
                current_user,
                title=form.title.data,
                description=form.description.data or "",
            )
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("The process has been created. Add its sessions, and ask members for questions."),
                "success",
            )
            return redirect(_process_url(process))
    return render_template(
        "workshops/form.html", organisation=organisation, form=form, process=None
    ), 400 if form.errors else 200


@bp.route("/o/<slug>/processes/<int:process_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, process_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    organisation = db.session.get(Organisation, process.organisation_id)
    form = ProcessForm(
        data={
            "title": process.title,
            "description": process.description,
            "proposals_open": process.proposals_open,
        }
        if request.method == "GET"
        else None
    )
    if form.validate_on_submit():
        try:
            service.update_process(
                process,
                title=form.title.data,
                description=form.description.data or "",
                proposals_open=form.proposals_open.data,
            )
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(_process_url(process))
    return render_template(
        "workshops/form.html", organisation=organisation, form=form, process=process
    ), 400 if form.errors else 200


# --- the process's page ------------------------------------------------------------------------


@bp.get("/o/<slug>/processes/<int:process_id>/")
@login_required
def detail(slug: str, process_id: int):
    return _detail_page(_process(slug, process_id))


def _detail_page(process: Process, status: int = 200, **forms):
    organisation = db.session.get(Organisation, process.organisation_id)
    manage = can(current_user, Action.MANAGE_PROCESSES, organisation)
    sessions = _overview(process)
    candidates = service.candidates(process)
    pending = [c for c in candidates if c.agenda_item_id is None]
    polls = service.issue_polls(process)
    open_sessions = [s.meeting for s in sessions if s.meeting.status != "closed"]
    context = {
        "organisation": organisation,
        "process": process,
        "sessions": sessions,
        "candidates": candidates,
        "pending": pending,
        "chosen_items": {c.agenda_item_id: c for c in candidates if c.agenda_item_id is not None},
        "questions_by_id": {q.item.id: q.item for s in sessions for q in s.questions},
        "issue_polls": polls,
        "ranking": service.ranking,
        "open_polls": service.open_polls,
        "can_manage": manage,
        "can_run": manage and can(current_user, Action.RUN_MEETINGS, organisation),
        "can_propose": process.proposals_open
        and can(current_user, Action.PROPOSE_AGENDA_ITEM, organisation),
        "can_see_proposal": lambda p: can_see_proposal(current_user, p),
        "date": _date,
        "confirm": ConfirmForm(),
        "issue_form": forms.get("issue_form") or IssueForm(prefix="issue"),
    }
    if manage:
        context["add_form"] = (forms.get("add_form") or AddSessionForm(prefix="add")).setup(
            service.addable_meetings(process)
        )
        context["new_form"] = forms.get("new_form") or NewSessionForm(
            prefix="new", data=NewSessionForm.defaults()
        )
        context["poll_form"] = forms.get("poll_form") or IssuePollForm(
            prefix="poll", data=IssuePollForm.defaults()
        )
        context["choose_form"] = (forms.get("choose_form") or ChooseForm(prefix="choose")).setup(
            pending, open_sessions
        )
        context["topic_poll_form"] = TopicPollForm(prefix="tpoll", data=TopicPollForm.defaults())
        context["topic_poll_errors"] = forms.get("topic_poll_errors") or {}
    return render_template("workshops/detail.html", **context), status


# --- sessions ------------------------------------------------------------------------------------


@bp.post("/o/<slug>/processes/<int:process_id>/sessions")
@login_required
def add_session(slug: str, process_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    form = AddSessionForm(prefix="add").setup(service.addable_meetings(process))
    if not form.validate_on_submit():
        return _detail_page(process, 400, add_form=form)
    try:
        meeting = service.add_session(process, int(form.meeting.data))
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return _detail_page(process, error.status, add_form=form)
    db.session.commit()
    flash(_("“%(title)s” is now a session of the process.", title=meeting.title), "success")
    return redirect(_process_url(process, "sessions"))


@bp.post("/o/<slug>/processes/<int:process_id>/sessions/new")
@login_required
def new_session(slug: str, process_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    _organisation(slug, Action.PREPARE_MEETINGS)
    form = NewSessionForm(prefix="new")
    if not form.validate_on_submit():
        return _detail_page(process, 400, new_form=form)
    try:
        service.new_session(
            process,
            current_user,
            title=form.title.data,
            starts_at=meetings.from_local(form.date.data, form.starts.data),
            planned_end_at=meetings.from_local(form.date.data, form.ends.data),
        )
    except DomainError as error:
        db.session.rollback()
        field = form.ends if error.code == "end_before_start" else form.title
        field.errors = [*field.errors, str(error)]
        return _detail_page(process, error.status, new_form=form)
    db.session.commit()
    flash(_("The session has been created as a draft meeting: prepare and convene it."), "success")
    return redirect(_process_url(process, "sessions"))


@bp.post("/o/<slug>/processes/<int:process_id>/sessions/<int:meeting_id>/remove")
@login_required
def remove_session(slug: str, process_id: int, meeting_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    meeting = service.session_in(process, meeting_id)
    if meeting is None:
        abort(404)
    require_confirmation()
    return carry_out(
        lambda: service.remove_session(process, meeting),
        done=_("The meeting is no longer a session of the process; its board is kept."),
        category="info",
        to=_process_url(process, "sessions"),
    )


# --- choosing the questions ----------------------------------------------------------------------


@bp.post("/o/<slug>/processes/<int:process_id>/issues")
@login_required
def propose_issue(slug: str, process_id: int):
    process = _process(slug, process_id, Action.PROPOSE_AGENDA_ITEM)
    form = IssueForm(prefix="issue")
    if not form.validate_on_submit():
        return _detail_page(process, 400, issue_form=form)
    try:
        service.propose_issue(process, current_user, form.text.data)
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return _detail_page(process, error.status, issue_form=form)
    db.session.commit()
    flash(_("Your question has been proposed. Thank you."), "success")
    return redirect(_process_url(process, "candidates"))


@bp.post("/o/<slug>/processes/<int:process_id>/issues/poll")
@login_required
def issue_poll(slug: str, process_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    _organisation(slug, Action.RUN_MEETINGS)  # polls are opened by those who run meetings
    form = IssuePollForm(prefix="poll")
    if not form.validate_on_submit():
        return _detail_page(process, 400, poll_form=form)
    try:
        poll = service.open_issue_poll(
            process, current_user, dots=form.dots.data, closes_at=form.closes_at()
        )
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return _detail_page(process, error.status, poll_form=form)
    db.session.commit()
    flash(_("The dots poll is open: every member can place their dots until it closes."), "success")
    return redirect(url_for("voting.poll", slug=slug, poll_id=poll.id))


@bp.post("/o/<slug>/processes/<int:process_id>/issues/choose")
@login_required
def choose(slug: str, process_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    pending = [c for c in service.candidates(process) if c.agenda_item_id is None]
    sessions = [m for m in service.sessions_of(process) if m.status != "closed"]
    form = ChooseForm(prefix="choose").setup(pending, sessions)
    if not form.validate_on_submit():
        return _detail_page(process, 400, choose_form=form)
    try:
        items = service.choose_issues(process, form.candidates.data, int(form.session.data))
    except DomainError as error:
        db.session.rollback()
        _show_error(form, error)
        return _detail_page(process, error.status, choose_form=form)
    db.session.commit()
    flash(
        ngettext(
            "%(num)s question is now a point of debate of the session.",
            "%(num)s questions are now points of debate of the session.",
            len(items),
        ),
        "success",
    )
    return redirect(_process_url(process, "sessions"))


# --- topics onward -------------------------------------------------------------------------------


@bp.route(
    "/o/<slug>/processes/<int:process_id>/topics/<int:topic_id>/proposal", methods=["GET", "POST"]
)
@login_required
def topic_proposal(slug: str, process_id: int, topic_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    organisation = _organisation(slug, Action.PROPOSE)
    topic = service.topic_in(process, topic_id)
    if topic is None:
        abort(404)
    if topic.proposal_id is not None:
        flash(_("This topic has already become a proposal."), "error")
        return redirect(_process_url(process, f"topic-{topic.id}"))
    form = TopicProposalForm(
        data=service.proposal_draft(topic) if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            proposal = service.topic_to_proposal(
                topic, current_user, title=form.title.data, body=form.body.data
            )
        except DomainError as error:
            db.session.rollback()
            field = form.body if error.code == "invalid" else form.title
            field.errors = [*field.errors, str(error)]
        else:
            db.session.commit()
            flash(
                _("The proposal has been created as your draft: review it and submit it."),
                "success",
            )
            return redirect(url_for("proposals.detail", slug=slug, proposal_id=proposal.id))
    return render_template(
        "workshops/topic_proposal.html",
        organisation=organisation,
        process=process,
        topic=topic,
        form=form,
    ), 400 if form.errors else 200


@bp.post("/o/<slug>/processes/<int:process_id>/questions/<int:item_id>/poll")
@login_required
def topic_poll(slug: str, process_id: int, item_id: int):
    process = _process(slug, process_id, Action.MANAGE_PROCESSES)
    _organisation(slug, Action.RUN_MEETINGS)
    question = service.question_in(process, item_id)
    if question is None:
        abort(404)
    form = TopicPollForm(prefix="tpoll")
    if not form.validate_on_submit():
        errors = [str(e) for f in form for e in f.errors]
        return _detail_page(process, 400, topic_poll_errors={question.id: errors})
    try:
        poll = service.open_topic_poll(
            question, current_user, dots=form.dots.data, closes_at=form.closes_at()
        )
    except DomainError as error:
        db.session.rollback()
        return _detail_page(process, error.status, topic_poll_errors={question.id: [str(error)]})
    db.session.commit()
    flash(_("The dots poll among the topics is open."), "success")
    return redirect(url_for("voting.poll", slug=slug, poll_id=poll.id))


# --- the process as one document -----------------------------------------------------------------


def _document_labels(sessions) -> dict:
    return {
        "session": lambda number, title: _(
            "Session %(number)s: %(title)s", number=number, title=title
        ),
        "dates": {s.meeting.id: _date(s.meeting) for s in sessions},
        "main_points": _("main points discussed"),
        "no_questions": _("No questions yet."),
        "no_topics": _("No topics recorded."),
        "no_main_points": _("No main points recorded."),
        "figures": lambda cards, backers: (
            ngettext("%(num)s card", "%(num)s cards", cards)
            + " · "
            + ngettext("%(num)s person backed them", "%(num)s people backed them", backers)
        ),
    }


def _filename(process: Process) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", process.title).strip("-").lower()[:60]
    return f"{name or 'proceso'}-{process.id}.md"


@bp.get("/o/<slug>/processes/<int:process_id>/export.md")
@login_required
def export_markdown(slug: str, process_id: int):
    process = _process(slug, process_id)
    sessions = _overview(process)
    text = service.markdown_document(process, sessions, _document_labels(sessions))
    return Response(
        text.encode("utf-8"),
        mimetype="text/markdown",
        headers={"Content-Disposition": f'attachment; filename="{_filename(process)}"'},
    )


@bp.get("/o/<slug>/processes/<int:process_id>/print")
@login_required
def printable(slug: str, process_id: int):
    process = _process(slug, process_id)
    organisation = db.session.get(Organisation, process.organisation_id)
    return render_template(
        "workshops/print.html",
        organisation=organisation,
        process=process,
        sessions=_overview(process),
        date=_date,
    )
