"""Live voting through real Socket.IO events: eligibility, proxies, secrecy, resends, closing."""

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from assembly.extensions import db
from assembly.proposals.models import Proposal
from assembly.voting.models import Ballot, Decision, Poll, VoteRecord
from tests.test_live_room import last, ok, refused


def cid():
    return uuid.uuid4().hex


@pytest.fixture
def voting_room(coop, make_meeting, socket_for):
    """A live meeting of the co-op, everyone joined, facilitator, member and secretary present."""
    org, people = coop
    meeting = make_meeting(org)
    socks = {role: socket_for(person) for role, person in people.items()}
    for sock in socks.values():
        ok(sock.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(socks["facilitator"].emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    for role in ("facilitator", "member", "secretary"):
        ok(socks[role].emit("check_in", {"meeting_id": meeting.id}, callback=True))
    return meeting, people, socks


def vote(sock, poll_id, choice, client_id=None, **extra):
    return sock.emit(
        "vote",
        {"poll_id": poll_id, "choice": choice, "client_id": client_id or cid(), **extra},
        callback=True,
    )


def poll_in(state, poll_id):
    return next(p for p in state["polls"] if p["id"] == poll_id)


def counts_of(sock, poll_id):
    """The latest poll_progress the screen got: ballots send counts, not whole states."""
    return poll_in(last(sock, "poll_progress"), poll_id)


def test_a_poll_cannot_open_without_quorum(coop, make_meeting, socket_for, make_poll, app):
    org, people = coop
    meeting = make_meeting(org)
    fac = socket_for(people["facilitator"])
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    poll_id = make_poll(meeting)
    refused(fac.emit("poll_open", {"poll_id": poll_id}, callback=True), "no_quorum")
    ok(socket_for(people["member"]).emit("check_in", {"meeting_id": meeting.id}, callback=True))
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.quorum_at_open["met"] and poll.quorum_at_open["represented"] == 2


def test_voting_progress_result_and_the_decision_register(voting_room, make_poll, app):
    meeting, _people, socks = voting_room
    with app.app_context():
        proposal = Proposal(
            organisation_id=db.session.get(Poll, make_poll(meeting)).organisation_id,
            meeting_id=meeting.id,
            title="Balance 2026",
            body="Aprobar el balance del ejercicio 2026.",
            status="scheduled",
        )
        db.session.add(proposal)
        db.session.commit()
        proposal_id = proposal.id
    poll_id = make_poll(meeting, proposal_id=proposal_id, config={"majority": "simple"})
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    shown = poll_in(last(socks["member"], "state"), poll_id)
    assert shown["status"] == "open" and shown["progress"] == {"eligible": 3, "voted": 0}
    ok(vote(socks["member"], poll_id, {"vote": "yes"}))
    ok(vote(socks["secretary"], poll_id, {"vote": "yes"}))
    ok(vote(socks["facilitator"], poll_id, {"vote": "no"}))
    assert counts_of(socks["admin"], poll_id)["progress"] == {"eligible": 3, "voted": 3}
    ack = ok(socks["facilitator"].emit("poll_close", {"poll_id": poll_id}, callback=True))
    assert ack["result"]["outcome"] == "adopted"
    result = poll_in(last(socks["member"], "state"), poll_id)["result"]
    assert result["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    with app.app_context():
        decision = db.session.scalar(select(Decision))
        assert decision.title == "Balance 2026" and decision.meeting_id == meeting.id
        assert decision.tally["counts"]["yes"] == 2
        assert db.session.get(Proposal, proposal_id).status == "adopted"


def test_a_resend_is_acknowledged_again_and_never_counted_twice(voting_room, make_poll, app):
    meeting, _people, socks = voting_room
    poll_id = make_poll(meeting)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    client_id = cid()
    first = ok(vote(socks["member"], poll_id, {"vote": "yes"}, client_id))
    again = ok(vote(socks["member"], poll_id, {"vote": "yes"}, client_id))
    assert again["resent"] is True and "resent" not in first
    other = refused(vote(socks["member"], poll_id, {"vote": "no"}), "already_voted")
    assert other["status"] == 409
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1
        assert db.session.scalar(select(func.count()).select_from(VoteRecord)) == 1


def test_one_vote_per_voter_is_enforced_by_the_database(voting_room, make_poll, app):
    meeting, people, socks = voting_room
    poll_id = make_poll(meeting)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    ok(vote(socks["member"], poll_id, {"vote": "yes"}))
    with app.app_context():
        db.session.add(
            VoteRecord(poll_id=poll_id, voter_key=f"u:{people['member'].id}", receipt="x" * 64)
        )
        with pytest.raises(IntegrityError):
            db.session.commit()


def test_changing_a_ballot_when_the_poll_allows_it(voting_room, make_poll, app):
    meeting, _people, socks = voting_room
    poll_id = make_poll(meeting, allow_change=True, show_running_results=True)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    ok(vote(socks["member"], poll_id, {"vote": "yes"}))
    assert counts_of(socks["admin"], poll_id)["result"]["counts"]["yes"] == 1
    changed = ok(vote(socks["member"], poll_id, {"vote": "no"}))
    assert changed["changed"] is True
    running = counts_of(socks["admin"], poll_id)["result"]["counts"]
    assert (running["yes"], running["no"]) == (0, 1)


def test_secret_ballots_cannot_be_relinked_to_voters(voting_room, make_poll, app):
    meeting, people, socks = voting_room
    poll_id = make_poll(meeting, secret=True, allow_change=True, show_running_results=True)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    for role, choice in (("member", "yes"), ("secretary", "no"), ("facilitator", "yes")):
        ok(vote(socks[role], poll_id, {"vote": choice}))
    shown = poll_in(last(socks["member"], "state"), poll_id)
    assert shown["result"] is None  # no results while a secret poll is open
    with app.app_context():
        # Sealed in the voters' records until the close (tests/test_secret_ballots.py).
        assert db.session.scalars(select(Ballot).where(Ballot.poll_id == poll_id)).all() == []
        records = db.session.scalars(select(VoteRecord).where(VoteRecord.poll_id == poll_id)).all()
        assert {r.voter_key for r in records} == {
            f"u:{people[r].id}" for r in ("member", "secretary", "facilitator")
        }
        # Neither table has a column that could pair a record with a ballot.
        ballot_columns = set(Ballot.__table__.columns.keys())
        record_columns = set(VoteRecord.__table__.columns.keys())
        assert ballot_columns & record_columns == {"poll_id", "voter_key", "cast_by_id"}
        assert not any(
            c.type.python_type.__name__ == "datetime" for c in VoteRecord.__table__.columns
        )
        if db.engine.dialect.name == "sqlite":
            for table in ("ballot", "vote_record"):  # no hidden insertion order either
                sql = db.session.execute(
                    db.text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}
                ).scalar()
                assert "WITHOUT ROWID" in sql
    ack = ok(socks["facilitator"].emit("poll_close", {"poll_id": poll_id}, callback=True))
    assert ack["result"]["counts"] == {"yes": 2, "no": 1, "abstain": 0}
    with app.app_context():
        ballots = db.session.scalars(select(Ballot).where(Ballot.poll_id == poll_id)).all()
        for ballot in ballots:
            assert ballot.voter_key is None and ballot.cast_by_id is None and ballot.cast_at is None
            assert len(ballot.key) == 32 and not ballot.key.isdigit()  # random, not a sequence


def test_proxies_cast_the_ballot_they_hold(voting_room, make_poll, socket_for, app):
    meeting, people, socks = voting_room
    ok(
        socks["facilitator"].emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["admin"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        )
    )
    poll_id = make_poll(meeting)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    assert poll_in(last(socks["member"], "state"), poll_id)["progress"]["eligible"] == 4
    admin_key = f"u:{people['admin'].id}"
    refused(vote(socks["secretary"], poll_id, {"vote": "no"}, voter_key=admin_key), "not_eligible")
    # The absent admin is represented: her holder casts her vote, she cannot cast it too.
    refused(vote(socks["admin"], poll_id, {"vote": "no"}), "not_eligible")
    ok(vote(socks["member"], poll_id, {"vote": "yes"}))
    ack = ok(vote(socks["member"], poll_id, {"vote": "abstain"}, voter_key=admin_key))
    assert ack["voter_key"] == admin_key
    with app.app_context():
        record = db.session.get(VoteRecord, (poll_id, admin_key))
        assert record.cast_by_id == people["member"].id


def test_absent_members_outsiders_and_bad_ballots_are_refused(
    voting_room, make_poll, make_user, socket_for, app
):
    meeting, _people, socks = voting_room
    poll_id = make_poll(
        meeting, "dots", options=["Web", "Catálogo", "Compras conjuntas"], config={"dots": 3}
    )
    ranked_id = make_poll(
        meeting, "ranked_irv", options=["A", "B", "C"], config={"require_full_ranking": True}
    )
    draft_id = make_poll(meeting)
    for pid in (poll_id, ranked_id):
        ok(socks["facilitator"].emit("poll_open", {"poll_id": pid}, callback=True))
    with app.app_context():
        options = [o.id for o in db.session.get(Poll, poll_id).options]
        ranked_options = [o.id for o in db.session.get(Poll, ranked_id).options]
    good = {"dots": {str(options[0]): 2, str(options[1]): 1}}
    refused(vote(socks["admin"], poll_id, good), "not_eligible")  # absent, no proxy
    refused(vote(socket_for(make_user()), poll_id, good), "not_found")  # not a member
    refused(vote(socks["member"], poll_id, {"dots": {str(options[0]): 4}}), "too_many_dots")
    refused(vote(socks["member"], poll_id, {"dots": {"999999": 1}}), "unknown_option")
    refused(vote(socks["member"], poll_id, {"vote": "yes"}), "invalid_choice")
    refused(vote(socks["member"], ranked_id, {"ranking": ranked_options[:2]}), "incomplete_ranking")
    refused(vote(socks["member"], 999999, good), "not_found")
    refused(vote(socks["member"], draft_id, {"vote": "yes"}), "poll_not_open")
    refused(vote(socks["facilitator"], draft_id, {"vote": "yes"}), "poll_not_open")
    refused(
        socks["member"].emit(
            "vote", {"poll_id": poll_id, "choice": good, "client_id": "x"}, callback=True
        ),
        "bad_payload",
    )
    refused(socks["member"].emit("poll_open", {"poll_id": draft_id}, callback=True), "forbidden")
    refused(socks["member"].emit("poll_close", {"poll_id": poll_id}, callback=True), "forbidden")
    ok(vote(socks["member"], poll_id, good))
    ok(socks["facilitator"].emit("poll_close", {"poll_id": poll_id}, callback=True))
    refused(vote(socks["secretary"], poll_id, good), "poll_closed")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 1


def test_network_plenary_votes_one_organisation_one_vote_or_weighted(
    app, make_user, make_org, make_meeting, socket_for, make_poll
):
    from assembly.accounts.models import User
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network, name_delegate

    coordinator = make_user(name="Rosa")
    network = make_org("RCC", "network", members={coordinator: "facilitator"})
    # Surco has 3 members, Tiluchis 1, Servicoop 1.
    delegates, sizes = {}, {"Surco": 3, "Tiluchis": 1, "Servicoop": 1}
    co_ops = {}
    for name, size in sizes.items():
        delegates[name] = make_user(name=f"Delegada de {name}")
        others = {make_user(): "member" for _ in range(size - 1)}
        co_ops[name] = make_org(name, members={delegates[name]: "admin", **others})
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
    phones = {name: socket_for(person) for name, person in delegates.items()}
    for phone in phones.values():
        ok(phone.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    results = {}
    for weighting in ("organisation", "membership"):
        poll_id = make_poll(meeting, weighting=weighting, title=f"Compras conjuntas ({weighting})")
        ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
        refused(vote(fac, poll_id, {"vote": "yes"}), "not_eligible")  # staff, not an organisation
        ack = ok(vote(phones["Surco"], poll_id, {"vote": "yes"}))
        assert ack["voter_key"] == f"o:{co_ops['Surco'].id}"
        ok(vote(phones["Tiluchis"], poll_id, {"vote": "no"}))
        ok(vote(phones["Servicoop"], poll_id, {"vote": "no"}))
        results[weighting] = ok(fac.emit("poll_close", {"poll_id": poll_id}, callback=True))[
            "result"
        ]
    assert results["organisation"]["counts"] == {"yes": 1, "no": 2, "abstain": 0}
    assert results["organisation"]["outcome"] == "rejected"
    assert results["membership"]["counts"] == {"yes": 3, "no": 2, "abstain": 0}
    assert results["membership"]["outcome"] == "adopted"


def test_closing_races_with_late_ballots_nothing_lost_nothing_after_the_count(
    app, make_user, make_org, make_meeting, socket_for, make_poll
):
    fac_person = make_user(name="Facilitadora")
    voters = [make_user() for _ in range(30)]
    org = make_org(members={fac_person: "facilitator", **{v: "member" for v in voters}})
    meeting = make_meeting(org)
    fac = socket_for(fac_person)
    fac.emit("join", {"meeting_id": meeting.id}, callback=True)
    ok(fac.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    phones = [socket_for(v) for v in voters]
    for phone in phones:
        ok(phone.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    poll_id = make_poll(meeting)
    ok(fac.emit("poll_open", {"poll_id": poll_id}, callback=True))
    acks = [None] * len(phones)

    def cast(i):
        acks[i] = vote(phones[i], poll_id, {"vote": "yes"})

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(len(phones))]
    for t in threads[:15]:
        t.start()
    close = fac.emit("poll_close", {"poll_id": poll_id}, callback=True)
    for t in threads[15:]:
        t.start()
    for t in threads:
        t.join(10)
    counted = [a for a in acks if a["ok"]]
    refused_ = [a for a in acks if not a["ok"]]
    assert all(a["error"]["code"] == "poll_closed" for a in refused_)
    assert len(counted) + len(refused_) == len(phones)
    assert close["result"]["counts"]["yes"] == len(counted)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == len(counted)
        assert db.session.get(Poll, poll_id).result["counts"]["yes"] == len(counted)


def test_the_first_ballots_of_a_burst_build_the_polls_snapshot_once(
    voting_room, make_poll, app, monkeypatch
):
    """Simultaneous first ballots read the open poll from the database once, not once each."""
    from assembly.voting import snapshot

    meeting, _people, socks = voting_room
    poll_id = make_poll(meeting)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    snapshot.clear()
    builds = []
    build = snapshot._build

    def slow_build(poll):
        builds.append(poll.id)
        threading.Event().wait(0.05)  # the database takes its time; others arrive meanwhile
        return build(poll)

    monkeypatch.setattr(snapshot, "_build", slow_build)
    seen = []

    def first_ballot():
        with app.app_context():
            seen.append(snapshot.open_poll_snapshot(poll_id))
            db.session.remove()

    threads = [threading.Thread(target=first_ballot) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert builds == [poll_id]
    assert len(seen) == 10 and all(s is seen[0] and s.id == poll_id for s in seen)


def test_vote_keeps_its_contract_for_every_malformed_field(voting_room, make_poll, app):
    """Every field of a ballot is checked, on the fast path as on the slow one: a malformed
    field is `bad_payload`, a meeting that is not the poll's is `not_found`, and nothing is
    stored."""
    meeting, _people, socks = voting_room
    poll_id = make_poll(meeting)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll_id}, callback=True))
    member = socks["member"]
    good = {"poll_id": poll_id, "choice": {"vote": "yes"}, "client_id": cid()}
    bad_fields = [
        {"poll_id": "uno"},
        {"poll_id": 1.5},
        {"poll_id": True},
        {"poll_id": [poll_id]},
        {"poll_id": 2**63},
        {"poll_id": -1},
        {"meeting_id": "x"},
        {"meeting_id": 2**40},
        {"voter_key": 7},
        {"voter_key": ["u:1"]},
        {"voter_key": "u:"},
        {"voter_key": "x" * 100},
        {"client_id": 12345678},
        {"client_id": "short"},
        {"client_id": "ñ" * 20},
    ]
    for change in bad_fields:
        refused(member.emit("vote", {**good, **change}, callback=True), "bad_payload")
    refused(member.emit("vote", [good], callback=True), "bad_payload")
    refused(member.emit("vote", {**good, "meeting_id": meeting.id + 1}, callback=True), "not_found")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoteRecord)) == 0
    assert ok(member.emit("vote", {**good, "meeting_id": meeting.id}, callback=True))["stored"]
