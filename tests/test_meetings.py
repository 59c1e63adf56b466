"""Preparing meetings: creating them, their agenda, proposals, templates, convening."""

from datetime import datetime, timedelta
from email.header import decode_header, make_header

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from assembly.accounts.models import OutboxMessage, User
from assembly.extensions import db
from assembly.meetings.models import (
    AgendaItem,
    AgendaItemState,
    AgendaTemplate,
    Meeting,
    MeetingStatus,
    Notification,
)
from assembly.organisations.models import Organisation

EN = {"Accept-Language": "en"}


def meeting_form(**overrides) -> dict:
    data = {
        "title": "Asamblea ordinaria de marzo",
        "kind": "ordinary_assembly",
        "date": "2030-03-05",
        "starts": "18:00",
        "ends": "20:00",
        "place": "Galpón de Av. Patricios 1941",
        "online_link": "",
        "facilitator": "",
        "secretary": "",
        "speaker_policy": "first_come",
        "speaking_limit_seconds": "180",
        "template": "",
    }
    data.update(overrides)
    return data


def item_form(prefix="item", **overrides) -> dict:
    data = {
        "title": "Retiros 2030",
        "kind": "decision",
        "planned_minutes": "20",
        "presenter": "",
        "parent": "",
        "description": "",
    }
    data.update(overrides)
    return {f"{prefix}-{k}" if prefix else k: v for k, v in data.items()}


def agenda(app, meeting_id):
    """[(title, position, parent title or None)] of the accepted items, in order."""
    with app.app_context():
        items = db.session.scalars(
            select(AgendaItem)
            .where(
                AgendaItem.meeting_id == meeting_id,
                AgendaItem.state == AgendaItemState.ACCEPTED,
            )
            .order_by(AgendaItem.parent_id.is_not(None), AgendaItem.parent_id, AgendaItem.position)
        ).all()
        return [(i.title, i.position, i.parent.title if i.parent else None) for i in items]


def top_titles(app, meeting_id):
    return [title for title, _pos, parent in agenda(app, meeting_id) if parent is None]


def item_id(app, meeting_id, title):
    with app.app_context():
        return db.session.scalar(
            select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.title == title
            )
        )


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def follow(client, response):
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.location, headers=EN).get_data(as_text=True)


def submit(client, url, data=None):
    """Post a form as an English-speaking browser; follow the redirect; return the page."""
    return follow(client, client.post_form(url, data, headers=EN))


@pytest.fixture
def facilitator(client, coop):
    org, people = coop
    client.login(people["facilitator"].email)
    return org, people


def test_a_facilitator_creates_a_draft_in_local_time(app, client, facilitator):
    org, people = facilitator
    response = client.post_form(
        f"/o/{org.slug}/meetings/new",
        meeting_form(
            facilitator=str(people["facilitator"].id),
            secretary=str(people["secretary"].id),
            online_link="https://meet.example.org/asamblea",
            speaker_policy="progressive",
            speaking_limit_seconds="120",
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        # 18:00 in Buenos Aires (UTC-3) is 21:00 UTC, stored naive.
        assert meeting.starts_at == datetime(2030, 3, 5, 21, 0)
        assert meeting.planned_end_at == datetime(2030, 3, 5, 23, 0)
        assert meeting.status == MeetingStatus.DRAFT
        assert len(meeting.projector_token) >= 32
        assert meeting.facilitator_id == people["facilitator"].id
        assert meeting.secretary_id == people["secretary"].id
        assert meeting.speaker_policy == "progressive"
        assert meeting.speaking_limit_seconds == 120
        assert meeting.created_by_id == people["facilitator"].id
        token = meeting.projector_token
    assert response.location == f"/o/{org.slug}/meetings/{meeting.id}/"
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "6:00\u202fPM" in page or "6:00 PM" in page  # shown in local time again
    assert "Draft" in page
    assert f"/projector/{token}" in page  # preparers see the projector link
    assert f"/o/{org.slug}/meetings/{meeting.id}/live" in page


def test_the_spanish_form_is_the_default(client, facilitator):
    org, _people = facilitator
    page = client.get(f"/o/{org.slug}/meetings/new").get_data(as_text=True)
    assert "Nueva reunión" in page and "Asamblea ordinaria" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends": "17:00"}, "The planned end must be after the start."),
        ({"ends": "18:00"}, "The planned end must be after the start."),
        ({"online_link": "javascript:alert(1)"}, "http://"),
        ({"online_link": "ftp://files.example.org"}, "http://"),
        ({"online_link": "http://[::1"}, None),
        ({"online_link": "https://"}, None),
        ({"online_link": "https://" + "a" * 500 + ".org"}, None),
        ({"title": ""}, None),
        ({"title": "x" * 161}, None),
        ({"place": "x" * 201}, None),
        ({"date": "2030-02-30"}, None),
        ({"starts": "25:00"}, None),
        ({"kind": "network_plenary"}, None),  # not a network
        ({"kind": "coronation"}, None),
        ({"speaking_limit_seconds": "5"}, "between 10 and 3600"),
        ({"speaking_limit_seconds": "mucho"}, None),
        ({"facilitator": "999999"}, None),
        ({"template": "saved:999999"}, None),
        ({"speaker_policy": "loudest"}, None),
    ],
)
def test_bad_meeting_input_is_a_form_error(app, client, facilitator, overrides, message):
    org, _people = facilitator
    response = client.post_form(
        f"/o/{org.slug}/meetings/new", meeting_form(**overrides), headers=EN
    )
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert count(app, Meeting) == 0


def test_an_outsider_cannot_be_named_facilitator(app, client, facilitator, make_user):
    org, _people = facilitator
    outsider = make_user()
    response = client.post_form(
        f"/o/{org.slug}/meetings/new", meeting_form(secretary=str(outsider.id))
    )
    assert response.status_code == 400
    assert count(app, Meeting) == 0


