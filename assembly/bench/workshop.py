"""`assembly bench workshop`: a workshop board filling up while it is being grouped, measured
end to end.

It makes a fresh database with one co-op of N members and a live problematisation workshop at
its first question, starts a real server (`assembly serve`, gevent), and connects N real
python-socketio clients as members, a facilitator and a projector. For about `duration` seconds
the members add the cards (each at a random moment, within the server's limit of 6 a minute)
and back each other's cards, while the facilitator groups them: creates topics with cards,
moves cards in and out of topics, renames and merges topics, one step after another.

Measured on the clients' side (one clock: every client runs in this process):
- a card's visibility: from its `card_add` until every other screen (the other members, the
  facilitator, the projector) has it through `board_changes`;
- a grouping step: from its emit until its answer, and until every screen has what it changed
  (each card and topic it changed at the version it answered, or the topic's removal).

At the end every screen asks for the whole `board` again and compares it with the board it built
from the deltas; the database is asked which cards it holds. Prints one JSON object.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
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
    percentile,
    rss_mb,
    say,
    start_servers,
    stop_servers,
)

QUESTIONS = (
    "¿Por qué nos organizamos como cooperativa de trabajo?",
    "¿Cómo se toman las decisiones en la cooperativa?",
)
WORDS = [
    "asamblea",
    "decidimos",
    "rotamos",
    "tareas",
    "consejo",
    "retiros",
    "anticipos",
    "capacitación",
    "compañeras",
    "compras",
    "cliente",
    "turnos",
    "reunión",
    "mensual",
    "comisión",
    "fondo",
    "educación",
    "balance",
    "excedentes",
    "horario",
    "máquina",
    "mantenimiento",
    "ventas",
    "proveedores",
    "cuidado",
    "licencias",
]
CARDS_PER_MINUTE = 6  # the server's limit per member (workshops/service.py)


def _prepare(database_url: str, members: int) -> dict:
    """Schema, people and a live workshop at its first question, written directly."""
    from assembly.commands import upgrade_database
    from assembly.extensions import db
    from assembly.meetings.models import (
        AgendaItem,
        AgendaItemKind,
        MeetingKind,
    )
    from assembly.organisations.models import OrganisationKind
    from assembly.organisations.service import create_organisation

    app = bench_app(database_url)
    with app.app_context():
        upgrade_database()
        organisation = create_organisation(
            "Cooperativa de banco de pruebas", OrganisationKind.WORKER_COOPERATIVE
        )
        people, facilitator = add_people(organisation, "member", "Socia", members)
        meeting = live_meeting(organisation, MeetingKind.WORKSHOP, "Taller de problematización")
        items = [
            AgendaItem(
                meeting_id=meeting.id,
                position=n,
                title=title,
                kind=AgendaItemKind.QUESTION,
            )
            for n, title in enumerate(QUESTIONS)
        ]
        db.session.add_all(items)
        db.session.flush()
        meeting.current_item_id = items[0].id
        db.session.commit()
        return {
            "meeting_id": meeting.id,
            "question_id": items[0].id,
            "projector_token": meeting.projector_token,
            "emails": [p.email for p in people],
            "facilitator": facilitator.email,
        }


def _stored_cards(database_url: str, meeting_id: int) -> set[int]:
    from sqlalchemy import select

    from assembly.extensions import db
    from assembly.workshops.models import Card

    with bench_app(database_url).app_context():
        return set(db.session.scalars(select(Card.id).where(Card.meeting_id == meeting_id)))


class BoardCopy:
    """A screen's copy of a board, built as docs/realtime.md says: from the whole board (join
    answer, `board`), then every `board_changes`, keeping the newest copy of each card and topic
    whatever order they arrive in. Notes when each copy arrived (`at`, any clock)."""

    def __init__(self) -> None:
        self.cards: dict[int, dict] = {}
        self.topics: dict[int, dict] = {}
        self.questions: dict[int, dict] = {}
        self.settings: dict | None = None
        self.removed: dict[tuple[str, int], int] = {}  # what was removed, at which version
        self.arrivals: dict[tuple[str, int], list[tuple[int, float]]] = {}
        self.version = -1

    def load(self, board: dict) -> None:
        self.cards = {c["id"]: c for c in board["cards"]}
        self.topics = {t["id"]: t for t in board["topics"]}
        self.questions = {q["id"]: q for q in board["questions"]}
        self.settings = board["settings"]
        self.removed = {}
        self.version = board["version"]

    def _keep(self, kind: str, held: dict, copy: dict, at: float) -> None:
        key = (kind, copy["id"])
        self.arrivals.setdefault(key, []).append((copy["version"], at))
        mine = held.get(copy["id"])
        if mine is not None and mine["version"] > copy["version"]:
            return  # an older copy arriving late changes nothing
        if self.removed.get(key, -1) >= copy["version"]:
            return
        self.removed.pop(key, None)
        held[copy["id"]] = copy

    def _drop(self, kind: str, held: dict, entity_id: int, version: int, at: float) -> None:
        key = (kind, entity_id)
        self.arrivals.setdefault(("removed_" + kind, entity_id), []).append((version, at))
        if held.get(entity_id, {}).get("version", -1) <= version:
            held.pop(entity_id, None)
            self.removed[key] = max(version, self.removed.get(key, -1))

    def apply(self, delta: dict, at: float = 0.0) -> None:
        version = delta["version"]
        self.version = max(self.version, version)
        for card in delta["cards"]:
            self._keep("card", self.cards, card, at)
        for topic in delta["topics"]:
            self._keep("topic", self.topics, topic, at)
        for card_id in delta["removed_cards"]:
            self._drop("card", self.cards, card_id, version, at)
        for topic_id in delta["removed_topics"]:
            self._drop("topic", self.topics, topic_id, version, at)
        for question in delta.get("questions") or ():
            self.questions[question["id"]] = question
        if delta.get("settings") is not None:
            self.settings = delta["settings"]

    def first_seen(self, kind: str, entity_id: int, version: int = 0) -> float | None:
        """When a copy at `version` or newer first came (None: never)."""
        times = [t for v, t in self.arrivals.get((kind, entity_id), ()) if v >= version]
        return min(times) if times else None

    def picture(self) -> tuple[dict, dict]:
        """What this screen shows, in a form to compare with a fresh `board`."""
        return _picture(self.cards.values(), self.topics.values())


class Screen(BoardCopy):
    """A real Socket.IO client on the board: a member, the facilitator or the projector."""

    def __init__(self, url: str, meeting_id: int, email: str | None = None, token=None):
        import socketio

        super().__init__()
        self.url, self.meeting_id, self.email, self.token = url, meeting_id, email, token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.deltas = 0
        self.sio.on("board_changes", self.on_changes)

    async def connect(self, http) -> None:
        headers = {}
        if self.email:
            headers["Cookie"] = await log_in(http, self.url, self.email)
        await self.sio.connect(self.url, headers=headers, transports=["websocket"], wait_timeout=30)
        payload = {"projector_token": self.token} if self.token else {"meeting_id": self.meeting_id}
        ack = await self.sio.call("join", payload, timeout=60)
        if not ack.get("ok") or "board" not in ack:
            raise RuntimeError(f"join refused: {ack}")
        self.load(ack["board"])

    async def on_changes(self, delta: dict) -> None:
        self.deltas += 1
        self.apply(delta, time.perf_counter())


def _picture(cards, topics) -> tuple[dict, dict]:
    return (
        {
            c["id"]: (c["question_id"], c["topic_id"], c["text"], c["author"], c["backers"])
            for c in cards
        },
        {t["id"]: (t["question_id"], t["title"], t["main_points"]) for t in topics},
    )


async def _connect_all(screens: list[Screen], concurrency: int = 50) -> None:
    import aiohttp

    limit = asyncio.Semaphore(concurrency)

    async def one(screen: Screen):
        async with limit:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await screen.connect(http)

    await asyncio.gather(*(one(s) for s in screens))


def _text(rng: random.Random, n: int) -> str:
    return f"{n}: " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12)))


class Run:
    """One run: the members' cards and backings, the facilitator's grouping, what they got."""

    def __init__(self, plan: dict, cards: int, backings: int, duration: float, seed: int):
        self.plan, self.duration = plan, duration
        self.meeting_id, self.question_id = plan["meeting_id"], plan["question_id"]
        self.rng = random.Random(seed)
        members = len(plan["emails"])
        self.per_member = [cards // members + (n < cards % members) for n in range(members)]
        self.backings_per_member = backings
        self.sent: dict[str, float] = {}  # client id -> when sent
        self.acked: dict[int, tuple[float, float, Screen]] = {}  # card -> (sent, acked, author)
        self.refused: dict[str, int] = {}
        self.backed = self.backings_refused = 0
        self.actions: list[dict] = []  # each grouping step: kind, sent, acked, expected changes
        self.action_errors: dict[str, int] = {}
        self.last_version = 0

    def _refusal(self, into: dict, ack: dict | None) -> None:
        code = "no_answer" if ack is None else ack.get("error", {}).get("code", "?")
        into[code] = into.get(code, 0) + 1

    async def _call(self, screen: Screen, event: str, **payload) -> dict | None:
        try:
            ack = await screen.sio.call(
                event, {"meeting_id": self.meeting_id, **payload}, timeout=60
            )
        except Exception:  # a timeout: counted as no answer
            return None
        if ack.get("ok"):
            self.last_version = max(self.last_version, ack.get("version", 0))
        return ack

    async def member(self, screen: Screen, n: int, start: float) -> None:
        """Its cards and its backings, each at a random moment of the run."""
        rng = random.Random(self.rng.random())
        moments = [("card", rng.uniform(0, self.duration)) for _ in range(self.per_member[n])]
        moments += [
            ("back", rng.uniform(self.duration * 0.1, self.duration))
            for _ in range(self.backings_per_member)
        ]
        moments.sort(key=lambda m: m[1])
        count = 0
        for what, moment in moments:
            await asyncio.sleep(max(0.0, start + moment - time.perf_counter()))
            if what == "card":
                count += 1
                client_id = uuid.uuid4().hex
                sent = time.perf_counter()
                ack = await self._call(
                    screen,
                    "card_add",
                    question_id=self.question_id,
                    text=_text(rng, count),
                    client_id=client_id,
                )
                if ack and ack.get("ok"):
                    self.acked[ack["card"]["id"]] = (sent, time.perf_counter(), screen)
                else:
                    self._refusal(self.refused, ack)
            else:
                mine = {c for c, (_s, _a, author) in self.acked.items() if author is screen}
                choices = [c for c in screen.cards if c not in mine]
                if not choices:
                    continue
                ack = await self._call(screen, "card_back", card_id=rng.choice(choices))
                if ack and ack.get("ok"):
                    self.backed += 1
                elif ack is None or ack["error"]["code"] != "already_backed":
                    self.backings_refused += 1

    async def facilitator(self, screen: Screen, start: float, done: asyncio.Event) -> None:
        """Groups what its screen shows, one step after another, until the members are done."""
        rng = random.Random(self.rng.random())
        renames = 0
        while not done.is_set():
            await asyncio.sleep(rng.uniform(0.3, 0.9))
            loose = [c["id"] for c in screen.cards.values() if c["topic_id"] is None]
            topics = list(screen.topics)
            grouped = [c["id"] for c in screen.cards.values() if c["topic_id"] is not None]
            options = []
            if len(loose) >= 3:
                options += ["create"] * (4 if len(topics) < 6 else 1)
            if loose and topics:
                options += ["move_in"] * 3
            if grouped and len(topics) >= 2:
                options += ["move_out"]
            if topics:
                options += ["rename"] * 2
            if len(topics) >= 5:
                options += ["merge"]
            if not options:
                continue
            kind = rng.choice(options)
            expect: list[tuple[str, int]] = []  # (kind, id) that must reach every screen
            if kind == "create":
                chosen = rng.sample(loose, min(len(loose), rng.randint(2, 4)))
                payload = {
                    "question_id": self.question_id,
                    "title": f"Tema {len(self.actions) + 1}",
                    "card_ids": chosen,
                }
                event = "topic_create"
                expect = [("card", c) for c in chosen]
            elif kind == "move_in":
                card = rng.choice(loose)
                payload, event = {"card_id": card, "topic_id": rng.choice(topics)}, "card_move"
                expect = [("card", card)]
            elif kind == "move_out":
                card = rng.choice(grouped)
                payload, event = {"card_id": card, "topic_id": None}, "card_move"
                expect = [("card", card)]
            elif kind == "rename":
                renames += 1
                topic = rng.choice(topics)
                payload = {"topic_id": topic, "title": f"Tema renombrado {renames}"}
                event = "topic_rename"
                expect = [("topic", topic)]
            else:
                topic, into = rng.sample(topics, 2)
                payload, event = {"topic_id": topic, "into_id": into}, "topic_merge"
                expect = [("removed_topic", topic), ("topic", into)]
            sent = time.perf_counter()
            ack = await self._call(screen, event, **payload)
            acked = time.perf_counter()
            if not ack or not ack.get("ok"):
                self._refusal(self.action_errors, ack)
                continue
            if kind == "create":
                expect.append(("topic", ack["topic_id"]))
            self.actions.append(
                {
                    "kind": kind,
                    "sent": sent,
                    "acked": acked,
                    "version": ack["version"],
                    "expect": expect,
                }
            )


async def _settle(screens: list[Screen], version: int, timeout: float = 30) -> bool:
    """Wait until every screen has had a delta at `version` or later."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(s.version >= version for s in screens):
            return True
        await asyncio.sleep(0.1)
    return False


