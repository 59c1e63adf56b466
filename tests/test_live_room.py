"""The live room's rules, through real Socket.IO events on the in-process test client.

(The same protocol against a real server and real network clients: test_live_server.py.)
"""

import pytest

from assembly.extensions import db
from assembly.meetings.models import Attendance, FloorRequest, Meeting, MeetingKind, Proxy
from tests.acks import ok, refused


def last(sock, name):
    """The latest `name` event this client has received so far."""
    latest = sock.__dict__.setdefault("_latest", {})
    for event in sock.get_received():
        latest[event["name"]] = event["args"][0]
    assert name in latest, f"no {name} event received"
    return latest[name]


@pytest.fixture
def room(coop, make_meeting, socket_for):
    """A convened meeting, its facilitator (who starts it) and a member, both joined."""
    org, people = coop
    meeting = make_meeting(org, items=("Apertura", "Retiros 2027", "Cierre"))
    facilitator = socket_for(people["facilitator"])
    member = socket_for(people["member"])
    ok(facilitator.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(member.emit("join", {"meeting_id": meeting.id}, callback=True))
    return meeting, people, facilitator, member


def start(room):
    meeting, _people, facilitator, _member = room
    ok(facilitator.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))


def test_joining_returns_the_whole_state_in_one_message(room):
    meeting, people, facilitator, member = room
    ack = member.emit("join", {"meeting_id": meeting.id}, callback=True)
    state = ack["state"]
    assert state["meeting"]["status"] == "convened"
    assert [i["title"] for i in state["agenda"]] == ["Apertura", "Retiros 2027", "Cierre"]
    assert state["attendance"]["eligible"] == 4
    assert ack["you"]["present"] is False
    assert "roster" not in ack  # members do not get the attendance list
    staff = facilitator.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert {p["name"] for p in staff["roster"]} == {p.name for p in people.values()}


def test_starting_and_moving_through_the_agenda_reaches_everyone(room):
    meeting, _people, facilitator, member = room
    start(room)
    state = last(member, "state")
    assert state["meeting"]["status"] == "live"
    first, second, third = state["agenda"]
    assert state["current_item_id"] == first["id"] and first["running_since"]
    ok(facilitator.emit("item_next", {"meeting_id": meeting.id}, callback=True))
    state = last(member, "state")
    assert state["current_item_id"] == second["id"]
    assert state["agenda"][0]["running_since"] is None  # the previous item's timer paused
    ok(
        facilitator.emit(
            "item_go", {"meeting_id": meeting.id, "item_id": third["id"]}, callback=True
        )
    )
    assert last(member, "state")["current_item_id"] == third["id"]
    refused(
        facilitator.emit("item_next", {"meeting_id": meeting.id}, callback=True), "no_next_item"
    )
    ok(facilitator.emit("meeting_end", {"meeting_id": meeting.id}, callback=True))
    assert last(member, "state")["meeting"]["status"] == "closed"


def test_every_change_bumps_the_state_version(room):
    meeting, _people, facilitator, member = room
    start(room)
    versions = [last(member, "state")["version"]]
    for action in ("pause", "reset", "start"):
        ack = ok(
            facilitator.emit("timer", {"meeting_id": meeting.id, "action": action}, callback=True)
        )
        assert last(member, "state")["version"] == ack["version"]
        versions.append(ack["version"])
    assert versions == sorted(set(versions))


def test_timer_start_pause_reset_and_out_of_order(room, app):
    meeting, _people, facilitator, member = room
    start(room)
    timer = lambda action: facilitator.emit(  # noqa: E731
        "timer", {"meeting_id": meeting.id, "action": action}, callback=True
    )
    refused(timer("start"), "timer_running")
    ok(timer("pause"))
    item = last(member, "state")["agenda"][0]
    assert item["running_since"] is None and item["elapsed_seconds"] >= 0
    refused(timer("pause"), "timer_not_running")
    ok(timer("start"))
    assert last(member, "state")["agenda"][0]["running_since"] is not None
    ok(timer("reset"))
    item = last(member, "state")["agenda"][0]
    assert item["elapsed_seconds"] == 0 and item["running_since"] is not None
    refused(timer("explode"), "bad_payload")


def test_members_cannot_run_the_meeting(room, app):
    meeting, _people, _facilitator, member = room
    for event, payload in [
        ("meeting_start", {}),
        ("item_next", {}),
        ("timer", {"action": "pause"}),
        ("floor_next", {}),
        ("meeting_end", {}),
    ]:
        ack = member.emit(event, {"meeting_id": meeting.id, **payload}, callback=True)
        refused(ack, "forbidden")
        assert last(member, "error")["event"] == event
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "convened"


