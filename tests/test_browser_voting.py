"""A poll from the facilitator's form to the result, with three members voting from their phones
and the projector following, each in their own browser: nothing is reloaded."""

import pytest
from playwright.sync_api import expect

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.room import service as room_service

pytestmark = [pytest.mark.browser, pytest.mark.live]

VOTERS = {"member": "Sí", "secretary": "Sí", "admin": "No"}


def start_with_everyone_present(app, meeting_ref, people) -> None:
    """The meeting under way with everyone checked in (the room's own tests cover checking in)."""
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_ref.id)
        room_service.start_meeting(meeting)
        facilitator = db.session.get(User, people["facilitator"].id)
        for person in people.values():
            room_service.check_in(meeting, db.session.get(User, person.id), by=facilitator)
        db.session.commit()


def test_a_poll_is_prepared_opened_voted_from_phones_and_its_result_shown_live(
    app, coop, make_meeting, browser_page
):
    org, people = coop
    meeting = make_meeting(org, items=("Balance 2026",))
    start_with_everyone_present(app, meeting, people)
    room = f"/o/{org.slug}/meetings/{meeting.id}/live"

    facilitator = browser_page(people["facilitator"], width=1280, height=900)
    phones = {role: browser_page(people[role]) for role in VOTERS}  # 390 px wide
    projector = browser_page(width=1600, height=900)
    for page in phones.values():
        page.goto(room)
    projector.goto(f"/projector/{meeting.projector_token}")

    # The facilitator prepares the poll on the form and comes back to the room with a draft.
    facilitator.goto(room)
    facilitator.get_by_role("link", name="Preparar una votación").click()
    facilitator.get_by_label("Pregunta o título").fill("¿Aprobamos el balance 2026?")
    expect(facilitator.get_by_label("Sí / No / Abstención")).to_be_checked()
    facilitator.get_by_role("button", name="Guardar la votación como borrador").click()
    drafts = facilitator.locator('[data-list="poll-drafts"]')
    expect(drafts).to_contain_text("¿Aprobamos el balance 2026?")
    for page in phones.values():  # drafts are not shown to members
        expect(page.locator('[data-list="polls"]')).not_to_contain_text("balance 2026")

    drafts.get_by_role("button", name="Abrir la votación").click()
    expect(drafts).not_to_contain_text("balance 2026")
    expect(projector.locator(".projector-polls")).to_contain_text("¿Aprobamos el balance 2026?")
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 0 de 4")

    # Three members vote from their phones: "sending…", then "your vote is in" on the ack.
    for role, answer in VOTERS.items():
        phone = phones[role]
        ballot = phone.locator(".poll-card .ballot")
        ballot.get_by_role("button", name=answer, exact=True).click()
        expect(ballot.get_by_role("button", name=answer, exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
        ballot.get_by_role("button", name="Enviar mi voto").click()
        expect(phone.locator(".ballot-status")).to_have_text("Tu voto quedó registrado.")
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 3 de 4")
    expect(facilitator.locator(".poll-progress")).to_have_text("Votaron 3 de 4")
    expect(phones["member"].locator(".poll-result-box")).to_contain_text(
        "resultado se muestra cuando cierra la votación"
    )

    facilitator.once("dialog", lambda dialog: dialog.accept())
    facilitator.get_by_role("button", name="Cerrar la votación").click()
    explanation = (
        "Aprobada por mayoría simple: más votos a favor (2) que en contra (1); nadie se abstuvo."
    )
    for page in (facilitator, projector, phones["admin"]):
        expect(page.locator(".poll-outcome")).to_have_text("Aprobada")
        expect(page.locator(".poll-explanation")).to_have_text(explanation)
    expect(facilitator.locator(".poll-table")).to_contain_text("66,7 %")
    record = facilitator.get_by_role("link", name="Registro completo de la votación")
    expect(record).to_be_visible()


def test_a_show_of_hands_is_counted_in_the_room_and_its_result_reaches_every_screen(
    app, coop, make_meeting, make_poll, browser_page
):
    org, people = coop
    meeting = make_meeting(org, items=("Pintura del galpón",))
    start_with_everyone_present(app, meeting, people)
    make_poll(meeting, title="¿Pintamos el galpón?", show_of_hands=True)
    room = f"/o/{org.slug}/meetings/{meeting.id}/live"
    facilitator = browser_page(people["facilitator"], width=1280, height=900)
    phone = browser_page(people["member"])
    projector = browser_page(width=1600, height=900)
    facilitator.goto(room)
    phone.goto(room)
    projector.goto(f"/projector/{meeting.projector_token}")

    facilitator.locator('[data-list="poll-drafts"]').get_by_role(
        "button", name="Abrir la votación"
    ).click()
    expect(phone.locator(".poll-card")).to_contain_text("se cuenta a mano alzada en la sala")
    expect(phone.get_by_role("button", name="Enviar mi voto")).to_have_count(0)

    card = facilitator.locator(".poll-card")
    card.get_by_label("Sí").fill("3")
    card.get_by_label("No").fill("1")
    facilitator.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Cerrar con estos números").click()
    for page in (facilitator, projector, phone):
        expect(page.locator(".poll-outcome")).to_have_text("Aprobada")
        expect(page.locator(".poll-explanation")).to_contain_text("(3)")


def test_the_room_explains_a_run_off_tie_break_as_the_polls_page_does(
    app, coop, make_meeting, make_poll, live_client, browser_page
):
    from assembly.voting.models import Poll

    org, people = coop
    meeting = make_meeting(org, items=("Sede del encuentro",))
    start_with_everyone_present(app, meeting, people)
    poll_id = make_poll(meeting, "ranked_irv", title="Sede", options=["Norte", "Sur", "Oeste"])
    phone = browser_page(people["member"])
    phone.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    chair = live_client(people["facilitator"], meeting)
    assert chair.call("poll_open", poll_id=poll_id)["ok"]
    with app.app_context():
        norte, sur, oeste = [o.id for o in db.session.get(Poll, poll_id).options]
        db.session.remove()
    rankings = {"facilitator": [norte], "member": [sur], "secretary": [oeste, norte]}
    for role, ranking in rankings.items():
        voter = chair if role == "facilitator" else live_client(people[role], meeting)
        choice = {"ranking": ranking}
        ack = voter.call("vote", poll_id=poll_id, choice=choice, client_id=f"tb{role}00")
        assert ack["ok"], ack
    assert chair.call("poll_close", poll_id=poll_id)["ok"]
    note = (
        "Ronda 1: Norte, Sur y Oeste empataron con menos votos en esta ronda y en todas las "
        "anteriores; quedó afuera Oeste porque está más abajo en la lista de opciones."
    )
    expect(phone.locator(".poll-card .tie-break")).to_have_text(note)
