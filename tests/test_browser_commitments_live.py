"""The secretary records a commitment in the room; the owner's phone sees it appear, marks it
done, and the secretary's screen and the projector see it done: each in its own browser."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from assembly.commitments.service import today
from tests.test_browser_accessibility import AXE_PATH, BLOCKING, axe_page

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_recorded_live_appears_on_the_owners_phone_who_marks_it_done(
    coop, make_meeting, live_client, browser_page
):
    org, people = coop
    member = people["member"]
    meeting = make_meeting(org, items=("Apertura", "Compra de la plegadora"))
    facilitator = live_client(people["facilitator"], meeting)
    assert facilitator.call("meeting_start")["ok"]
    assert facilitator.call("item_next")["ok"]
    room = f"/o/{org.slug}/meetings/{meeting.id}/live"

    secretary = browser_page(people["secretary"], width=1280, height=900)
    phone = browser_page(member, width=360, height=740)
    projector = browser_page(width=1600, height=900)
    for page in (secretary, phone):
        page.context.add_init_script(path=AXE_PATH)
    secretary.goto(room)
    phone.goto(room)
    projector.goto(f"/projector/{meeting.projector_token}")
    for page in (secretary, phone, projector):
        expect(page.locator('[data-bind="connection"]').first).to_have_text("Conectado")
    expect(phone.locator('[data-list="commitments"]')).to_contain_text(
        "Todavía no se registraron compromisos"
    )
    # Members get the list, not the form.
    expect(phone.locator("[data-commitment-form]")).to_have_count(0)

    form = secretary.locator("[data-commitment-form]")
    expect(form).to_contain_text("Del punto en curso: Compra de la plegadora")
    form.get_by_label("Qué").fill("Pedir **tres** presupuestos de plegadoras")
    form.get_by_label("Quién").select_option(label=member.name)
    due = today() + timedelta(days=14)
    form.get_by_label("Fecha límite").fill(due.isoformat())
    form.get_by_role("button", name="Registrar el compromiso").click()
    expect(form.get_by_label("Qué")).to_have_value("")  # recorded: the form is ready again

    # The owner's phone shows it without a reload, Markdown rendered, with a 44 px "done".
    item = phone.locator(".commitment-live")
    expect(item).to_have_count(1)
    expect(item.locator("strong")).to_have_text("tres")
    expect(item).to_contain_text("Pedir tres presupuestos de plegadoras")
    expect(item).to_contain_text(member.name)
    expect(item).to_contain_text("Viene de: Compra de la plegadora")
    expect(item.locator("[data-commitment-status]")).to_have_text("Abierto")
    expect(projector.locator(".projector-commitments")).to_contain_text(
        "Pedir tres presupuestos de plegadoras"
    )
    done = item.get_by_role("button", name="Marcar hecho: Pedir tres presupuestos de plegadoras")
    box = done.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    for page in (phone, secretary):
        blocking = [v["id"] for v in axe_page(page) if v["impact"] in BLOCKING]
        assert not blocking, blocking
    done.click()

    # Done on every screen: the phone, the secretary's and the projector.
    expect(item.locator("[data-commitment-status]")).to_have_text("Hecho")
    expect(item.get_by_role("button", name="Marcar hecho")).to_have_count(0)
    expect(secretary.locator(".commitment-live [data-commitment-status]")).to_have_text("Hecho")
    expect(projector.locator(".projector-commitments")).to_contain_text("Hecho")
    state = facilitator.wait_for(
        lambda s: s["state"]["commitments"][0]["status"] == "done", what="done"
    )["state"]
    assert len(state["commitments"]) == 1


def test_recorded_from_a_decision_just_taken(
    app, coop, make_meeting, make_poll, live_client, browser_page
):
    from tests.test_browser_voting import start_with_everyone_present

    org, people = coop
    meeting = make_meeting(org, items=("Galpón",))
    start_with_everyone_present(app, meeting, people)
    poll_id = make_poll(meeting, title="¿Pintamos el galpón?", show_of_hands=True)
    chair = live_client(people["facilitator"], meeting)
    assert chair.call("poll_open", poll_id=poll_id)["ok"]
    hands = {"yes": 3, "no": 1, "abstain": 0}
    assert chair.call("poll_close", poll_id=poll_id, hands=hands)["ok"]

    secretary = browser_page(people["secretary"], width=1280, height=900)
    phone = browser_page(people["member"], width=360, height=740)
    for page in (secretary, phone):
        page.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
        expect(page.locator('[data-bind="connection"]').first).to_have_text("Conectado")
    expect(
        phone.get_by_role("button", name="Registrar un compromiso de esta decisión")
    ).to_have_count(0)
    secretary.get_by_role(
        "button", name="Registrar un compromiso de esta decisión: ¿Pintamos el galpón?"
    ).click()
    form = secretary.locator("[data-commitment-form]")
    expect(form).to_contain_text("De la decisión: ¿Pintamos el galpón?")
    expect(form.get_by_label("Qué")).to_be_focused()
    form.get_by_label("Qué").fill("Comprar la pintura")
    form.get_by_label("Quién").select_option(label=people["member"].name)
    form.get_by_role("button", name="Registrar el compromiso").click()
    item = phone.locator(".commitment-live")
    expect(item).to_contain_text("Comprar la pintura")
    expect(item).to_contain_text("Viene de: ¿Pintamos el galpón?")
    # The form is back on the item under way for the next one.
    expect(form).to_contain_text("Del punto en curso: Galpón")
    with app.app_context():
        from assembly.commitments.models import Commitment
        from assembly.extensions import db
        from assembly.voting.models import Decision

        commitment = db.session.scalars(db.select(Commitment)).one()
        decision = db.session.scalars(db.select(Decision).where(Decision.poll_id == poll_id)).one()
        assert commitment.decision_id == decision.id and commitment.meeting_id == meeting.id
        db.session.remove()
