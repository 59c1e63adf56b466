"""The projector, as the back of the room sees it: on one screen, without scrolling, in large type.

A real server, the projector in Chromium at the sizes projectors have, and the people in the
room as real Socket.IO clients: a poll is opened, voted and closed, and the meeting ends.
"""

import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.live]

SIZES = [(1920, 1080), (1280, 720)]


def on_screen(page, selector: str, *, min_font_share: float = 0.022) -> None:
    """`selector` is shown whole inside the viewport, is what the eye meets at its centre (not
    hidden behind or cut off by anything), and its type is at least `min_font_share` of the
    screen's height (2.2 % is 24 px on a 1080-line projector)."""
    locator = page.locator(selector).first
    expect(locator).to_be_visible()
    found = locator.evaluate(
        """(node) => {
            const box = node.getBoundingClientRect();
            const x = box.left + box.width / 2, y = box.top + box.height / 2;
            const hit = document.elementFromPoint(x, y);
            return {
                left: box.left, top: box.top, right: box.right, bottom: box.bottom,
                width: window.innerWidth, height: window.innerHeight,
                hit: !!hit && (hit === node || node.contains(hit)),
                font: parseFloat(getComputedStyle(node).fontSize),
            };
        }"""
    )
    assert found["left"] >= 0 and found["top"] >= 0, (selector, found)
    assert found["right"] <= found["width"] + 0.5, (selector, found)
    assert found["bottom"] <= found["height"] + 0.5, (selector, found)
    assert found["hit"], (selector, "is covered or cut off", found)
    assert found["font"] >= found["height"] * min_font_share, (selector, "type too small", found)


def no_scrolling(page) -> None:
    sizes = page.evaluate(
        """() => ({
            scrollHeight: document.documentElement.scrollHeight,
            scrollWidth: document.documentElement.scrollWidth,
            height: window.innerHeight,
            width: window.innerWidth,
        })"""
    )
    assert sizes["scrollHeight"] <= sizes["height"], sizes
    assert sizes["scrollWidth"] <= sizes["width"], sizes


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_projector_shows_the_item_the_floor_the_poll_and_its_result_on_one_screen(
    coop, make_user, make_org, make_meeting, make_poll, live_client, browser_page, width, height
):
    org, people = coop
    meeting = make_meeting(
        org, items=("Apertura", "Balance 2026", "Cierre"), title="Asamblea de noviembre"
    )
    facilitator = live_client(people["facilitator"], meeting)
    phones = {role: live_client(people[role], meeting) for role in ("member", "secretary", "admin")}
    projector = browser_page(width=width, height=height)
    projector.goto(f"/projector/{meeting.projector_token}")
    expect(projector.locator('[data-bind="connection"]')).to_have_text("Conectado")

    # Before the meeting starts, people can already scan the code to check in.
    on_screen(projector, ".projector-checkin svg")

    assert facilitator.call("meeting_start")["ok"]
    assert facilitator.call("check_in")["ok"]
    for phone in phones.values():
        assert phone.call("check_in")["ok"]
    # One has the floor and three are waiting.
    assert phones["member"].call("floor_request")["ok"]
    assert facilitator.call("floor_next")["ok"]
    for role in ("secretary", "admin"):
        assert phones[role].call("floor_request", kind="contribution")["ok"]
    assert facilitator.call("floor_request", kind="reply")["ok"]

    expect(projector.locator('[data-bind="item-title"]')).to_have_text("Apertura")
    expect(projector.locator('[data-bind="speaker"]')).to_contain_text(people["member"].name)
    queue = projector.locator(".projector-floor .queue li")
    expect(queue).to_have_count(3)
    expect(projector.locator('[data-bind="quorum-flag"]')).to_have_text("Hay quórum")
    on_screen(projector, '[data-bind="item-title"]', min_font_share=0.04)
    on_screen(projector, '[data-bind="item-timer"]', min_font_share=0.04)
    on_screen(projector, '[data-bind="speaker"]', min_font_share=0.035)
    on_screen(projector, '.projector-floor [data-bind="speaker-timer"]')
    for index in range(3):
        on_screen(projector, f".projector-floor .queue li >> nth={index}")
    on_screen(projector, '[data-bind="quorum-flag"]')
    on_screen(projector, '[data-bind="quorum-text"]')
    on_screen(projector, ".projector-checkin svg")
    no_scrolling(projector)

    # A poll opens: its count is on the screen, with everything else still there.
    poll_id = make_poll(meeting, title="¿Aprobamos el balance 2026?")
    assert facilitator.call("poll_open", poll_id=poll_id)["ok"]
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 0 de 4")
    for role, answer in (("member", "yes"), ("secretary", "yes"), ("admin", "no")):
        ack = phones[role].call(
            "vote", poll_id=poll_id, choice={"vote": answer}, client_id=uuid.uuid4().hex
        )
        assert ack["ok"] and ack["stored"], ack
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 3 de 4")
    on_screen(projector, ".poll-title", min_font_share=0.035)
    on_screen(projector, ".poll-progress", min_font_share=0.04)
    on_screen(projector, '[data-bind="item-title"]', min_font_share=0.035)
    on_screen(projector, '[data-bind="speaker"]')
    on_screen(projector, '[data-bind="quorum-text"]')
    on_screen(projector, ".projector-checkin svg")
    no_scrolling(projector)

    # It closes: the outcome and the sentence that explains it, on the same screen.
    assert facilitator.call("poll_close", poll_id=poll_id)["ok"]
    expect(projector.locator(".poll-outcome")).to_have_text("Aprobada")
    expect(projector.locator(".poll-explanation")).to_contain_text(
        "más votos a favor (2) que en contra (1)"
    )
    on_screen(projector, ".poll-outcome", min_font_share=0.04)
    on_screen(projector, ".poll-explanation", min_font_share=0.025)
    on_screen(projector, ".poll-progress")
    on_screen(projector, '[data-bind="item-title"]')
    no_scrolling(projector)

    # The meeting ends: the projector says so, and no longer invites anyone to check in.
    assert facilitator.call("meeting_end")["ok"]
    expect(projector.locator(".projector-ended")).to_have_text("La reunión terminó.")
    on_screen(projector, ".projector-ended", min_font_share=0.04)
    expect(projector.locator(".projector-checkin")).to_be_hidden()
    expect(projector.locator(".projector-floor")).to_be_hidden()
    no_scrolling(projector)