def test_only_networks_hold_plenaries(app, client, make_user, make_org):
    person = make_user()
    network = make_org("Red de Cooperativas", kind="network", members={person: "facilitator"})
    client.login(person.email)
    page = client.get(f"/o/{network.slug}/meetings/new", headers=EN).get_data(as_text=True)
    assert "Network plenary" in page
    response = client.post_form(
        f"/o/{network.slug}/meetings/new", meeting_form(kind="network_plenary")
    )
    assert response.status_code == 302


def test_editing_a_meeting(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="convened")
    page = client.get(f"/o/{org.slug}/meetings/{meeting.id}/edit", headers=EN)
    assert page.status_code == 200
    response = client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/edit",
        meeting_form(title="Asamblea extraordinaria", kind="extraordinary_assembly", ends="21:30"),
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Meeting, meeting.id)
        assert stored.title == "Asamblea extraordinaria"
        assert stored.planned_minutes == 210
        assert stored.status == MeetingStatus.CONVENED  # editing does not un-convene
    bad = client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/edit", meeting_form(title="Otra", ends="10:00")
    )
    assert bad.status_code == 400
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).title == "Asamblea extraordinaria"


@pytest.mark.parametrize("status", ["live", "closed"])
def test_a_meeting_that_started_cannot_be_edited(app, client, facilitator, make_meeting, status):
    org, _people = facilitator
    meeting = make_meeting(org, status=status)
    page = submit(
        client, f"/o/{org.slug}/meetings/{meeting.id}/edit", meeting_form(title="Cambiado")
    )
    assert "already started" in page
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).title == "Asamblea ordinaria"


# --- who sees what ---------------------------------------------------------------------------


def test_drafts_are_only_for_those_who_prepare(app, client, coop, make_meeting):
    org, people = coop
    draft = make_meeting(org, status="draft", title="Borrador secreto")
    convened = make_meeting(org, status="convened", title="Asamblea convocada")
    client.login(people["member"].email)
    listing = client.get(f"/o/{org.slug}/meetings", headers=EN).get_data(as_text=True)
    assert "Asamblea convocada" in listing and "Borrador secreto" not in listing
    assert client.get(f"/o/{org.slug}/meetings/{draft.id}/").status_code == 404
    assert client.get(f"/o/{org.slug}/meetings/{draft.id}/meeting.ics").status_code == 404
    page = client.get(f"/o/{org.slug}/meetings/{convened.id}/", headers=EN).get_data(as_text=True)
    assert "Informe de la comisión" in page
    assert "/projector/" not in page  # the projector link is for those who prepare
    client.logout()
    client.login(people["secretary"].email)
    listing = client.get(f"/o/{org.slug}/meetings", headers=EN).get_data(as_text=True)
    assert "Borrador secreto" in listing


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/edit",
        "/print",
        "/meeting.ics",
    ],
)
def test_outsiders_get_404_for_every_meeting_page(client, coop, make_user, make_meeting, path):
    org, _people = coop
    meeting = make_meeting(org)
    client.login(make_user().email)
    assert client.get(f"/o/{org.slug}/meetings/{meeting.id}{path}").status_code == 404
    assert client.get(f"/o/{org.slug}/meetings").status_code == 404
    assert client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/convene").status_code == 404
    assert client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/proposals").status_code == 404


def test_a_meeting_of_another_organisation_is_404(client, coop, make_org, make_meeting):
    org, people = coop
    other = make_org("Otra cooperativa", members={people["facilitator"]: "facilitator"})
    foreign = make_meeting(other)
    client.login(people["facilitator"].email)
    assert client.get(f"/o/{other.slug}/meetings/{foreign.id}/").status_code == 200
    for path in ("/", "/edit", "/print", "/meeting.ics"):
        assert client.get(f"/o/{org.slug}/meetings/{foreign.id}{path}").status_code == 404
    assert client.post_form(f"/o/{org.slug}/meetings/{foreign.id}/convene").status_code == 404
    assert client.get("/o/no-such-organisation/meetings/1/").status_code == 404


def test_members_cannot_prepare(app, client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org, status="convened")
    first = item_id(app, meeting.id, "Informe de la comisión")
    client.login(people["member"].email)
    assert client.get(f"/o/{org.slug}/meetings/new").status_code == 403
    assert client.post_form(f"/o/{org.slug}/meetings/new", meeting_form()).status_code == 403
    assert client.get(f"/o/{org.slug}/meetings/{meeting.id}/edit").status_code == 403
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    for path in (
        "/convene",
        "/delete",
        "/items",
        f"/items/{first}/delete",
        f"/items/{first}/move/down",
        f"/items/{first}/accept",
        "/agenda/template",
        "/agenda/save-template",
    ):
        assert client.post_form(base + path, item_form()).status_code == 403, path
    response = client.post(
        base + "/agenda/order",
        json={"parent": None, "order": [first]},
        headers={"X-CSRFToken": client.csrf_token()},
    )
    assert response.status_code == 403 and response.is_json
    assert agenda(app, meeting.id) == [
        ("Informe de la comisión", 0, None),
        ("Retiros 2027", 1, None),
    ]
    assert count(app, Meeting) == 1


# --- the agenda ------------------------------------------------------------------------------


