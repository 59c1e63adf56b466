import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.organisations.models import (
    Membership,
    MembershipEvent,
    MembershipEventKind,
    Organisation,
    Role,
)

EN = {"Accept-Language": "en"}


def _membership_id(app, org, person):
    with app.app_context():
        return db.session.scalar(
            select(Membership.id).where(
                Membership.organisation_id == org.id,
                Membership.user_id == person.id,
                Membership.left_at.is_(None),
            )
        )


def test_creating_an_organisation_makes_its_creator_admin(app, client, make_user):
    person = make_user()
    client.login(person.email)
    response = client.post_form(
        "/organisations/new",
        {
            "name": "Cooperativa Gráfica Patricios",
            "kind": "worker_cooperative",
            "description": "Imprenta **recuperada**.<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    assert response.location == "/o/cooperativa-grafica-patricios/members"
    page = client.get("/o/cooperativa-grafica-patricios/", headers=EN).get_data(as_text=True)
    assert "<strong>recuperada</strong>" in page
    assert "<script>alert(1)</script>" not in page  # sanitised Markdown
    assert "Your role here: Admin" in page


def test_bad_organisation_input_is_a_form_error(app, client, make_user):
    person = make_user()
    client.login(person.email)
    for data in (
        {"name": "", "kind": "worker_cooperative"},
        {"name": "x" * 161, "kind": "worker_cooperative"},
        {"name": "Ok", "kind": "empire"},
    ):
        assert client.post_form("/organisations/new", data).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Organisation.id)) is None


def test_directory_lists_active_members_to_every_member(client, coop):
    org, people = coop
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/members", headers=EN).get_data(as_text=True)
    for person in people.values():
        assert person.name in page
    assert "Change role" not in page  # members see the directory, not the controls
    assert people["admin"].email not in page