def test_the_projector_shows_the_next_few_waiting_and_how_many_more(
    make_user, make_org, make_meeting, make_poll, live_client, browser_page
):
    facilitator_person = make_user(name="Facilitadora")
    people = [make_user(name=f"Persona {n}") for n in range(1, 8)]
    org = make_org(members={facilitator_person: "facilitator", **{p: "member" for p in people}})
    meeting = make_meeting(org)
    facilitator = live_client(facilitator_person, meeting)
    assert facilitator.call("meeting_start")["ok"]
    for person in people:
        phone = live_client(person, meeting)
        assert phone.call("check_in")["ok"]
        assert phone.call("floor_request")["ok"]
    projector = browser_page(width=1920, height=1080)
    projector.goto(f"/projector/{meeting.projector_token}")
    waiting = projector.locator(".projector-floor .queue li")
    expect(waiting).to_have_count(5)
    expect(waiting.nth(0)).to_contain_text("Persona 1")
    expect(waiting.nth(3)).to_contain_text("Persona 4")
    expect(waiting.nth(4)).to_have_text("y 3 más")
    for index in range(5):
        on_screen(projector, f".projector-floor .queue li >> nth={index}")
    no_scrolling(projector)
    # The busiest screen: someone speaking, five lines waiting and a poll being voted.
    assert facilitator.call("check_in")["ok"]
    assert facilitator.call("floor_request", kind="point_of_order")["ok"]
    assert facilitator.call("floor_next")["ok"]
    poll_id = make_poll(meeting, title="¿Cambiamos el horario de las asambleas del año que viene?")
    assert facilitator.call("poll_open", poll_id=poll_id)["ok"]
    expect(projector.locator(".poll-progress")).to_have_text("Votaron 0 de 8")
    expect(projector.locator('[data-bind="speaker"]')).to_contain_text("Facilitadora")
    for selector in ('[data-bind="item-title"]', '[data-bind="speaker"]', ".poll-title"):
        on_screen(projector, selector)
    on_screen(projector, ".poll-progress", min_font_share=0.04)
    for index in range(5):
        on_screen(projector, f".projector-floor .queue li >> nth={index}")
    no_scrolling(projector)