def test_items_sub_items_and_their_edits(app, client, facilitator, make_meeting):
    org, people = facilitator
    meeting = make_meeting(org, status="draft", items=())
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    client.post_form(
        f"{base}/items",
        item_form(
            title="Informe económico",
            kind="information",
            presenter=str(people["secretary"].id),
            description="Ver **balance** <script>alert(1)</script>",
        ),
    )
    parent = item_id(app, meeting.id, "Informe económico")
    for title in ("Ingresos", "Egresos"):
        response = client.post_form(
            f"{base}/items", item_form(title=title, planned_minutes="5", parent=str(parent))
        )
        assert response.status_code == 302
    client.post_form(f"{base}/items", item_form(title="Varios"))
    assert agenda(app, meeting.id) == [
        ("Informe económico", 0, None),
        ("Varios", 1, None),
        ("Ingresos", 0, "Informe económico"),
        ("Egresos", 1, "Informe económico"),
    ]
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "<strong>balance</strong>" in page and "<script>alert(1)" not in page
    assert "presents Secretary Pérez" in page
    # Editing moves an item under another parent; the old siblings close ranks.
    ingresos = item_id(app, meeting.id, "Ingresos")
    varios = item_id(app, meeting.id, "Varios")
    assert client.get(f"{base}/items/{ingresos}/edit").status_code == 200
    response = client.post_form(
        f"{base}/items/{ingresos}/edit",
        item_form(prefix="", title="Ingresos del año", planned_minutes="7", parent=str(varios)),
    )
    assert response.status_code == 302
    assert agenda(app, meeting.id) == [
        ("Informe económico", 0, None),
        ("Varios", 1, None),
        ("Egresos", 0, "Informe económico"),
        ("Ingresos del año", 0, "Varios"),
    ]


def test_bad_item_input(app, client, facilitator, make_meeting, make_user):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("Uno", "Dos"))
    other = make_meeting(org, status="draft", items=("Ajeno",))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    uno = item_id(app, meeting.id, "Uno")
    foreign = item_id(app, other.id, "Ajeno")
    client.post_form(f"{base}/items", item_form(title="Sub", parent=str(uno)))
    sub = item_id(app, meeting.id, "Sub")
    before = agenda(app, meeting.id)
    outsider = make_user()
    for data in (
        item_form(title=""),
        item_form(title="x" * 201),
        item_form(planned_minutes="0"),
        item_form(planned_minutes="601"),
        item_form(planned_minutes="diez"),
        item_form(kind="gossip"),
        item_form(description="x" * 5001),
        item_form(presenter=str(outsider.id)),
        item_form(parent=str(foreign)),  # an item of another meeting
        item_form(parent=str(sub)),  # only one level of sub-items
    ):
        response = client.post_form(f"{base}/items", data)
        assert response.status_code == 400, data
    assert agenda(app, meeting.id) == before
    # An item with sub-items cannot itself become a sub-item.
    response = client.post_form(
        f"{base}/items/{uno}/edit",
        item_form(prefix="", title="Uno", parent=str(item_id(app, meeting.id, "Dos"))),
        headers=EN,
    )
    assert response.status_code == 400
    assert "cannot become a sub-item" in response.get_data(as_text=True)
    assert agenda(app, meeting.id) == before


def test_items_of_another_meeting_are_404(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft")
    other = make_meeting(org, status="draft", items=("Ajeno",))
    foreign = item_id(app, other.id, "Ajeno")
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    assert client.get(f"{base}/items/{foreign}/edit").status_code == 404
    for action in ("delete", "move/up", "accept", "decline"):
        assert client.post_form(f"{base}/items/{foreign}/{action}").status_code == 404, action
    assert client.post_form(f"{base}/items/999999/delete").status_code == 404
    uno = item_id(app, meeting.id, "Retiros 2027")
    assert client.post_form(f"{base}/items/{uno}/move/sideways").status_code == 404
    assert agenda(app, other.id) == [("Ajeno", 0, None)]


def test_deleting_an_item_takes_its_sub_items_and_closes_ranks(
    app, client, facilitator, make_meeting
):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("A", "B", "C"))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    b = item_id(app, meeting.id, "B")
    client.post_form(f"{base}/items", item_form(title="B1", parent=str(b)))
    assert client.post_form(f"{base}/items/{b}/delete").status_code == 302
    assert agenda(app, meeting.id) == [("A", 0, None), ("C", 1, None)]
    assert count(app, AgendaItem, AgendaItem.meeting_id == meeting.id) == 2


def test_move_up_and_down_buttons(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("A", "B", "C"))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    c = item_id(app, meeting.id, "C")
    response = client.post_form(f"{base}/items/{c}/move/up")
    # Back to the page focused on the button pressed (an anchor would stop that: no anchor).
    assert response.status_code == 302 and response.location.endswith(f"?focus=move-up-{c}")
    assert top_titles(app, meeting.id) == ["A", "C", "B"]
    client.post_form(f"{base}/items/{c}/move/up")
    client.post_form(f"{base}/items/{c}/move/up")  # already first: nothing moves
    assert agenda(app, meeting.id) == [("C", 0, None), ("A", 1, None), ("B", 2, None)]
    a = item_id(app, meeting.id, "A")
    client.post_form(f"{base}/items/{a}/move/down")
    assert agenda(app, meeting.id) == [("C", 0, None), ("B", 1, None), ("A", 2, None)]
    # Without the CSRF token nothing moves.
    assert client.post(f"{base}/items/{a}/move/up").status_code == 400
    assert top_titles(app, meeting.id) == ["C", "B", "A"]


def test_reorder_by_json(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("A", "B", "C"))
    url = f"/o/{org.slug}/meetings/{meeting.id}/agenda/order"
    a, b, c = (item_id(app, meeting.id, t) for t in "ABC")
    headers = {"X-CSRFToken": client.csrf_token()}
    response = client.post(url, json={"parent": None, "order": [c, a, b]}, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"parent": None, "order": [c, a, b]}
    assert agenda(app, meeting.id) == [("C", 0, None), ("A", 1, None), ("B", 2, None)]
    # Sub-items are ordered within their parent.
    client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/items", item_form(title="A1", parent=str(a))
    )
    client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/items", item_form(title="A2", parent=str(a))
    )
    a1, a2 = item_id(app, meeting.id, "A1"), item_id(app, meeting.id, "A2")
    response = client.post(url, json={"parent": a, "order": [a2, a1]}, headers=headers)
    assert response.status_code == 200
    assert agenda(app, meeting.id)[3:] == [("A2", 0, "A"), ("A1", 1, "A")]


