"""A partner finds a decision from two years ago by a word in another form than it was written,
and opens its minutes; a partner of another co-op, searching the same word, does not see it.
The decision log and the timeline pass axe, in Debian's Chromium."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from assembly.core.clock import utcnow
from tests.test_browser_accessibility import AXE_PATH, BLOCKING, axe_page
from tests.test_decision_log import TWO_YEARS, _decision, build_history

pytestmark = [pytest.mark.browser, pytest.mark.live]


def test_a_partner_finds_a_two_year_old_decision_by_another_word_form_and_opens_its_minutes(
    app, coop, make_meeting, make_user, make_org, browser_page
):
    org, people = coop
    history = build_history(app, org, people, make_meeting)
    # Another co-op decided something with the same words.
    neighbour = make_user("Socia Vecina", "socia@vecina.example")
    other = make_org("Cooperativa Vecina", members={neighbour: "member"})
    _decision(app, other, None, "Comedor vecino", "Se aprueba priorizar el comedor.", utcnow())
    decided = (utcnow() - TWO_YEARS + timedelta(hours=1)).date()

    partner = browser_page(people["member"])
    partner.context.add_init_script(path=AXE_PATH)
    partner.goto("/search")
    partner.get_by_label("Palabras a buscar").fill("priorizamos")  # written "priorizar"
    partner.get_by_role("button", name="Buscar", exact=True).click()
    # The decision's own result (its minutes, which say the same, are found too).
    result = partner.locator(".search-result").filter(
        has=partner.get_by_role("heading", name="Compra de herramientas")
    )
    expect(result).to_be_visible()
    expect(
        partner.locator(".search-result").filter(
            has=partner.get_by_role("heading", name=re.compile("^Acta: Asamblea de herramientas"))
        )
    ).to_be_visible()
    expect(result.locator("time").first).to_have_attribute(
        "datetime", re.compile(f"^{decided.isoformat()}")
    )
    expect(result.locator("time").first).to_contain_text(str(decided.year))
    # Its commitments and their follow-up are right there.
    expect(result).to_contain_text("Pedir tres presupuestos de amoladoras")
    expect(result).to_contain_text("Hecho")
    expect(partner.locator("main")).not_to_contain_text("Comedor vecino")
    assert [v for v in axe_page(partner) if v["impact"] in BLOCKING] == []

    result.get_by_role("link", name="su acta").click()
    expect(partner).to_have_url(re.compile(f"/o/{org.slug}/meetings/{history['old'].id}/minutes$"))
    expect(partner.locator("main")).to_contain_text(
        "Se aprueba priorizar la compra de herramientas nuevas."
    )

    # The decision log and the timeline take the partner to the same minutes.
    partner.goto(f"/o/{org.slug}/decisions?decision={history['old_decision']}")
    decision = partner.locator(f"#decision-{history['old_decision']}")
    expect(decision).to_contain_text("Comprar la soldadora")
    expect(decision.get_by_role("link", name="su acta")).to_have_attribute(
        "href", f"/o/{org.slug}/meetings/{history['old'].id}/minutes"
    )
    assert [v for v in axe_page(partner) if v["impact"] in BLOCKING] == []
    partner.goto(f"/o/{org.slug}/timeline")
    partner.get_by_label("Año").select_option(str(decided.year))
    partner.get_by_role("button", name="Mostrar").click()
    expect(partner.locator("main h2")).to_contain_text(str(decided.year))
    expect(partner.locator("main")).to_contain_text("Asamblea de herramientas")
    assert [v for v in axe_page(partner) if v["impact"] in BLOCKING] == []

    # A partner of the other co-op searching the same word finds only their own decision.
    stranger = browser_page(neighbour)
    stranger.goto("/search?q=priorizamos")
    expect(stranger.locator(".search-result", has_text="Comedor vecino")).to_be_visible()
    expect(stranger.locator("main")).not_to_contain_text("Compra de herramientas")
    expect(stranger.locator("main")).not_to_contain_text("herramientas")
