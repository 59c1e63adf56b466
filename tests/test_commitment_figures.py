"""Follow-through figures: open, overdue, done and done on time, by time frame, by month and
by person, for an organisation and a network; who may see each person's figures; the charts
are SVG that parses, with a title, a description and the same figures as a table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.commitments import charts, figures, service
from assembly.commitments.models import (
    Commitment,
    CommitmentEvent,
    CommitmentEventKind,
    CommitmentOwner,
    CommitmentStatus,
    TimeFrame,
)
from assembly.extensions import db
from assembly.organisations.models import Membership, Organisation, Role
from assembly.organisations.service import add_member, add_to_network, remove_member

SVG = "{http://www.w3.org/2000/svg}"
ON = date(2026, 6, 15)


def _put(organisation_id, owners, *, frame, status, made, due=None, changes=(), through=None):
    """A commitment as it stands after `changes` [(UTC time, new status)]: times are naive
    UTC, as stored; the organisation's local time is three hours behind."""
    commitment = Commitment(
        organisation_id=organisation_id,
        what="x",
        due_on=due,
        time_frame=TimeFrame(frame),
        status=CommitmentStatus(status),
        created_at=made,
        closed_at=changes[-1][0] if status in ("done", "dropped") else None,
        owners=[CommitmentOwner(user_id=u, owner_organisation_id=through) for u in owners],
    )
    db.session.add(commitment)
    db.session.flush()
    for at, new in changes:
        db.session.add(
            CommitmentEvent(
                commitment_id=commitment.id,
                kind=CommitmentEventKind.STATUS,
                field="status",
                new_value=new,
                at=at,
            )
        )
    return commitment


def _noon(y, m, d):
    return datetime(y, m, d, 15, 0)  # noon in Buenos Aires


def _hand_built_set(org_id, m, a):
    """Nine commitments of member `m` and admin `a` (see the figures expected below)."""
    # A: open, due later.
    _put(org_id, [m], frame="short", status="open", made=_noon(2026, 6, 1), due=date(2026, 6, 30))
    # B: in progress, due date passed: overdue, both owners.
    _put(
        org_id,
        [m, a],
        frame="short",
        status="in_progress",
        made=_noon(2026, 5, 2),
        due=date(2026, 6, 10),
        changes=[(_noon(2026, 5, 3), "in_progress")],
    )
    # C: done on its due date at 22:30 local time (already the next day in UTC): on time.
    _put(
        org_id,
        [a],
        frame="medium",
        status="done",
        made=_noon(2026, 4, 10),
        due=date(2026, 5, 20),
        changes=[(datetime(2026, 5, 21, 1, 30), "done")],
    )
    # D: done ten days late.
    _put(
        org_id,
        [m],
        frame="medium",
        status="done",
        made=_noon(2026, 2, 15),
        due=date(2026, 3, 31),
        changes=[(_noon(2026, 4, 10), "done")],
    )
    # E: dropped: in no figure.
    _put(
        org_id,
        [m],
        frame="short",
        status="dropped",
        made=_noon(2026, 3, 1),
        due=date(2026, 4, 1),
        changes=[(_noon(2026, 4, 5), "dropped")],
    )
    # F: renegotiated to a later date: open, not overdue.
    _put(
        org_id,
        [a],
        frame="long",
        status="renegotiated",
        made=_noon(2026, 1, 10),
        due=date(2026, 9, 30),
        changes=[(_noon(2026, 3, 1), "renegotiated")],
    )
    # G: renegotiated, then done before the new date: on time.
    _put(
        org_id,
        [m],
        frame="long",
        status="done",
        made=_noon(2025, 12, 5),
        due=date(2026, 5, 31),
        changes=[(_noon(2026, 2, 1), "renegotiated"), (_noon(2026, 5, 15), "done")],
    )
    # H: done, never had a due date: done, but not in the on-time share.
    _put(
        org_id,
        [m],
        frame="short",
        status="done",
        made=_noon(2026, 6, 2),
        changes=[(_noon(2026, 6, 3), "done")],
    )
    # I: done in March, reopened in April: open now, and not open at the end of March.
    _put(
        org_id,
        [m],
        frame="short",
        status="open",
        made=_noon(2026, 3, 3),
        due=date(2026, 7, 15),
        changes=[(_noon(2026, 3, 20), "done"), (_noon(2026, 4, 2), "open")],
    )


