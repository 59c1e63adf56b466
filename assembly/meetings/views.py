"""Preparing meetings: list, create, agenda, proposals, templates, series, convening."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import time, timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required

from assembly.core.actions import carry_out, organisation_for, refuse, require_confirmation
from assembly.core.clock import utcnow
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm
from assembly.extensions import db
from assembly.meetings import service
from assembly.meetings.forms import (
    AgendaItemForm,
    CopyAgendaForm,
    MeetingForm,
    ProposalForm,
    SaveTemplateForm,
    SeriesForm,
    TemplateChoiceForm,
)
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AgendaItemState,
    Meeting,
    MeetingKind,
    MeetingStatus,
    RecurrenceUnit,
    SpeakerPolicy,
)
from assembly.organisations.models import Organisation
from assembly.organisations.service import organisation_by_slug
from assembly.permissions import Action, authorise_meeting, can, can_in_meeting
from assembly.proposals import service as proposals_service

bp = Blueprint("meetings", __name__)

# Which form field shows a refusal from the service.
_ERROR_FIELDS = {
    "end_before_start": "ends",
    "bad_link": "online_link",
    "plenary_only_for_networks": "kind",
    "not_a_member": ("facilitator", "presenter"),
    "invalid_series": "ends_on",
    "invalid_parent": "parent",
    "has_sub_items": "parent",
    "unknown_template": "template",
}


def _organisation(slug: str, action: Action = Action.VIEW_MEETINGS) -> Organisation:
    return organisation_for(slug, action)


def _meeting(slug: str, meeting_id: int, action: Action = Action.VIEW_MEETINGS) -> Meeting:
    organisation = organisation_by_slug(slug)
    meeting = service.meeting_in(organisation, meeting_id) if organisation else None
    authorise_meeting(current_user, action, meeting)
    return meeting


def _item(meeting: Meeting, item_id: int) -> AgendaItem:
    item = service.item_in(meeting, item_id)
    if item is None:
        abort(404)
    return item


def _detail_url(meeting: Meeting, anchor: str | None = None) -> str:
    url = url_for("meetings.detail", slug=meeting.organisation.slug, meeting_id=meeting.id)
    return url + (f"#{anchor}" if anchor else "")


def _to_detail(meeting: Meeting, anchor: str | None = None):
    return redirect(_detail_url(meeting, anchor))


def _refuse(error: DomainError, meeting: Meeting):
    db.session.rollback()  # before the address is read from the meeting
    return refuse(error, _detail_url(meeting))


def _person(value: str | None) -> int | None:
    return int(value) if value else None


def _show_error(form, error: DomainError) -> None:
    names = _ERROR_FIELDS.get(error.code, ())
    names = (names,) if isinstance(names, str) else names
    field = next((form[name] for name in names if name in form), None)
    if field is None:
        field = next(iter(f for f in form if f.type not in ("CSRFTokenField", "HiddenField")))
    field.errors = [*field.errors, str(error)]


# --- list, create, edit ----------------------------------------------------------------------


@bp.get("/o/<slug>/meetings")
@login_required
def index(slug: str):
    organisation = _organisation(slug)
    prepare = can(current_user, Action.PREPARE_MEETINGS, organisation)
    now = utcnow()
    if prepare and service.schedule_all_series(organisation, now):
        db.session.commit()
    return render_template(
        "meetings/index.html",
        organisation=organisation,
        upcoming=service.upcoming_meetings(organisation, now, include_drafts=prepare),
        past=service.past_meetings(organisation, now, include_drafts=prepare),
        series=service.series_of(organisation) if prepare else [],
        series_active=lambda s: service.series_active(s, now),
        can_prepare=prepare,
    )


def _meeting_values(form: MeetingForm) -> dict:
    starts_at = service.from_local(form.date.data, form.starts.data)
    return {
        "title": form.title.data,
        "kind": MeetingKind(form.kind.data),
        "starts_at": starts_at,
        "planned_end_at": service.from_local(form.date.data, form.ends.data),
        "place": form.place.data or "",
        "online_link": form.online_link.data or "",
        "facilitator_id": _person(form.facilitator.data),
        "secretary_id": _person(form.secretary.data),
        "speaker_policy": SpeakerPolicy(form.speaker_policy.data),
        "speaking_limit_seconds": form.speaking_limit_seconds.data,
    }


@bp.route("/o/<slug>/meetings/new", methods=["GET", "POST"])
@login_required
def create(slug: str):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    defaults = {}
    if request.method == "GET":
        template_key = request.args.get("template", "")
        default_kind = service.template_kind(organisation, template_key) or (
            MeetingKind.PLENARY if organisation.is_network else MeetingKind.ORDINARY
        )
        defaults = {
            "date": service.to_local(utcnow()).date() + timedelta(days=7),
            "starts": time(18, 0),
            "ends": time(20, 0),
            "kind": default_kind.value,
            "template": template_key,
        }
    form = MeetingForm(data=defaults).setup(organisation, with_template=True)
    if form.validate_on_submit():
        try:
            meeting = service.create_meeting(
                organisation,
                **_meeting_values(form),
                created_by=current_user,
                template_key=form.template.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("The meeting has been created as a draft. Prepare its agenda, then convene it."),
                "success",
            )
            return _to_detail(meeting)
    return render_template(
        "meetings/form.html", organisation=organisation, form=form, meeting=None
    ), 400 if form.errors else 200


@bp.route("/o/<slug>/meetings/<int:meeting_id>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    organisation = meeting.organisation
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.CONVENED):
        return _refuse(service.MeetingNotEditable(), meeting)
    starts, ends = service.to_local(meeting.starts_at), service.to_local(meeting.planned_end_at)
    form = MeetingForm(
        data={
            "title": meeting.title,
            "kind": MeetingKind(meeting.kind).value,
            "date": starts.date(),
            "starts": starts.time(),
            "ends": ends.time(),
            "place": meeting.place,
            "online_link": meeting.online_link,
            "facilitator": str(meeting.facilitator_id or ""),
            "secretary": str(meeting.secretary_id or ""),
            "speaker_policy": SpeakerPolicy(meeting.speaker_policy).value,
            "speaking_limit_seconds": meeting.speaking_limit_seconds,
        }
    ).setup(organisation, with_template=False)
    if form.validate_on_submit():
        try:
            service.update_meeting(meeting, **_meeting_values(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _to_detail(meeting)
    return render_template(
        "meetings/form.html", organisation=organisation, form=form, meeting=meeting
    ), 400 if form.errors else 200


@bp.post("/o/<slug>/meetings/<int:meeting_id>/delete")
@login_required
def delete(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: service.delete_meeting(meeting),
        done=_("The draft has been deleted."),
        category="info",
        to=url_for("meetings.index", slug=slug),
        refused_to=_detail_url(meeting),
    )


# --- one meeting -----------------------------------------------------------------------------


@bp.get("/o/<slug>/meetings/<int:meeting_id>/")
@login_required
def detail(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    if service.mark_meeting_read(current_user, meeting):
        db.session.commit()
    return _detail_page(meeting)


def _detail_page(meeting: Meeting, status: int = 200, **forms):
    organisation = meeting.organisation
    prepare = can_in_meeting(current_user, Action.PREPARE_MEETINGS, meeting)
    plan = service.agenda_plan(meeting)
    context = {
        "organisation": organisation,
        "meeting": meeting,
        "plan": plan,
        **_agenda_proposals(meeting, plan),
        "item_minutes": service.item_minutes,
        "can_prepare": prepare,
        "can_run": can_in_meeting(current_user, Action.RUN_MEETINGS, meeting),
        "agenda_open": meeting.status != MeetingStatus.CLOSED,
        "reorder": prepare and meeting.status != MeetingStatus.CLOSED,
        "editable": meeting.status in (MeetingStatus.DRAFT, MeetingStatus.CONVENED),
        "proposals_open": meeting.status in (MeetingStatus.DRAFT, MeetingStatus.CONVENED),
        "can_propose": can_in_meeting(current_user, Action.PROPOSE_AGENDA_ITEM, meeting),
        "my_proposals": service.proposals_by(meeting, current_user),
        "confirm": ConfirmForm(),
        "States": AgendaItemState,
        "focus": _focus(),
    }
    context["proposal_form"] = forms.get("proposal_form") or ProposalForm(prefix="proposal")
    if prepare:
        context["pending"] = service.pending_proposals(meeting)
        context["item_form"] = (forms.get("item_form") or AgendaItemForm(prefix="item")).setup(
            organisation, plan.tree
        )
        template_form = TemplateChoiceForm(prefix="tpl")
        template_form.template.choices = service.template_choices(organisation)
        context["template_form"] = template_form
        copy_form = CopyAgendaForm(prefix="copy")
        copy_form.source.choices = [
            (str(m.id), f"{m.title} ({_date(m)})") for m in service.copy_sources(meeting)
        ]
        context["copy_form"] = copy_form
        context["save_form"] = forms.get("save_form") or SaveTemplateForm(prefix="save")
    if prepare or context["can_run"]:  # the meeting's named facilitator runs its projector too
        context["projector_url"] = url_for(
            "room.projector", token=meeting.projector_token, _external=True
        )
    return render_template("meetings/detail.html", **context), status


_FOCUS = re.compile(r"move-(up|down)-[0-9]+")


def _focus() -> str:
    """The agenda button to focus on arrival (after a move without the script), if any."""
    focus = request.args.get("focus", "")
    return focus if _FOCUS.fullmatch(focus) else ""


def _date(meeting: Meeting) -> str:
    return format_date(meeting.starts_at, "medium")


@bp.post("/o/<slug>/meetings/<int:meeting_id>/convene")
@login_required
def convene(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    require_confirmation()
    return carry_out(
        lambda: service.convene(meeting),
        done=lambda people: ngettext(
            "The meeting has been convened. %(num)s person was notified.",
            "The meeting has been convened. %(num)s people were notified.",
            len(people),
        ),
        to=_detail_url(meeting),
    )


@bp.get("/o/<slug>/meetings/<int:meeting_id>/meeting.ics")
@login_required
def ics(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    return Response(
        service.calendar_file(meeting),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


@bp.get("/o/<slug>/meetings/<int:meeting_id>/print")
@login_required
def printable(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id)
    plan = service.agenda_plan(meeting)
    return render_template(
        "meetings/print.html",
        organisation=meeting.organisation,
        meeting=meeting,
        plan=plan,
        item_minutes=service.item_minutes,
        **_agenda_proposals(meeting, plan),
    )


def _agenda_proposals(meeting: Meeting, plan) -> dict:
    """The proposals scheduled on the meeting: under their agenda item, or on their own."""
    shown = [entry.id for item, children in plan.tree for entry in (item, *children)]
    by_item, unplaced = proposals_service.on_agenda(meeting, shown)
    return {
        "agenda_proposals": defaultdict(list, by_item),
        "other_proposals": unplaced,
        **_commitments_review(meeting),
    }


def _commitments_review(meeting: Meeting) -> dict:
    """The review item's list: what it will go through, or what it went through."""
    from assembly.commitments.review import review_item, review_lines

    item = review_item(meeting)
    return {
        "review_item_id": item.id if item else None,
        "review_lines": review_lines(meeting) if item else [],
    }


