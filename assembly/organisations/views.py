from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from assembly.accounts import sessions
from assembly.accounts.forms import SignUpForm
from assembly.accounts.models import Gender, User
from assembly.accounts.service import find_user_by_email
from assembly.core.actions import carry_out, organisation_for, require_confirmation
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm, enum_or_none
from assembly.extensions import db
from assembly.organisations import service
from assembly.organisations.forms import (
    AddNetworkMemberForm,
    DelegateForm,
    InviteForm,
    OrganisationEditForm,
    OrganisationForm,
    RoleForm,
)
from assembly.organisations.models import NetworkMembership, Organisation, OrganisationKind, Role
from assembly.permissions import Action, can, standing

bp = Blueprint("organisations", __name__)


def _organisation(slug: str, action: Action = Action.VIEW) -> Organisation:
    return organisation_for(slug, action)


@bp.route("/organisations/new", methods=["GET", "POST"])
@login_required
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        organisation = service.create_organisation(
            form.name.data,
            OrganisationKind(form.kind.data),
            creator=current_user,
            description=form.description.data or "",
        )
        db.session.commit()
        flash(
            _("%(name)s has been created. Invite its members.", name=organisation.name), "success"
        )
        return redirect(url_for("organisations.members", slug=organisation.slug))
    return render_template("organisations/new.html", form=form), 400 if form.errors else 200


@bp.get("/o/<slug>/")
@login_required
def overview(slug: str):
    organisation = _organisation(slug)
    if current_user.current_organisation_id != organisation.id:
        current_user.current_organisation_id = organisation.id
        db.session.commit()
    context = {
        "organisation": organisation,
        "my_standing": standing(current_user, organisation),
        "networks": service.networks_of(organisation),
        "can": lambda action: can(current_user, action, organisation),
        "Action": Action,
    }
    if organisation.is_network:
        links = service.network_members(organisation)
        context["network_members"] = [(link, service.delegates(link)) for link in links]
        add_form = AddNetworkMemberForm()
        add_form.existing.choices = _administered_choices(organisation)
        context["add_form"] = add_form
    if can(current_user, Action.NAME_DELEGATES, organisation):
        people = [(str(m.user_id), m.user.display_name) for m in service.directory(organisation)]
        context["delegations"] = [
            (link, service.delegates(link), _delegate_form(link, people))
            for link in context["networks"]
        ]
    context["confirm"] = ConfirmForm()
    return render_template("organisations/overview.html", **context)


def _delegate_form(link: NetworkMembership, people) -> DelegateForm:
    form = DelegateForm(prefix=f"d{link.id}", network_membership=str(link.id))
    form.person.choices = people
    return form


def _administered_choices(network: Organisation) -> list[tuple[str, str]]:
    already = {link.member_id for link in service.network_members(network)}
    return [("", _("Choose…"))] + [
        (str(place.organisation.id), place.organisation.name)
        for place in service.places_of(current_user)
        if place.standing == Role.ADMIN
        and place.organisation.id != network.id
        and place.organisation.id not in already
    ]


@bp.route("/o/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    organisation = _organisation(slug, Action.EDIT)
    form = OrganisationEditForm(obj=organisation)
    if not organisation.is_network:
        del form.minutes_readers
    if form.validate_on_submit():
        service.update_organisation(
            organisation,
            name=form.name.data,
            description=form.description.data or "",
            quorum_percent=form.quorum_percent.data,
            max_proxies=form.max_proxies.data,
            minutes_readers=form.minutes_readers.data if organisation.is_network else None,
        )
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("organisations.overview", slug=slug))
    return render_template(
        "organisations/edit.html", organisation=organisation, form=form
    ), 400 if form.errors else 200


@bp.get("/o/<slug>/members")
@login_required
def members(slug: str):
    organisation = _organisation(slug, Action.VIEW_DIRECTORY)
    return _members_page(organisation, InviteForm())


