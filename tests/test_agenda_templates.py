"""The built-in agenda templates fit the time they are written for, in any network."""

import pytest

from assembly.meetings import agenda_templates as templates

# Networks from none to one whose every member still gets a minute for its report.
NETWORK_SIZES = range(0, 41)


def planned(item: dict) -> int:
    """An item's time as the meeting page counts it: sub-items that need more make it longer."""
    return max(item["planned_minutes"], sum(c["planned_minutes"] for c in item["children"]))


def agendas(template):
    yield "a co-operative", templates.expand(template.items, None)
    for size in NETWORK_SIZES:
        names = [f"Cooperativa {n}" for n in range(1, size + 1)]
        yield f"a network of {size}", templates.expand(template.items, names)


@pytest.mark.parametrize("key", sorted(templates.BUILTIN_TEMPLATES))
def test_every_builtin_template_fits_its_meeting_and_every_item_its_sub_items(key):
    template = templates.BUILTIN_TEMPLATES[key]
    for where, items in agendas(template):
        total = sum(planned(item) for item in items)
        assert total <= template.minutes, f"{key} in {where}: {total} of {template.minutes} min"
        for item in items:
            children = sum(c["planned_minutes"] for c in item["children"])
            assert children <= item["planned_minutes"], (
                f"{key} in {where}: the sub-items of {item['title']!r} take {children} of "
                f"{item['planned_minutes']} min"
            )
            assert all(c["planned_minutes"] >= 1 for c in item["children"])


def test_each_member_organisation_gets_its_report_in_a_network_plenary():
    plenary = templates.BUILTIN_TEMPLATES["network_plenary"]
    names = [f"Cooperativa {n}" for n in range(1, 10)]  # the RCTPS has nine
    reports = next(i for i in templates.expand(plenary.items, names) if i.get("per_member"))
    assert [c["title"] for c in reports["children"]] == names
    assert {c["planned_minutes"] for c in reports["children"]} == {4}  # 36 of its 40 min
    small = next(i for i in templates.expand(plenary.items, names[:2]) if i.get("per_member"))
    assert {c["planned_minutes"] for c in small["children"]} == {5}


def test_a_plenary_from_the_template_fits_its_two_hours_in_a_network_of_nine(
    app, client, make_user, make_org
):
    from assembly.extensions import db
    from assembly.meetings.models import Meeting
    from assembly.meetings.service import agenda_plan
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network

    person = make_user()
    network = make_org("RCTPS", kind="network", members={person: "facilitator"})
    members = [make_org(f"Cooperativa {n}") for n in range(1, 10)]
    with app.app_context():
        net = db.session.get(Organisation, network.id)
        for member in members:
            add_to_network(net, db.session.get(Organisation, member.id))
        db.session.commit()
    client.login(person.email)
    response = client.post_form(
        f"/o/{network.slug}/meetings/new",
        {
            "title": "Plenario de noviembre",
            "kind": "network_plenary",
            "date": "2030-11-05",
            "starts": "18:00",
            "ends": "20:00",
            "place": "Sede de la red",
            "online_link": "",
            "facilitator": "",
            "secretary": "",
            "speaker_policy": "first_come",
            "speaking_limit_seconds": "180",
            "template": "builtin:network_plenary",
        },
    )
    assert response.status_code == 302
    meeting_id = int(response.location.rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        plan = agenda_plan(db.session.get(Meeting, meeting_id))
        assert (plan.total_minutes, plan.available_minutes, plan.fits) == (120, 120, True)
        reports = next(children for item, children in plan.tree if len(children) == 9)
        assert sum(c.planned_minutes for c in reports) == 36
    page = client.get(f"/o/{network.slug}/meetings/{meeting_id}/").get_data(as_text=True)
    assert "plan-over" not in page  # no "the agenda does not fit" warning