def test_check_in_records_punctuality(coop, make_meeting, socket_for, app):
    org, people = coop
    meeting = make_meeting(org, starts_in_minutes=-12)
    facilitator, member = socket_for(people["facilitator"]), socket_for(people["member"])
    member.emit("join", {"meeting_id": meeting.id}, callback=True)
    refused(member.emit("check_in", {"meeting_id": meeting.id}, callback=True), "meeting_not_live")
    ok(facilitator.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ack = ok(member.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    assert ack["you"]["present"] is True
    assert ack["you"]["minutes_late"] == 12
    assert last(member, "state")["attendance"]["present"] == 1
    ok(member.emit("check_out", {"meeting_id": meeting.id}, callback=True))
    ok(member.emit("check_in", {"meeting_id": meeting.id, "method": "qr"}, callback=True))
    with app.app_context():
        record = db.session.scalar(
            db.select(Attendance).where(Attendance.user_id == people["member"].id)
        )
        assert record.left_at is None
        assert (
            record.arrived_at - db.session.get(Meeting, meeting.id).starts_at
        ).total_seconds() >= 12 * 60


def test_facilitator_checks_someone_in_a_member_cannot(room, app):
    meeting, people, facilitator, member = room
    start(room)
    refused(
        member.emit(
            "check_in", {"meeting_id": meeting.id, "user_id": people["secretary"].id}, callback=True
        ),
        "forbidden",
    )
    ok(
        facilitator.emit(
            "check_in", {"meeting_id": meeting.id, "user_id": people["secretary"].id}, callback=True
        )
    )
    roster = last(facilitator, "roster")["people"]
    assert next(p for p in roster if p["user_id"] == people["secretary"].id)["present"] is True
    with app.app_context():
        record = db.session.scalar(db.select(Attendance))
        assert (
            record.method == "facilitator" and record.checked_in_by_id == people["facilitator"].id
        )


def test_outsiders_cannot_check_in_or_join(room, make_user, socket_for, app):
    meeting, _people, facilitator, _member = room
    start(room)
    outsider = make_user()
    intruder = socket_for(outsider)
    refused(intruder.emit("join", {"meeting_id": meeting.id}, callback=True), "not_found")
    refused(intruder.emit("check_in", {"meeting_id": meeting.id}, callback=True), "not_found")
    # Nor can a facilitator check in someone who is not a member.
    refused(
        facilitator.emit(
            "check_in", {"meeting_id": meeting.id, "user_id": outsider.id}, callback=True
        ),
        "not_a_participant",
    )
    anonymous = socket_for(None)
    refused(anonymous.emit("join", {"meeting_id": meeting.id}, callback=True), "not_found")
    with app.app_context():
        assert db.session.scalar(db.select(Attendance)) is None


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "hola",
        [1, 2],
        {"meeting_id": "uno"},
        {"meeting_id": -3},
        {"meeting_id": True},
        {"meeting_id": 99999},
        {},
    ],
)
def test_malformed_payloads_get_an_error_and_change_nothing(room, payload, app):
    meeting, _people, facilitator, _member = room
    ack = facilitator.emit("meeting_start", payload, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] in {"bad_payload", "not_found"}
    assert last(facilitator, "error")["code"] == ack["error"]["code"]
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "convened"


