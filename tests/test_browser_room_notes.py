"""The secretary's live notes in real browsers: typed on one screen, read on another without
reload; a save that someone else's save overtook keeps the writer's version to copy from."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.live]


def _room(page, org, meeting):
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    expect(page.locator('[data-bind="connection"]')).to_have_text("Conectado")


def test_the_secretary_types_and_a_members_screen_shows_the_notes_without_reload(
    coop, make_meeting, live_client, browser_page
):
    org, people = coop
    meeting = make_meeting(org, items=("Apertura", "Retiros 2027"))
    assert live_client(people["facilitator"], meeting).call("meeting_start")["ok"]
    secretary = browser_page(people["secretary"], width=1280, height=900)
    member = browser_page(people["member"])
    _room(secretary, org, meeting)
    _room(member, org, meeting)

    pane = member.locator("#notes")
    expect(pane.get_by_role("heading")).to_contain_text("Apertura")
    expect(pane.locator("[data-notes-view]")).to_have_text("Todavía no hay notas de este punto.")
    # Members read; they are offered nothing to write with.
    expect(member.get_by_label("Notas del punto en tratamiento (Markdown)")).to_have_count(0)

    notes = secretary.get_by_label("Notas del punto en tratamiento (Markdown)")
    notes.click()
    # Typed key by key, with markup a careless page would run: it autosaves once typing stops.
    notes.press_sequentially("Se abre la sesión.\n<b>Quórum</b> con 4 presentes.", delay=5)
    expect(secretary.locator("[data-notes-status]")).to_have_text("Guardado.", timeout=8000)
    view = pane.locator("[data-notes-view]")
    expect(view).to_have_text("Se abre la sesión.\n<b>Quórum</b> con 4 presentes.")
    expect(view.locator("b")).to_have_count(0)
    expect(pane.locator("[data-notes-meta]")).to_contain_text(
        f"Guardadas por última vez por {people['secretary'].name}"
    )

    # Saved with the button too; the next item starts with its own, empty, notes.
    notes.fill("Se abre la sesión con quórum.")
    secretary.get_by_role("button", name="Guardar las notas").click()
    expect(view).to_have_text("Se abre la sesión con quórum.")
    assert live_client(people["facilitator"], meeting).call("item_next")["ok"]
    expect(pane.get_by_role("heading")).to_contain_text("Retiros 2027")
    expect(view).to_have_text("Todavía no hay notas de este punto.")
    expect(notes).to_have_value("")


def test_a_save_overtaken_by_anothers_shows_theirs_and_keeps_mine(
    coop, make_meeting, live_client, browser_page
):
    org, people = coop
    meeting = make_meeting(org, items=("Apertura",))
    assert live_client(people["facilitator"], meeting).call("meeting_start")["ok"]
    secretary = browser_page(people["secretary"], width=1280, height=900)
    facilitator = browser_page(people["facilitator"], width=1280, height=900)
    _room(secretary, org, meeting)
    _room(facilitator, org, meeting)
    label = "Notas del punto en tratamiento (Markdown)"

    # The facilitator starts typing; before their autosave, the secretary saves hers.
    facilitator.get_by_label(label).fill("Versión del facilitador")
    secretary.get_by_label(label).fill("Versión de la secretaría")
    secretary.get_by_role("button", name="Guardar las notas").click()
    expect(secretary.locator("[data-notes-status]")).to_have_text("Guardado.")

    expect(facilitator.get_by_role("alert")).to_contain_text("Alguien más guardó estas notas")
    expect(facilitator.get_by_label(label)).to_have_value("Versión de la secretaría")
    mine = facilitator.locator("[data-notes-mine]")
    expect(mine).to_be_visible()
    expect(mine.locator("pre")).to_have_text("Versión del facilitador")
    # Nothing was overwritten: the secretary's text stands on her screen too.
    secretary.wait_for_timeout(300)
    expect(secretary.get_by_label(label)).to_have_value("Versión de la secretaría")
