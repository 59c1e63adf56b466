"""`assembly bench vote`: a real voting burst, measured end to end.

It makes a fresh database with one co-op of N members and a live meeting, starts real server
processes (`assembly serve`, gevent), logs N real python-socketio clients in over HTTP, checks
them in, opens a poll, has every client vote at the same moment, closes the poll, and prints one
JSON object with what happened. Every number comes from the clients' side or the database.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import sys
import time
import uuid
from contextlib import suppress

from assembly.bench.common import (
    add_people,
    bench_app,
    cpu_seconds,
    fresh_database,
    live_meeting,
    log_in,
    rss_mb,
    say,
    start_servers,
    stop_servers,
)


def _prepare(database_url: str, voters: int, rounds: int = 1) -> dict:
    """Schema, people, a live meeting and a draft yes/no poll per round, written directly."""
    from assembly.commands import upgrade_database
    from assembly.extensions import db
    from assembly.meetings.models import AgendaItem, MeetingKind
    from assembly.organisations.models import OrganisationKind
    from assembly.organisations.service import create_organisation
    from assembly.voting.models import PollMethod
    from assembly.voting.service import create_poll

    app = bench_app(database_url)
    with app.app_context():
        upgrade_database()
        organisation = create_organisation(
            "Cooperativa de banco de pruebas", OrganisationKind.WORKER_COOPERATIVE
        )
        people, facilitator = add_people(organisation, "voter", "Votante", voters)
        meeting = live_meeting(organisation, MeetingKind.ORDINARY, "Asamblea de prueba")
        item = AgendaItem(meeting_id=meeting.id, position=0, title="Balance 2026")
        db.session.add(item)
        db.session.flush()
        meeting.current_item_id = item.id
        polls = [
            create_poll(
                organisation,
                title=f"¿Aprobamos el punto {n + 1} del balance 2026?",
                method=PollMethod.YES_NO,
                config={"majority": "simple"},
                meeting=meeting,
            )
            for n in range(rounds)
        ]
        db.session.commit()
        return {
            "meeting_id": meeting.id,
            "poll_ids": [poll.id for poll in polls],
            "emails": [p.email for p in people],
            "facilitator": facilitator.email,
        }


def _count_stored(database_url: str, poll_id: int) -> dict:
    from sqlalchemy import func, select

    from assembly.extensions import db
    from assembly.voting.models import Ballot, Poll, VoteRecord

    with bench_app(database_url).app_context():
        ballots = db.session.scalar(select(func.count()).where(Ballot.poll_id == poll_id))
        records = db.session.scalar(select(func.count()).where(VoteRecord.poll_id == poll_id))
        result = db.session.get(Poll, poll_id).result or {}
        return {"ballots": ballots, "records": records, "result": result}


class Voter:
    def __init__(self, url: str, email: str, meeting_id: int):
        import socketio

        self.url, self.email, self.meeting_id = url, email, meeting_id
        self.sio = socketio.AsyncClient(reconnection=False)
        self.poll_open = asyncio.Event()
        self.final = asyncio.Event()
        self.final_seen: set[int] = set()
        self.final_at: float | None = None
        self.state_version = -1
        self.poll_id: int | None = None
        self.sio.on("state", self.on_state)

    async def on_state(self, state):
        if state["version"] < self.state_version:
            return
        self.state_version = state["version"]
        for poll in state.get("polls", []):
            if poll["id"] != self.poll_id:
                continue
            if poll["status"] == "open":
                self.poll_open.set()
            if poll["status"] == "closed" and poll["result"] and poll["id"] not in self.final_seen:
                self.final_seen.add(poll["id"])
                self.final_at = time.perf_counter()
                self.final.set()

    async def login_and_connect(self, http) -> None:
        cookie = await log_in(http, self.url, self.email)
        await self.sio.connect(
            self.url, headers={"Cookie": cookie}, transports=["websocket"], wait_timeout=30
        )
        ack = await self.sio.call("join", {"meeting_id": self.meeting_id}, timeout=60)
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")

    async def call(self, event: str, payload: dict, timeout: float = 120):
        return await self.sio.call(event, payload, timeout=timeout)

    def expect(self, poll_id: int) -> None:
        """Watch the next poll."""
        self.poll_id = poll_id
        self.poll_open.clear()
        self.final.clear()
        self.final_at = None


async def _connect_all(urls, emails, meeting_id, concurrency: int = 50) -> list[Voter]:
    import aiohttp

    voters = [Voter(urls[i % len(urls)], email, meeting_id) for i, email in enumerate(emails)]
    limit = asyncio.Semaphore(concurrency)

    async def one(voter: Voter):
        async with limit:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await voter.login_and_connect(http)

    results = await asyncio.gather(*(one(v) for v in voters), return_exceptions=True)
    connected = [v for v, r in zip(voters, results, strict=True) if not isinstance(r, Exception)]
    failures = [r for r in results if isinstance(r, Exception)]
    if failures:
        print(
            f"warning: {len(failures)} clients failed to connect: {failures[0]!r}", file=sys.stderr
        )
    return connected


async def _run(urls, plan, server_pids) -> list[dict]:
    meeting_id = plan["meeting_id"]
    voters = await _connect_all(urls, plan["emails"], meeting_id)
    facilitator = (await _connect_all(urls[:1], [plan["facilitator"]], meeting_id))[0]

    # Everyone checks in (a real event each), a few at a time, as people arrive.
    limit = asyncio.Semaphore(100)

    async def check_in(voter):
        async with limit:
            return await voter.call("check_in", {"meeting_id": meeting_id})

    say(f"{len(voters)} voters connected; checking in")
    await asyncio.gather(*(check_in(v) for v in voters))
    # 2,000 clients in one process are millions of objects: keep this load generator's own
    # full garbage collections (hundreds of ms each) out of the latencies it measures.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)
    rounds = []
    for n, poll_id in enumerate(plan["poll_ids"], 1):
        say(f"round {n} of {len(plan['poll_ids'])}")
        await asyncio.sleep(1)  # the previous round's last messages are out of the way
        rounds.append(await _round(voters, facilitator, poll_id, server_pids))
    for voter in [*voters, facilitator]:
        with suppress(Exception):
            await voter.sio.disconnect()
    return rounds


async def _round(voters: list[Voter], facilitator: Voter, poll_id: int, server_pids) -> dict:
    """One poll: open it, everyone votes at the same moment, close it, wait for the result."""
    for voter in [*voters, facilitator]:
        voter.expect(poll_id)
    opened = await facilitator.call("poll_open", {"poll_id": poll_id})
    if not opened.get("ok"):
        raise RuntimeError(f"poll did not open: {opened}")
    await asyncio.wait_for(asyncio.gather(*(v.poll_open.wait() for v in voters)), 60)

    latencies: list[float] = []
    acked = duplicates_acked = 0
    errors: dict[str, int] = {}
    start = asyncio.Event()

    async def vote(voter: Voter, n: int):
        nonlocal acked, duplicates_acked
        choice = {"vote": ("yes", "no", "abstain")[n % 3]}
        payload = {"poll_id": poll_id, "choice": choice, "client_id": uuid.uuid4().hex}
        await start.wait()
        sent = time.perf_counter()
        ack = await voter.call("vote", payload)
        latencies.append((time.perf_counter() - sent) * 1000)
        if ack.get("ok"):
            acked += 1
            duplicates_acked += bool(ack.get("resent"))
        else:
            code = ack["error"]["code"]
            errors[code] = errors.get(code, 0) + 1
        return time.perf_counter()

    tasks = [asyncio.create_task(vote(v, n)) for n, v in enumerate(voters)]
    if os.environ.get("ASSEMBLY_BENCH_MARK"):  # lets a profiler attach for the burst alone
        open(os.environ["ASSEMBLY_BENCH_MARK"], "w").close()
        await asyncio.sleep(3)
    await asyncio.sleep(0.2)  # every task is waiting at the start line
    server_cpu = sum(cpu_seconds(pid) for pid in server_pids)
    client_cpu = time.process_time()
    start.set()
    finished = await asyncio.gather(*tasks)
    last_ack = max(finished)
    # Where the burst's time went: CPU used by the servers and by this load generator.
    server_cpu = sum(cpu_seconds(pid) for pid in server_pids) - server_cpu
    client_cpu = time.process_time() - client_cpu
    closed = await facilitator.call("poll_close", {"poll_id": poll_id})
    await asyncio.wait_for(asyncio.gather(*(v.final.wait() for v in voters)), 120)
    all_final = max(v.final_at for v in voters)
    ordered = sorted(latencies)
    return {
        "poll_id": poll_id,
        "connected": len(voters),
        "acked": acked,
        "errors": errors,
        "ack_p50_ms": round(statistics.median(ordered), 1),
        "ack_p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 1),
        "ack_max_ms": round(ordered[-1], 1),
        "all_screens_final_ms": round((all_final - last_ack) * 1000, 1),
        "burst_server_cpu_ms": round(server_cpu * 1000),
        "burst_client_cpu_ms": round(client_cpu * 1000),
        "close_ok": bool(closed.get("ok")),
    }


def run_vote_benchmark(
    voters: int,
    database_url: str | None,
    processes: int,
    redis_url: str | None,
    rounds: int = 1,
) -> dict:
    """Run the burst `rounds` times (one poll each) on one server; timings are medians."""
    if processes > 1 and not redis_url:
        raise SystemExit("--processes above 1 needs --redis-url (rooms are shared through Redis)")
    with fresh_database(database_url) as (database_url, workdir):
        plan = _prepare(database_url, voters, rounds)
        servers = start_servers(database_url, processes, redis_url, workdir)
        try:
            outcomes = asyncio.run(
                _run([url for _p, url in servers], plan, [p.pid for p, _url in servers])
            )
            rss = sum(rss_mb(process.pid) for process, _url in servers)
        finally:
            stop_servers(servers)
        per_round = [_round_figures(database_url, outcome) for outcome in outcomes]

        def median(key):
            return round(statistics.median(r[key] for r in per_round), 1)

        return {
            "voters": voters,
            "rounds": rounds,
            "connected": min(r["connected"] for r in per_round),
            **{k: sum(r[k] for r in per_round) for k in ("acked", "stored", "lost", "duplicates")},
            **{k: median(k) for k in _TIMINGS},
            "server_rss_mb": round(rss, 1),
            "database": database_url.split(":", 1)[0].split("+")[0],
            "processes": processes,
            "per_round": per_round if rounds > 1 else None,
            "counted_in_result": sum(r["counted_in_result"] or 0 for r in per_round),
            "refused": {k: v for r in per_round for k, v in r["refused"].items()},
        }


_TIMINGS = (
    "ack_p50_ms",
    "ack_p95_ms",
    "ack_max_ms",
    "all_screens_final_ms",
    "burst_server_cpu_ms",
    "burst_client_cpu_ms",
)


def _round_figures(database_url: str, outcome: dict) -> dict:
    """One round's figures: what the clients saw, checked against what the database holds."""
    stored = _count_stored(database_url, outcome["poll_id"])
    acked = outcome["acked"]
    return {
        "connected": outcome["connected"],
        "acked": acked,
        "stored": stored["ballots"],
        "lost": max(0, acked - stored["ballots"]),
        "duplicates": max(0, stored["ballots"] - stored["records"])
        + max(0, stored["ballots"] - acked),
        **{k: outcome[k] for k in _TIMINGS},
        "counted_in_result": (
            sum(stored["result"].get("counts", {}).values()) if stored["result"] else None
        ),
        "refused": outcome["errors"],
    }


def main(
    voters: int, database_url: str | None, processes: int, redis_url: str | None, rounds: int
) -> None:
    print(json.dumps(run_vote_benchmark(voters, database_url, processes, redis_url, rounds)))
