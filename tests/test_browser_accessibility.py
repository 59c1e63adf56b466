"""Every page, as every role of a realistic organisation, in Debian's Chromium:

- axe-core (tests/vendor/axe-core) finds no serious or critical violation on any page;
- a member's pages (and the pages before logging in) never scroll sideways at 360 x 740, and
  their touch targets are at least 44 x 44 CSS px;
- the member's live room transfers at most 100 KB, compressed, on its first load.

The crawl walks the app's URL rules (GET), fills their variables from the data built in
tests/realistic.py, and visits each URL as each role; a rule no role could visit fails the
test, so a new page is checked from the day it exists. Run with -s to see the figures.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import time
from dataclasses import dataclass, field

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.live]

HERE = os.path.dirname(os.path.abspath(__file__))
AXE_PATH = os.path.join(HERE, "vendor", "axe-core", "axe.min.js")
BLOCKING = ("serious", "critical")
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
ROOM_BUDGET = 100 * 1024
TARGET = 44

# Rules that serve no HTML page (a JSON probe, calendar files, static files, downloads).
NOT_PAGES = {
    "core.health",
    "meetings.ics",
    "calendar.feed",
    "static",
    # Downloads of a meeting's minutes (attachments, not pages of the app).
    "minutes.export_markdown",
    "minutes.export_html",
    "minutes.export_pdf",
}
# Rules only someone without an account reaches (a logged-in visitor is sent elsewhere).
ANONYMOUS_ONLY = {"organisations.invitation", "accounts.reset_password"}

RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""

# Touch targets a thumb must hit: links outside running text, buttons, fields, summaries; a
# checkbox or radio counts with its label, which takes the tap too.
SMALL_TARGETS = """(minimum) => {
  const small = [];
  const inRunningText = (link) => {
    const block = link.parentElement && link.parentElement.closest("p, dd, td, .prose, .hint");
    if (!block) return false;
    let text = block.textContent;
    block.querySelectorAll("a, button").forEach((a) => { text = text.replace(a.textContent, ""); });
    return /[\\p{L}]{2}/u.test(text);
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (box.right <= 0 || box.bottom <= 0 || el.closest(".skip, .visually-hidden")) continue;
    if (el.tagName === "A" && inRunningText(el)) continue;
    let target = el;
    if (el.type === "checkbox" || el.type === "radio") {
      const labelled = el.id && document.querySelector(`label[for="${el.id}"]`);
      target = el.closest("label") || labelled || el;
    }
    const r = target.getBoundingClientRect();
    if (r.height < minimum - 0.5 || r.width < minimum - 0.5) {
      const name = (el.getAttribute("aria-label") || el.textContent || el.name || el.type || "");
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name.trim().slice(0, 40)}" ${size}`);
    }
  }
  return small;
}"""

CONNECTED = """() => Array.from(document.querySelectorAll('[data-bind="connection"]'))
  .some((node) => node.textContent.trim())"""

# What was transferred, how wide the page is (and what sticks out), and the page's shape: its
# elements and attributes without their text, so a page another role already saw with the same
# shape is not run through axe again.
PAGE_FIGURES = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const width = window.innerWidth;
  const wide = [];
  for (const node of document.body.querySelectorAll("*")) {
    const box = node.getBoundingClientRect();
    if (box.right > width + 1 && box.width && !node.closest(".table-scroll")) {
      if (!Array.from(node.children).some((c) => c.getBoundingClientRect().right > width + 1)) {
        wide.push(`${node.tagName.toLowerCase()}.${node.className} ${Math.round(box.right)}`);
      }
    }
  }
  const shape = [];
  const chrome = [];
  for (const node of document.querySelectorAll("body *")) {
    const attributes = Array.from(node.attributes)
      .filter((a) => !["href", "action", "value", "datetime", "data-user-id"].includes(a.name))
      .map((a) => (a.name.startsWith("aria-") || a.name === "class" || a.name === "role"
        ? `${a.name}=${a.value}` : a.name))
      .join(",");
    const part = `${node.tagName}[${attributes}]${node.childNodes.length ? "" : "/"}`;
    (node.closest(".topbar") ? chrome : shape).push(part);
  }
  return {
    transferred: (nav ? nav.transferSize : 0) + resources.reduce((s, r) => s + r.transferSize, 0),
    scrollWidth: document.scrollingElement.scrollWidth,
    width,
    wide: wide.slice(0, 5),
    shape: shape.join(";"),
    chrome: chrome.join(";"),
  };
}"""


@dataclass
class Visit:
    role: str
    url: str
    status: int
    transferred: int = 0
    violations: list = field(default_factory=list)
    scroll_width: int = 0
    width: int = 0
    small_targets: list = field(default_factory=list)
    wide: list = field(default_factory=list)
    same_as: str = ""

    @property
    def blocking(self) -> list:
        return [v for v in self.violations if v["impact"] in BLOCKING]