def test_proxies_count_towards_quorum_within_the_limit(
    coop, make_user, make_org, make_meeting, socket_for, app
):
    org, people = coop
    # Quorum 50 % of 4 members = 2.
    meeting = make_meeting(org)
    fac, member = socket_for(people["facilitator"]), socket_for(people["member"])
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(member.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    quorum = last(fac, "state")["attendance"]
    assert (quorum["represented"], quorum["required"], quorum["met"]) == (1, 2, False)

    # The absent secretary gives her proxy to the present member, from her own phone.
    secretary = socket_for(people["secretary"])
    ok(
        secretary.emit(
            "proxy_grant",
            {"meeting_id": meeting.id, "holder_id": people["member"].id},
            callback=True,
        )
    )
    quorum = last(fac, "state")["attendance"]
    assert (quorum["present"], quorum["proxies"], quorum["represented"], quorum["met"]) == (
        1,
        1,
        2,
        True,
    )
    assert last(member, "you")["proxies_held"] == [
        {"user_id": people["secretary"].id, "name": people["secretary"].name}
    ]
    # Limit of one proxy per member (the default): the admin cannot give hers to the same person.
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["admin"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        ),
        "proxy_limit",
    )
    # A present member needs no proxy; the holder must be present; nobody holds their own.
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["member"].id,
                "holder_id": people["facilitator"].id,
            },
            callback=True,
        ),
        "grantor_present",
    )
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["admin"].id,
                "holder_id": people["facilitator"].id,
            },
            callback=True,
        ),
        "holder_absent",
    )
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["secretary"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        ),
        "already_represented",
    )
    # Members cannot record proxies for others.
    refused(
        member.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["admin"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        ),
        "forbidden",
    )
    # When the secretary arrives, her proxy lapses.
    ok(secretary.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    quorum = last(fac, "state")["attendance"]
    assert (quorum["present"], quorum["proxies"], quorum["represented"]) == (2, 0, 2)
    with app.app_context():
        assert db.session.scalar(db.select(Proxy)).revoked_at is not None


def test_the_organisation_sets_the_quorum_and_proxy_limit(coop, make_meeting, socket_for, app):
    from assembly.organisations.models import Organisation

    org, people = coop
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        organisation.quorum_percent, organisation.max_proxies = 75, 2
        db.session.commit()
    meeting = make_meeting(org)
    fac = socket_for(people["facilitator"])
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    for grantor in ("admin", "secretary"):
        ok(
            fac.emit(
                "proxy_grant",
                {
                    "meeting_id": meeting.id,
                    "grantor_id": people[grantor].id,
                    "holder_id": people["facilitator"].id,
                },
                callback=True,
            )
        )
    quorum = last(fac, "state")["attendance"]
    assert (quorum["percent"], quorum["required"], quorum["represented"], quorum["met"]) == (
        75,
        3,
        3,
        True,
    )


def test_network_plenary_quorum_counts_represented_organisations(
    app, make_user, make_org, make_meeting, socket_for
):
    from assembly.accounts.models import User
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network, name_delegate

    coordinator = make_user(name="Rosa")
    network = make_org("RCC", "network", members={coordinator: "facilitator"})
    delegates, co_ops = {}, {}
    for name in ("Surco", "Tiluchis", "Servicoop"):
        delegates[name] = make_user(name=f"Delegada de {name}")
        co_ops[name] = make_org(name, members={delegates[name]: "admin"})
    with app.app_context():
        net = db.session.get(Organisation, network.id)
        for name, co_op in co_ops.items():
            link = add_to_network(net, db.session.get(Organisation, co_op.id))
            name_delegate(link, db.session.get(User, delegates[name].id))
        db.session.commit()
    meeting = make_meeting(network, kind="network_plenary")
    fac = socket_for(coordinator)
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("check_in", {"meeting_id": meeting.id}, callback=True))  # staff, not an org
    for name in ("Surco", "Tiluchis"):
        sock = socket_for(delegates[name])
        ok(sock.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    quorum = last(fac, "state")["attendance"]
    assert quorum["basis"] == "organisations"
    assert (quorum["eligible"], quorum["represented"], quorum["required"], quorum["met"]) == (
        3,
        2,
        2,
        True,
    )
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": delegates["Servicoop"].id,
                "holder_id": coordinator.id,
            },
            callback=True,
        ),
        "no_proxies_in_network",
    )


@pytest.fixture
def network(app, make_user, make_org):
    """A network (its coordinator a facilitator of it) of three co-ops, one delegate each."""
    from assembly.accounts.models import User
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network, name_delegate

    coordinator = make_user(name="Rosa")
    staff = make_user(name="Técnica de la red")
    network = make_org("RCC", "network", members={coordinator: "facilitator", staff: "member"})
    delegates = {}
    for name in ("Surco", "Tiluchis", "Servicoop"):
        delegates[name] = make_user(name=f"Delegada de {name}")
        co_op = make_org(name, members={delegates[name]: "admin"})
        with app.app_context():
            link = add_to_network(
                db.session.get(Organisation, network.id), db.session.get(Organisation, co_op.id)
            )
            name_delegate(link, db.session.get(User, delegates[name].id))
            db.session.commit()
    return network, coordinator, staff, delegates


