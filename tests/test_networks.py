import pytest
from sqlalchemy import select

from assembly.extensions import db
from assembly.organisations.models import Delegate, Membership, NetworkMembership, Organisation

EN = {"Accept-Language": "en"}


@pytest.fixture
def network(make_user, make_org):
    """A network with its coordinating admin, and two member co-ops with their admins."""
    coordinator = make_user(name="Rosa Quispe", email="rosa@red.example")
    net = make_org("Red de Construcción Cooperativa", "network", members={coordinator: "admin"})
    surco_admin = make_user(name="Jorge Acosta", email="jorge@surco.example")
    surco_member = make_user(name="Inés Luna", email="ines@surco.example")
    surco = make_org("Surco", members={surco_admin: "admin", surco_member: "member"})
    return {
        "network": net,
        "coordinator": coordinator,
        "surco": surco,
        "surco_admin": surco_admin,
        "surco_member": surco_member,
    }


def _add(client, net, **data):
    data.setdefault("new_kind", "worker_cooperative")
    return client.post_form(f"/o/{net.slug}/network/members", data)


def _link_id(app, net, member):
    with app.app_context():
        return db.session.scalar(
            select(NetworkMembership.id).where(
                NetworkMembership.network_id == net.id,
                NetworkMembership.member_id == member.id,
                NetworkMembership.left_at.is_(None),
            )
        )


def _join(app, client, n):
    """The coordinator, also admin of Surco, brings Surco into the network."""
    with app.app_context():
        from assembly.accounts.models import User
        from assembly.organisations.models import Role
        from assembly.organisations.service import add_member

        add_member(
            db.session.get(Organisation, n["surco"].id),
            db.session.get(User, n["coordinator"].id),
            Role.ADMIN,
            actor=None,
        )
        db.session.commit()
    client.login(n["coordinator"].email)
    assert _add(client, n["network"], existing=str(n["surco"].id)).status_code == 302
    client.logout()


def test_a_network_admin_adds_an_organisation_they_administer(app, client, network):
    _join(app, client, network)
    client.login(network["coordinator"].email)
    page = client.get(f"/o/{network['network'].slug}/", headers=EN).get_data(as_text=True)
    assert "Member organisations" in page and "Surco" in page


def test_a_network_admin_cannot_add_an_organisation_they_do_not_administer(app, client, network):
    client.login(network["coordinator"].email)
    _add(client, network["network"], existing=str(network["surco"].id))
    assert _link_id(app, network["network"], network["surco"]) is None


def test_a_network_admin_creates_a_new_member_organisation(app, client, network):
    client.login(network["coordinator"].email)
    assert _add(client, network["network"], new_name="Tiluchis").status_code == 302
    with app.app_context():
        tiluchis = db.session.scalar(select(Organisation).where(Organisation.name == "Tiluchis"))
        assert tiluchis is not None
        assert _link_id(app, network["network"], tiluchis) is not None


def test_only_networks_have_member_organisations(app, client, network):
    client.login(network["surco_admin"].email)
    # Surco is a co-op: its admin has no network page to add to.
    response = client.post_form(
        f"/o/{network['surco'].slug}/network/members",
        {"new_name": "X", "new_kind": "sme"},
        headers=EN,
    )
    assert response.status_code == 302
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "Only a network can have member organisations." in page
    with app.app_context():
        assert db.session.scalar(select(Organisation).where(Organisation.name == "X")) is None


def test_members_of_the_network_cannot_manage_it(client, network, make_user, app):
    from assembly.organisations.models import Role
    from assembly.organisations.service import add_member

    facilitator = make_user()
    with app.app_context():
        from assembly.accounts.models import User

        add_member(
            db.session.get(Organisation, network["network"].id),
            db.session.get(User, facilitator.id),
            Role.FACILITATOR,
            actor=None,
        )
        db.session.commit()
    client.login(facilitator.email)
    assert _add(client, network["network"], new_name="Y").status_code == 403