def _members_page(organisation: Organisation, invite_form: InviteForm, status: int = 200):
    manage = can(current_user, Action.MANAGE_MEMBERS, organisation)
    memberships = service.directory(organisation)
    role_forms = {}
    if manage:
        for membership in memberships:
            role_forms[membership.id] = RoleForm(prefix=f"m{membership.id}", role=membership.role)
    return render_template(
        "organisations/members.html",
        organisation=organisation,
        memberships=memberships,
        manage=manage,
        can_invite=can(current_user, Action.INVITE, organisation),
        can_history=can(current_user, Action.VIEW_MEMBER_HISTORY, organisation),
        invite_form=invite_form,
        role_forms=role_forms,
        confirm=ConfirmForm(),
        invitations=service.pending_invitations(organisation) if manage else [],
        delegations=[
            (link, service.delegates(link)) for link in service.network_members(organisation)
        ]
        if organisation.is_network
        else [],
    ), status


@bp.post("/o/<slug>/invitations")
@login_required
def invite(slug: str):
    organisation = _organisation(slug, Action.INVITE)
    form = InviteForm()
    if not form.validate_on_submit():
        return _members_page(organisation, form, 400)
    try:
        _invitation, link = service.invite(
            organisation, form.email.data, Role(form.role.data), actor=current_user
        )
    except DomainError as error:
        form.email.errors.append(str(error))
        return _members_page(organisation, form, error.status)
    db.session.commit()
    flash(
        _("Invitation created for %(email)s. Link: %(link)s", email=form.email.data, link=link),
        "success",
    )
    return redirect(url_for("organisations.members", slug=slug))


@bp.post("/o/<slug>/invitations/<int:invitation_id>/revoke")
@login_required
def revoke_invitation(slug: str, invitation_id: int):
    organisation = _organisation(slug, Action.INVITE)
    require_confirmation()
    return carry_out(
        lambda: service.revoke_invitation(organisation, invitation_id),
        done=_("The invitation has been withdrawn."),
        category="info",
        to=url_for("organisations.members", slug=slug),
    )


@bp.post("/o/<slug>/members/<int:membership_id>/role")
@login_required
def change_role(slug: str, membership_id: int):
    organisation = _organisation(slug, Action.MANAGE_MEMBERS)
    membership = service.membership_in(organisation, membership_id)
    if membership is None or not membership.active:
        abort(404)
    form = RoleForm(prefix=f"m{membership.id}")
    if not form.validate_on_submit():
        flash(_("Choose one of the roles offered."), "error")
        return redirect(url_for("organisations.members", slug=slug))
    return carry_out(
        lambda: service.change_role(membership, Role(form.role.data), actor=current_user),
        done=_("%(name)s's role has been changed.", name=membership.user.display_name),
        to=url_for("organisations.members", slug=slug),
    )


@bp.post("/o/<slug>/members/<int:membership_id>/remove")
@login_required
def remove_member(slug: str, membership_id: int):
    organisation = _organisation(slug, Action.MANAGE_MEMBERS)
    membership = service.membership_in(organisation, membership_id)
    if membership is None or not membership.active:
        abort(404)
    require_confirmation()
    return carry_out(
        lambda: service.remove_member(membership, actor=current_user),
        done=_(
            "%(name)s is no longer a member. Their history is kept.",
            name=membership.user.display_name,
        ),
        category="info",
        to=url_for("organisations.members", slug=slug),
    )


@bp.get("/o/<slug>/members/history")
@login_required
def member_history(slug: str):
    organisation = _organisation(slug, Action.VIEW_MEMBER_HISTORY)
    return render_template(
        "organisations/history.html",
        organisation=organisation,
        events=service.membership_history(organisation),
    )


@bp.get("/o/<slug>/outbox")
@login_required
def outbox(slug: str):
    organisation = _organisation(slug, Action.VIEW_OUTBOX)
    return render_template(
        "organisations/outbox.html",
        organisation=organisation,
        messages=service.outbox(organisation),
    )


@bp.post("/o/<slug>/network/members")
@login_required
def add_network_member(slug: str):
    network = _organisation(slug, Action.MANAGE_NETWORK)
    form = AddNetworkMemberForm()
    form.existing.choices = _administered_choices(network)
    if not form.validate_on_submit() or not (form.existing.data or form.new_name.data):
        flash(_("Choose an organisation you administer, or give the name of a new one."), "error")
        return redirect(url_for("organisations.overview", slug=slug))
    if form.existing.data:
        member = db.session.get(Organisation, int(form.existing.data))
    else:
        member = service.create_organisation(
            form.new_name.data, OrganisationKind(form.new_kind.data), creator=current_user
        )
    return carry_out(
        lambda: service.add_to_network(network, member),
        done=_("%(name)s is now a member of the network.", name=member.name),
        to=url_for("organisations.overview", slug=slug),
    )