# --- agenda items ----------------------------------------------------------------------------


def _item_values(form: AgendaItemForm) -> dict:
    return {
        "title": form.title.data,
        "kind": AgendaItemKind(form.kind.data),
        "planned_minutes": form.planned_minutes.data,
        "description": form.description.data or "",
        "presenter_id": _person(form.presenter.data),
        "parent_id": _person(form.parent.data),
    }


@bp.post("/o/<slug>/meetings/<int:meeting_id>/items")
@login_required
def add_item(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    form = AgendaItemForm(prefix="item").setup(meeting.organisation, service.agenda_tree(meeting))
    if not form.validate_on_submit():
        return _detail_page(meeting, 400, item_form=form)
    try:
        item = service.add_item(meeting, **_item_values(form))
    except DomainError as error:
        if isinstance(error, service.MeetingClosed):
            return _refuse(error, meeting)
        db.session.rollback()
        _show_error(form, error)
        return _detail_page(meeting, error.status, item_form=form)
    db.session.commit()
    flash(_("Added to the agenda: %(title)s", title=item.title), "success")
    return _to_detail(meeting, "agenda")


@bp.route("/o/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(slug: str, meeting_id: int, item_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    item = _item(meeting, item_id)
    if meeting.status == MeetingStatus.CLOSED:
        return _refuse(service.MeetingClosed(), meeting)
    form = AgendaItemForm(
        data={
            "title": item.title,
            "kind": AgendaItemKind(item.kind).value,
            "planned_minutes": item.planned_minutes,
            "description": item.description,
            "presenter": str(item.presenter_id or ""),
            "parent": str(item.parent_id or ""),
        }
    ).setup(meeting.organisation, service.agenda_tree(meeting), item=item)
    if form.validate_on_submit():
        try:
            service.update_item(item, **_item_values(form))
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return _to_detail(meeting, "agenda")
    return render_template(
        "meetings/item_form.html",
        organisation=meeting.organisation,
        meeting=meeting,
        item=item,
        form=form,
        States=AgendaItemState,
    ), 400 if form.errors else 200


@bp.post("/o/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/delete")
@login_required
def delete_item(slug: str, meeting_id: int, item_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    item = _item(meeting, item_id)
    require_confirmation()
    return carry_out(
        lambda: service.delete_item(item),
        done=_("Removed from the agenda: %(title)s", title=item.title),
        category="info",
        to=_detail_url(meeting, "agenda"),
        refused_to=_detail_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/move/<direction>")
@login_required
def move_item(slug: str, meeting_id: int, item_id: int, direction: str):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    item = _item(meeting, item_id)
    offsets = {"up": -1, "down": 1}
    if direction not in offsets:
        abort(404)
    require_confirmation()
    # Back with the focus on the button pressed, so the keyboard can press it again (an anchor
    # in the address would stop the browser from focusing it).
    focus = f"move-{direction}-{item.id}"
    return carry_out(
        lambda: service.move_item(item, offsets[direction]),
        to=url_for(
            "meetings.detail", slug=meeting.organisation.slug, meeting_id=meeting.id, focus=focus
        ),
        refused_to=_detail_url(meeting),
    )


def _json_error(error: DomainError):
    db.session.rollback()
    return jsonify(error={"code": error.code, "message": str(error)}), error.status


def _json_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@bp.post("/o/<slug>/meetings/<int:meeting_id>/agenda/order")
@login_required
def reorder(slug: str, meeting_id: int):
    """Drag and drop: {"parent": null or an item id, "order": [ids of its items]}."""
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(service.BadPayload())
    parent, order = payload.get("parent"), payload.get("order")
    if (parent is not None and not _json_int(parent)) or not (
        isinstance(order, list) and all(_json_int(i) for i in order)
    ):
        return _json_error(service.InvalidOrder())
    try:
        service.reorder(meeting, parent, order)
    except DomainError as error:
        return _json_error(error)
    db.session.commit()
    return jsonify(parent=parent, order=order)


# --- proposals -------------------------------------------------------------------------------


@bp.post("/o/<slug>/meetings/<int:meeting_id>/proposals")
@login_required
def propose(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PROPOSE_AGENDA_ITEM)
    form = ProposalForm(prefix="proposal")
    if not form.validate_on_submit():
        return _detail_page(meeting, 400, proposal_form=form)
    return carry_out(
        lambda: service.propose_item(
            meeting,
            current_user,
            title=form.title.data,
            description=form.description.data or "",
            planned_minutes=form.planned_minutes.data,
        ),
        done=_("Your proposal has been sent. The facilitator will accept or decline it."),
        to=_detail_url(meeting, "proposals"),
        refused_to=_detail_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/accept")
@login_required
def accept(slug: str, meeting_id: int, item_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    item = _item(meeting, item_id)
    require_confirmation()
    return carry_out(
        lambda: service.accept_proposal(item),
        done=_("Accepted into the agenda: %(title)s", title=item.title),
        to=_detail_url(meeting, "proposals"),
        refused_to=_detail_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/items/<int:item_id>/decline")
@login_required
def decline(slug: str, meeting_id: int, item_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    item = _item(meeting, item_id)
    require_confirmation()
    return carry_out(
        lambda: service.decline_proposal(item),
        done=_("Declined: %(title)s", title=item.title),
        category="info",
        to=_detail_url(meeting, "proposals"),
        refused_to=_detail_url(meeting),
    )


# --- templates and copies --------------------------------------------------------------------


@bp.post("/o/<slug>/meetings/<int:meeting_id>/agenda/template")
@login_required
def apply_template(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    form = TemplateChoiceForm(prefix="tpl")
    if not form.validate_on_submit():
        flash(_("Choose a template."), "error")
        return _to_detail(meeting)
    return carry_out(
        lambda: service.apply_template(meeting, form.template.data),
        done=lambda added: ngettext(
            "%(num)s item was added to the agenda.",
            "%(num)s items were added to the agenda.",
            added,
        ),
        to=_detail_url(meeting, "agenda"),
        refused_to=_detail_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/agenda/copy")
@login_required
def copy_agenda(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    form = CopyAgendaForm(prefix="copy")
    if not form.validate_on_submit() or not str(form.source.data).isdigit():
        flash(_("Choose the meeting to copy from."), "error")
        return _to_detail(meeting)
    source = service.meeting_in(meeting.organisation, int(form.source.data))
    if source is None:
        abort(404)
    return carry_out(
        lambda: service.copy_agenda(meeting, source),
        done=lambda added: ngettext(
            "%(num)s item was added to the agenda.",
            "%(num)s items were added to the agenda.",
            added,
        ),
        to=_detail_url(meeting, "agenda"),
        refused_to=_detail_url(meeting),
    )


@bp.post("/o/<slug>/meetings/<int:meeting_id>/agenda/save-template")
@login_required
def save_template(slug: str, meeting_id: int):
    meeting = _meeting(slug, meeting_id, Action.PREPARE_MEETINGS)
    form = SaveTemplateForm(prefix="save")
    if not form.validate_on_submit():
        return _detail_page(meeting, 400, save_form=form)
    return carry_out(
        lambda: service.save_as_template(meeting, form.name.data),
        done=lambda template: _(
            "The agenda has been saved as the template %(name)s.", name=template.name
        ),
        to=_detail_url(meeting),
    )


@bp.get("/o/<slug>/meetings/templates")
@login_required
def templates(slug: str):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    return render_template(
        "meetings/templates.html",
        organisation=organisation,
        builtin=service.builtin_templates(organisation),
        saved=service.saved_templates(organisation),
        confirm=ConfirmForm(),
    )


@bp.post("/o/<slug>/meetings/templates/<int:template_id>/delete")
@login_required
def delete_template(slug: str, template_id: int):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    template = service.template_in(organisation, template_id)
    if template is None:
        abort(404)
    require_confirmation()
    return carry_out(
        lambda: service.delete_template(template),
        done=_("The template has been deleted."),
        category="info",
        to=url_for("meetings.templates", slug=slug),
    )


# --- series ----------------------------------------------------------------------------------


@bp.route("/o/<slug>/meetings/series/new", methods=["GET", "POST"])
@login_required
def create_series(slug: str):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    defaults = {}
    if request.method == "GET":
        defaults = {
            "first_date": service.to_local(utcnow()).date() + timedelta(days=7),
            "starts": time(18, 0),
            "ends": time(20, 0),
            "kind": (
                MeetingKind.PLENARY if organisation.is_network else MeetingKind.ORDINARY
            ).value,
        }
    form = SeriesForm(data=defaults).setup(organisation)
    if form.validate_on_submit():
        first = service.from_local(form.first_date.data, form.starts.data)
        end = service.from_local(form.first_date.data, form.ends.data)
        try:
            series = service.create_series(
                organisation,
                title=form.title.data,
                kind=MeetingKind(form.kind.data),
                every=form.every.data,
                unit=RecurrenceUnit(form.unit.data),
                first_starts_at=first,
                duration_minutes=round((end - first).total_seconds() / 60),
                place=form.place.data or "",
                ahead=form.ahead.data,
                ends_on=service.end_of_local_day(form.ends_on.data) if form.ends_on.data else None,
                template_key=form.template.data or None,
            )
        except DomainError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            flash(_("The series has been created with its next meetings, as drafts."), "success")
            return redirect(url_for("meetings.series", slug=slug, series_id=series.id))
    return render_template(
        "meetings/series_form.html", organisation=organisation, form=form
    ), 400 if form.errors else 200


@bp.get("/o/<slug>/meetings/series/<int:series_id>")
@login_required
def series(slug: str, series_id: int):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    found = service.series_in(organisation, series_id)
    if found is None:
        abort(404)
    now = utcnow()
    if service.series_active(found, now) and service.schedule_series(found, now):
        db.session.commit()
    return render_template(
        "meetings/series.html",
        organisation=organisation,
        series=found,
        meetings=service.series_meetings(found),
        active=service.series_active(found, now),
        first_local=service.to_local(found.first_starts_at),
        ends_on_local=service.to_local(found.ends_on) if found.ends_on else None,
        confirm=ConfirmForm(),
    )


@bp.post("/o/<slug>/meetings/series/<int:series_id>/stop")
@login_required
def stop_series(slug: str, series_id: int):
    organisation = _organisation(slug, Action.PREPARE_MEETINGS)
    found = service.series_in(organisation, series_id)
    if found is None:
        abort(404)
    require_confirmation()
    return carry_out(
        lambda: service.stop_series(found, utcnow()),
        done=lambda removed: ngettext(
            "The series has ended. %(num)s future draft was removed; convened meetings stay.",
            "The series has ended. %(num)s future drafts were removed; convened meetings stay.",
            removed,
        ),
        category="info",
        to=url_for("meetings.series", slug=slug, series_id=series_id),
    )


# --- notifications ---------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    return render_template(
        "meetings/notifications.html",
        notifications=service.notifications_for(current_user),
        confirm=ConfirmForm(),
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    notification = service.notification_of(current_user, notification_id)
    if notification is None:
        abort(404)
    require_confirmation()
    service.mark_read(notification)
    db.session.commit()
    if notification.poll is not None:
        return redirect(
            url_for(
                "voting.poll",
                slug=notification.organisation.slug,
                poll_id=notification.poll_id,
            )
        )
    if notification.commitment is not None:
        return redirect(
            url_for(
                "commitments.detail",
                slug=notification.organisation.slug,
                commitment_id=notification.commitment_id,
            )
        )
    meeting = notification.meeting
    if meeting is None:
        return redirect(url_for("meetings.notifications"))
    return _to_detail(meeting)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    require_confirmation()
    return carry_out(
        lambda: service.mark_all_read(current_user),
        done=_("All notifications are marked as read."),
        category="info",
        to=url_for("meetings.notifications"),
    )
