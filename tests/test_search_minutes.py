"""Minutes in the knowledge base: the approved text found by every reader, a draft only by those
who keep it; a network's minutes as the network decides; the index in step with versions,
approvals, edits and deletes; the status and person filters."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.commitments.models import Commitment, CommitmentOwner, TimeFrame
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.minutes import service as minutes_service
from assembly.minutes.models import Minutes
from assembly.organisations.models import MinutesReaders, Organisation
from assembly.permissions import standing
from assembly.proposals.models import ProposalAuthor, ProposalStatus
from assembly.search import service
from assembly.search.models import SearchDocument
from tests import test_search
from tests.test_search import _add, _decision, _proposal, _search
from tests.test_voting_ui import client_for, text_of

two_coops = test_search.two_coops


def _closed_meeting(app, make_meeting, org, **fields):
    ref = make_meeting(org, status="closed", items=[], **fields)
    with app.app_context():
        meeting = db.session.get(Meeting, ref.id)
        meeting.started_at = meeting.starts_at
        meeting.ended_at = meeting.starts_at + timedelta(hours=1)
        db.session.commit()
    return ref


def _write(app, ref, text, by, *, reason=""):
    """A new version of the meeting's minutes (drafted first if need be)."""
    with app.app_context():
        meeting = db.session.get(Meeting, ref.id)
        minutes = minutes_service.draft_minutes(meeting)
        correction = minutes.status == "approved"
        minutes_service.save_version(
            minutes, text, db.session.get(User, by.id), reason=reason, correction=correction
        )
        db.session.commit()
        return minutes.id


def _approve(app, ref, approver):
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == ref.id))
        if approver.id not in [a.user_id for a in minutes.approvers]:
            minutes_service.set_approvers(minutes, [approver.id])
        assert minutes_service.approve(minutes, db.session.get(User, approver.id))
        db.session.commit()


def _member(app, make_user, org, role="member"):
    from assembly.organisations.models import Role
    from assembly.organisations.service import add_member

    person = make_user()
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        add_member(organisation, db.session.get(User, person.id), Role(role), actor=None)
        db.session.commit()
    return person


def _rows(app) -> set[tuple]:
    with app.app_context():
        return {
            (
                d.kind,
                d.source_id,
                d.organisation_id,
                d.meeting_id,
                d.title,
                d.body,
                d.happened_at,
                d.status,
                d.scope,
                d.title_terms,
                d.body_terms,
            )
            for d in db.session.scalars(select(SearchDocument))
        }


MARKDOWN = (
    "## Acta de la asamblea\n\n"
    "- **Decidimos priorizar** la compra de la [máquina](https://example.coop/<b>x</b>)\n"
    "> Se aprobó el _presupuesto_ anual\n\n"
    "| Punto | Resultado |\n|---|---|\n| Chapa | `aprobado` |\n\n"
    "<img src=x onerror=alert(1)> Fin del acta.\n"
)


def test_approved_minutes_are_found_by_a_word_in_another_form_as_plain_text(
    app, coop, make_meeting
):
    org, people = coop
    ref = _closed_meeting(app, make_meeting, org, title="Asamblea de marzo")
    minutes_id = _write(app, ref, MARKDOWN, people["secretary"])
    _approve(app, ref, people["secretary"])
    found = _search(app, people["member"], "priorizamos")
    assert found["hits"] == [("minutes", minutes_id)] and found["total"] == 1
    assert found["titles"] == ["Acta: Asamblea de marzo"]
    assert found["urls"] == [f"/o/{org.slug}/meetings/{ref.id}/minutes"]
    snippet = found["snippets"][0]
    assert "<mark>priorizar</mark>" in snippet
    for syntax in ("**", "##", "](", "https://", "<b>", "&lt;b&gt;", "<img", "&lt;img", "`", "|"):
        assert syntax not in snippet, syntax
    assert "máquina" in snippet
    # Words of the title, of a link's text and of a table are found; the link's address is not.
    assert _search(app, people["member"], "presupuestos chapa")["total"] == 1
    assert _search(app, people["member"], "example")["total"] == 0
    found = _search(app, people["member"], "acta", kind="minutes")
    assert found["hits"] == [("minutes", minutes_id)]
    page = text_of(
        client_for(app, people["member"]).get(
            "/search",
            query_string={"q": "priorizamos", "status": "minutes:approved"},
            headers={"Accept-Language": "es"},
        )
    )
    assert f'href="/o/{org.slug}/meetings/{ref.id}/minutes"' in page
    assert "Actas ·" in page and "<mark>priorizar</mark>" in page and "**" not in page


