"""Commitments: an organisation's action plan, one commitment with its history, writing and
updating them, each person's "Mis compromisos", and the CSV export."""

from __future__ import annotations

import csv
import dataclasses
import io

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from assembly.commitments import charts, figures, service
from assembly.commitments.forms import (
    STATUS_LABELS,
    TIME_FRAME_LABELS,
    CommitmentForm,
    UpdateForm,
)
from assembly.commitments.models import Commitment, CommitmentStatus, TimeFrame
from assembly.core.actions import carry_out, organisation_for, refuse
from assembly.core.errors import DomainError
from assembly.core.forms import safe_next
from assembly.extensions import db
from assembly.organisations.models import Organisation
from assembly.organisations.service import organisation_by_slug, places_of
from assembly.permissions import (
    Action,
    authorise_commitment,
    can,
    can_update_commitment,
)

bp = Blueprint("commitments", __name__)

EVENT_LABELS = {
    "created": _l("Recorded"),
    "status": _l("Status changed"),
    "due": _l("Due date changed"),
    "edited": _l("Edited"),
    "note": _l("Progress note"),
}
SOURCE_LABELS = {
    "decision": _l("Decision"),
    "poll": _l("Poll"),
    "proposal": _l("Proposal"),
    "agenda_item": _l("Agenda item"),
    "topic": _l("Workshop topic"),
    "meeting": _l("Meeting"),
}
# The statuses "Mis compromisos" offers as one tap each.
QUICK_STATUSES = (CommitmentStatus.IN_PROGRESS, CommitmentStatus.DONE, CommitmentStatus.BLOCKED)
_ERROR_FIELDS = {
    "bad_value": "what",
    "due_in_the_past": "due_on",
    "no_owner": "owners",
    "owner_not_a_member": "owners",
    "organisation_owner": "owners",
    "needs_due_date": "due_on",
    "closed": "status",
    "nothing_changed": "note",
}


@bp.app_context_processor
def _helpers():
    return {
        "commitment_status_label": lambda s: str(STATUS_LABELS.get(s, s)),
        "time_frame_label": lambda f: str(TIME_FRAME_LABELS.get(f, f)),
        "commitments_from": service.commitments_from,
        "can_record_commitment": lambda organisation: can(
            current_user, Action.MANAGE_COMMITMENTS, organisation
        ),
    }


# --- helpers -----------------------------------------------------------------------------------


def _commitment(slug: str, commitment_id: int, *, update: bool = False) -> Commitment:
    organisation = organisation_by_slug(slug)
    commitment = service.commitment_in(organisation, commitment_id) if organisation else None
    authorise_commitment(current_user, commitment, update=update)
    return commitment


def _detail_url(commitment: Commitment) -> str:
    return url_for(
        "commitments.detail", slug=commitment.organisation.slug, commitment_id=commitment.id
    )


def _show_error(form, error: DomainError) -> None:
    db.session.rollback()
    if error.status == 404:
        abort(404)
    name = _ERROR_FIELDS.get(error.code, "what")
    field = form[name] if name in form else next(iter(form))
    field.errors = [*field.errors, str(error)]


def _enum_arg(enum_cls, name: str):
    value = request.args.get(name) or ""
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


def _int_arg(name: str) -> int | None:
    value = request.args.get(name) or ""
    return int(value) if value.isdigit() and 0 < int(value) <= service.ID_MAX else None


def _owners(form) -> list[service.OwnerChoice]:
    return [service.OwnerChoice.parse(key) for key in form.owners.data or []]


def _source(value: str | None) -> tuple[str, int] | None:
    kind, _sep, number = (value or "").partition(":")
    if not kind:
        return None
    if kind not in service.SOURCES or not number.isdigit():
        abort(404)
    return kind, int(number)


def source_link(commitment: Commitment):
    """(label, title, address) of where the commitment came from, if anywhere."""
    found = service.source_of(commitment)
    return _link(commitment.organisation.slug, *found) if found else None


def _link(slug: str, kind: str, row):
    if kind == "decision":
        url = url_for("proposals.decisions", slug=slug) + f"#decision-{row.id}"
    elif kind == "proposal":
        url = url_for("proposals.detail", slug=slug, proposal_id=row.id)
    elif kind in ("poll", "agenda_item", "topic"):
        url = url_for("meetings.detail", slug=slug, meeting_id=row.meeting_id)
    else:
        url = url_for("meetings.detail", slug=slug, meeting_id=row.id)
    return SOURCE_LABELS[kind], getattr(row, "title", ""), url


# --- the action plan ---------------------------------------------------------------------------