@pytest.mark.parametrize("kind", [k.value for k in MeetingKind])
def test_every_meeting_of_a_network_counts_the_organisations_its_delegates_represent(
    network, make_meeting, socket_for, kind
):
    org, coordinator, staff, delegates = network
    meeting = make_meeting(org, kind=kind)
    fac = socket_for(coordinator)
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    # The network's own people are in the room, but they represent no member organisation.
    ok(fac.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    ok(socket_for(staff).emit("check_in", {"meeting_id": meeting.id}, callback=True))
    quorum = last(fac, "state")["attendance"]
    assert quorum["basis"] == "organisations"
    assert (quorum["eligible"], quorum["present"], quorum["represented"], quorum["met"]) == (
        3,
        2,
        0,
        False,
    )
    for name in ("Surco", "Tiluchis"):
        ok(socket_for(delegates[name]).emit("check_in", {"meeting_id": meeting.id}, callback=True))
    quorum = last(fac, "state")["attendance"]
    assert (quorum["present"], quorum["represented"], quorum["required"], quorum["met"]) == (
        4,
        2,
        2,
        True,
    )
    # Organisations are represented by their delegates: nobody holds another's proxy.
    refused(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": delegates["Servicoop"].id,
                "holder_id": delegates["Surco"].id,
            },
            callback=True,
        ),
        "no_proxies_in_network",
    )
    assert last(fac, "state")["attendance"]["proxies"] == 0


@pytest.mark.parametrize("kind", [k.value for k in MeetingKind if k != MeetingKind.PLENARY])
def test_a_co_operatives_meetings_count_members_and_proxies(coop, make_meeting, socket_for, kind):
    org, people = coop
    meeting = make_meeting(org, kind=kind)
    fac = socket_for(people["facilitator"])
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    ok(
        fac.emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["member"].id,
                "holder_id": people["facilitator"].id,
            },
            callback=True,
        )
    )
    quorum = last(fac, "state")["attendance"]
    assert quorum["basis"] == "members"
    assert (quorum["eligible"], quorum["represented"], quorum["met"]) == (4, 2, True)


@pytest.mark.parametrize("kind", ["network_plenary", "problematisation_workshop"])
def test_the_room_of_a_network_offers_no_proxy_controls(network, make_meeting, app, kind):
    org, coordinator, _staff, delegates = network
    meeting = make_meeting(org, kind=kind)
    staff_page = page_of(app, org, meeting, coordinator)
    assert 'data-list="roster"' in staff_page  # the staff's attendance list is there
    for page in (staff_page, page_of(app, org, meeting, delegates["Surco"])):
        assert 'data-list="queue"' in page  # the room itself
        for control in ('data-form="proxy_self"', 'data-form="proxy_grant"', "proxy_revoke"):
            assert control not in page, control


def page_of(app, org, meeting, person) -> str:
    client = app.test_client()
    client.login(person.email)
    return client.get(f"/o/{org.slug}/meetings/{meeting.id}/live").get_data(as_text=True)


def test_the_room_of_a_co_operative_offers_proxies_to_members_and_staff(coop, make_meeting, app):
    org, people = coop
    meeting = make_meeting(org)
    member = page_of(app, org, meeting, people["member"])
    assert 'data-form="proxy_self"' in member and 'data-form="proxy_grant"' not in member
    staff = page_of(app, org, meeting, people["facilitator"])
    assert 'data-form="proxy_self"' in staff and 'data-form="proxy_grant"' in staff


