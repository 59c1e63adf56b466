"""Secret ballots stay secret in the database.

The property: nothing a database reader can see pairs a secret ballot with its voter — no table,
no system column (PostgreSQL's xmin and ctid, SQLite's rowid), no row order, no timestamp, no
weight and, on SQLite, not the bytes of the database and WAL files — while the poll is open and
after it closes. Each voter casts a ranking no one else casts, so a choice found anywhere is
recognised; polls of one, three and many voters, each ballot its own commit.
"""

from __future__ import annotations

import itertools
import os
import uuid

import pytest
from sqlalchemy import select, text

from assembly.extensions import db
from assembly.voting.models import Ballot, Poll, PollStatus, VoteRecord
from tests.test_live_room import ok

OPTIONS = ("Huerta", "Biblioteca", "Comedor", "Taller", "Guardería")


def _rankings(option_ids):
    """Every voter a ranking of their own (there are 120)."""
    return [list(p) for p in itertools.permutations(option_ids)]


def _fingerprints(ranking) -> list[bytes]:
    """How one ranking could appear in a table dump or in the files' bytes."""
    inner = [", ".join(map(str, ranking)), ",".join(map(str, ranking))]
    return [s.encode() for s in inner]


def _dump(app) -> dict[str, list[tuple]]:
    """Every row of every table, with the system columns a reader could use."""
    rows = {}
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        for table in db.metadata.sorted_tables:
            name = table.name
            if postgres:
                query = f'SELECT xmin::text, ctid::text, * FROM "{name}"'
            else:
                with_rowid = "WITHOUT ROWID" not in (
                    db.session.execute(
                        text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": name}
                    ).scalar()
                    or ""
                )
                query = f'SELECT {"rowid, " if with_rowid else ""}* FROM "{name}"'
            rows[name] = [tuple(r) for r in db.session.execute(text(query))]
        db.session.remove()
    return rows


def _database_files(database_url: str) -> bytes:
    if not database_url.startswith("sqlite"):
        return b""
    path = database_url.removeprefix("sqlite:///")
    data = b""
    for name in (path, path + "-wal"):
        if os.path.exists(name):
            with open(name, "rb") as f:
                data += f.read()
    return data


def _as_bytes(rows: dict) -> bytes:
    return repr(rows).encode()