def urls_for(app, world, role: str) -> dict[str, list[str]]:
    """Every GET rule's URLs, its variables filled from the data: {endpoint: [url, ...]}."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        if rule.endpoint in ANONYMOUS_ONLY and role != "anonymous":
            continue
        arguments = set(rule.arguments)
        urls = []
        if arguments == {"token"}:
            tokens = world.tokens.get(rule.endpoint) or []
            tokens = [tokens] if isinstance(tokens, str) else tokens  # one page, or several
            urls = [adapter.build(rule.endpoint, {"token": token}) for token in tokens]
        else:
            for values in world.values:
                if set(values) == arguments and values.get("slug", "") in {"", *world.slugs[role]}:
                    urls.append(adapter.build(rule.endpoint, values))
        if rule.endpoint == "search.index":  # its results and snippets too, not only the box
            urls.append(adapter.build(rule.endpoint, {"q": "asamblea"}))
        found[rule.endpoint] = urls
    return found


def axe_page(page) -> list:
    return page.evaluate(RUN_AXE)


def visit(page, role: str, url: str, *, phone: bool, seen: dict, expected: int = 200) -> Visit:
    response = page.goto(url, wait_until="load")
    status = response.status if response else 0
    if response is not None and response.request.redirected_from is not None:
        status = 302  # sent elsewhere (to log in, or to a page of its own): not this page
    result = Visit(role, url, status)
    if status != expected or "text/html" not in (response.headers.get("content-type") or ""):
        return result
    if page.locator('[data-bind="connection"]').count():
        page.wait_for_function(CONNECTED, timeout=10_000)  # the room has its state
    figures = page.evaluate(PAGE_FIGURES)
    result.transferred = figures["transferred"]
    result.scroll_width, result.width = figures["scrollWidth"], figures["width"]
    result.wide = figures["wide"]
    if phone:
        result.small_targets = page.evaluate(SMALL_TARGETS, TARGET)
    # The bar at the top differs by person (their organisations), the rest by page: axe runs
    # when either is new.
    shape = hashlib.sha256(figures["shape"].encode()).hexdigest()
    chrome = hashlib.sha256(figures["chrome"].encode()).hexdigest()
    if shape in seen and chrome in seen:
        result.violations, result.same_as = seen[shape]
    else:
        result.violations = axe_page(page)
        seen[shape] = seen[chrome] = (result.violations, f"{role} {url}")
    return result


_TAG = re.compile(r"<([a-zA-Z][\w-]*)([^>]*)>")
_ATTRIBUTE = re.compile(r"""([^\s=/]+)(?:=("[^"]*"|'[^']*'|[^\s>]+))?""")


def html_shape(html: str) -> str:
    """The elements of a page's <main> and their attributes (values only where they change how
    it looks or is announced), without text: two pages of one shape are one page to axe."""
    main = html[html.find("<main") : html.find("</main>")]
    parts = []
    for tag, attributes in _TAG.findall(main):
        kept = [
            name + (value if name in ("class", "role", "type") or "aria-" in name else "")
            for name, value in _ATTRIBUTE.findall(attributes)
        ]
        parts.append(f"{tag}[{','.join(kept)}]")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()


def report(visit: Visit) -> str:
    worst = ", ".join(f"{v['id']}({v['impact']})" for v in visit.violations) or "none"
    if visit.same_as:
        worst += " (same page shape as before)"
    line = (
        f"{visit.role:<11} {visit.status} {visit.url:<58} {visit.transferred / 1024:6.1f} KB"
        f"  axe: {worst}"
    )
    if visit.width:
        line += f"  width {visit.scroll_width}/{visit.width}"
    if visit.wide:
        line += f" {visit.wide}"
    if visit.small_targets:
        line += f"  small targets: {len(visit.small_targets)}"
    return line


ROLES = [
    # (role, viewport, member screens: checked for sideways scrolling and touch targets)
    ("anonymous", PHONE, True),
    ("member", PHONE, True),
    ("delegate", PHONE, True),
    ("facilitator", DESKTOP, False),
    ("secretary", DESKTOP, False),
    ("admin", DESKTOP, False),
]


