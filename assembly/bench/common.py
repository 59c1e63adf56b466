"""What the benchmarks share: a fresh database (SQLite file or a throwaway PostgreSQL schema),
co-op members written straight into it, real `assembly serve` processes, clients that log in
over HTTP like a browser, and the server's CPU and memory as /proc tells them."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager, suppress

PASSWORD = "asamblea-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(database_url: str, processes: int, redis_url: str | None, log_dir: str) -> list:
    servers = []
    channel = f"assembly-bench-{uuid.uuid4().hex}"
    for _ in range(processes):
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "bench-secret",
                "ASSEMBLY_LOGIN_RATE_LIMIT": "1000000 per minute",
                "ASSEMBLY_LOGIN_RATE_LIMIT_PER_ACCOUNT": "1000000 per minute",
                "ASSEMBLY_ARGON2_TIME_COST": "1",
                "ASSEMBLY_ARGON2_MEMORY_KIB": "1024",
                "ASSEMBLY_SOCKETIO_CHANNEL": channel,
                "RATELIMIT_STORAGE_URI": "memory://",
            }
        )
        env.pop("REDIS_URL", None)
        if redis_url:
            env["REDIS_URL"] = redis_url
        process = subprocess.Popen(
            [sys.executable, "-m", "assembly.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(log_dir, f"server-{port}.log"), "w"),  # noqa: SIM115
            text=True,
        )
        servers.append((process, f"http://127.0.0.1:{port}"))
    import requests

    for process, url in servers:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server failed to start; its log is in {log_dir}")
            with suppress(requests.RequestException):
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.1)
    return servers


def say(message: str) -> None:
    """Progress on stderr: the JSON on stdout stays the only output to parse."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fresh_schema(database_url: str) -> tuple[str, tuple[str, str]]:
    """A throwaway schema, so the benchmark never touches the database's own tables."""
    from sqlalchemy import create_engine, text

    name = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        # In the database's own schema, not the throwaway one: dropping that would take the
        # extension from under every other schema's search configuration.
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}options=-csearch_path%3D{name}", (database_url, name)


def drop_schema(database_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    engine.dispose()


def percentile(values, share: float) -> float | None:
    """The value below which `share` of them lie (nearest rank), or None if there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, min(len(ordered), round(share * len(ordered))) - 1)]


def bench_app(database_url: str):
    from assembly import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_KIB": 1024,
        }
    )


def live_meeting(organisation, kind, title: str):
    """A meeting under way now, written directly (the benchmarks' room)."""
    import secrets
    from datetime import timedelta

    from assembly.core.clock import utcnow
    from assembly.extensions import db
    from assembly.meetings.models import Meeting, MeetingStatus

    now = utcnow()
    meeting = Meeting(
        organisation_id=organisation.id,
        kind=kind,
        title=title,
        starts_at=now,
        planned_end_at=now + timedelta(hours=2),
        status=MeetingStatus.LIVE,
        started_at=now,
        projector_token=secrets.token_urlsafe(24),
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def add_people(organisation, prefix: str, name: str, count: int):
    """`count` members and a facilitator of the organisation, all with PASSWORD: (members,
    facilitator). One password hash for everyone keeps preparing 2,000 people quick."""
    from assembly.accounts.models import User
    from assembly.accounts.service import hash_password
    from assembly.extensions import db
    from assembly.organisations.models import Membership, Role

    password_hash = hash_password(PASSWORD)
    people = [
        User(
            email=f"{prefix}{n}@bench.example",
            display_name=f"{name} {n}",
            password_hash=password_hash,
        )
        for n in range(count)
    ]
    facilitator = User(
        email="facilitator@bench.example",
        display_name="Facilitadora",
        password_hash=password_hash,
    )
    db.session.add_all([*people, facilitator])
    db.session.flush()
    db.session.add_all(
        [
            Membership(organisation_id=organisation.id, user_id=p.id, role=Role.MEMBER)
            for p in people
        ]
        + [
            Membership(
                organisation_id=organisation.id, user_id=facilitator.id, role=Role.FACILITATOR
            )
        ]
    )
    return people, facilitator


async def log_in(http, url: str, email: str) -> str:
    """Log in through the real form (aiohttp session `http`); returns the Cookie header."""
    page = await (await http.get(url + "/login")).text()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = await http.post(
        url + "/login",
        allow_redirects=False,
        data={"csrf_token": token, "email": email, "password": PASSWORD},
    )
    if response.status != 302:
        raise RuntimeError(f"log-in failed for {email}: {response.status}")
    return "; ".join(f"{c.key}={c.value}" for c in http.cookie_jar)


@contextmanager
def fresh_database(database_url: str | None):
    """(database URL, work folder): a new SQLite file, or a throwaway schema of the PostgreSQL
    database given; both go away afterwards (ASSEMBLY_BENCH_KEEP=1 keeps the folder and logs)."""
    workdir = tempfile.mkdtemp(prefix="assembly-bench-")
    schema = None
    try:
        if database_url is None:
            database_url = f"sqlite:///{workdir}/bench.sqlite3"
        elif database_url.startswith("postgres"):
            database_url, schema = fresh_schema(database_url)
        yield database_url, workdir
    finally:
        if schema:
            drop_schema(*schema)
        if os.environ.get("ASSEMBLY_BENCH_KEEP"):
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def stop_servers(servers) -> None:
    for process, _url in servers:
        process.terminate()
    for process, _url in servers:
        with suppress(subprocess.TimeoutExpired):
            process.wait(10)