@pytest.mark.parametrize("path", ["/", "/members", "/members/history", "/outbox", "/edit"])
def test_outsiders_get_404_for_every_page_of_an_organisation(client, coop, make_user, path):
    org, _people = coop
    outsider = make_user()
    client.login(outsider.email)
    assert client.get(f"/o/{org.slug}{path}").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, coop):
    org, _people = coop
    response = client.get(f"/o/{org.slug}/members")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_admin_changes_a_role_and_history_is_kept(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    mid = _membership_id(app, org, people["member"])
    response = client.post_form(f"/o/{org.slug}/members/{mid}/role", {f"m{mid}-role": "secretary"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Membership, mid).role == Role.SECRETARY
        event = db.session.scalar(
            select(MembershipEvent).where(
                MembershipEvent.membership_id == mid,
                MembershipEvent.kind == MembershipEventKind.ROLE_CHANGED,
            )
        )
        assert (event.old_role, event.new_role, event.actor_id) == (
            Role.MEMBER,
            Role.SECRETARY,
            people["admin"].id,
        )
    page = client.get(f"/o/{org.slug}/members/history", headers=EN).get_data(as_text=True)
    assert "role changed: Member → Secretary" in page


@pytest.mark.parametrize("role", ["member", "facilitator", "secretary"])
def test_non_admins_cannot_change_roles_or_remove(app, client, coop, role):
    org, people = coop
    client.login(people[role].email)
    mid = _membership_id(app, org, people["admin"])
    assert (
        client.post_form(
            f"/o/{org.slug}/members/{mid}/role", {f"m{mid}-role": "member"}
        ).status_code
        == 403
    )
    assert client.post_form(f"/o/{org.slug}/members/{mid}/remove").status_code == 403
    with app.app_context():
        membership = db.session.get(Membership, mid)
        assert membership.role == Role.ADMIN and membership.left_at is None


def test_bad_role_change_input(app, client, coop, make_org, make_user):
    org, people = coop
    client.login(people["admin"].email)
    mid = _membership_id(app, org, people["member"])
    response = client.post_form(f"/o/{org.slug}/members/{mid}/role", {f"m{mid}-role": "queen"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Membership, mid).role == Role.MEMBER
    # A membership of another organisation cannot be reached through this one.
    stranger = make_user()
    other = make_org("Otra", members={stranger: "member"})
    foreign = _membership_id(app, other, stranger)
    assert (
        client.post_form(
            f"/o/{org.slug}/members/{foreign}/role", {f"m{foreign}-role": "admin"}
        ).status_code
        == 404
    )
    assert client.post_form(f"/o/{org.slug}/members/999999/remove").status_code == 404


def test_removing_a_member_keeps_history_and_closes_the_door(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    mid = _membership_id(app, org, people["member"])
    assert client.post_form(f"/o/{org.slug}/members/{mid}/remove").status_code == 302
    with app.app_context():
        membership = db.session.get(Membership, mid)
        assert membership.left_at is not None  # the row stays
        kinds = [
            e.kind
            for e in db.session.scalars(
                select(MembershipEvent)
                .where(MembershipEvent.membership_id == mid)
                .order_by(MembershipEvent.id)
            )
        ]
        assert kinds == [MembershipEventKind.JOINED, MembershipEventKind.REMOVED]
    client.get(f"/o/{org.slug}/members")  # shows, and so clears, the flash naming them
    assert people["member"].name not in client.get(f"/o/{org.slug}/members").get_data(as_text=True)
    client.logout()
    client.login(people["member"].email)
    assert client.get(f"/o/{org.slug}/").status_code == 404


def test_a_removed_member_can_be_invited_back(app, client, coop):
    from tests.conftest import link_in, outbox_bodies

    org, people = coop
    client.login(people["admin"].email)
    mid = _membership_id(app, org, people["member"])
    client.post_form(f"/o/{org.slug}/members/{mid}/remove")
    client.post_form(
        f"/o/{org.slug}/invitations", {"email": people["member"].email, "role": "member"}
    )
    link = link_in(outbox_bodies(app)[-1])
    client.logout()
    client.login(people["member"].email)
    assert client.post_form(link).status_code == 302
    assert client.get(f"/o/{org.slug}/").status_code == 200
    with app.app_context():
        rows = db.session.scalars(
            select(Membership).where(
                Membership.organisation_id == org.id, Membership.user_id == people["member"].id
            )
        ).all()
        assert sorted(r.left_at is None for r in rows) == [False, True]


def test_the_last_admin_cannot_leave_or_be_demoted(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    mid = _membership_id(app, org, people["admin"])
    response = client.post_form(
        f"/o/{org.slug}/members/{mid}/role", {f"m{mid}-role": "member"}, headers=EN
    )
    assert response.status_code == 302
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "at least one admin" in page
    client.post_form(f"/o/{org.slug}/members/{mid}/remove")
    with app.app_context():
        membership = db.session.get(Membership, mid)
        assert membership.role == Role.ADMIN and membership.left_at is None


def test_one_active_membership_per_person_is_enforced_by_the_database(app, coop):
    org, people = coop
    with app.app_context():
        db.session.add(
            Membership(organisation_id=org.id, user_id=people["member"].id, role=Role.ADMIN)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


def test_people_belong_to_several_organisations_and_switch(app, client, make_user, make_org):
    person = make_user()
    first = make_org("Cambalache", members={person: "member"})
    second = make_org("Gestionar", members={person: "facilitator"})
    client.login(person.email)
    home = client.get("/", headers=EN).get_data(as_text=True)
    assert "Cambalache" in home and "Gestionar" in home
    client.get(f"/o/{second.slug}/")
    with app.app_context():
        assert db.session.get(User, person.id).current_organisation_id == second.id
    client.get(f"/o/{first.slug}/")
    with app.app_context():
        assert db.session.get(User, person.id).current_organisation_id == first.id


def test_edit_organisation_is_for_admins(app, client, coop):
    org, people = coop
    client.login(people["secretary"].email)
    assert client.post_form(f"/o/{org.slug}/edit", {"name": "X"}).status_code == 403
    client.logout()
    client.login(people["admin"].email)
    assert client.post_form(f"/o/{org.slug}/edit", {"name": "x" * 200}).status_code == 400
    assert (
        client.post_form(
            f"/o/{org.slug}/edit", {"name": "Nuevo nombre", "description": "Hola"}
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Organisation, org.id).name == "Nuevo nombre"


def test_secretaries_read_the_membership_history_members_do_not(client, coop):
    org, people = coop
    client.login(people["secretary"].email)
    assert client.get(f"/o/{org.slug}/members/history").status_code == 200
    client.logout()
    client.login(people["member"].email)
    assert client.get(f"/o/{org.slug}/members/history").status_code == 403