def test_every_page_as_every_role_passes_axe_and_fits_a_phone(
    app, realistic, browser_page, live_server
):
    world = realistic
    started = time.monotonic()
    visits: list[Visit] = []
    reached: dict[str, set[str]] = {}
    seen: dict[str, tuple] = {}
    html_seen: set[str] = set()
    chrome_checked: set[str] = set()
    skipped = 0
    for role, viewport, phone in ROLES:
        person = world.people.get(role)
        page = browser_page(person, **viewport)
        page.context.add_init_script(path=AXE_PATH)  # axe in every page the crawl opens
        # Which URLs are pages for this role, asked cheaply with the browser's own cookies.
        http = requests.Session()
        for cookie in page.context.cookies():
            http.cookies.set(cookie["name"], cookie["value"])
        for endpoint, urls in urls_for(app, world, role).items():
            reached.setdefault(endpoint, set())
            for url in urls:
                answer = http.get(live_server.url + url, allow_redirects=False, timeout=10)
                if answer.status_code != 200:
                    continue  # another organisation's, or not for this role: refused or sent on
                reached[endpoint].add(role)
                if not answer.headers.get("Content-Type", "").startswith("text/html"):
                    continue
                # A desktop page of a shape some role already had checked is not opened again;
                # the live pages are built by their script, so they always are.
                html = html_shape(answer.text)
                live = "data-bind=" in answer.text
                if not phone and not live and html in html_seen and role in chrome_checked:
                    skipped += 1
                    continue
                html_seen.add(html)
                chrome_checked.add(role)
                result = visit(page, role, url, phone=phone, seen=seen)
                visits.append(result)
                print(report(result))
    # The page people get for what is not there.
    page = browser_page(width=PHONE["width"], height=PHONE["height"])
    page.context.add_init_script(path=AXE_PATH)
    result = visit(page, "anonymous", "/no/such/page", phone=True, seen=seen, expected=404)
    visits.append(result)
    print(report(result))

    pages = len(visits)
    blocking = [(v.role, v.url, x) for v in visits if not v.same_as for x in v.blocking]
    sideways = [(v.role, v.url, v.scroll_width) for v in visits if v.scroll_width > v.width]
    phone_sideways = [s for s in sideways if dict((r, p) for r, _, p in ROLES)[s[0]]]
    small = [(v.role, v.url, v.small_targets) for v in visits if v.small_targets]
    print(
        f"\nCrawl: {pages} pages opened by {len(ROLES)} roles ({skipped} more of a shape "
        f"already checked) in "
        f"{time.monotonic() - started:.1f} s; "
        f"serious or critical axe violations: {len(blocking)}; other axe violations: "
        f"{sum(len(v.violations) - len(v.blocking) for v in visits)}; "
        f"phone pages scrolling sideways at 360 px: {len(phone_sideways)}; "
        f"phone pages with targets under {TARGET} px: {len(small)}"
    )
    unreached = sorted(e for e, roles in reached.items() if not roles)
    assert not unreached, f"rules no role could visit (give the crawl their ids): {unreached}"
    assert not blocking, "\n".join(
        f"{role} {url}: {v['id']} ({v['impact']}) {v['help']}: {v['nodes']}"
        for role, url, v in blocking
    )
    assert not phone_sideways, phone_sideways
    assert not small, "\n".join(f"{role} {url}: {targets}" for role, url, targets in small)


def test_the_members_live_room_weighs_at_most_100_kb_compressed(realistic, browser, live_server):
    """Measured as a phone loads it the first time, nothing cached (the member logged in
    elsewhere, and opens the link): every response of the page load, as transferred (headers
    and encoded bodies), plus the room's first Socket.IO messages."""
    from tests.live import login

    world = realistic
    member = world.people["member"]
    session = login(live_server.url, member.email, member.password)
    context = browser.new_context(viewport=PHONE, locale="es-AR", base_url=live_server.url)
    context.add_cookies(
        [{"name": c.name, "value": c.value, "url": live_server.url} for c in session.cookies]
    )
    try:
        page = context.new_page()

        responses, frames = [], []
        page.on("requestfinished", lambda request: responses.append(request))
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived",
                lambda payload: frames.append(
                    len(payload) if isinstance(payload, bytes) else len(payload.encode())
                ),
            ),
        )
        page.goto(world.live_room, wait_until="load")
        page.wait_for_selector(".poll-card", timeout=10_000)
        page.wait_for_load_state("networkidle")
        lines, http_total, encodings = [], 0, set()
        for request in responses:
            sizes = request.sizes()
            response = request.response()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            encoding = (response.headers.get("content-encoding") if response else None) or "-"
            encodings.add(encoding)
            http_total += size
            lines.append(f"  {size / 1024:7.1f} KB {encoding:<5} {request.url}")
        socket_total = sum(frames)
        total = http_total + socket_total
        print("\nThe member's live room, first load:")
        print("\n".join(lines))
        print(f"  {socket_total / 1024:7.1f} KB        Socket.IO frames received ({len(frames)})")
        print(f"  {total / 1024:7.1f} KB in all (budget {ROOM_BUDGET / 1024:.0f} KB)")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
    finally:
        context.close()

    # Browsers without zstd or Brotli still get gzip, within the budget too.
    gzip_total = 0
    for request in responses:
        got = requests.get(
            request.url, cookies=cookies, headers={"Accept-Encoding": "gzip"}, stream=True
        )
        raw = got.raw.read(decode_content=False)
        gzip_total += len(raw) + sum(len(k) + len(v) + 4 for k, v in got.headers.items())
        if len(raw) > 1024 and got.headers.get("Content-Encoding") != "gzip":
            pytest.fail(f"{request.url} is not compressed for a gzip-only browser")
        if got.headers.get("Content-Encoding") == "gzip":
            gzip.decompress(raw)  # a real gzip stream
    print(f"  {gzip_total / 1024:7.1f} KB over HTTP for a browser that only speaks gzip")
    assert encodings - {"-"}, "nothing was compressed"
    assert total <= ROOM_BUDGET, f"{total / 1024:.1f} KB"
    assert gzip_total + socket_total <= ROOM_BUDGET, f"{(gzip_total + socket_total) / 1024:.1f} KB"