@bp.post("/o/<slug>/network/members/<int:link_id>/remove")
@login_required
def remove_network_member(slug: str, link_id: int):
    network = _organisation(slug, Action.MANAGE_NETWORK)
    link = db.session.get(NetworkMembership, link_id)
    if link is None or link.network_id != network.id or link.left_at is not None:
        abort(404)
    require_confirmation()
    return carry_out(
        lambda: service.remove_from_network(link),
        done=_("%(name)s has left the network.", name=link.member.name),
        category="info",
        to=url_for("organisations.overview", slug=slug),
    )


def _own_link(organisation: Organisation, link_id: str | int | None) -> NetworkMembership:
    link = db.session.get(NetworkMembership, int(link_id)) if str(link_id).isdigit() else None
    if link is None or link.member_id != organisation.id or link.left_at is not None:
        abort(404)
    return link


@bp.post("/o/<slug>/delegates")
@login_required
def name_delegate(slug: str):
    organisation = _organisation(slug, Action.NAME_DELEGATES)
    link = _own_link(organisation, request.form.get("link"))
    people = [(str(m.user_id), m.user.display_name) for m in service.directory(organisation)]
    form = _delegate_form(link, people)
    if not form.validate_on_submit():
        flash(_("Choose a member of the organisation."), "error")
        return redirect(url_for("organisations.overview", slug=slug))
    user = db.session.get(User, int(form.person.data))
    return carry_out(
        lambda: service.name_delegate(link, user),
        done=_(
            "%(person)s is now a delegate to %(network)s.",
            person=user.display_name,
            network=link.network.name,
        ),
        to=url_for("organisations.overview", slug=slug),
    )


@bp.post("/o/<slug>/delegates/<int:delegate_id>/end")
@login_required
def end_delegate(slug: str, delegate_id: int):
    from assembly.organisations.models import Delegate

    organisation = _organisation(slug, Action.NAME_DELEGATES)
    delegate = db.session.get(Delegate, delegate_id)
    if delegate is None or delegate.ended_at is not None:
        abort(404)
    _own_link(organisation, delegate.network_membership_id)
    require_confirmation()
    return carry_out(
        lambda: service.end_delegate(delegate),
        done=_("The delegation has ended."),
        category="info",
        to=url_for("organisations.overview", slug=slug),
    )


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    try:
        invitation = service.open_invitation(token)
    except DomainError as error:
        return render_template("accounts/link_problem.html", message=str(error)), error.status
    if current_user.is_authenticated:
        if not service.invited_address_matches(invitation, current_user):
            # Nothing changes: say which address was invited and how to go on.
            return render_template(
                "organisations/invitation_elsewhere.html",
                invitation=invitation,
                form=ConfirmForm(),
            ), 403
        form = ConfirmForm()
        if form.validate_on_submit():
            try:
                service.accept_invitation(token, current_user)
            except DomainError as error:
                db.session.rollback()
                flash(str(error), "error")
                return redirect(url_for("core.home"))
            db.session.commit()
            flash(_("Welcome to %(name)s.", name=invitation.organisation.name), "success")
            return redirect(url_for("organisations.overview", slug=invitation.organisation.slug))
        return render_template("organisations/accept.html", invitation=invitation, form=form)
    existing = find_user_by_email(invitation.email)
    form = SignUpForm()
    if existing is None and form.validate_on_submit():
        try:
            user = service.sign_up(
                token,
                display_name=form.display_name.data,
                password=form.password.data,
                locale=form.locale.data or None,
                gender=enum_or_none(Gender, form.gender.data),
            )
        except DomainError as error:
            db.session.rollback()
            form.display_name.errors.append(str(error))
        else:
            sessions.start(user)
            db.session.commit()
            login_user(user)
            flash(_("Welcome to %(name)s.", name=invitation.organisation.name), "success")
            return redirect(url_for("organisations.overview", slug=invitation.organisation.slug))
    return render_template(
        "organisations/signup.html", invitation=invitation, form=form, existing=existing
    ), 400 if form.errors else 200