@bp.get("/o/<slug>/commitments")
@login_required
def index(slug: str):
    organisation = organisation_for(slug)
    status = _enum_arg(CommitmentStatus, "status")
    time_frame = _enum_arg(TimeFrame, "time_frame")
    owner_id = _int_arg("owner")
    commitments = service.commitments_of(
        organisation, status=status, owner_id=owner_id, time_frame=time_frame
    )
    groups = service.action_plan(commitments)
    if time_frame is not None:
        groups = [g for g in groups if g.time_frame == time_frame]
    return render_template(
        "commitments/index.html",
        organisation=organisation,
        groups=groups,
        # The plan filters by person: the organisation's own members.
        owner_choices=[
            (choice.user_id, label)
            for choice, label in service.owner_options(organisation)
            if choice.organisation_id is None
        ],
        filters={"status": status, "time_frame": time_frame, "owner": owner_id},
        statuses=STATUS_LABELS,
        time_frames=TIME_FRAME_LABELS,
        can_manage=can(current_user, Action.MANAGE_COMMITMENTS, organisation),
        today=service.today(),
    )


@bp.get("/o/<slug>/commitments.csv")
@login_required
def export(slug: str):
    organisation = organisation_for(slug)
    return _csv_response(organisation, service.commitments_of(organisation))


