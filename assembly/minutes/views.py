"""A meeting's minutes: reading, editing with a preview, history and comparison, approval."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.core.actions import carry_out, require_confirmation
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.core.text import render_markdown
from assembly.extensions import db
from assembly.meetings.models import Meeting, MeetingStatus
from assembly.meetings.service import meeting_in
from assembly.minutes import service
from assembly.minutes.drafting import LOCALE
from assembly.minutes.forms import ApproversForm, MinutesForm, PollApprovalForm
from assembly.minutes.models import Minutes, MinutesStatus
from assembly.minutes.pdf import render_pdf
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import Action, authorise_meeting, can_in_meeting, may_read_minutes
from assembly.room.service import participants_query

bp = Blueprint("minutes", __name__)


def _meeting(slug: str, meeting_id: int, action: Action = Action.VIEW_MEETINGS) -> Meeting:
    organisation = organisation_by_slug(slug)
    meeting = meeting_in(organisation, meeting_id) if organisation else None
    if action == Action.VIEW_MEETINGS and meeting is not None:
        # A member of a network's member organisation may read its approved minutes (only);
        # `g.minutes_only` keeps the pages from linking to the rest of the network.
        g.minutes_only = not can_in_meeting(current_user, action, meeting)
        if g.minutes_only and may_read_minutes(current_user, service.minutes_of(meeting)):
            return meeting
    authorise_meeting(current_user, action, meeting)
    return meeting


def _minutes(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes; a closed meeting's are drafted now if closing did not."""
    minutes = service.minutes_of(meeting)
    if minutes is None and meeting.status == MeetingStatus.CLOSED:
        minutes = service.draft_minutes(meeting)
        db.session.commit()
    return minutes


def _required(meeting: Meeting) -> Minutes:
    minutes = _minutes(meeting)
    if minutes is None:
        abort(404)
    return minutes


def _url(meeting: Meeting, endpoint: str = "minutes.show", **values) -> str:
    return url_for(endpoint, slug=meeting.organisation.slug, meeting_id=meeting.id, **values)


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes")
@login_required
def show(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes = _minutes(meeting)
    may_edit = service.may_edit(current_user, meeting)
    context = {
        "organisation": meeting.organisation,
        "meeting": meeting,
        "minutes": minutes,
        "may_edit": may_edit,
        "confirm": ConfirmForm(),
    }
    if minutes is not None:
        # Staff and approvers read the version under way; members the approved one.
        working = may_edit or service.is_approver(current_user, minutes)
        context["shown"] = minutes.latest if working else minutes.published
        context["is_approver"] = service.is_approver(current_user, minutes)
        context["approved_by_me"] = any(
            a.user_id == current_user.id for a in minutes.latest.approvals
        )
        if service.may_name_approvers(current_user, meeting):
            context["approvers_form"] = _approvers_form(minutes)
            polls = service.approval_polls(minutes)
            if polls:
                form = PollApprovalForm(prefix="poll")
                form.poll.choices = [(str(p.id), p.title) for p in polls]
                context["poll_form"] = form
    return render_template("minutes/show.html", **context)


def _approvers_form(minutes: Minutes) -> ApproversForm:
    form = ApproversForm(prefix="approvers", formdata=None)
    # Those who may take part in the meeting: its members, and in a network its delegates.
    people = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(participants_query(minutes.meeting)))
        .order_by(func.lower(User.display_name))
    ).all()
    form.approvers.choices = [(user_id, name) for user_id, name in people]
    form.approvers.data = [a.user_id for a in minutes.approvers]
    return form