def test_the_member_organisation_names_its_delegate(app, client, network):
    _join(app, client, network)
    net, surco = network["network"], network["surco"]
    link = _link_id(app, net, surco)
    # Before being named, a member of Surco has no standing in the network.
    client.login(network["surco_member"].email)
    assert client.get(f"/o/{net.slug}/").status_code == 404
    client.logout()

    client.login(network["surco_admin"].email)
    response = client.post_form(
        f"/o/{surco.slug}/delegates",
        {
            "link": str(link),
            f"d{link}-network_membership": str(link),
            f"d{link}-person": str(network["surco_member"].id),
        },
    )
    assert response.status_code == 302
    client.logout()

    client.login(network["surco_member"].email)
    page = client.get(f"/o/{net.slug}/", headers=EN).get_data(as_text=True)
    assert "Your role here: Delegate" in page
    assert client.get(f"/o/{net.slug}/members").status_code == 200
    assert _add(client, net, new_name="Z").status_code == 403  # a delegate does not manage
    home = client.get("/", headers=EN).get_data(as_text=True)
    assert "Red de Construcción Cooperativa" in home


def test_only_the_member_organisations_admin_names_delegates(app, client, network):
    _join(app, client, network)
    net, surco = network["network"], network["surco"]
    link = _link_id(app, net, surco)
    client.login(network["surco_member"].email)
    response = client.post_form(
        f"/o/{surco.slug}/delegates",
        {
            "link": str(link),
            f"d{link}-network_membership": str(link),
            f"d{link}-person": str(network["surco_member"].id),
        },
    )
    assert response.status_code == 403


def test_a_delegate_must_be_a_member_of_the_organisation(app, client, network, make_user):
    _join(app, client, network)
    stranger = make_user()
    link = _link_id(app, network["network"], network["surco"])
    client.login(network["surco_admin"].email)
    client.post_form(
        f"/o/{network['surco'].slug}/delegates",
        {
            "link": str(link),
            f"d{link}-network_membership": str(link),
            f"d{link}-person": str(stranger.id),
        },
    )
    with app.app_context():
        assert db.session.scalar(select(Delegate.id)) is None
    # A forged link id of another organisation's membership is not found.
    assert (
        client.post_form(f"/o/{network['surco'].slug}/delegates", {"link": "99999"}).status_code
        == 404
    )


def _name(app, network):
    from assembly.accounts.models import User
    from assembly.organisations.service import name_delegate

    with app.app_context():
        link = db.session.get(
            NetworkMembership, _link_id(app, network["network"], network["surco"])
        )
        name_delegate(link, db.session.get(User, network["surco_member"].id))
        db.session.commit()


def test_leaving_the_organisation_ends_the_delegation(app, client, network):
    _join(app, client, network)
    _name(app, network)
    client.login(network["surco_admin"].email)
    with app.app_context():
        mid = db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == network["surco_member"].id,
                Membership.organisation_id == network["surco"].id,
            )
        )
    client.post_form(f"/o/{network['surco'].slug}/members/{mid}/remove")
    client.logout()
    client.login(network["surco_member"].email)
    assert client.get(f"/o/{network['network'].slug}/").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Delegate.ended_at)) is not None


def test_leaving_the_network_ends_its_delegations(app, client, network):
    _join(app, client, network)
    _name(app, network)
    link = _link_id(app, network["network"], network["surco"])
    client.login(network["coordinator"].email)
    assert (
        client.post_form(f"/o/{network['network'].slug}/network/members/{link}/remove").status_code
        == 302
    )
    client.logout()
    client.login(network["surco_member"].email)
    assert client.get(f"/o/{network['network'].slug}/").status_code == 404


def test_a_cooperative_belongs_to_several_networks(app, network, make_org):
    from assembly.organisations.service import add_to_network, networks_of

    other = make_org("RCTPS", "network")
    with app.app_context():
        surco = db.session.get(Organisation, network["surco"].id)
        add_to_network(db.session.get(Organisation, network["network"].id), surco)
        add_to_network(db.session.get(Organisation, other.id), surco)
        db.session.commit()
        assert {link.network.name for link in networks_of(surco)} == {
            "Red de Construcción Cooperativa",
            "RCTPS",
        }


def test_a_network_cannot_join_itself_or_twice(app, network):
    from assembly.organisations.service import (
        AlreadyInNetwork,
        InvalidNetworkMember,
        add_to_network,
    )

    with app.app_context():
        net = db.session.get(Organisation, network["network"].id)
        surco = db.session.get(Organisation, network["surco"].id)
        with pytest.raises(InvalidNetworkMember):
            add_to_network(net, net)
        add_to_network(net, surco)
        with pytest.raises(AlreadyInNetwork):
            add_to_network(net, surco)
        db.session.rollback()