@pytest.mark.parametrize(
    "payload",
    [
        {"parent": None, "order": "ABC"},
        {"parent": None, "order": ["a", "b", "c"]},
        {"parent": None, "order": []},
        {"parent": None, "order": "missing"},
        {"parent": "top", "order": "all"},
        {"parent": None, "order": "first-two"},
        {"parent": None, "order": "duplicate"},
        {"parent": None, "order": "with-foreign"},
        {"parent": None, "order": "booleans"},
        {"parent": "foreign", "order": "all"},
        {"parent": "sub", "order": "all"},
        [1, 2, 3],
        "not json at all",
    ],
)
def test_reorder_payloads_that_are_not_a_permutation_are_refused(
    app, client, facilitator, make_meeting, payload
):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("A", "B", "C"))
    other = make_meeting(org, status="draft", items=("Ajeno",))
    a, b, c = (item_id(app, meeting.id, t) for t in "ABC")
    client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/items", item_form(title="A1", parent=str(a))
    )
    orders = {
        "all": [c, b, a],
        "missing": [a, b],
        "first-two": [b, a],
        "duplicate": [a, a, b, c],
        "with-foreign": [a, b, item_id(app, other.id, "Ajeno")],
        "booleans": [True, False, True],
    }
    parents = {
        "top": "top",
        "foreign": item_id(app, other.id, "Ajeno"),
        "sub": item_id(app, meeting.id, "A1"),
    }
    if isinstance(payload, dict):
        payload = {
            "parent": parents.get(payload["parent"], payload["parent"]),
            "order": orders.get(payload["order"], payload["order"])
            if isinstance(payload["order"], str)
            else payload["order"],
        }
    headers = {"X-CSRFToken": client.csrf_token()}
    if isinstance(payload, str):
        response = client.post(
            f"/o/{org.slug}/meetings/{meeting.id}/agenda/order",
            data=payload,
            headers={**headers, "Content-Type": "application/json", **EN},
        )
    else:
        response = client.post(
            f"/o/{org.slug}/meetings/{meeting.id}/agenda/order",
            json=payload,
            headers={**headers, **EN},
        )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] in {"invalid_order", "invalid_parent", "bad_request"}
    assert error["message"]
    assert top_titles(app, meeting.id) == ["A", "B", "C"]


