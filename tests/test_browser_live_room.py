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
