"""The agenda in a real browser (Debian's Chromium): drag and drop saves the new order, and the
keyboard alternative (the ↑ ↓ buttons) works without JavaScript."""

import os
import shutil
import threading

import pytest
from sqlalchemy import select

from assembly.extensions import db
from assembly.meetings.models import AgendaItem

pytestmark = pytest.mark.browser


@pytest.fixture
def served(app):
    """The test app on a real port, in a thread of this process."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def chromium(request):
    """The session's Chromium if the suite provides one (one Playwright per process), else ours."""
    try:
        yield request.getfixturevalue("browser")
        return
    except pytest.FixtureLookupError:
        pass
    from playwright.sync_api import sync_playwright

    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        pytest.fail(f"Browser tests need Debian's Chromium at {path}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=["--no-sandbox", "--disable-gpu", "--no-first-run"]
        )
        yield browser
        browser.close()


def _open(chromium, base_url, person, *, javascript=True, width=390):
    context = chromium.new_context(
        base_url=base_url,
        locale="es-AR",
        viewport={"width": width, "height": 900},
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/login")
    page.fill("#email", person.email)
    page.fill("#password", person.password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def _order(app, meeting_id):
    with app.app_context():
        return db.session.scalars(
            select(AgendaItem.title)
            .where(AgendaItem.meeting_id == meeting_id, AgendaItem.parent_id.is_(None))
            .order_by(AgendaItem.position)
        ).all()


def test_dragging_an_item_saves_the_new_order(app, served, chromium, coop, make_meeting):
    from playwright.sync_api import expect

    org, people = coop
    meeting = make_meeting(org, status="draft", items=("Apertura", "Informe", "Retiros", "Cierre"))
    page = _open(chromium, served, people["facilitator"], width=1200)
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/")
    handle = page.locator("li.agenda-entry", has_text="Cierre").locator(".drag-handle")
    expect(handle).to_be_visible()  # shown only when the script runs
    handle.drag_to(page.locator("li.agenda-entry", has_text="Informe").locator(".item-head"))
    expect(page.locator("[data-reorder-status]")).to_have_text("Nuevo orden guardado.")
    assert _order(app, meeting.id) == ["Apertura", "Cierre", "Informe", "Retiros"]
    page.reload()
    titles = page.locator("ol.agenda > li .item-title").all_inner_texts()
    assert titles == ["Apertura", "Cierre", "Informe", "Retiros"]


def test_the_buttons_reorder_without_javascript(app, served, chromium, coop, make_meeting):
    from playwright.sync_api import expect

    org, people = coop
    meeting = make_meeting(org, status="draft", items=("Apertura", "Informe", "Retiros"))
    page = _open(chromium, served, people["facilitator"], javascript=False)
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/")
    expect(page.locator(".drag-handle").first).to_be_hidden()
    titles = page.locator("ol.agenda > li .item-title")
    page.get_by_role("button", name="Subir: Retiros").click()
    expect(titles.nth(1)).to_have_text("Retiros")
    assert _order(app, meeting.id) == ["Apertura", "Retiros", "Informe"]
    page.get_by_role("button", name="Bajar: Apertura").click()
    expect(titles.first).to_have_text("Retiros")
    assert titles.all_inner_texts() == ["Retiros", "Apertura", "Informe"]
    assert _order(app, meeting.id) == ["Retiros", "Apertura", "Informe"]


def _tab_to(page, locator, presses: int = 200) -> None:
    """Move the focus to `locator` the way a keyboard user does: Tab, Tab, Tab..."""
    for _ in range(presses):
        if locator.evaluate("(node) => node === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail("the keyboard never reached the button")


@pytest.mark.parametrize("javascript", [True, False], ids=["with-script", "without-script"])
def test_the_keyboard_moves_an_item_up_twice_without_losing_the_focus(
    app, served, chromium, coop, make_meeting, javascript
):
    from playwright.sync_api import expect

    org, people = coop
    meeting = make_meeting(org, status="draft", items=("Apertura", "Informe", "Retiros"))
    page = _open(chromium, served, people["facilitator"], javascript=javascript, width=1200)
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/")
    titles = page.locator("ol.agenda > li .item-title")
    up = page.get_by_role("button", name="Subir: Retiros")
    down = page.get_by_role("button", name="Bajar: Retiros")

    _tab_to(page, up)
    page.keyboard.press("Enter")
    expect(titles.nth(1)).to_have_text("Retiros")
    expect(up).to_be_focused()  # the same button: Enter again moves it again
    page.keyboard.press("Enter")
    expect(titles.first).to_have_text("Retiros")
    # At the top its ↑ is gone; the focus waits on its ↓, still on the moved item.
    expect(down).to_be_focused()
    expect(page.locator(":focus-visible")).to_have_count(1)
    if javascript:
        expect(page.locator("[data-reorder-status]")).to_have_text("Nuevo orden guardado.")
    assert _saved(app, meeting.id, ["Retiros", "Apertura", "Informe"])
    page.keyboard.press("Enter")  # and down again, from where the focus was left
    expect(titles.nth(1)).to_have_text("Retiros")
    expect(down).to_be_focused()
    assert _saved(app, meeting.id, ["Apertura", "Retiros", "Informe"])


def _saved(app, meeting_id, order, seconds: float = 5) -> bool:
    """The server has the order (the script saves it in the background)."""
    import time

    deadline = time.monotonic() + seconds
    while _order(app, meeting_id) != order:
        if time.monotonic() > deadline:
            raise AssertionError(f"{_order(app, meeting_id)} != {order}")
        time.sleep(0.05)
    return True