async def _run(url: str, plan: dict, options: dict, server_pid: int) -> dict:
    meeting_id = plan["meeting_id"]
    members = [Screen(url, meeting_id, email) for email in plan["emails"]]
    facilitator = Screen(url, meeting_id, plan["facilitator"])
    projector = Screen(url, meeting_id, token=plan["projector_token"])
    screens = [*members, facilitator, projector]
    await _connect_all(screens)
    say(f"{len(members)} members, the facilitator and the projector connected")
    gc.collect()  # keep this load generator's own full collections out of the timings
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)

    run = Run(plan, options["cards"], options["backings"], options["duration"], options["seed"])
    server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
    start = time.perf_counter() + 0.2
    done = asyncio.Event()
    grouping = asyncio.create_task(run.facilitator(facilitator, start, done))
    await asyncio.gather(*(run.member(m, n, start) for n, m in enumerate(members)))
    done.set()
    await grouping
    elapsed = time.perf_counter() - start
    server_cpu = cpu_seconds(server_pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    say(f"{len(run.acked)} cards, {len(run.actions)} grouping steps; waiting for the screens")
    settled = await _settle(screens, run.last_version)
    await asyncio.sleep(0.5)

    # Visibility of each acknowledged card on every screen but its author's.
    visible: list[float] = []
    on_every_screen = set()
    for card_id, (sent, _acked, author) in run.acked.items():
        seen = [s.first_seen("card", card_id) for s in screens if s is not author]
        if None not in seen:
            on_every_screen.add(card_id)
            visible.append((max(seen) - sent) * 1000)
    card_acks = [(acked - sent) * 1000 for sent, acked, _a in run.acked.values()]

    # Grouping steps: until the answer, and until every screen has each thing they changed.
    action_acks = [(a["acked"] - a["sent"]) * 1000 for a in run.actions]
    action_screens: list[float] = []
    actions_unseen: list[dict] = []
    for action in run.actions:
        times, missed = [], set()
        for n, screen in enumerate(screens):
            for kind, entity_id in action["expect"]:
                if kind == "removed_topic":
                    at = screen.first_seen("removed_topic", entity_id, 0)
                else:
                    # A later step may have removed it before the screens heard of this one.
                    seen = [
                        screen.first_seen(kind, entity_id, action["version"]),
                        screen.first_seen("removed_" + kind, entity_id, action["version"]),
                    ]
                    at = min((t for t in seen if t is not None), default=None)
                times.append(at)
                if at is None:
                    missed.add((kind, entity_id, n))
        if missed:
            actions_unseen.append(
                {
                    "kind": action["kind"],
                    "version": action["version"],
                    "screens": len({n for _k, _i, n in missed}),
                    "what": sorted({f"{k} {i}" for k, i, _n in missed}),
                }
            )
        else:
            action_screens.append((max(times) - action["sent"]) * 1000)

    # Every screen's board against a fresh one from the server.
    differing = 0
    for screen in screens:
        payload = {"projector_token": screen.token} if screen.token else {}
        if screen.token:
            fresh = await screen.sio.call("join", payload, timeout=60)
        else:
            fresh = await screen.sio.call("board", {"meeting_id": meeting_id}, timeout=60)
        differing += screen.picture() != _picture(fresh["board"]["cards"], fresh["board"]["topics"])
    for screen in screens:
        with suppress(Exception):
            await screen.sio.disconnect()

    def ms(values, share):
        value = percentile(values, share)
        return None if value is None else round(value, 1)

    kinds: dict[str, int] = {}
    for action in run.actions:
        kinds[action["kind"]] = kinds.get(action["kind"], 0) + 1
    return {
        "screens": len(screens),
        "cards_sent": sum(run.per_member),
        "cards_acked": len(run.acked),
        "cards_refused": run.refused,
        "acked_ids": set(run.acked),
        "on_every_screen_ids": on_every_screen,
        "missing_on_some_screen": len(set(run.acked) - on_every_screen),
        "screens_differing_from_board": differing,
        "settled": settled,
        "card_ack_p95_ms": ms(card_acks, 0.95),
        "card_visible_p50_ms": ms(visible, 0.5),
        "card_visible_p95_ms": ms(visible, 0.95),
        "card_visible_max_ms": ms(visible, 1.0),
        "backings": run.backed,
        "backings_refused": run.backings_refused,
        "group_actions": len(run.actions),
        "group_actions_by_kind": kinds,
        "group_actions_refused": run.action_errors,
        "group_action_ack_p50_ms": ms(action_acks, 0.5),
        # The step's answer (ack); the same as group_action_ack_p95_ms, named as asked for.
        "group_action_p95_ms": ms(action_acks, 0.95),
        "group_action_ack_p95_ms": ms(action_acks, 0.95),
        "group_action_all_screens_p50_ms": ms(action_screens, 0.5),
        "group_action_all_screens_p95_ms": ms(action_screens, 0.95),
        "group_actions_not_on_every_screen": len(actions_unseen),
        "group_actions_not_on_every_screen_which": actions_unseen[:5],
        "elapsed_s": round(elapsed, 1),
        "server_cpu_s": round(server_cpu, 2),
        "client_cpu_s": round(client_cpu, 2),
    }


def run_workshop_benchmark(
    members: int,
    cards: int,
    database_url: str | None = None,
    *,
    backings: int = 3,
    duration: float = 30.0,
    seed: int | None = None,
) -> dict:
    if members < 2:
        raise SystemExit("--members must be at least 2 (cards must reach another member)")
    if cards > members * CARDS_PER_MINUTE * max(1, int(duration // 60)):
        raise SystemExit(
            f"at most {CARDS_PER_MINUTE} cards a minute per member: "
            "more members, fewer cards or a longer --duration"
        )
    seed = seed if seed is not None else random.randrange(1_000_000)
    options = {"cards": cards, "backings": backings, "duration": duration, "seed": seed}
    with fresh_database(database_url) as (database_url, workdir):
        plan = _prepare(database_url, members)
        servers = start_servers(database_url, 1, None, workdir)
        try:
            (process, url) = servers[0]
            outcome = asyncio.run(_run(url, plan, options, process.pid))
            rss = rss_mb(process.pid)
        finally:
            stop_servers(servers)
        acked = outcome.pop("acked_ids")
        everywhere = outcome.pop("on_every_screen_ids")
        stored = _stored_cards(database_url, plan["meeting_id"])
        return {
            "members": members,
            **{k: outcome[k] for k in ("screens", "cards_sent", "cards_acked")},
            "cards_stored": len(stored),
            "cards_on_every_screen": len(everywhere),
            # Acknowledged, yet not in the database or not on some screen.
            "lost": len(acked - (stored & everywhere)),
            **{
                k: v
                for k, v in outcome.items()
                if k not in {"screens", "cards_sent", "cards_acked"}
            },
            "server_rss_mb": round(rss, 1),
            "database": database_url.split(":", 1)[0].split("+")[0],
            "seed": seed,
        }


def main(members: int, cards: int, database_url: str | None, **options) -> None:
    print(json.dumps(run_workshop_benchmark(members, cards, database_url, **options)))
    sys.stdout.flush()