def test_speakers_list_first_come_first_served_with_points_of_order_first(
    coop, make_meeting, socket_for, app
):
    org, people = coop
    meeting = make_meeting(org)
    socks = {role: socket_for(person) for role, person in people.items()}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    fac = socks["facilitator"]
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    refused(
        socks["member"].emit("floor_request", {"meeting_id": meeting.id}, callback=True),
        "not_present",
    )
    for role in ("member", "secretary", "admin"):
        ok(socks[role].emit("check_in", {"meeting_id": meeting.id}, callback=True))
    ok(
        socks["member"].emit(
            "floor_request", {"meeting_id": meeting.id, "kind": "contribution"}, callback=True
        )
    )
    ok(
        socks["secretary"].emit(
            "floor_request", {"meeting_id": meeting.id, "kind": "reply"}, callback=True
        )
    )
    ok(
        socks["admin"].emit(
            "floor_request", {"meeting_id": meeting.id, "kind": "point_of_order"}, callback=True
        )
    )
    refused(
        socks["member"].emit(
            "floor_request", {"meeting_id": meeting.id, "kind": "shout"}, callback=True
        ),
        "bad_payload",
    )
    queue = [q["user_id"] for q in last(fac, "state")["floor"]["queue"]]
    assert queue == [people["admin"].id, people["member"].id, people["secretary"].id]

    ok(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True))
    floor = last(socks["member"], "state")["floor"]
    assert floor["speaking"]["user_id"] == people["admin"].id and floor["speaking"]["started_at"]
    ok(socks["secretary"].emit("floor_withdraw", {"meeting_id": meeting.id}, callback=True))
    # The admin, called to speak, is no longer waiting: withdrawing is refused.
    refused(
        socks["admin"].emit("floor_withdraw", {"meeting_id": meeting.id}, callback=True),
        "not_waiting",
    )
    ok(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("floor_end", {"meeting_id": meeting.id}, callback=True))
    refused(fac.emit("floor_end", {"meeting_id": meeting.id}, callback=True), "nobody_speaking")
    refused(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True), "queue_empty")
    with app.app_context():
        speeches = db.session.scalars(
            db.select(FloorRequest)
            .where(FloorRequest.status == "done")
            .order_by(FloorRequest.started_at)
        ).all()
        assert [s.user_id for s in speeches] == [people["admin"].id, people["member"].id]
        assert all(s.ended_at >= s.started_at for s in speeches)


def test_progressive_policy_puts_new_voices_first_and_alternates_genders(
    app, make_user, make_org, make_meeting, socket_for
):
    from assembly.accounts.models import Gender

    fac_person = make_user(name="Facilitadora")
    ana, bea, carlos, dario = (
        make_user(name="Ana", gender=Gender.WOMAN),
        make_user(name="Bea", gender=Gender.WOMAN),
        make_user(name="Carlos", gender=Gender.MAN),
        make_user(name="Darío", gender=Gender.MAN),
    )
    org = make_org(
        members={
            fac_person: "facilitator",
            ana: "member",
            bea: "member",
            carlos: "member",
            dario: "member",
        }
    )
    meeting = make_meeting(org, speaker_policy="progressive")
    fac = socket_for(fac_person)
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    socks = {p.name: socket_for(p) for p in (ana, bea, carlos, dario)}
    for sock in socks.values():
        ok(sock.emit("check_in", {"meeting_id": meeting.id}, callback=True))

    def ask(name):
        ok(socks[name].emit("floor_request", {"meeting_id": meeting.id}, callback=True))

    def queue():
        return [q["name"] for q in last(fac, "state")["floor"]["queue"]]

    # Carlos speaks first; then he asks again, after the others.
    ask("Carlos")
    ok(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("floor_end", {"meeting_id": meeting.id}, callback=True))
    ask("Darío")
    ask("Carlos")
    ask("Ana")
    ask("Bea")
    # New voices before Carlos; after a man spoke, a woman first, then alternating.
    assert queue() == ["Ana", "Darío", "Bea", "Carlos"]
    ok(fac.emit("floor_next", {"meeting_id": meeting.id}, callback=True))
    assert last(fac, "state")["floor"]["speaking"]["name"] == "Ana"
    assert queue() == ["Darío", "Bea", "Carlos"]


def test_first_come_policy_keeps_arrival_order(app, make_user, make_org, make_meeting, socket_for):
    from assembly.accounts.models import Gender

    fac_person = make_user(name="Facilitadora")
    carlos, dario, ana = (
        make_user(name="Carlos", gender=Gender.MAN),
        make_user(name="Darío", gender=Gender.MAN),
        make_user(name="Ana", gender=Gender.WOMAN),
    )
    org = make_org(
        members={fac_person: "facilitator", ana: "member", carlos: "member", dario: "member"}
    )
    meeting = make_meeting(org, speaker_policy="first_come")
    fac = socket_for(fac_person)
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    for person in (carlos, dario, ana):
        sock = socket_for(person)
        ok(sock.emit("check_in", {"meeting_id": meeting.id}, callback=True))
        ok(sock.emit("floor_request", {"meeting_id": meeting.id}, callback=True))
    assert [q["name"] for q in last(fac, "state")["floor"]["queue"]] == ["Carlos", "Darío", "Ana"]


