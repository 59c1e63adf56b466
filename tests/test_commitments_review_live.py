"""The commitments review against a real server: an outcome recorded by the facilitator reaches
the other screens (python-socketio clients), and in browsers, a member's phone."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from assembly.commitments import review
from assembly.extensions import db
from assembly.meetings.models import Meeting
from tests.test_browser_accessibility import AXE_PATH, BLOCKING, RUN_AXE, SMALL_TARGETS, TARGET
from tests.test_commitments_review import make_commitment, new_meeting

pytestmark = pytest.mark.live


def _meeting(app, org, people):
    commitment_id = make_commitment(app, org, people["member"], due_in=-2, what="Pagar la luz")
    meeting_id = new_meeting(app, org, template="builtin:ordinary_assembly", convened=True)
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        ref = SimpleNamespace(id=meeting.id, projector_token=meeting.projector_token)
        item_id = review.review_item(meeting).id
    return ref, item_id, commitment_id


def _review_items(latest):
    return latest["state"]["commitments_review"]["items"]


def test_an_outcome_recorded_by_the_facilitator_reaches_every_screen(app, coop, live_client):
    org, people = coop
    meeting, item_id, commitment_id = _meeting(app, org, people)
    facilitator = live_client(people["facilitator"], meeting)
    member = live_client(people["member"], meeting)
    projector = live_client(meeting=meeting, projector=True)
    assert facilitator.call("meeting_start")["ok"]
    assert facilitator.call("item_go", item_id=item_id)["ok"]
    for screen in (member, projector):
        screen.wait_for(
            lambda s: _review_items(s)[0]["commitment_id"] == commitment_id,
            what="the review list",
        )
    assert _review_items(member.latest)[0]["overdue"] is True

    ack = facilitator.call(
        "commitment_review",
        commitment_id=commitment_id,
        status="renegotiated",
        due_on="2099-03-01",
        note="Se paga en marzo",
    )
    assert ack["ok"], ack
    for screen in (member, projector):
        outcome = screen.wait_for(
            lambda s: _review_items(s)[0]["outcome"] is not None, what="the outcome"
        )
        outcome = _review_items(outcome)[0]["outcome"]
        assert outcome == {
            "status": "renegotiated",
            "note": "Se paga en marzo",
            "new_due_on": "2099-03-01",
            "carried_forward": False,
        }
    # A member cannot record one.
    refused = member.call("commitment_review", commitment_id=commitment_id, status="done")
    assert refused["ok"] is False and refused["error"]["code"] == "forbidden"


@pytest.mark.browser
def test_the_facilitator_marks_one_done_and_a_members_phone_shows_it(
    app, coop, live_client, browser_page
):
    org, people = coop
    meeting, item_id, commitment_id = _meeting(app, org, people)
    starter = live_client(people["facilitator"], meeting)
    assert starter.call("meeting_start")["ok"]
    assert starter.call("item_go", item_id=item_id)["ok"]
    room = f"/o/{org.slug}/meetings/{meeting.id}/live"
    # The secretary records outcomes from a phone, 360 px wide.
    facilitator = browser_page(people["secretary"], width=360, height=740)
    facilitator.context.add_init_script(path=AXE_PATH)
    phone = browser_page(people["member"])
    facilitator.goto(room)
    phone.goto(room)
    for page in (facilitator, phone):
        expect(page.locator("#commitments-review")).to_contain_text("Pagar la luz")
        expect(page.locator("#commitments-review")).to_contain_text("vencido")
    # Members see the list but no controls.
    expect(phone.locator("[data-review-form]")).to_have_count(0)

    # The list and its controls pass axe and have thumb-sized targets.
    blocking = [v for v in facilitator.evaluate(RUN_AXE) if v["impact"] in BLOCKING]
    assert blocking == []
    small = facilitator.evaluate(SMALL_TARGETS, TARGET)
    assert small == []
    assert facilitator.evaluate("document.documentElement.scrollWidth") <= 360

    form = facilitator.locator(f'[data-review-form="{commitment_id}"]')
    form.get_by_label("En qué quedó").select_option("done")
    form.get_by_label("Nota de avance").fill("Pagada el lunes")
    form.get_by_role("button", name="Anotar el resultado").click()
    outcome = phone.locator(f'li[data-commitment-id="{commitment_id}"] .review-outcome')
    expect(outcome).to_contain_text("Hecho")
    expect(outcome).to_contain_text("Pagada el lunes")