def test_reorder_checks_csrf(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("A", "B"))
    a, b = item_id(app, meeting.id, "A"), item_id(app, meeting.id, "B")
    response = client.post(
        f"/o/{org.slug}/meetings/{meeting.id}/agenda/order", json={"parent": None, "order": [b, a]}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf"
    assert top_titles(app, meeting.id) == ["A", "B"]


def test_the_agenda_of_a_closed_meeting_cannot_change(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="closed", items=("A", "B"))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    a, b = item_id(app, meeting.id, "A"), item_id(app, meeting.id, "B")
    page = submit(client, f"{base}/items", item_form(title="Tarde"))
    assert "closed" in page
    submit(client, f"{base}/items/{a}/move/down")
    submit(client, f"{base}/items/{a}/delete")
    submit(client, f"{base}/agenda/template", {"tpl-template": "builtin:ordinary_assembly"})
    assert client.get(f"{base}/items/{a}/edit").status_code == 302
    response = client.post(
        f"{base}/agenda/order",
        json={"parent": None, "order": [b, a]},
        headers={"X-CSRFToken": client.csrf_token()},
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "meeting_closed"
    assert agenda(app, meeting.id) == [("A", 0, None), ("B", 1, None)]
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Add to the agenda" not in page and "closed" in page


def test_the_planned_time_warning(app, client, facilitator, make_meeting):
    org, _people = facilitator
    fits = make_meeting(
        org,
        minutes=60,
        items=({"title": "A", "planned_minutes": 30}, {"title": "B", "planned_minutes": 30}),
    )
    page = client.get(f"/o/{org.slug}/meetings/{fits.id}/", headers=EN).get_data(as_text=True)
    assert "Planned: 60 min of the 60 min the meeting lasts." in page
    assert "does not fit" not in page

    over = make_meeting(
        org,
        minutes=60,
        items=({"title": "A", "planned_minutes": 40}, {"title": "B", "planned_minutes": 30}),
    )
    page = client.get(f"/o/{org.slug}/meetings/{over.id}/", headers=EN).get_data(as_text=True)
    assert "The agenda does not fit:" in page
    assert "it needs 10 minutes more than the meeting has" in page
    assert "Planned: 70 min of the 60 min" in page

    # Sub-items share their item's time; when they need more, the item takes longer.
    base = f"/o/{org.slug}/meetings/{fits.id}"
    a = item_id(app, fits.id, "A")
    for title in ("A1", "A2"):
        client.post_form(
            f"{base}/items", item_form(title=title, planned_minutes="10", parent=str(a))
        )
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Planned: 60 min of the 60 min" in page
    client.post_form(f"{base}/items", item_form(title="A3", planned_minutes="15", parent=str(a)))
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Its sub-items need 35 min, more than the 30 min planned for it." in page
    assert "Planned: 65 min of the 60 min" in page and "does not fit" in page


# --- proposals -------------------------------------------------------------------------------


def test_members_propose_and_the_facilitator_accepts_or_declines(app, client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org, status="convened", items=("Informe", "Retiros"))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    client.login(people["member"].email)
    for title in ("Compra de la plegadora", "Cambiar el horario"):
        response = client.post_form(
            f"{base}/proposals",
            {
                "proposal-title": title,
                "proposal-planned_minutes": "15",
                "proposal-description": "Propuesta de la sección taller",
            },
        )
        assert response.status_code == 302
    assert top_titles(app, meeting.id) == ["Informe", "Retiros"]  # not on the agenda yet
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Compra de la plegadora" in page and "Waiting for the facilitator" in page
    assert "Accept" not in page
    plegadora = item_id(app, meeting.id, "Compra de la plegadora")
    assert client.post_form(f"{base}/items/{plegadora}/accept").status_code == 403

    client.logout()
    client.login(people["facilitator"].email)
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "proposed by Member Pérez" in page and "Accept" in page
    assert client.post_form(f"{base}/items/{plegadora}/accept").status_code == 302
    horario = item_id(app, meeting.id, "Cambiar el horario")
    assert client.post_form(f"{base}/items/{horario}/decline").status_code == 302
    assert agenda(app, meeting.id) == [
        ("Informe", 0, None),
        ("Retiros", 1, None),
        ("Compra de la plegadora", 2, None),
    ]
    # A proposal is dealt with once.
    page = submit(client, f"{base}/items/{horario}/accept")
    assert "already been dealt with" in page
    with app.app_context():
        item = db.session.get(AgendaItem, horario)
        assert item.state == AgendaItemState.DECLINED
        assert item.proposed_by_id == people["member"].id

    client.logout()
    client.login(people["member"].email)
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Accepted" in page and "Declined" in page


def test_bad_proposals(app, client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(org, status="convened")
    live = make_meeting(org, status="live")
    client.login(people["member"].email)
    for data in (
        {"proposal-title": "", "proposal-planned_minutes": "10"},
        {"proposal-title": "x" * 201, "proposal-planned_minutes": "10"},
        {"proposal-title": "Ok", "proposal-planned_minutes": "0"},
        {
            "proposal-title": "Ok",
            "proposal-planned_minutes": "10",
            "proposal-description": "x" * 5001,
        },
    ):
        response = client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/proposals", data)
        assert response.status_code == 400
    page = submit(
        client,
        f"/o/{org.slug}/meetings/{live.id}/proposals",
        {"proposal-title": "Tarde", "proposal-planned_minutes": "10"},
    )
    assert "before the meeting starts" in page
    assert count(app, AgendaItem, AgendaItem.state == AgendaItemState.PROPOSED) == 0


# --- templates and copies --------------------------------------------------------------------


def test_a_meeting_starts_from_a_built_in_template(app, client, facilitator):
    org, _people = facilitator
    response = client.post_form(
        f"/o/{org.slug}/meetings/new",
        meeting_form(kind="problematisation_workshop", template="builtin:problematisation_session"),
    )
    assert response.status_code == 302
    meeting_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    items = agenda(app, meeting_id)
    tops = [t for t, _p, parent in items if parent is None]
    assert tops[0] == "Apertura y ronda de expectativas"
    assert "Puntos principales por tema" in tops
    questions = [t for t, _p, parent in items if parent == "Preguntas de problematización"]
    assert "¿Por qué nos organizamos como cooperativa de trabajo?" in questions
    assert "¿Cómo se toman las decisiones?" in questions
    assert 2 <= len(questions) <= 4
    # Positions are dense in every part of the agenda.
    for parent in {p for _t, _pos, p in items}:
        assert sorted(pos for _t, pos, p in items if p == parent) == list(
            range(sum(1 for _t, _pos, p in items if p == parent))
        )


def test_the_plenary_template_gives_each_member_organisation_its_report(
    app, client, make_user, make_org
):
    from assembly.organisations.service import add_to_network

    person = make_user()
    network = make_org("Red Metalúrgica", kind="network", members={person: "facilitator"})
    galaxia, mecber = make_org("Galaxia"), make_org("Mecber")
    with app.app_context():
        for org in (galaxia, mecber):
            add_to_network(
                db.session.get(Organisation, network.id), db.session.get(Organisation, org.id)
            )
        db.session.commit()
    client.login(person.email)
    page = client.get(f"/o/{network.slug}/meetings/new").get_data(as_text=True)
    assert "Plenario de la red" in page
    response = client.post_form(
        f"/o/{network.slug}/meetings/new",
        meeting_form(kind="network_plenary", template="builtin:network_plenary"),
    )
    meeting_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    items = agenda(app, meeting_id)
    reports = [t for t, _p, parent in items if parent == "Informe de cada organización miembro"]
    assert reports == ["Galaxia", "Mecber"]
    assert [t for t, _p, parent in items if parent is None][-1] == "Próxima fecha y cierre"


def test_a_cooperative_is_not_offered_the_plenary_template(app, client, facilitator, make_meeting):
    org, _people = facilitator
    page = client.get(f"/o/{org.slug}/meetings/new").get_data(as_text=True)
    assert "builtin:network_plenary" not in page
    meeting = make_meeting(org, status="draft", items=())
    response = client.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/agenda/template",
        {"tpl-template": "builtin:network_plenary"},
    )
    assert response.status_code == 404
    assert agenda(app, meeting.id) == []


def test_saving_an_agenda_as_a_template_and_using_it(
    app, client, facilitator, make_meeting, make_org
):
    org, people = facilitator
    source = make_meeting(org, status="closed", items=("Informe", "Retiros"))
    base = f"/o/{org.slug}/meetings/{source.id}"
    informe = item_id(app, source.id, "Informe")
    with app.app_context():  # a sub-item, added behind the closed meeting's back
        db.session.add(
            AgendaItem(meeting_id=source.id, parent_id=informe, position=0, title="Balance")
        )
        db.session.commit()
    response = client.post_form(f"{base}/agenda/save-template", {"save-name": "Nuestra asamblea"})
    assert response.status_code == 302
    with app.app_context():
        template = db.session.scalar(select(AgendaTemplate))
        assert template.organisation_id == org.id and template.name == "Nuestra asamblea"
        template_id = template.id
    assert client.post_form(f"{base}/agenda/save-template", {"save-name": ""}).status_code == 400
    assert count(app, AgendaTemplate) == 1

    response = client.post_form(
        f"/o/{org.slug}/meetings/new", meeting_form(template=f"saved:{template_id}")
    )
    new_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    assert agenda(app, new_id) == [
        ("Informe", 0, None),
        ("Retiros", 1, None),
        ("Balance", 0, "Informe"),
    ]
    listing = client.get(f"/o/{org.slug}/meetings/templates", headers=EN).get_data(as_text=True)
    assert "Nuestra asamblea" in listing and "Taller de problematización" in listing

    # Another organisation's preparers neither see nor use it.
    other = make_org("Otra", members={people["facilitator"]: "facilitator"})
    response = client.post_form(
        f"/o/{other.slug}/meetings/new", meeting_form(template=f"saved:{template_id}")
    )
    assert response.status_code == 400
    foreign_meeting = make_meeting(other, status="draft", items=())
    response = client.post_form(
        f"/o/{other.slug}/meetings/{foreign_meeting.id}/agenda/template",
        {"tpl-template": f"saved:{template_id}"},
    )
    assert response.status_code == 404
    assert (
        client.post_form(f"/o/{other.slug}/meetings/templates/{template_id}/delete").status_code
        == 404
    )
    assert (
        client.post_form(f"/o/{org.slug}/meetings/templates/{template_id}/delete").status_code
        == 302
    )
    assert count(app, AgendaTemplate) == 0


def test_an_empty_agenda_is_not_saved_as_a_template(app, client, facilitator, make_meeting):
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=())
    page = submit(
        client, f"/o/{org.slug}/meetings/{meeting.id}/agenda/save-template", {"save-name": "Vacía"}
    )
    assert "The agenda is empty" in page
    assert count(app, AgendaTemplate) == 0


def test_copying_a_past_meetings_agenda(app, client, facilitator, make_meeting, make_org):
    org, people = facilitator
    past = make_meeting(
        org,
        status="closed",
        items=(
            {"title": "Informe", "planned_minutes": 25, "presenter_id": people["secretary"].id},
            "Retiros",
        ),
    )
    with app.app_context():
        db.session.add(
            AgendaItem(
                meeting_id=past.id,
                parent_id=item_id(app, past.id, "Informe"),
                position=0,
                title="Balance",
            )
        )
        db.session.add(
            AgendaItem(
                meeting_id=past.id,
                position=0,
                title="Propuesta rechazada",
                state=AgendaItemState.DECLINED,
            )
        )
        db.session.commit()
    meeting = make_meeting(org, status="draft", items=("Apertura",))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    page = client.get(f"{base}/", headers=EN).get_data(as_text=True)
    assert "Copy its agenda" in page
    assert client.post_form(f"{base}/agenda/copy", {"copy-source": str(past.id)}).status_code == 302
    assert agenda(app, meeting.id) == [
        ("Apertura", 0, None),
        ("Informe", 1, None),
        ("Retiros", 2, None),
        ("Balance", 0, "Informe"),
    ]
    with app.app_context():
        copied = db.session.get(AgendaItem, item_id(app, meeting.id, "Informe"))
        assert copied.planned_minutes == 25 and copied.presenter_id == people["secretary"].id

    other = make_org("Otra", members={people["facilitator"]: "facilitator"})
    foreign = make_meeting(other, status="closed", items=("Secreto",))
    assert (
        client.post_form(f"{base}/agenda/copy", {"copy-source": str(foreign.id)}).status_code == 404
    )
    assert client.post_form(f"{base}/agenda/copy", {"copy-source": "abc"}).status_code == 302
    assert "Secreto" not in top_titles(app, meeting.id)


# --- convening -------------------------------------------------------------------------------


def test_convening_notifies_every_member_without_filling_the_outbox(
    app, client, coop, make_meeting
):
    org, people = coop
    meeting = make_meeting(org, status="draft", place="Galpón")
    client.login(people["facilitator"].email)
    response = client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/convene", headers=EN)
    assert "4 people were notified" in follow(client, response)
    with app.app_context():
        stored = db.session.get(Meeting, meeting.id)
        assert stored.status == MeetingStatus.CONVENED and stored.convened_at is not None
        notified = set(
            db.session.scalars(
                select(Notification.user_id).where(
                    Notification.meeting_id == meeting.id,
                    Notification.kind == "meeting_convened",
                )
            )
        )
        assert notified == {p.id for p in people.values()}
    assert count(app, OutboxMessage) == 0  # no mail server: nothing queued

    # The member now sees it, with an unread count in the top bar.
    client.logout()
    client.login(people["member"].email)
    home = client.get("/", headers=EN).get_data(as_text=True)
    assert 'class="count-badge">1<' in home
    page = client.get("/notifications", headers=EN).get_data(as_text=True)
    assert "Cooperativa 7 de Septiembre has convened Asamblea ordinaria." in page
    with app.app_context():
        notification_id = db.session.scalar(
            select(Notification.id).where(Notification.user_id == people["member"].id)
        )
    response = client.post_form(f"/notifications/{notification_id}/open")
    assert response.location == f"/o/{org.slug}/meetings/{meeting.id}/"
    assert 'class="count-badge"' not in client.get("/", headers=EN).get_data(as_text=True)

    # Someone else's notification is not theirs to open.
    with app.app_context():
        foreign = db.session.scalar(
            select(Notification.id).where(Notification.user_id == people["admin"].id)
        )
    assert client.post_form(f"/notifications/{foreign}/open").status_code == 404


def test_mark_all_notifications_read(app, client, coop, make_meeting):
    org, people = coop
    client.login(people["facilitator"].email)
    for _ in range(2):
        meeting = make_meeting(org, status="draft", place="Galpón")
        client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/convene")
    client.logout()
    client.login(people["member"].email)
    assert 'class="count-badge">2<' in client.get("/", headers=EN).get_data(as_text=True)
    assert client.post_form("/notifications/read").status_code == 302
    assert (
        count(
            app,
            Notification,
            Notification.read_at.is_(None),
            Notification.user_id == people["member"].id,
        )
        == 0
    )
    # Seeing a meeting also reads its notices.
    client.logout()
    client.login(people["admin"].email)
    client.get(f"/o/{org.slug}/meetings/{meeting.id}/")
    assert 'class="count-badge">1<' in client.get("/", headers=EN).get_data(as_text=True)


def test_a_network_convenes_its_members_and_the_delegates(app, client, make_user, make_org):
    from assembly.organisations.service import add_to_network, end_delegate, name_delegate

    coordinator, network_member = make_user(), make_user()
    diego, carla, retired = make_user(), make_user(), make_user()
    network = make_org(
        "RCTPS", kind="network", members={coordinator: "facilitator", network_member: "member"}
    )
    camba = make_org("Camba", members={diego: "member", retired: "member"})
    gestionar = make_org("Gestionar", members={carla: "admin"})
    with app.app_context():
        net = db.session.get(Organisation, network.id)
        for org, people in ((camba, (diego, retired)), (gestionar, (carla,))):
            link = add_to_network(net, db.session.get(Organisation, org.id))
            for person in people:
                name_delegate(link, db.session.get(User, person.id))
        end_delegate(_delegate_of(retired.id))  # named once, no longer a delegate
        db.session.commit()
    client.login(coordinator.email)
    response = client.post_form(
        f"/o/{network.slug}/meetings/new",
        meeting_form(kind="network_plenary", template="builtin:network_plenary"),
    )
    meeting_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    assert client.post_form(f"/o/{network.slug}/meetings/{meeting_id}/convene").status_code == 302
    with app.app_context():
        notified = set(
            db.session.scalars(
                select(Notification.user_id).where(Notification.meeting_id == meeting_id)
            )
        )
    assert notified == {coordinator.id, network_member.id, diego.id, carla.id}
    client.logout()
    client.login(diego.email)
    assert client.get(f"/o/{network.slug}/meetings/{meeting_id}/").status_code == 200
    assert "RCTPS has convened" in client.get("/notifications", headers=EN).get_data(as_text=True)


def _delegate_of(user_id):
    from assembly.organisations.models import Delegate

    return db.session.scalar(select(Delegate).where(Delegate.user_id == user_id))


def test_convening_needs_a_draft_and_a_place(app, client, facilitator, make_meeting):
    org, _people = facilitator
    nowhere = make_meeting(org, status="draft", place="", online_link="")
    page = submit(client, f"/o/{org.slug}/meetings/{nowhere.id}/convene")
    assert "a place or an online link" in page
    online = make_meeting(org, status="draft", online_link="https://meet.example.org/x")
    client.post_form(f"/o/{org.slug}/meetings/{online.id}/convene")
    page = submit(client, f"/o/{org.slug}/meetings/{online.id}/convene")
    assert "already been convened" in page
    with app.app_context():
        assert db.session.get(Meeting, nowhere.id).status == MeetingStatus.DRAFT
        assert (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.meeting_id == online.id)
            )
            == 4
        )  # once, not twice
    assert count(app, Notification, Notification.meeting_id == nowhere.id) == 0


