"""A problematisation workshop's board in real browsers: members' phones, the facilitator's
laptop (grouping by keyboard alone) and the projector, each seeing every change live."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.live]

QUESTIONS = ("¿Cómo se toman las decisiones?", "¿Qué nos falta para crecer?")
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def workshop(make_user, make_org, make_meeting, live_client):
    """A live workshop at its first question: (meeting, people, facilitator's socket)."""
    people = {
        "facilitator": make_user("Nora Facilitadora", "nora@taller.coop"),
        "ana": make_user("Ana Socia", "ana@taller.coop"),
        "beto": make_user("Beto Socio", "beto@taller.coop"),
    }
    org = make_org(
        "Cooperativa El Taller",
        members={
            people["facilitator"]: "facilitator",
            people["ana"]: "member",
            people["beto"]: "member",
        },
    )
    meeting = make_meeting(
        org,
        kind="problematisation_workshop",
        title="Taller de problematización",
        items=[{"title": q, "kind": "problematisation_question"} for q in QUESTIONS],
    )
    runner = live_client(people["facilitator"], meeting)
    assert runner.call("meeting_start")["ok"]
    return meeting, org, people, runner


def room_url(org, meeting) -> str:
    return f"/o/{org.slug}/meetings/{meeting.id}/live"


def open_screens(browser_page, org, meeting, people):
    ana = browser_page(people["ana"], **PHONE)
    beto = browser_page(people["beto"], **PHONE)
    facilitator = browser_page(people["facilitator"], width=1280, height=900)
    projector = browser_page(width=1920, height=1080)
    for page in (ana, beto, facilitator):
        page.goto(room_url(org, meeting))
    projector.goto(f"/projector/{meeting.projector_token}")
    for page in (ana, beto, facilitator, projector):
        expect(page.locator('[data-bind="connection"]').first).to_have_text("Conectado")
    expect(ana.locator("[data-board-question]")).to_contain_text(QUESTIONS[0])
    return ana, beto, facilitator, projector


def add_card(page, text: str, *, anonymous: bool = False):
    page.get_by_label("Tu tarjeta").fill(text)
    if anonymous:
        page.get_by_label("Tarjeta anónima (no se muestra tu nombre)").check()
    page.get_by_role("button", name="Agregar tarjeta").click()


def column(page, title: str):
    return page.locator(".board-column", has=page.locator("h3, h4", has_text=title))


def test_members_add_cards_the_facilitator_groups_them_by_keyboard_and_every_screen_follows(
    workshop, browser_page
):
    meeting, org, people, _runner = workshop
    ana, beto, facilitator, projector = open_screens(browser_page, org, meeting, people)

    # The counter follows the text; an empty card is refused on the phone itself.
    ana.get_by_label("Tu tarjeta").fill("Hola")
    expect(ana.locator("[data-board-count]")).to_have_text("4/500")
    ana.get_by_label("Tu tarjeta").fill("   ")
    ana.get_by_role("button", name="Agregar tarjeta").click()
    expect(ana.locator("[data-board-notice]")).to_have_text("Primero escribí algo en la tarjeta.")

    add_card(ana, "Decidimos todo en asamblea")
    add_card(beto, "Las decisiones se toman en asamblea")
    add_card(beto, "Falta formación para socias nuevas")
    for page in (ana, beto, projector):
        expect(page.locator(".board-card")).to_have_count(3)
    expect(projector.locator(".board-column.unsorted")).to_contain_text("Falta formación")
    expect(projector.locator(".board-column.unsorted")).to_contain_text("Ana Socia")

    # Backing from the other phone: the count reaches every screen.
    card = beto.locator(".board-card", has_text="Decidimos todo en asamblea")
    card.get_by_role("button", name="Apoyar (+1)").click()
    expect(card.get_by_role("button", name="Quitar mi apoyo")).to_be_visible()
    expect(ana.locator(".board-card", has_text="Decidimos todo")).to_contain_text("Apoyos: 1")
    expect(projector.locator(".board-card", has_text="Decidimos todo")).to_contain_text("+1")

    # The facilitator, keyboard alone: select two cards, name a topic, create it.
    keys = facilitator.keyboard
    facilitator.locator(".board-card", has_text="Decidimos todo").get_by_label(
        "Seleccionar"
    ).focus()
    keys.press("Space")
    facilitator.locator(".board-card", has_text="Las decisiones").get_by_label(
        "Seleccionar"
    ).focus()
    keys.press("Space")
    facilitator.get_by_label("Tema nuevo con las tarjetas seleccionadas").focus()
    keys.type("Cómo decidimos")
    keys.press("Enter")
    announce = facilitator.locator("[data-board-announce]")
    expect(announce).to_have_text("Tema «Cómo decidimos» creado.")
    for page in (facilitator, projector):
        expect(column(page, "Cómo decidimos").locator(".board-card")).to_have_count(2)
    expect(ana.locator(".board-topic", has_text="Cómo decidimos")).to_contain_text("Decidimos todo")
    expect(facilitator.get_by_role("button", name="Deshacer (1)")).to_be_visible()

    # Move a card with "Mover…": the destinations are a list for the arrows and Enter.
    loose = facilitator.locator(".board-card", has_text="Falta formación")
    loose.get_by_role("button", name="Mover…").focus()
    keys.press("Enter")
    destination = facilitator.get_by_label("Mover a")
    expect(destination).to_be_focused()
    keys.press("Enter")  # the first destination: the topic
    expect(announce).to_have_text("Tarjeta movida a «Cómo decidimos».")
    expect(column(projector, "Cómo decidimos").locator(".board-card")).to_have_count(3)
    expect(facilitator.locator(".board-column.unsorted .board-card")).to_have_count(0)

    # Split it off into a topic of its own, then merge that topic back, by keyboard.
    facilitator.locator(".board-card", has_text="Falta formación").get_by_role(
        "button", name="Tema propio"
    ).focus()
    keys.press("Enter")
    expect(column(projector, "Falta formación para socias nuevas")).to_be_visible()
    expect(column(projector, "Cómo decidimos").locator(".board-card")).to_have_count(2)
    facilitator.get_by_role("button", name="Unir: Falta formación para socias nuevas").focus()
    keys.press("Enter")
    expect(announce).to_have_text("Temas unidos en «Cómo decidimos».")
    expect(column(projector, "Falta formación para socias nuevas")).to_have_count(0)
    expect(column(projector, "Cómo decidimos").locator(".board-card")).to_have_count(3)

    # Undo the merge: the topic is back on every screen.
    undo = facilitator.get_by_role("button", name="Deshacer (4)")
    undo.focus()
    keys.press("Enter")
    expect(announce).to_have_text("Deshecho.")
    expect(
        column(projector, "Falta formación para socias nuevas").locator(".board-card")
    ).to_have_count(1)
    expect(
        ana.locator(".board-topic", has_text="Falta formación para socias nuevas")
    ).to_be_visible()
    expect(facilitator.get_by_role("button", name="Deshacer (3)")).to_be_visible()

    # Rename a topic: the name field takes the focus, Enter saves it.
    facilitator.get_by_role("button", name="Renombrar: Cómo decidimos").focus()
    keys.press("Enter")
    expect(facilitator.get_by_label("Nombre del tema")).to_be_focused()
    keys.type("Decisiones en asamblea")
    keys.press("Enter")
    expect(announce).to_have_text("Tema renombrado.")
    expect(column(projector, "Decisiones en asamblea").locator(".board-card")).to_have_count(2)
    expect(
        facilitator.get_by_role("button", name="Renombrar: Decisiones en asamblea")
    ).to_be_focused()


def test_a_card_typed_offline_waits_and_arrives_when_the_connection_returns(workshop, browser_page):
    meeting, org, people, runner = workshop
    ana, beto, _facilitator, projector = open_screens(browser_page, org, meeting, people)
    ana.context.set_offline(True)
    add_card(ana, "Escrita sin señal")
    pending = ana.locator(".board-pending .board-card")
    expect(pending).to_contain_text("Escrita sin señal")
    expect(pending).to_contain_text("Esperando la conexión")
    # Kept in the browser's storage too: a closed tab would not lose it.
    stored = ana.evaluate("() => Object.keys(localStorage).map((k) => localStorage[k]).join(' ')")
    assert "Escrita sin señal" in stored
    ana.context.set_offline(False)
    expect(pending).to_have_count(0, timeout=15_000)
    for page in (ana, beto, projector):
        expect(
            page.locator(".board-cards .board-card", has_text="Escrita sin señal")
        ).to_have_count(1)
    board = runner.call("board")["board"]
    assert [c["text"] for c in board["cards"]] == ["Escrita sin señal"]


def test_a_refused_card_is_kept_to_copy_and_the_member_is_told(workshop, browser_page):
    meeting, org, people, runner = workshop
    ana = browser_page(people["ana"], **PHONE)
    ana.goto(room_url(org, meeting))
    expect(ana.locator("[data-board-question]")).to_contain_text(QUESTIONS[0])
    ana.context.set_offline(True)
    add_card(ana, "Para la primera pregunta")
    assert runner.call("item_next")["ok"]  # meanwhile the workshop moves on
    ana.context.set_offline(False)
    notice = ana.locator("[data-board-notice]")
    expect(notice).to_contain_text("No se agregó: Esta no es la pregunta en curso", timeout=15_000)
    refused = ana.locator(".board-pending .board-card.refused")
    expect(refused).to_contain_text("Para la primera pregunta")
    refused.get_by_role("button", name="Volver a editarla").click()
    expect(ana.get_by_label("Tu tarjeta")).to_have_value("Para la primera pregunta")
    expect(ana.get_by_label("Tu tarjeta")).to_be_focused()


def test_anonymous_cards_show_no_author_and_main_points_reach_every_screen(workshop, browser_page):
    meeting, org, people, runner = workshop
    ana, beto, facilitator, projector = open_screens(browser_page, org, meeting, people)
    expect(ana.get_by_label("Tarjeta anónima (no se muestra tu nombre)")).to_be_hidden()
    facilitator.get_by_label("Permitir tarjetas anónimas").check()
    expect(ana.get_by_label("Tarjeta anónima (no se muestra tu nombre)")).to_be_visible()
    add_card(ana, "Nadie sabe que la escribí yo", anonymous=True)
    mine = ana.locator(".board-card", has_text="Nadie sabe")
    expect(mine).to_contain_text("Anónima (tuya)")
    expect(mine.get_by_role("button", name="Borrar mi tarjeta")).to_be_visible()
    for page in (beto, projector):
        expect(page.locator(".board-card", has_text="Nadie sabe")).to_be_visible()
    expect(beto.locator(".board-card", has_text="Nadie sabe")).to_contain_text("Anónima")
    for page in (beto, projector, facilitator):
        expect(page.locator("[data-board]")).not_to_contain_text("Ana Socia")

    # The facilitator gives the card a topic and writes its main points.
    card = facilitator.locator(".board-card", has_text="Nadie sabe")
    card.get_by_role("button", name="Tema propio").click()
    topic = column(facilitator, "Nadie sabe que la escribí yo")
    topic.get_by_label("Puntos principales (Markdown)").fill("- **Confianza** para hablar")
    topic.get_by_role("button", name="Guardar los puntos principales").click()
    for page in (ana, beto, projector):
        expect(page.locator(".board-points strong")).to_have_text("Confianza")

    # While she writes, someone else saves: her text stays, theirs is shown, nothing is lost.
    area = topic.get_by_label("Puntos principales (Markdown)")
    area.fill("- Mi versión")
    topic_id = runner.call("board")["board"]["topics"][0]["id"]
    assert runner.call(
        "main_points_save", topic_id=topic_id, text="- Otra versión", base_version=1
    )["ok"]
    expect(projector.locator(".board-points")).to_contain_text("Otra versión")
    expect(area).to_have_value("- Mi versión")
    topic.get_by_role("button", name="Guardar los puntos principales").click()
    expect(topic.locator(".board-conflict")).to_be_visible()
    expect(topic.locator(".board-points")).to_contain_text("Otra versión")
    expect(area).to_have_value("- Mi versión")
    # Saving again, having seen theirs, is her choice.
    topic.get_by_role("button", name="Guardar los puntos principales").click()
    expect(projector.locator(".board-points")).to_contain_text("Mi versión")
    expect(topic.locator(".board-conflict")).to_have_count(0)


def test_hidden_cards_wait_for_the_reveal_and_the_mouse_groups_them(workshop, browser_page):
    meeting, org, people, _runner = workshop
    ana, beto, facilitator, projector = open_screens(browser_page, org, meeting, people)
    facilitator.get_by_label("Ocultar las tarjetas hasta revelarlas").check()
    expect(facilitator.get_by_role("button", name="Revelar las tarjetas")).to_be_visible()
    add_card(ana, "Solo yo la veo por ahora")
    expect(ana.locator(".board-cards .board-card")).to_contain_text("Solo yo la veo")
    expect(beto.locator("[data-board-waiting]")).to_have_text("1 tarjeta esperando")
    expect(beto.locator(".board-cards .board-card")).to_have_count(0)
    expect(projector.locator(".board-card")).to_have_count(0)
    expect(facilitator.locator(".board-column.unsorted .board-card")).to_have_count(1)

    facilitator.get_by_role("button", name="Revelar las tarjetas").click()
    for page in (beto, projector):
        expect(page.locator(".board-card", has_text="Solo yo la veo")).to_be_visible()
    expect(beto.locator("[data-board-waiting]")).to_be_hidden()

    # With the mouse: onto "new topic", then back onto "unsorted".
    card = facilitator.locator(".board-card", has_text="Solo yo la veo")
    card.drag_to(facilitator.locator('[data-drop="new"]'))
    expect(column(projector, "Solo yo la veo por ahora")).to_be_visible()
    card = facilitator.locator(".board-card", has_text="Solo yo la veo")
    card.drag_to(facilitator.locator('[data-drop="unsorted"]'))
    expect(projector.locator(".board-column.unsorted .board-card")).to_have_count(1)
    expect(facilitator.locator(".board-column.unsorted .board-card")).to_have_count(1)


def test_a_screen_that_misses_a_change_asks_for_the_whole_board(workshop, browser_page):
    from tests.test_browser_live_room import sent_events

    meeting, org, people, runner = workshop
    ana = browser_page(people["ana"], **PHONE)
    sent = sent_events(ana)
    ana.goto(room_url(org, meeting))
    expect(ana.locator("[data-board-question]")).to_contain_text(QUESTIONS[0])
    first = runner.call("board")["board"]["questions"][0]["id"]
    assert runner.call("card_add", question_id=first, text="La primera", client_id="una-0001")["ok"]
    expect(ana.locator(".board-cards .board-card", has_text="La primera")).to_be_visible()
    assert "board" not in sent
    # A delta for version 3 when this screen has seen 1: version 2 went missing on the way.
    ana.evaluate(
        """(id) => window.assemblyLive.socket.listeners("board_changes")[0]({
             meeting_id: id, version: 3, versions: [3], cards: [], removed_cards: [],
             topics: [], removed_topics: [], questions: [], settings: null, undo: 0})""",
        meeting.id,
    )
    for _ in range(50):  # it waits a few seconds for the missing one, then asks
        if "board" in sent:
            break
        ana.wait_for_timeout(200)
    assert "board" in sent
    expect(ana.locator(".board-cards .board-card", has_text="La primera")).to_be_visible()


def test_the_room_gives_dots_to_the_topics_and_the_projector_shows_the_poll_beside_the_board(
    workshop, browser_page, live_client
):
    from tests.test_browser_projector import no_scrolling, on_screen

    meeting, org, people, runner = workshop
    ana_socket = live_client(people["ana"], meeting)
    for client in (runner, ana_socket):
        assert client.call("check_in")["ok"]
    question = runner.call("board")["board"]["questions"][0]["id"]
    for title, text in (("Decisiones", "Decidimos en asamblea"), ("Formación", "Falta formación")):
        card = ana_socket.call(
            "card_add", question_id=question, text=text, client_id=uuid.uuid4().hex
        )["card"]["id"]
        assert runner.call("topic_create", question_id=question, title=title, card_ids=[card])["ok"]
    ana, _beto, facilitator, projector = open_screens(browser_page, org, meeting, people)

    facilitator.get_by_label("Puntos por persona").fill("2")
    facilitator.get_by_role("button", name="Priorizar los temas con puntos").click()
    expect(facilitator.locator("[data-board-announce]")).to_contain_text("la votación está abierta")
    expect(projector.locator(".poll-title")).to_contain_text("Prioridades")
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 0 de 2")
    expect(ana.locator(".poll-title").first).to_contain_text("Prioridades")

    poll = ana_socket.wait_for(lambda latest: latest["state"]["polls"][0], what="the poll")[
        "state"
    ]["polls"][0]
    first_topic = poll["options"][0]["id"]
    ack = ana_socket.call(
        "vote",
        poll_id=poll["id"],
        choice={"dots": {str(first_topic): 2}},
        client_id=uuid.uuid4().hex,
    )
    assert ack["ok"] and ack["stored"], ack
    expect(projector.locator(".poll-progress")).to_have_text("Votó 1 de 2")
    # The poll beside the board: both on the one screen, nothing scrolls.
    on_screen(projector, ".poll-title", min_font_share=0.02)
    on_screen(projector, ".poll-progress", min_font_share=0.02)
    on_screen(projector, ".projector-board .board-column h3")
    no_scrolling(projector)

    # A second one for the same question is refused, and said so.
    again = runner.call("topics_prioritise", question_id=question, dots=2)
    assert again["ok"] is False and again["error"]["code"] == "poll_running"


def test_a_topic_that_became_a_proposal_links_to_it_on_the_board(
    app, workshop, browser_page, live_client
):
    from assembly.accounts.models import User
    from assembly.extensions import db
    from assembly.workshops.models import Topic
    from assembly.workshops.processes import topic_to_proposal

    meeting, org, people, runner = workshop
    question = runner.call("board")["board"]["questions"][0]["id"]
    topic_id = runner.call("topic_create", question_id=question, title="Retiros")["topic_id"]
    with app.app_context():
        proposal = topic_to_proposal(
            db.session.get(Topic, topic_id),
            db.session.get(User, people["facilitator"].id),
            title="Revisar los retiros",
            body="Que cada cooperativa cuente cómo calcula sus retiros.",
        )
        proposal_id = proposal.id
        db.session.commit()
        db.session.remove()
    ana, _beto, facilitator, _projector = open_screens(browser_page, org, meeting, people)
    href = f"/o/{org.slug}/proposals/{proposal_id}/"
    for page in (ana, facilitator):
        link = page.get_by_role("link", name="Se convirtió en propuesta: verla")
        expect(link).to_have_attribute("href", href)
    facilitator.get_by_role("link", name="Se convirtió en propuesta: verla").click()
    expect(facilitator.locator("main")).to_contain_text("Revisar los retiros")
    assert facilitator.url.endswith(href)