@bp.route("/o/<slug>/meetings/<int:meeting_id>/minutes/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.EDIT_MINUTES)
    minutes = _required(meeting)
    form = MinutesForm()
    correction = minutes.status == MinutesStatus.APPROVED
    status, preview = 200, None
    if request.method == "GET":
        form.text.data = minutes.latest.text
    elif not form.validate_on_submit():
        status = 400
    elif "preview" in request.form:
        preview = render_markdown(form.text.data)
    else:
        try:
            version = service.save_version(
                minutes,
                form.text.data,
                db.session.get(User, current_user.id),
                reason=form.reason.data,
                correction=correction and "correct" in request.form,
            )
        except DomainError as error:
            db.session.rollback()
            form.text.errors = [*form.text.errors, str(error)]
            status = error.status
        else:
            db.session.commit()
            flash(_("Version %(number)s saved.", number=version.number), "success")
            return redirect(_url(meeting))
    return render_template(
        "minutes/edit.html",
        organisation=meeting.organisation,
        meeting=meeting,
        minutes=minutes,
        form=form,
        preview=preview,
        correction=correction,
    ), status


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes/history")
@login_required
def history(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes = _minutes(meeting)
    versions = service.readable_versions(current_user, minutes) if minutes else []
    return render_template(
        "minutes/history.html",
        organisation=meeting.organisation,
        meeting=meeting,
        minutes=minutes,
        versions=list(reversed(versions)),
        may_edit=service.may_edit(current_user, meeting),
    )


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes/compare")
@login_required
def compare(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes = _required(meeting)
    readable = service.readable_versions(current_user, minutes)
    if not readable:
        abort(404)
    newest = readable[-1].number
    try:
        old = service.version_number(minutes, request.args.get("old", max(1, newest - 1)))
        new = service.version_number(minutes, request.args.get("new", newest))
    except DomainError:
        abort(404)
    if old not in readable or new not in readable:
        abort(404)
    comparison = service.compare(old, new)
    return render_template(
        "minutes/compare.html",
        organisation=meeting.organisation,
        meeting=meeting,
        minutes=minutes,
        comparison=comparison,
        versions=readable,
        may_edit=service.may_edit(current_user, meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/minutes/approvers")
@login_required
def approvers(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.NAME_MINUTES_APPROVERS)
    minutes = _required(meeting)
    form = ApproversForm(prefix="approvers")
    if not form.validate_on_submit():
        abort(400)
    raw = request.form.getlist("approvers-approvers")
    if not all(value.isdigit() and len(value) < 10 for value in raw):
        abort(400)
    return carry_out(
        lambda: service.set_approvers(minutes, [int(v) for v in raw]),
        done=_("The approvers are named."),
        to=_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/minutes/approve")
@login_required
def approve(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes = _required(meeting)
    require_confirmation()
    if not service.is_approver(current_user, minutes):
        abort(403)
    return carry_out(
        lambda: service.approve(minutes, db.session.get(User, current_user.id)),
        done=lambda complete: (
            _("The minutes are approved and locked.")
            if complete
            else _("Your approval is recorded; the minutes wait for the other approvers.")
        ),
        to=_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/minutes/approve-by-poll")
@login_required
def approve_by_poll(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.NAME_MINUTES_APPROVERS)
    minutes = _required(meeting)
    form = PollApprovalForm(prefix="poll")
    form.poll.choices = [(str(p.id), p.title) for p in service.approval_polls(minutes)]
    if not form.validate_on_submit():
        flash(_("Choose a poll of a later meeting of this organisation."), "error")
        return redirect(_url(meeting))
    return carry_out(
        lambda: service.approve_by_poll(minutes, int(form.poll.data)),
        done=_("The minutes are recorded as approved by the poll."),
        to=_url(meeting),
    )


# --- export ------------------------------------------------------------------------------------


def _exported(meeting: Meeting) -> tuple[Minutes, object]:
    """The version the person reads on the minutes page (staff: the latest; others: the
    approved one), or a 404 when there is none for them."""
    minutes = _required(meeting)
    working = service.may_edit(current_user, meeting) or service.is_approver(current_user, minutes)
    version = minutes.latest if working else minutes.published
    if version is None:
        abort(404)
    return minutes, version


def _filename(meeting: Meeting, version, extension: str) -> str:
    return f"acta-{meeting.organisation.slug}-{meeting.id}-v{version.number}.{extension}"


def _export_page(meeting: Meeting, minutes: Minutes, version) -> str:
    with force_locale(LOCALE):  # a Spanish document, whoever downloads it
        return render_template(
            "minutes/export.html", meeting=meeting, minutes=minutes, version=version
        )


def _download(body, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes/export.md")
@login_required
def export_markdown(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    _minutes_row, version = _exported(meeting)
    return _download(version.text, "text/markdown", _filename(meeting, version, "md"))


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes/export.html")
@login_required
def export_html(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes, version = _exported(meeting)
    return _download(
        _export_page(meeting, minutes, version), "text/html", _filename(meeting, version, "html")
    )


@bp.get("/o/<slug>/meetings/<int:meeting_id>/minutes/export.pdf")
@login_required
def export_pdf(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    minutes, version = _exported(meeting)
    # Without Pango on the server: PdfUnavailable, a 503 saying so (the error handler).
    document = render_pdf(_export_page(meeting, minutes, version))
    return _download(document, "application/pdf", _filename(meeting, version, "pdf"))