def test_projector_joins_with_its_secret_and_cannot_act(room, socket_for, app):
    meeting, _people, _facilitator, _member = room
    projector = socket_for(None)
    ack = ok(projector.emit("join", {"projector_token": meeting.projector_token}, callback=True))
    assert ack["state"]["meeting"]["id"] == meeting.id and "you" not in ack
    refused(projector.emit("join", {"projector_token": "guess"}, callback=True), "not_found")
    refused(projector.emit("meeting_start", {"meeting_id": meeting.id}, callback=True), "not_found")
    start(room)
    assert last(projector, "state")["meeting"]["status"] == "live"


def test_drafts_are_invisible_to_members(coop, make_meeting, socket_for):
    org, people = coop
    meeting = make_meeting(org, status="draft")
    refused(
        socket_for(people["member"]).emit("join", {"meeting_id": meeting.id}, callback=True),
        "not_found",
    )
    fac = socket_for(people["facilitator"])
    ok(fac.emit("join", {"meeting_id": meeting.id}, callback=True))
    refused(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True), "not_convened")


def states_received(sock) -> int:
    """How many room states `sock` has been sent so far (and remembers the latest of each)."""
    latest = sock.__dict__.setdefault("_latest", {})
    count = sock.__dict__.setdefault("_states", 0)
    for event in sock.get_received():
        latest[event["name"]] = event["args"][0]
        count += event["name"] == "state"
    sock.__dict__["_states"] = count
    return count


def test_checking_in_again_is_answered_as_success_and_changes_nothing(room, app):
    meeting, people, facilitator, member = room
    start(room)
    first = ok(member.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    assert first["you"]["present"] is True and "already" not in first
    before = states_received(facilitator)
    again = ok(member.emit("check_in", {"meeting_id": meeting.id, "method": "qr"}, callback=True))
    assert again["already"] is True and again["version"] == first["version"]
    assert again["you"] == first["you"]
    # Staff marking her present when she already is: done, nothing changes either.
    staff = ok(
        facilitator.emit(
            "check_in", {"meeting_id": meeting.id, "user_id": people["member"].id}, callback=True
        )
    )
    assert staff["already"] is True and staff["version"] == first["version"]
    assert states_received(facilitator) == before  # no new state for anyone
    with app.app_context():
        records = db.session.scalars(db.select(Attendance)).all()
        assert [(r.user_id, r.method) for r in records] == [(people["member"].id, "self")]
        assert db.session.get(Meeting, meeting.id).version == first["version"]


def test_leaving_again_is_success_but_leaving_without_arriving_is_refused(room):
    meeting, _people, _facilitator, member = room
    start(room)
    refused(member.emit("check_out", {"meeting_id": meeting.id}, callback=True), "not_checked_in")
    ok(member.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    left = ok(member.emit("check_out", {"meeting_id": meeting.id}, callback=True))
    again = ok(member.emit("check_out", {"meeting_id": meeting.id}, callback=True))
    assert again["already"] is True and again["version"] == left["version"]
    assert last(member, "you")["present"] is False


def test_asking_for_the_floor_again_is_success_with_the_same_request(room, app):
    meeting, people, facilitator, member = room
    start(room)
    ok(member.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    ask = {"meeting_id": meeting.id, "kind": "contribution"}
    first = ok(member.emit("floor_request", ask, callback=True))
    again = ok(member.emit("floor_request", ask, callback=True))
    assert again["already"] is True
    assert (again["request_id"], again["version"]) == (first["request_id"], first["version"])
    assert [q["user_id"] for q in last(facilitator, "state")["floor"]["queue"]] == [
        people["member"].id
    ]
    # Asking for something else while waiting is a real conflict: one request per person.
    refused(
        member.emit(
            "floor_request", {"meeting_id": meeting.id, "kind": "point_of_order"}, callback=True
        ),
        "already_waiting",
    )
    withdrawn = ok(member.emit("floor_withdraw", {"meeting_id": meeting.id}, callback=True))
    again = ok(member.emit("floor_withdraw", {"meeting_id": meeting.id}, callback=True))
    assert again["already"] is True and again["version"] == withdrawn["version"]
    with app.app_context():
        statuses = db.session.scalars(db.select(FloorRequest.status)).all()
        assert statuses == ["withdrawn"]


def test_staff_checking_someone_in_get_no_you_of_that_person(room):
    meeting, people, facilitator, _member = room
    start(room)
    ack = ok(
        facilitator.emit(
            "check_in", {"meeting_id": meeting.id, "user_id": people["member"].id}, callback=True
        )
    )
    assert "you" not in ack  # `you` is always the sender's own situation
    own = ok(facilitator.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    assert own["you"]["user_id"] == people["facilitator"].id
