"""Proposals put on a meeting's agenda show on the meeting's page and its printed agenda,
under their agenda item (or on their own), each linking to the proposal."""

import re

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.meetings.models import AgendaItem
from assembly.organisations.models import Organisation
from assembly.proposals import service
from assembly.proposals.models import Proposal, ProposalStatus


def item_id(app, meeting_id, title) -> int:
    with app.app_context():
        return db.session.scalar(
            db.select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.title == title
            )
        )


def proposal(app, org, author, title, status="submitted", meeting_id=None) -> int:
    with app.app_context():
        made = service.create_proposal(
            db.session.get(Organisation, org.id),
            db.session.get(User, author.id),
            title=title,
            body="Texto de la propuesta.",
        )
        made.status = ProposalStatus(status)
        made.meeting_id = meeting_id
        db.session.commit()
        return made.id


def between(page: str, start: str, end: str) -> str:
    """The part of `page` from `start` up to the next `end` (or the page's end)."""
    at = page.index(start)
    stop = page.find(end, at + len(start))
    return page[at : stop if stop >= 0 else len(page)]


def link(org, proposal_id) -> str:
    return f'href="/o/{org.slug}/proposals/{proposal_id}/"'


def test_scheduled_proposals_show_under_their_item_on_the_meeting_and_its_printed_agenda(
    app, client, coop, make_meeting
):
    org, people = coop
    meeting = make_meeting(org, items=("Informe de la comisión", "Retiros 2027", "Cierre"))
    retiros = item_id(app, meeting.id, "Retiros 2027")
    with app.app_context():  # a sub-item of the report
        informe = item_id(app, meeting.id, "Informe de la comisión")
        db.session.add(
            AgendaItem(meeting_id=meeting.id, parent_id=informe, position=0, title="Balance")
        )
        db.session.commit()
    balance = item_id(app, meeting.id, "Balance")
    on_item = proposal(app, org, people["member"], "Retiro mensual de $500.000")
    on_sub_item = proposal(app, org, people["member"], "Aprobar el balance 2026")
    on_meeting = proposal(app, org, people["secretary"], "Comprar una prensa")
    # Not on this agenda: a draft its author linked, one postponed, one only suggested.
    draft = proposal(app, org, people["member"], "Borrador privado", "draft", meeting.id)
    postponed = proposal(app, org, people["member"], "Para más adelante", "submitted")
    suggested = proposal(app, org, people["member"], "Sugerida", "submitted", meeting.id)

    client.login(people["facilitator"].email)
    for proposal_id, data in (
        (on_item, {"schedule-meeting": str(meeting.id), "schedule-agenda_item": str(retiros)}),
        (on_sub_item, {"schedule-meeting": str(meeting.id), "schedule-agenda_item": str(balance)}),
        (on_meeting, {"schedule-meeting": str(meeting.id)}),
        (postponed, {"schedule-meeting": str(meeting.id), "schedule-agenda_item": str(retiros)}),
    ):
        response = client.post_form(f"/o/{org.slug}/proposals/{proposal_id}/schedule", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
    assert client.post_form(f"/o/{org.slug}/proposals/{postponed}/postpone").status_code == 302
    with app.app_context():  # one of them has since been decided: it stays on its item
        db.session.get(Proposal, on_item).status = ProposalStatus.ADOPTED
        db.session.commit()
    client.logout()

    client.login(people["member"].email)
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    page = client.get(f"{base}/").get_data(as_text=True)
    retiros_entry = between(page, f'id="item-{retiros}"', 'id="item-')
    assert link(org, on_item) in retiros_entry and "Retiro mensual de $500.000" in retiros_entry
    assert "Aprobada" in retiros_entry  # and what became of it
    assert link(org, on_sub_item) in between(page, f'id="item-{balance}"', 'id="item-')
    own_entry = between(page, 'id="meeting-proposals"', "</section>")
    assert "Propuestas para esta reunión" in own_entry and link(org, on_meeting) in own_entry
    for hidden in (draft, postponed, suggested):
        assert link(org, hidden) not in page

    printed = client.get(f"{base}/print").get_data(as_text=True)
    row = between(printed, "<strong>Retiros 2027</strong>", "<tr")
    assert link(org, on_item) in row and "Retiro mensual de $500.000" in row
    assert link(org, on_sub_item) in between(printed, "<td>Balance", "<tr")
    assert link(org, on_meeting) in between(printed, "Propuestas para esta reunión", "</ul>")
    for hidden in (draft, postponed, suggested):
        assert link(org, hidden) not in printed
    assert re.search(r"Propuesta: <a [^>]*>Comprar una prensa</a>", printed)


def test_a_meeting_without_proposals_shows_none(app, client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org)
    client.login(people["member"].email)
    for path in ("/", "/print"):
        page = client.get(f"/o/{org.slug}/meetings/{meeting.id}{path}").get_data(as_text=True)
        assert "item-proposals" not in page and "Propuestas para esta reunión" not in page