def test_the_calendar_file(app, client, facilitator):
    org, _people = facilitator
    response = client.post_form(
        f"/o/{org.slug}/meetings/new",
        meeting_form(
            template="builtin:ordinary_assembly", online_link="https://meet.example.org/a"
        ),
    )
    meeting_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    response = client.get(f"/o/{org.slug}/meetings/{meeting_id}/meeting.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = Calendar.from_ical(response.data)
    [event] = calendar.walk("VEVENT")
    start = event.decoded("dtstart")
    assert start.utcoffset() == timedelta(0)
    assert start.replace(tzinfo=None) == datetime(2030, 3, 5, 21, 0)
    assert event.decoded("dtend").replace(tzinfo=None) == datetime(2030, 3, 5, 23, 0)
    assert "Asamblea ordinaria de marzo" in str(event["summary"])
    assert str(event["location"]) == "Galpón de Av. Patricios 1941"
    assert "Apertura y verificación del quórum" in str(event["description"])
    assert str(event["url"]).endswith(f"/o/{org.slug}/meetings/{meeting_id}/")
    assert str(event["uid"]).startswith(f"meeting-{meeting_id}@")


def test_deleting_a_draft(app, client, facilitator, make_meeting):
    org, _people = facilitator
    draft = make_meeting(org, status="draft")
    convened = make_meeting(org, status="convened")
    assert client.post_form(f"/o/{org.slug}/meetings/{draft.id}/delete").status_code == 302
    page = submit(client, f"/o/{org.slug}/meetings/{convened.id}/delete")
    assert "has not been convened" in page
    with app.app_context():
        assert db.session.get(Meeting, draft.id) is None
        assert db.session.get(Meeting, convened.id) is not None
    assert count(app, AgendaItem, AgendaItem.meeting_id == draft.id) == 0


# --- pages -----------------------------------------------------------------------------------


def test_the_meeting_list_separates_upcoming_and_past(app, client, coop, make_meeting):
    org, people = coop
    make_meeting(org, title="La próxima", starts_in_minutes=60 * 24)
    make_meeting(org, title="La de hoy en curso", status="live", starts_in_minutes=-600)
    make_meeting(org, title="La del mes pasado", status="closed", starts_in_minutes=-60 * 24 * 30)
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/meetings", headers=EN).get_data(as_text=True)
    upcoming, past = page.split("Past meetings")
    assert "La próxima" in upcoming and "La de hoy en curso" in upcoming
    assert "La del mes pasado" in past
    assert "New meeting" not in page
    overview = client.get(f"/o/{org.slug}/", headers=EN).get_data(as_text=True)
    assert f'href="/o/{org.slug}/meetings"' in overview  # the organisation's tab


def test_the_printable_agenda(app, client, coop, make_meeting):
    org, people = coop
    meeting = make_meeting(
        org,
        minutes=30,
        items=(
            {"title": "Informe", "planned_minutes": 20, "description": "Con **balance**"},
            {"title": "Retiros", "planned_minutes": 20},
        ),
    )
    with app.app_context():
        db.session.add(
            AgendaItem(
                meeting_id=meeting.id,
                parent_id=item_id(app, meeting.id, "Informe"),
                position=0,
                title="Balance anual",
                planned_minutes=5,
            )
        )
        db.session.commit()
    client.login(people["member"].email)
    response = client.get(f"/o/{org.slug}/meetings/{meeting.id}/print", headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="printable"' in page and "data-print" in page
    assert "<strong>balance</strong>" in page
    assert "1.1" in page and "Balance anual" in page
    assert "of 30 min" in page and "The agenda does not fit:" in page
    assert "js/agenda.js" in page  # the print button; no inline script
    assert "<script>" not in page


# --- the organisation's meeting rules --------------------------------------------------------


def test_the_admin_sets_quorum_and_proxies(app, client, coop):
    org, people = coop
    client.login(people["admin"].email)
    page = client.get(f"/o/{org.slug}/edit", headers=EN).get_data(as_text=True)
    assert 'name="quorum_percent"' in page and 'value="50"' in page
    response = client.post_form(
        f"/o/{org.slug}/edit",
        {"name": org.name, "description": "", "quorum_percent": "60", "max_proxies": "3"},
    )
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get(Organisation, org.id)
        assert (stored.quorum_percent, stored.max_proxies) == (60, 3)


@pytest.mark.parametrize(
    ("quorum", "proxies"),
    [("0", "1"), ("101", "1"), ("-5", "1"), ("50", "11"), ("50", "-1"), ("", "1"), ("abc", "1")],
)
def test_meeting_rules_out_of_range_are_form_errors(app, client, coop, quorum, proxies):
    org, people = coop
    client.login(people["admin"].email)
    response = client.post_form(
        f"/o/{org.slug}/edit",
        {"name": "Cambiado", "description": "", "quorum_percent": quorum, "max_proxies": proxies},
        headers=EN,
    )
    assert response.status_code == 400
    with app.app_context():
        stored = db.session.get(Organisation, org.id)
        assert (stored.name, stored.quorum_percent, stored.max_proxies) == (org.name, 50, 1)


def test_the_organisation_service_checks_the_meeting_rules(app, coop):
    from assembly.core.errors import DomainError
    from assembly.organisations.service import update_organisation

    org, _people = coop
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        with pytest.raises(DomainError):
            update_organisation(organisation, name="X", description="", quorum_percent=0)
        with pytest.raises(DomainError):
            update_organisation(organisation, name="X", description="", max_proxies=11)
        db.session.rollback()


# --- mail, when there is a mail server -------------------------------------------------------


def test_with_a_mail_server_convening_also_mails_each_person_in_their_language(
    make_app, make_user, make_org, make_meeting, smtp_server
):
    port, inbox = smtp_server
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    facilitator = make_user(name="Lucía", email="lucia@coop.example")
    english = make_user(name="Ann", email="ann@coop.example", locale="en")
    org = make_org("Cooperativa Gráfica", members={facilitator: "facilitator", english: "member"})
    meeting = make_meeting(org, status="draft", place="Av. Patricios 1941", title="Asamblea anual")
    client = app.test_client()
    client.login(facilitator.email)
    assert client.post_form(f"/o/{org.slug}/meetings/{meeting.id}/convene").status_code == 302
    by_recipient = {m["To"]: m for m in inbox.messages}
    assert set(by_recipient) == {"lucia@coop.example", "ann@coop.example"}
    spanish = by_recipient["lucia@coop.example"]
    subject = str(make_header(decode_header(spanish["Subject"])))
    assert subject == "Cooperativa Gráfica convoca: Asamblea anual"
    body = spanish.get_payload(decode=True).decode()
    assert "Av. Patricios 1941" in body and "Informe de la comisión" in body
    assert f"/o/{org.slug}/meetings/{meeting.id}/" in body
    english_body = by_recipient["ann@coop.example"].get_payload(decode=True).decode()
    assert "has convened Asamblea anual" in english_body and "Agenda:" in english_body
    with app.app_context():
        sent = db.session.scalars(select(OutboxMessage)).all()
        assert len(sent) == 2 and all(m.sent_at is not None for m in sent)


def test_a_move_comes_back_focused_on_the_button_pressed(app, client, facilitator, make_meeting):
    """Without the script: the ↑/↓ button pressed is focused again (the other one at the edge)."""
    org, _people = facilitator
    meeting = make_meeting(org, status="draft", items=("Apertura", "Informe", "Retiros"))
    base = f"/o/{org.slug}/meetings/{meeting.id}"
    retiros = item_id(app, meeting.id, "Retiros")
    response = client.post_form(f"{base}/items/{retiros}/move/up")
    assert response.location == f"{base}/?focus=move-up-{retiros}"
    page = client.get(response.location).get_data(as_text=True)
    assert page.count("autofocus") == 1
    assert 'aria-label="Subir: Retiros" autofocus' in page
    response = client.post_form(f"{base}/items/{retiros}/move/up")  # now first: ↑ is hidden
    page = client.get(response.location).get_data(as_text=True)
    assert page.count("autofocus") == 1 and 'aria-label="Bajar: Retiros" autofocus' in page
    for junk in ("move-up-x", "<script>", f"move-sideways-{retiros}"):
        page = client.get(f"{base}/", query_string={"focus": junk}).get_data(as_text=True)
        assert "autofocus" not in page
