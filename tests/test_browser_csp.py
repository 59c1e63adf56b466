"""The browser connects its live socket to the page's own origin, and nowhere else (CSP)."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.live]

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def test_the_live_room_uses_a_same_origin_websocket_and_no_other_host(
    coop, make_meeting, browser_page, live_server
):
    org, people = coop
    meeting = make_meeting(org)
    page = browser_page(people["member"])
    page.add_init_script(RECORD_VIOLATIONS)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"/o/{org.slug}/meetings/{meeting.id}/live")
    expect(page.locator('[data-bind="connection"]').first).to_have_text("Conectado")
    own = live_server.url.replace("http://", "ws://")
    assert sockets and all(url.startswith(own + "/socket.io/") for url in sockets), sockets
    assert page.evaluate("window.__violations") == []

    # A script trying another host is stopped by the browser.
    page.evaluate(
        "() => { try { new WebSocket('ws://evil.example/socket'); } catch (e) {} "
        "fetch('http://evil.example/x').catch(() => {}); }"
    )
    page.wait_for_function("window.__violations.length >= 2")
    violations = page.evaluate("window.__violations")
    assert all(v.startswith("connect-src") for v in violations), violations