def _numbers(t: figures.Tally):
    return (t.open, t.overdue, t.done, t.done_dated, t.done_on_time, t.renegotiated)


def test_figures_of_a_hand_built_set(app, coop):
    org, people = coop
    m, a = people["member"].id, people["admin"].id
    with app.app_context():
        _hand_built_set(org.id, m, a)
        db.session.commit()
        found = figures.organisation_figures(db.session.get(Organisation, org.id), on=ON)

    assert _numbers(found.overall) == (4, 1, 4, 3, 2, 2)
    assert found.overall.on_time_rate == pytest.approx(2 / 3)
    assert (found.overall.done_late, found.overall.done_undated) == (1, 1)

    frames = {f: _numbers(t) for f, t in found.by_time_frame.items()}
    assert frames == {
        TimeFrame.SHORT: (3, 1, 1, 0, 0, 0),
        TimeFrame.MEDIUM: (0, 0, 2, 2, 1, 0),
        TimeFrame.LONG: (1, 0, 1, 1, 1, 2),
    }
    assert found.by_time_frame[TimeFrame.SHORT].on_time_rate is None  # nothing dated done

    months = {
        m.start: (m.made, m.done, m.done_on_time, m.done_late, m.done_undated, m.open_at_end)
        for m in found.months
    }
    assert [m.start for m in found.months][::11] == [date(2025, 7, 1), date(2026, 6, 1)]
    assert len(months) == 12
    assert months[date(2025, 11, 1)] == (0, 0, 0, 0, 0, 0)
    assert months[date(2025, 12, 1)] == (1, 0, 0, 0, 0, 1)
    assert months[date(2026, 1, 1)] == (1, 0, 0, 0, 0, 2)
    assert months[date(2026, 2, 1)] == (1, 0, 0, 0, 0, 3)
    assert months[date(2026, 3, 1)] == (1, 0, 0, 0, 0, 3)  # I was done then; E is left out
    assert months[date(2026, 4, 1)] == (1, 1, 0, 1, 0, 4)
    assert months[date(2026, 5, 1)] == (1, 2, 2, 0, 0, 3)
    assert months[date(2026, 6, 1)] == (2, 1, 0, 0, 1, 4)
    assert found.months[-1].open_at_end == found.overall.open

    people_figures = {p.user_id: _numbers(p.tally) for p in found.people}
    assert people_figures == {m: (3, 1, 3, 2, 1, 1), a: (2, 1, 1, 1, 1, 1)}
    assert found.person(m).tally.on_time_rate == 0.5
    assert all(p.current for p in found.people)


def test_the_same_figures_through_the_database_without_dates_in_sql(app, coop):
    """Overdue is counted against the day asked for; nothing else moves with it."""
    org, people = coop
    m = people["member"].id
    with app.app_context():
        _put(org.id, [m], frame="short", status="open", made=_noon(2026, 6, 1), due=ON)
        db.session.commit()
        organisation = db.session.get(Organisation, org.id)
        assert figures.organisation_figures(organisation, on=ON).overall.overdue == 0
        later = figures.organisation_figures(organisation, on=ON + timedelta(days=1))
        assert later.overall.overdue == 1


def test_month_chart_and_split_bar_geometry():
    months = [figures.Month(date(2026, i, 1)) for i in range(1, 13)]
    months[3].made, months[3].done, months[3].done_on_time, months[3].done_late = 7, 3, 2, 1
    months[3].open_at_end = 9
    chart = charts.month_chart(months)
    assert [t.value for t in chart.ticks] == [0, 2, 4, 6, 8, 10]
    april = chart.slots[3]
    made, on_time, late = april.bars
    assert (made.kind, on_time.kind, late.kind) == ("made", "on_time", "late")
    assert late.y + late.height == pytest.approx(on_time.y)  # stacked
    assert on_time.y + on_time.height == pytest.approx(chart.bottom)
    assert made.height == pytest.approx(7 / 3 * (on_time.height + late.height))
    assert all(chart.left <= s.x and s.x + 2 * charts.BAR < chart.right for s in chart.slots)
    assert charts.nice_step(1) == 1 and charts.nice_step(23) == 5 and charts.nice_step(240) == 50
    bar = charts.split_bar(figures.Tally(open=3, overdue=1, done=1, done_dated=1, done_on_time=1))
    assert [r.kind for r in bar] == ["on_time", "on_track", "overdue"]
    assert sum(r.width for r in bar) == pytest.approx(charts.SPLIT_WIDTH)
    assert charts.split_bar(figures.Tally()) == []