def _cell(value) -> str:
    """Spreadsheets run cells that start with these as formulas: keep them text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_response(organisation: Organisation, commitments: list[Commitment]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Number"),
            _("What"),
            _("Owners"),
            _("Due date"),
            _("Time frame"),
            _("Status"),
            _("Made by"),
            _("Recorded on"),
            _("Closed on"),
        ]
    )
    for c in commitments:
        writer.writerow(
            [
                _cell(c.id),
                _cell(c.what),
                _cell("; ".join(_owner_name(o) for o in c.owners)),
                _cell(c.due_on.isoformat() if c.due_on else ""),
                _cell(TIME_FRAME_LABELS[c.time_frame]),
                _cell(STATUS_LABELS[c.status]),
                _cell(c.made_by.display_name if c.made_by else ""),
                _cell(c.created_at.date().isoformat()),
                _cell(c.closed_at.date().isoformat() if c.closed_at else ""),
            ]
        )
    filename = f"{organisation.slug}-commitments.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _owner_name(owner) -> str:
    if owner.owner_organisation is not None:
        return f"{owner.owner_organisation.name} ({owner.user.display_name})"
    return owner.user.display_name


@bp.app_template_filter("commitment_owner")
def _owner_filter(owner) -> str:
    return _owner_name(owner)


# --- follow-through figures ---------------------------------------------------------------------


def _month_labels(months) -> list[tuple[str, str]]:
    """(three-letter month, year under each January and under the first month, unless a
    January follows it at once and the two years would touch) for the chart."""
    labels = []
    for i, month in enumerate(months):
        short = format_date(month.start, "LLL").rstrip(".")[:3]
        first = i == 0 and month.start.month != 12
        year = str(month.start.year) if first or month.start.month == 1 else ""
        labels.append((short, year))
    return labels


@bp.get("/o/<slug>/commitments/figures")
@login_required
def figures_page(slug: str):
    organisation = organisation_for(slug)
    found = figures.organisation_figures(organisation)
    by_person = can(current_user, Action.VIEW_FIGURES_BY_PERSON, organisation)
    mine = found.person(current_user.id)
    # Nobody else's figures reach the template unless the viewer may see them.
    found = dataclasses.replace(found, people=found.people if by_person else [])
    return render_template(
        "commitments/figures.html",
        organisation=organisation,
        figures=found,
        by_person=by_person,
        mine=mine,
        chart=charts.month_chart(found.months),
        month_labels=_month_labels(found.months),
        split_bar=charts.split_bar,
        split_width=charts.SPLIT_WIDTH,
        split_height=charts.SPLIT_HEIGHT,
        time_frames=TIME_FRAME_LABELS,
    )


# --- one commitment ----------------------------------------------------------------------------


@bp.get("/o/<slug>/commitments/<int:commitment_id>")
@login_required
def detail(slug: str, commitment_id: int):
    commitment = _commitment(slug, commitment_id)
    return _render_detail(commitment, UpdateForm(formdata=None))


def _render_detail(commitment: Commitment, form: UpdateForm, status: int = 200):
    organisation = commitment.organisation
    return (
        render_template(
            "commitments/detail.html",
            organisation=organisation,
            commitment=commitment,
            history=service.history(commitment),
            event_labels=EVENT_LABELS,
            source=source_link(commitment),
            form=form,
            can_update=can_update_commitment(current_user, commitment),
            can_manage=can(current_user, Action.MANAGE_COMMITMENTS, organisation),
            today=service.today(),
        ),
        status,
    )


def _form_page(organisation, form, commitment=None, status=200):
    source = _source(form.source.data) if commitment is None else None
    source_row = None
    if source is not None:
        try:
            service.resolve_source(organisation, *source)
        except DomainError:
            abort(404)
        source_row = _link(organisation.slug, source[0], service.source_row(*source))
    return (
        render_template(
            "commitments/form.html",
            organisation=organisation,
            form=form,
            commitment=commitment,
            source=source_row,
            past_warning=bool(form.due_on.data and form.due_on.data < service.today()),
        ),
        status,
    )


@bp.route("/o/<slug>/commitments/new", methods=["GET", "POST"])
@login_required
def new(slug: str):
    organisation = organisation_for(slug, Action.MANAGE_COMMITMENTS)
    form = CommitmentForm().setup(service.owner_options(organisation))
    if request.method == "GET":
        kind = request.args.get("source_kind") or ""
        number = request.args.get("source_id") or ""
        if kind:
            form.source.data = f"{kind}:{number}"
    if form.validate_on_submit():
        try:
            commitment = service.create_commitment(
                organisation,
                what=form.what.data,
                owners=_owners(form),
                due_on=form.due_on.data,
                time_frame=TimeFrame(form.time_frame.data),
                made_by=current_user,
                source=_source(form.source.data),
                confirm_past=form.confirm_past.data,
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            return carry_out(
                lambda: commitment, to=_detail_url(commitment), done=_("Commitment recorded.")
            )
    return _form_page(organisation, form, status=400 if request.method == "POST" else 200)


@bp.route("/o/<slug>/commitments/<int:commitment_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, commitment_id: int):
    commitment = _commitment(slug, commitment_id)
    organisation = commitment.organisation
    if not can(current_user, Action.MANAGE_COMMITMENTS, organisation):
        abort(403)
    if commitment.closed:  # reopen it first (see service)
        return refuse(service.Closed(), _detail_url(commitment))
    form = CommitmentForm(
        obj=None if request.method == "POST" else commitment,
        owners=[
            service.OwnerChoice(o.user_id, o.owner_organisation_id).key for o in commitment.owners
        ],
    ).setup(service.owner_options(organisation))
    if request.method == "GET":
        form.time_frame.data = commitment.time_frame.value
    if form.validate_on_submit():
        try:
            service.edit_commitment(
                commitment,
                what=form.what.data,
                owners=_owners(form),
                due_on=form.due_on.data,
                time_frame=TimeFrame(form.time_frame.data),
                actor=current_user,
                confirm_past=form.confirm_past.data,
            )
        except DomainError as error:
            _show_error(form, error)
        else:
            return carry_out(
                lambda: commitment, to=_detail_url(commitment), done=_("Commitment saved.")
            )
    return _form_page(
        organisation, form, commitment, status=400 if request.method == "POST" else 200
    )


@bp.post("/o/<slug>/commitments/<int:commitment_id>/update")
@login_required
def update(slug: str, commitment_id: int):
    commitment = _commitment(slug, commitment_id, update=True)
    form = UpdateForm()
    back = safe_next(_detail_url(commitment))
    if not form.validate_on_submit():
        if back != _detail_url(commitment):
            abort(400)
        return _render_detail(commitment, form, 400)
    try:
        service.update_commitment(
            commitment,
            actor=current_user,
            status=form.status.data or None,
            due_on=form.due_on.data,
            note=form.note.data or "",
        )
    except DomainError as error:
        if back != _detail_url(commitment):
            return refuse(error, back)
        _show_error(form, error)
        return _render_detail(commitment, form, 400)
    return carry_out(lambda: commitment, to=back, done=_("Commitment updated."))


# --- each person's ------------------------------------------------------------------------------


@bp.get("/commitments/mine")
@login_required
def mine():
    places = places_of(current_user)
    organisation_ids = [p.organisation.id for p in places]
    status = _enum_arg(CommitmentStatus, "status")
    organisation_id = _int_arg("organisation")
    if organisation_id not in organisation_ids:
        organisation_id = None
    commitments = service.mine(
        current_user, organisation_ids, status=status, organisation_id=organisation_id
    )
    # The person's own follow-through figures, over the organisations shown.
    my_figures = figures.person_tally(
        current_user, [organisation_id] if organisation_id else organisation_ids
    )
    return render_template(
        "commitments/mine.html",
        sections=service.sections(commitments),
        my_figures=my_figures,
        organisation_choices=[(p.organisation.id, p.organisation.name) for p in places],
        filters={"status": status, "organisation": organisation_id},
        statuses=STATUS_LABELS,
        quick=QUICK_STATUSES,
        can_update=lambda c: can_update_commitment(current_user, c),
        today=service.today(),
    )