def test_a_draft_is_found_by_who_keeps_it_and_after_approval_by_every_member(
    app, coop, make_meeting, make_user
):
    org, people = coop
    ref = _closed_meeting(app, make_meeting, org, secretary_id=people["member"].id)
    minutes_id = _write(app, ref, "Se resolvió el reparto de excedentes.", people["secretary"])
    hit = [("minutes", minutes_id)]
    for role in ("secretary", "facilitator", "admin"):
        assert _search(app, people[role], "excedente")["hits"] == hit, role
    # The meeting names a plain member its secretary: they keep (and so find) its minutes.
    assert _search(app, people["member"], "excedente")["hits"] == hit
    reader, approver = _member(app, make_user, org), _member(app, make_user, org)
    assert _search(app, reader, "excedente")["total"] == 0
    # A named approver reads the draft (as the minutes page shows it to them).
    with app.app_context():
        minutes = db.session.get(Minutes, minutes_id)
        minutes_service.set_approvers(minutes, [approver.id])
        db.session.commit()
    assert _search(app, approver, "excedente")["hits"] == hit
    assert _search(app, reader, "excedente")["total"] == 0
    _approve(app, ref, approver)
    assert _search(app, reader, "excedente")["hits"] == hit
    # A correction under way: members still find the approved text, not the draft's new words.
    _write(
        app,
        ref,
        "Se resolvió el reparto de excedentes y la compra de un horno.",
        people["secretary"],
        reason="Faltaba el horno",
    )
    assert _search(app, reader, "excedente")["hits"] == hit
    assert _search(app, reader, "horno")["total"] == 0
    assert _search(app, people["secretary"], "horno")["hits"] == hit
    # Staff find both texts of the one minutes: the approved one and the correction.
    assert _search(app, people["secretary"], "excedente")["total"] == 2
    _approve(app, ref, approver)
    assert _search(app, reader, "horno")["hits"] == hit
    assert _search(app, people["secretary"], "excedente")["total"] == 1


def test_minutes_of_two_organisations_that_share_words_stay_apart(
    app, two_coops, make_user, make_meeting
):
    first, second, ana, bruno = two_coops
    refs = {}
    for org, secret in ((first, "Norte"), (second, "Sur")):
        secretary = _member(app, make_user, org, "secretary")
        refs[org.id] = _closed_meeting(app, make_meeting, org, title="Asamblea de balance")
        _write(app, refs[org.id], f"Balance anual de la cooperativa. Clave {secret}.", secretary)
        _approve(app, refs[org.id], secretary)
    for person, mine, other in ((ana, "Norte", "Sur"), (bruno, "Sur", "Norte")):
        found = _search(app, person, "balance cooperativa")
        assert found["total"] == 1 and len(found["hits"]) == 1
        assert mine in found["snippets"][0] and other not in found["snippets"][0]
        assert _search(app, person, other)["total"] == 0
        assert _search(app, person, "balance", kind="minutes", status="approved")["total"] == 1


@pytest.fixture
def network(network_of_one, make_user, make_org):
    """The network of one co-op, and a co-op outside it."""
    outsider_coop = make_org("Cooperativa Lejana", members={make_user("Lejana"): "member"})
    n = network_of_one
    return n.network, n.coop, outsider_coop, n.admin, n.delegate, n.partner