def _meeting_with_voters(make_user, make_org, make_meeting, socket_for, n: int):
    facilitator = make_user(name="Facilitadora")
    voters = [make_user(name=f"Votante {i}") for i in range(n)]
    org = make_org(members={facilitator: "facilitator", **{v: "member" for v in voters}})
    meeting = make_meeting(org)
    chair = socket_for(facilitator)
    ok(chair.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(chair.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    ok(chair.emit("check_in", {"meeting_id": meeting.id}, callback=True))
    phones = []
    for voter in voters:
        phone = socket_for(voter)
        ok(phone.emit("check_in", {"meeting_id": meeting.id}, callback=True))
        phones.append(phone)
    return meeting, chair, phones


def _cast(sock, poll_id, choice, **extra):
    return ok(
        sock.emit(
            "vote",
            {"poll_id": poll_id, "choice": choice, "client_id": uuid.uuid4().hex, **extra},
            callback=True,
        )
    )


@pytest.mark.parametrize("voters", [1, 3, 12])
def test_nothing_a_database_reader_sees_pairs_a_secret_ballot_with_its_voter(
    voters, app, database_url, make_user, make_org, make_meeting, socket_for, make_poll
):
    meeting, chair, phones = _meeting_with_voters(
        make_user, make_org, make_meeting, socket_for, voters
    )
    poll_id = make_poll(meeting, "ranked_irv", options=OPTIONS, secret=True)
    ok(chair.emit("poll_open", {"poll_id": poll_id}, callback=True))
    with app.app_context():
        option_ids = [o.id for o in db.session.get(Poll, poll_id).options]
        db.session.remove()
    rankings = _rankings(option_ids)[1 : voters + 1]
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # earlier tests' rows are deleted; flush them out
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
    before = _as_bytes(_dump(app)) + _database_files(database_url)
    assert not any(f in before for r in rankings for f in _fingerprints(r))

    sealed_seen = []
    for phone, ranking in zip(phones, rankings, strict=True):
        _cast(phone, poll_id, {"ranking": ranking})
        # While the poll is open no choice is anywhere a reader could look: not in a table,
        # not in the database's files.
        visible = _as_bytes(_dump(app)) + _database_files(database_url)
        for cast in rankings[: len(sealed_seen) + 1]:
            for fingerprint in _fingerprints(cast):
                assert fingerprint not in visible, "a secret choice is readable while open"
        with app.app_context():
            sealed_seen = [
                bytes(s)
                for s in db.session.scalars(
                    select(VoteRecord.sealed).where(VoteRecord.poll_id == poll_id)
                )
            ]
            assert db.session.scalar(select(Ballot.key).where(Ballot.poll_id == poll_id)) is None
            db.session.remove()
    # The seals are all one size: their length cannot tell one choice from another.
    assert len({len(s) for s in sealed_seen}) == 1

    result = ok(chair.emit("poll_close", {"poll_id": poll_id}, callback=True))["result"]
    assert result["voted"] == voters

    with app.app_context():
        ballots = db.session.scalars(select(Ballot).where(Ballot.poll_id == poll_id)).all()
        assert sorted(b.choice["ranking"] for b in ballots) == sorted(rankings)
        for ballot in ballots:  # what was chosen, and nothing about by whom or when
            assert (ballot.voter_key, ballot.cast_by_id, ballot.cast_at) == (None, None, None)
            assert ballot.weight == 1.0
        records = db.session.scalars(select(VoteRecord).where(VoteRecord.poll_id == poll_id))
        assert all(r.sealed is None for r in records)  # the seals are gone with the close
        if db.engine.dialect.name == "postgresql":
            # Every ballot was written by the closing transaction, which also cleared every
            # voter's seal: xmin pairs nothing with anything.
            ballot_xmins = set(
                db.session.scalars(
                    text("SELECT xmin::text FROM ballot WHERE poll_id = :p"), {"p": poll_id}
                )
            )
            record_xmins = set(
                db.session.scalars(
                    text("SELECT xmin::text FROM vote_record WHERE poll_id = :p"), {"p": poll_id}
                )
            )
            assert len(ballot_xmins) == 1 and record_xmins == ballot_xmins
            physical = [
                row[0]
                for row in db.session.execute(
                    text("SELECT choice FROM ballot WHERE poll_id = :p ORDER BY ctid"),
                    {"p": poll_id},
                )
            ]
            physical = [c["ranking"] if isinstance(c, dict) else None for c in physical]
        else:
            physical = None
        db.session.remove()

    files = _database_files(database_url)
    if database_url.startswith("sqlite"):
        # The closing transaction's commit is checkpointed and the WAL emptied: the seals'
        # bytes are not left behind in it, nor in the database file (secure_delete).
        for blob in sealed_seen:
            assert blob[12:44] not in files
        offsets = [files.find(_fingerprints(r)[0]) for r in rankings]
        assert all(o >= 0 for o in offsets)
        physical = [r for _o, r in sorted(zip(offsets, rankings, strict=True))]
    if voters >= 12:
        # The ballots lie in an order of their own: not the order in which people voted
        # (12! orders: a match would not be chance).
        assert physical != rankings


def test_a_weighted_secret_poll_splits_each_vote_into_ballots_of_one(
    app, make_user, make_org, socket_for, make_meeting, make_poll
):
    from assembly.accounts.models import User
    from assembly.organisations.models import Organisation
    from assembly.organisations.service import add_to_network, name_delegate
    from assembly.voting.models import Weighting

    chair_person = make_user(name="Coordinadora")
    network = make_org("Red Metalúrgica", kind="network", members={chair_person: "facilitator"})
    sizes = {"Galaxia": 3, "Mecber": 1, "Coinpo": 2}
    delegates, member_orgs = {}, {}
    for name, size in sizes.items():
        people = [make_user(name=f"{name} {i}") for i in range(size)]
        member_orgs[name] = make_org(name, members={p: "member" for p in people})
        delegates[name] = people[0]
    with app.app_context():
        net = db.session.get(Organisation, network.id)
        for name, member_org in member_orgs.items():
            link = add_to_network(net, db.session.get(Organisation, member_org.id))
            name_delegate(link, db.session.get(User, delegates[name].id))
        db.session.commit()
        db.session.remove()
    meeting = make_meeting(network, kind="network_plenary")
    chair = socket_for(chair_person)
    ok(chair.emit("join", {"meeting_id": meeting.id}, callback=True))
    ok(chair.emit("meeting_start", {"meeting_id": meeting.id}, callback=True))
    phones = {}
    for name, person in delegates.items():
        phones[name] = socket_for(person)
        ok(phones[name].emit("check_in", {"meeting_id": meeting.id}, callback=True))
    poll_id = make_poll(meeting, secret=True, weighting=Weighting.MEMBERSHIP)
    ok(chair.emit("poll_open", {"poll_id": poll_id}, callback=True))
    choices = {"Galaxia": "yes", "Mecber": "no", "Coinpo": "abstain"}
    for name, choice in choices.items():
        _cast(phones[name], poll_id, {"vote": choice})
    result = ok(chair.emit("poll_close", {"poll_id": poll_id}, callback=True))["result"]
    assert result["counts"] == {"yes": 3, "no": 1, "abstain": 2}
    with app.app_context():
        weights = db.session.scalars(select(Ballot.weight).where(Ballot.poll_id == poll_id)).all()
        db.session.remove()
    # Six ballots of one: no ballot's weight says which organisation cast it.
    assert sorted(weights) == [1.0] * 6


def test_a_secret_ballot_can_be_changed_while_the_poll_is_open_and_counts_once(
    app, make_user, make_org, make_meeting, socket_for, make_poll
):
    meeting, chair, phones = _meeting_with_voters(make_user, make_org, make_meeting, socket_for, 2)
    poll_id = make_poll(meeting, secret=True, allow_change=True)
    ok(chair.emit("poll_open", {"poll_id": poll_id}, callback=True))
    _cast(phones[0], poll_id, {"vote": "yes"})
    assert _cast(phones[0], poll_id, {"vote": "no"})["changed"] is True
    _cast(phones[1], poll_id, {"vote": "no"})
    result = ok(chair.emit("poll_close", {"poll_id": poll_id}, callback=True))["result"]
    assert result["counts"] == {"yes": 0, "no": 2, "abstain": 0}
    assert result["voted"] == 2


def test_sealed_ballots_survive_a_restart_and_only_the_servers_key_opens_them(
    app, make_app, make_user, make_org, make_meeting, socket_for, make_poll
):
    from assembly.voting import pages
    from assembly.voting.sealing import SealBroken

    meeting, chair, phones = _meeting_with_voters(make_user, make_org, make_meeting, socket_for, 3)
    poll_id = make_poll(meeting, secret=True)
    ok(chair.emit("poll_open", {"poll_id": poll_id}, callback=True))
    for phone, choice in zip(phones, ("yes", "yes", "no"), strict=True):
        _cast(phone, poll_id, {"vote": choice})

    # A server with another key cannot open the seals: the close is refused, nothing changes.
    stranger = make_app(SECRET_KEY="not-the-key-they-were-sealed-with")
    with stranger.app_context():
        with pytest.raises(SealBroken):
            pages.close(poll_id)
        assert db.session.get(Poll, poll_id).status == PollStatus.OPEN
        assert all(
            r.sealed is not None
            for r in db.session.scalars(select(VoteRecord).where(VoteRecord.poll_id == poll_id))
        )
        db.session.remove()

    # The same server, restarted: every acknowledged ballot is counted.
    restarted = make_app()
    with restarted.app_context():
        result = pages.close(poll_id)
        db.session.remove()
    assert result["counts"] == {"yes": 2, "no": 1, "abstain": 0}