# --- the page ----------------------------------------------------------------------------------


def _make(app, org_id, owners, *, due_in=10, frame="short", status=None, through=None):
    with app.app_context():
        commitment = service.create_commitment(
            db.session.get(Organisation, org_id),
            what="Pedir 3 presupuestos",
            owners=[service.OwnerChoice(u, through) for u in owners],
            due_on=service.today() + timedelta(days=due_in),
            time_frame=TimeFrame(frame),
            made_by=None,
            confirm_past=True,
        )
        if status:
            service.update_commitment(commitment, actor=None, status=CommitmentStatus(status))
        db.session.commit()
        return commitment.id


def _svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg class=\"chart .*?</svg>", html, re.S)]


def test_page_draws_parseable_accessible_charts(app, client, coop):
    org, people = coop
    m = people["member"].id
    _make(app, org.id, [m], status="done")
    _make(app, org.id, [m], due_in=-3)
    _make(app, org.id, [m], frame="long")
    client.login(people["member"].email)
    plan = client.get(f"/o/{org.slug}/commitments").get_data(as_text=True)
    assert f'href="/o/{org.slug}/commitments/figures"' in plan
    response = client.get(f"/o/{org.slug}/commitments/figures")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html.split("<main", 1)[1].split("</main>")[0]
    svgs = _svgs(html)
    month_chart = next(s for s in svgs if "month-chart" in s.get("class"))
    assert month_chart.get("role") == "img"
    title, desc = month_chart.find(f"{SVG}title"), month_chart.find(f"{SVG}desc")
    assert title.text and desc.text and "3" in desc.text
    assert set(month_chart.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    kinds = [r.get("data-kind") for r in month_chart.iter(f"{SVG}rect")]
    assert kinds.count("made") == 1 and kinds.count("on_time") == 1
    points = [int(c.get("data-value")) for c in month_chart.iter(f"{SVG}circle")]
    assert len(points) == 12 and points[-1] == 2
    assert len(month_chart.findall(f".//{SVG}text")) >= 12  # months and ticks
    # One 100 % bar for all, and one per time frame that has commitments (short and long).
    bars = [s for s in svgs if "split-bar" in s.get("class")]
    assert len(bars) == 3 and all(s.get("aria-label") for s in bars)
    # The same figures as tables, and how they are counted.
    assert html.count("<table") >= 2 and '<dl class="definitions">' in html
    # Every pattern a chart refers to is defined once on the page.
    used = set(re.findall(r"url\(#([\w-]+)\)", html))
    assert used and all(html.count(f'id="{p}"') == 1 for p in used)


def test_only_admins_see_everyone_figures_members_see_their_own(
    app, client, coop, make_user, make_org
):
    org, people = coop
    leaver = make_user("Dejó Gómez")
    with app.app_context():
        add_member(
            db.session.get(Organisation, org.id),
            db.session.get(User, leaver.id),
            Role.MEMBER,
            actor=None,
        )
        db.session.commit()
    _make(app, org.id, [people["member"].id], status="done")
    _make(app, org.id, [people["member"].id], due_in=-2)
    _make(app, org.id, [people["facilitator"].id])
    _make(app, org.id, [leaver.id], status="done")
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == leaver.id))
        remove_member(membership, actor=None)
        db.session.commit()
    url = f"/o/{org.slug}/commitments/figures"

    # The admin: a row per person, the one who left marked so and still counted.
    client.login(people["admin"].email)
    html = client.get(url).get_data(as_text=True)
    assert 'id="by-person"' in html
    for name in ("Member Pérez", "Facilitator Pérez", "Dejó Gómez"):
        assert name in html
    row = re.search(r"<tr><th scope=\"row\">Dejó Gómez.*?</tr>", html, re.S).group(0)
    assert "no longer a member" in row or "ya no" in row
    row = re.search(r"<tr><th scope=\"row\">Member Pérez.*?</tr>", html, re.S).group(0)
    assert re.findall(r"<td>([^<]*)</td>", row) == ["1", "1", "1", "100%"]
    client.logout()

    # A member, a facilitator and a secretary: only their own figures, nobody else's name.
    for role, own in (("member", True), ("facilitator", True), ("secretary", False)):
        client.login(people[role].email)
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'id="by-person"' not in html
        others = {"Member Pérez", "Facilitator Pérez", "Dejó Gómez"} - {f"{role.title()} Pérez"}
        assert not [name for name in others if name in html], role
        assert ('id="my-figures"' in html) == own
        client.logout()

    # Mis compromisos: the member's own figures.
    client.login(people["member"].email)
    mine = client.get("/commitments/mine").get_data(as_text=True)
    block = mine.split('id="my-figures"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r"<dd>(\d+)</dd>", block) == ["1", "1", "1"]
    assert "100%" in block
    client.logout()

    # The person who left: no page, and no figures for an organisation they left.
    client.login(leaver.email)
    assert client.get(url).status_code == 404
    assert 'id="my-figures"' not in client.get("/commitments/mine").get_data(as_text=True)


def test_another_organisation_figures_are_not_found(app, client, coop, make_user, make_org):
    org, people = coop
    other_admin = make_user()
    other = make_org("Otra cooperativa", members={other_admin: "admin"})
    _make(app, other.id, [other_admin.id])
    for person in people.values():
        client.login(person.email)
        assert client.get(f"/o/{other.slug}/commitments/figures").status_code == 404
        client.logout()
    assert client.get(f"/o/{org.slug}/commitments/figures").status_code == 302  # to log in


def test_a_network_figures_by_member_organisation(app, client, make_user, make_org):
    worker, other_worker, admin, delegate_less = make_user(), make_user(), make_user(), make_user()
    metal = make_org("Cooperativa Metalúrgica", members={worker: "member"})
    glass = make_org("Cooperativa del Vidrio", members={other_worker: "member"})
    network = make_org(
        "Red metalúrgica", kind="network", members={admin: "admin", delegate_less: "member"}
    )
    with app.app_context():
        net = db.session.get(Organisation, network.id)
        add_to_network(net, db.session.get(Organisation, metal.id))
        add_to_network(net, db.session.get(Organisation, glass.id))
        db.session.commit()
    _make(app, network.id, [worker.id], through=metal.id, status="done")
    _make(app, network.id, [worker.id], through=metal.id, due_in=-1)
    _make(app, network.id, [other_worker.id], through=glass.id, frame="medium")
    _make(app, metal.id, [worker.id])  # the co-op's own: not the network's figure
    with app.app_context():
        found = figures.organisation_figures(db.session.get(Organisation, network.id))
        assert _numbers(found.overall) == (2, 1, 1, 1, 1, 0)
        through = {m.name: _numbers(m.tally) for m in found.member_organisations}
        assert through == {
            "Cooperativa Metalúrgica": (1, 1, 1, 1, 1, 0),
            "Cooperativa del Vidrio": (1, 0, 0, 0, 0, 0),
        }
        assert {p.user_id for p in found.people} == {worker.id, other_worker.id}
        assert all(p.current for p in found.people)
    client.login(delegate_less.email)
    html = client.get(f"/o/{network.slug}/commitments/figures").get_data(as_text=True)
    assert "Cooperativa del Vidrio" in html and 'id="by-person"' not in html
    client.logout()
    client.login(admin.email)
    html = client.get(f"/o/{network.slug}/commitments/figures").get_data(as_text=True)
    assert 'id="by-person"' in html
    client.logout()
    # The co-op's worker answers for the network's commitments but is not in the network.
    client.login(worker.email)
    assert client.get(f"/o/{network.slug}/commitments/figures").status_code == 404


# --- on a phone --------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.live
def test_the_figures_fit_a_phone_and_the_chart_is_drawn(app, coop, browser_page, live_server):
    """At 360 px: no sideways scroll, the month chart inside the screen with a bar per
    commitment made, its table one tap away; the same on a desktop, the chart not stretched
    past a readable size."""
    org, people = coop
    with app.app_context():
        _hand_built_set(org.id, people["member"].id, people["admin"].id)
        db.session.commit()
    for i in range(4):
        _make(app, org.id, [people["member"].id], due_in=-i - 1, frame="medium")
    for person, width, height in ((people["member"], 360, 740), (people["admin"], 1280, 900)):
        page = browser_page(person, width=width, height=height)
        page.goto(f"/o/{org.slug}/commitments/figures")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
        box = page.locator(".month-chart").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width
        assert 250 <= box["width"] <= 600 and box["height"] > 150
        assert page.locator(".month-chart rect[data-kind=made]").count() >= 6
        table = page.locator(".commitment-figures details").first
        assert not table.locator("table").is_visible()
        table.locator("summary").click()
        assert table.locator("tbody tr").count() == 12
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width