def _open_minutes(app, net, readers):
    with app.app_context():
        db.session.get(Organisation, net.id).minutes_readers = readers
        db.session.commit()


def test_a_networks_minutes_are_read_by_member_coops_only_when_the_network_opens_them(
    app, network, make_meeting
):
    net, _coop, _far, admin, delegate, partner = network
    ref = _closed_meeting(app, make_meeting, net, kind="network_plenary", title="Plenario")
    minutes_id = _write(app, ref, "Compras conjuntas de harina para la red.", admin)
    [decision_id] = _add(app, _decision(net, "Compras conjuntas de harina"))
    page = f"/o/{net.slug}/meetings/{ref.id}/minutes"
    partner_client = client_for(app, partner)
    # A draft: the network's admin only, even once the network has opened its minutes.
    _open_minutes(app, net, MinutesReaders.MEMBER_ORGANISATIONS)
    assert _search(app, admin, "harinas")["total"] == 2
    assert _search(app, delegate, "harinas")["hits"] == [("decision", decision_id)]
    assert _search(app, partner, "harinas")["total"] == 0
    assert partner_client.get(page).status_code == 404
    _approve(app, ref, admin)
    _open_minutes(app, net, MinutesReaders.DELEGATES)
    assert set(_search(app, delegate, "harinas")["hits"]) == {
        ("decision", decision_id),
        ("minutes", minutes_id),
    }
    assert _search(app, partner, "harinas")["total"] == 0
    assert partner_client.get(page).status_code == 404
    _open_minutes(app, net, MinutesReaders.MEMBER_ORGANISATIONS)
    # Opened: the partner finds and reads the approved minutes, and nothing else of the network.
    found = _search(app, partner, "harinas")
    assert found["hits"] == [("minutes", minutes_id)] and found["total"] == 1
    assert found["urls"] == [page]
    response = partner_client.get(page)
    assert response.status_code == 200 and "Compras conjuntas" in text_of(response)
    assert f'href="/o/{net.slug}/meetings/{ref.id}/"' not in text_of(response)
    assert partner_client.get(page + "/export.md").status_code == 200
    assert partner_client.get(f"/o/{net.slug}/meetings/{ref.id}/").status_code == 404
    assert partner_client.get(f"/o/{net.slug}/decisions").status_code == 404
    assert partner_client.get(page + "/edit").status_code == 404
    # A correction under way stays with the network's staff.
    _write(app, ref, "Compras conjuntas de harina y de aceite.", admin, reason="Aceite")
    assert _search(app, partner, "aceite")["total"] == 0
    assert "aceite" not in text_of(partner_client.get(page))
    assert partner_client.get(page + "/export.md").get_data(as_text=True).count("aceite") == 0
    # The network in the organisation filter; its people are not offered to filter by.
    with app.app_context(), app.test_request_context():
        user = db.session.get(User, partner.id)
        readable = service.readable_organisations(user)
        assert net.id in [o.id for o in readable]
        assert admin.id not in [i for i, _name in service.people_to_filter_by(user, readable)]


