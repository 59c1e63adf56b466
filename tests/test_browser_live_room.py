"""A facilitator, two members and the projector, each in their own browser: the room is live."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_check_in_floor_and_agenda_reach_every_screen_without_reload(
    coop, make_user, make_org, make_meeting, browser_page
):
    org, people = coop
    meeting = make_meeting(org, items=("Apertura", "Retiros 2027", "Cierre"))
    room = f"/o/{org.slug}/meetings/{meeting.id}/live"

    facilitator = browser_page(people["facilitator"], width=1280, height=900)
    ana = browser_page(people["member"])
    beto = browser_page(people["secretary"])
    projector = browser_page(width=1600, height=900)
    facilitator.goto(room)
    ana.goto(room)
    beto.goto(room)
    projector.goto(f"/projector/{meeting.projector_token}")
    screens = (facilitator, ana, beto, projector)
    for page in screens:
        expect(page.locator('[data-bind="connection"]').first).to_have_text("Conectado")

    facilitator.get_by_role("button", name="Iniciar la reunión").click()
    for page in screens:
        expect(page.locator('[data-bind="status"]').first).to_have_text("En curso")
    expect(projector.locator('[data-bind="item-title"]')).to_have_text("Apertura")

    # A member checks in from her phone; the others see it without reloading.
    ana.get_by_role("button", name="Registrar mi presencia").click()
    expect(ana.locator('[data-bind="me-status"]')).to_contain_text("Estás presente")
    expect(ana.locator('[data-action="check_in"]')).to_be_hidden()
    expect(ana.locator('[data-action="check_out"]')).to_be_visible()
    expect(ana.locator('[data-form="proxy_self"]')).to_be_hidden()
    expect(projector.locator('[data-bind="attendance-text"]')).to_contain_text("Presentes: 1")
    expect(facilitator.locator(f'tr[data-user-id="{people["member"].id}"]')).to_contain_text(
        "presente"
    )

    # She asks for the floor: the other phone, the facilitator and the projector all show it.
    ana.get_by_role("button", name="Pedir la palabra").click()
    for page in (facilitator, beto, projector):
        expect(page.locator('[data-list="queue"]')).to_contain_text(people["member"].name)

    # The facilitator calls her and moves to the next item.
    facilitator.get_by_role("button", name="Dar la palabra a la siguiente persona").click()
    expect(projector.locator('[data-bind="speaker"]')).to_contain_text(people["member"].name)
    expect(ana.locator('[data-bind="me-floor"]')).to_have_text("Tenés la palabra.")
    facilitator.get_by_role("button", name="Punto siguiente").click()
    for page in (ana, beto):
        expect(page.locator(".agenda-item.current")).to_contain_text("Retiros 2027")
    expect(projector.locator('[data-bind="item-title"]')).to_have_text("Retiros 2027")


def sent_events(page) -> list[str]:
    """Names of the Socket.IO events the page sends, as they leave it (websocket frames)."""
    names: list[str] = []

    def watch(socket):
        def frame(payload):
            text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            if text.startswith("42"):  # a Socket.IO event (with or without an ack id)
                body = text[2:].lstrip("0123456789")
                names.append(body[2 : body.index('"', 2)])

        socket.on("framesent", frame)

    page.on("websocket", watch)
    return names


def test_a_double_tap_sends_once_and_shows_no_error(coop, make_meeting, live_client, browser_page):
    org, people = coop
    meeting = make_meeting(org)
    facilitator = live_client(people["facilitator"], meeting)
    assert facilitator.call("meeting_start")["ok"]
    phone = browser_page(people["member"])
    sent = sent_events(phone)
    phone.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    expect(phone.locator('[data-bind="connection"]')).to_have_text("Conectado")

    phone.get_by_role("button", name="Registrar mi presencia").dblclick()
    expect(phone.locator('[data-bind="me-status"]')).to_contain_text("Estás presente")
    phone.get_by_role("button", name="Pedir la palabra").dblclick()
    expect(phone.locator('[data-bind="me-floor"]')).to_contain_text("número 1")
    facilitator.wait_for(lambda s: len(s["state"]["floor"]["queue"]) == 1, what="the request")
    phone.wait_for_timeout(300)  # a second answer, if one were coming, would be here by now
    assert sent.count("check_in") == 1, sent
    assert sent.count("floor_request") == 1, sent
    expect(phone.locator('[data-bind="error"]')).to_be_hidden()
    assert [q["user_id"] for q in facilitator.latest["state"]["floor"]["queue"]] == [
        people["member"].id
    ]


def test_an_error_goes_once_something_succeeds_or_it_is_dismissed(coop, make_meeting, browser_page):
    org, people = coop
    meeting = make_meeting(org)
    page = browser_page(people["facilitator"], width=1280, height=900)
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    page.get_by_role("button", name="Iniciar la reunión").click()
    expect(page.locator('[data-bind="status"]')).to_have_text("En curso")
    error = page.locator('[data-bind="error"]')
    call_next = page.get_by_role("button", name="Dar la palabra a la siguiente persona")

    call_next.click()  # nobody is waiting
    expect(error).to_have_text("Nadie está esperando la palabra.")
    page.get_by_role("button", name="Registrar mi presencia").click()
    expect(page.locator('[data-bind="me-status"]')).to_contain_text("Estás presente")
    # The next thing she did worked: the old error is gone with its answer (not seconds later).
    expect(error).to_be_hidden(timeout=1000)

    call_next.click()
    expect(error).to_be_visible()
    page.get_by_role("button", name="Cerrar", exact=True).click()
    expect(error).to_be_hidden()
    expect(call_next).to_be_focused()


def test_marking_someone_else_present_leaves_ones_own_card_alone(coop, make_meeting, browser_page):
    org, people = coop
    meeting = make_meeting(org)
    page = browser_page(people["facilitator"], width=1280, height=900)
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    page.get_by_role("button", name="Iniciar la reunión").click()
    me = page.locator('[data-bind="me-status"]')
    expect(me).to_have_text("Todavía no registraste tu presencia.")
    page.get_by_role("button", name=f"Marcar presente: {people['member'].name}").click()
    row = page.locator(f'tr[data-user-id="{people["member"].id}"]')
    expect(
        row.get_by_role("button", name=f"Marcar salida: {people['member'].name}")
    ).to_be_visible()
    expect(me).to_have_text("Todavía no registraste tu presencia.")
    expect(page.get_by_role("button", name="Registrar mi presencia")).to_be_visible()
    page.reload()
    expect(me).to_have_text("Todavía no registraste tu presencia.")