def test_the_network_admin_decides_who_reads_its_minutes_on_its_settings_page(
    app, network, make_user
):
    net, coop, _far, admin, delegate, _partner = network
    en = {"Accept-Language": "en"}
    admin_client = client_for(app, admin)
    page = text_of(admin_client.get(f"/o/{net.slug}/edit", headers=en))
    assert 'name="minutes_readers"' in page and "approved minutes" in page
    form = {"name": "Red de Cooperativas", "quorum_percent": "50", "max_proxies": "1"}
    response = admin_client.post_form(
        f"/o/{net.slug}/edit", {**form, "minutes_readers": "member_organisations"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, net.id).minutes_readers == "member_organisations"
    bad = admin_client.post_form(f"/o/{net.slug}/edit", {**form, "minutes_readers": "everyone"})
    assert bad.status_code == 400
    # A delegate may not change it; an organisation that is not a network is not offered it.
    delegate_client = client_for(app, delegate)
    refused = delegate_client.post_form(
        f"/o/{net.slug}/edit", {**form, "minutes_readers": "delegates"}
    )
    assert refused.status_code in (403, 404)
    with app.app_context():
        assert db.session.get(Organisation, net.id).minutes_readers == "member_organisations"
    coop_admin = _member(app, make_user, coop, "admin")
    assert "minutes_readers" not in text_of(client_for(app, coop_admin).get(f"/o/{coop.slug}/edit"))


def test_the_index_follows_the_meetings_edits_and_deletion_and_reindex_agrees(
    app, coop, make_meeting, runner
):
    org, people = coop
    ref = _closed_meeting(app, make_meeting, org, title="Asamblea de otoño")
    _write(app, ref, "Se decide pintar el galpón.", people["secretary"])
    _approve(app, ref, people["secretary"])
    _write(app, ref, "Se decide pintar el galpón de verde.", people["secretary"], reason="Color")
    with app.app_context():
        meeting = db.session.get(Meeting, ref.id)
        meeting.title = "Asamblea de invierno"
        meeting.facilitator_id = people["member"].id
        db.session.commit()
    found = _search(app, people["secretary"], "galpon")
    assert found["titles"] == ["Acta: Asamblea de invierno"] * 2
    # Named facilitator: a member reads the draft now, and is tied to the minutes.
    assert _search(app, people["member"], "verde")["total"] == 1
    assert _search(app, people["member"], "galpon", person=people["member"].id)["total"] == 2
    incremental = _rows(app)
    assert {row[0] for row in incremental} >= {"minutes", "minutes_draft", "meeting"}
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert _rows(app) == incremental
    with app.app_context():
        db.session.delete(db.session.get(Meeting, ref.id))
        db.session.commit()
    assert _rows(app) == set()
    assert _search(app, people["secretary"], "galpon")["total"] == 0


def test_status_and_person_filters(app, coop, make_meeting, make_user):
    org, people = coop
    member, secretary = people["member"], people["secretary"]
    with app.app_context():
        adopted = _proposal(org, "Compra de harina", status=ProposalStatus.ADOPTED)
        submitted = _proposal(org, "Harina integral", status=ProposalStatus.SUBMITTED)
        db.session.add_all([adopted, submitted])
        db.session.flush()
        db.session.add(ProposalAuthor(proposal_id=adopted.id, user_id=member.id))
        decision = _decision(org, "Comprar harina")
        decision.proposal_id = adopted.id
        open_one = Commitment(
            organisation_id=org.id, what="Pedir harina", time_frame=TimeFrame.SHORT
        )
        done = Commitment(
            organisation_id=org.id, what="Pagar la harina", time_frame=TimeFrame.SHORT
        )
        done.status = "done"
        db.session.add_all([decision, open_one, done])
        db.session.flush()
        db.session.add(CommitmentOwner(commitment_id=open_one.id, user_id=secretary.id))
        db.session.add(CommitmentOwner(commitment_id=done.id, user_id=member.id))
        db.session.commit()
        ids = {
            "adopted": adopted.id,
            "submitted": submitted.id,
            "decision": decision.id,
            "open": open_one.id,
            "done": done.id,
        }
    meeting = make_meeting(org, title="Reunión de la harina", items=[], secretary_id=member.id)
    assert _search(app, member, "harina")["total"] == 6
    by_status = _search(app, member, "harina", kind="proposal", status="adopted")
    assert by_status["hits"] == [("proposal", ids["adopted"])]
    assert _search(app, member, "harina", kind="commitment", status="in_progress")["total"] == 0
    assert _search(app, member, "harina", kind="commitment", status="done")["hits"] == [
        ("commitment", ids["done"])
    ]
    assert set(_search(app, member, "harina", person=member.id)["hits"]) == {
        ("proposal", ids["adopted"]),
        ("decision", ids["decision"]),  # of a proposal they wrote
        ("commitment", ids["done"]),
        ("meeting", meeting.id),
    }
    assert _search(app, member, "harina", person=secretary.id)["hits"] == [
        ("commitment", ids["open"])
    ]
    # Owners and authors changed: the filter follows them.
    with app.app_context():
        db.session.add(CommitmentOwner(commitment_id=ids["open"], user_id=member.id))
        for author in db.session.scalars(select(ProposalAuthor)):
            db.session.delete(author)
        db.session.commit()
    assert set(_search(app, member, "harina", person=member.id)["hits"]) == {
        ("commitment", ids["open"]),
        ("commitment", ids["done"]),
        ("meeting", meeting.id),
    }
    # In progress, with an underscore: still one token to the engine.
    with app.app_context():
        db.session.get(Commitment, ids["open"]).status = "in_progress"
        db.session.commit()
    assert _search(app, member, "harina", kind="commitment", status="in_progress")["hits"] == [
        ("commitment", ids["open"])
    ]


def test_the_search_page_offers_statuses_and_only_the_people_one_may_see(
    app, two_coops, make_meeting
):
    first, _second, ana, bruno = two_coops
    [decision_id] = _add(app, _decision(first, "Votación de autoridades"))
    client = client_for(app, ana)
    en = {"Accept-Language": "en"}
    page = text_of(client.get("/search", query_string={"q": "votaciones"}, headers=en))
    assert 'name="status"' in page and 'value="commitment:in_progress"' in page
    assert 'value="minutes:approved"' in page and "Minutes" in page
    assert f'<option value="{ana.id}"' in page
    assert f'value="{bruno.id}"' not in page and "Bruno" not in page
    for args in (
        {"q": "votaciones", "status": "decision:nope"},
        {"q": "votaciones", "status": ":"},
        {"q": "votaciones", "person": str(bruno.id)},
        {"q": "votaciones", "person": "99999999999999999999"},
        {"q": "votaciones", "person": "x"},
    ):
        response = client.get("/search", query_string=args, headers=en)
        assert response.status_code == 200, args
        # A status or person not offered is no filter at all.
        assert f"#decision-{decision_id}" in text_of(response), args
    none = text_of(
        client.get("/search", query_string={"q": "votaciones", "status": "proposal:adopted"})
    )
    assert f"#decision-{decision_id}" not in none
    tied = text_of(client.get("/search", query_string={"q": "votaciones", "person": ana.id}))
    assert f"#decision-{decision_id}" not in tied


def test_who_finds_each_text_of_the_minutes_is_who_reads_it_on_the_minutes_pages(
    app, coop, make_meeting, make_user
):
    org, people = coop
    named_secretary, approver, reader = (_member(app, make_user, org) for _ in range(3))
    everyone = {**people, "named": named_secretary, "approver": approver, "reader": reader}
    everyone["outsider"] = make_user()
    ref = _closed_meeting(app, make_meeting, org, secretary_id=named_secretary.id)
    minutes_id = _write(app, ref, "Texto aprobado sobre el horno.", people["secretary"])
    with app.app_context():
        minutes_service.set_approvers(db.session.get(Minutes, minutes_id), [approver.id])
        db.session.commit()

    def agree():
        """Each text is found by exactly those whose minutes pages show that version."""
        with app.app_context():
            minutes = db.session.get(Minutes, minutes_id)
            texts = {minutes.latest.text} | (
                {minutes.published.text} if minutes.published else set()
            )
            for role, person in everyone.items():
                user = db.session.get(User, person.id)
                readable = set()
                if standing(user, minutes.meeting.organisation) is not None:
                    readable = {v.text for v in minutes_service.readable_versions(user, minutes)}
                found = _search(app, person, "horno")["total"]
                assert found == len(texts & readable), role

    agree()
    _approve(app, ref, approver)
    agree()
    _write(app, ref, "Texto corregido sobre el horno.", people["secretary"], reason="Errata")
    agree()
