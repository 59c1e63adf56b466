"""Real servers and real clients for tests that claim live behaviour.

`ServerProcess` runs `assembly serve` (gevent) in its own process on the test database;
`LiveClient` logs in over HTTP like a browser and talks Socket.IO over a real websocket.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid

import requests
import socketio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(
        self,
        database_url: str,
        *,
        redis_url: str | None = None,
        channel: str | None = None,
        extra_env: dict | None = None,
        args: tuple[str, ...] = (),
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}}
        env.update(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret-key",
                "ASSEMBLY_ARGON2_TIME_COST": "1",
                "ASSEMBLY_ARGON2_MEMORY_KIB": "1024",
                "ASSEMBLY_LOGIN_RATE_LIMIT": "100000 per minute",
                "ASSEMBLY_LOGIN_RATE_LIMIT_PER_ACCOUNT": "100000 per minute",
                "ASSEMBLY_SOCKETIO_CHANNEL": channel or f"assembly-test-{uuid.uuid4().hex}",
                "ASSEMBLY_INSTANCE": os.path.join(ROOT, "instance"),
                "RATELIMIT_STORAGE_URI": "memory://",
                # Reminders would land in other tests' data: a test starts them itself.
                "ASSEMBLY_REMINDER_MINUTES": "0",
            }
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        command = [sys.executable, "-m", "assembly.cli", "serve", "--port", str(self.port), *args]
        self.log_path = os.path.join(ROOT, "instance", f"server-{self.port}.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start in {timeout}s: {self.output()}")

    def output(self) -> str:
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def login(base_url: str, email: str, password: str) -> requests.Session:
    http = requests.Session()
    page = http.get(base_url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = http.post(
        base_url + "/login",
        data={"csrf_token": token, "email": email, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, f"log-in failed for {email}"
    return http


class LiveClient:
    """A python-socketio client that remembers the latest of every event it received."""

    def __init__(
        self,
        base_url: str,
        person=None,
        *,
        meeting_id: int | None = None,
        projector_token: str | None = None,
    ):
        self.base_url = base_url
        self.meeting_id = meeting_id
        self.projector_token = projector_token
        self.latest: dict[str, object] = {}
        self.counts: dict[str, int] = {}
        self.arrivals: dict[str, list[float]] = {}  # when each event came (time.monotonic)
        self.joined = threading.Event()
        self._changed = threading.Condition()
        self.http = login(base_url, person.email, person.password) if person else requests.Session()
        self.sio = socketio.Client(reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("*", self._on_event)
        self.sio.on("connect", self._on_connect)

    def connect(self) -> LiveClient:
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        self.sio.connect(
            self.base_url,
            headers={"Cookie": cookie} if cookie else {},
            transports=["websocket"],
            wait_timeout=10,
        )
        assert self.joined.wait(10), "join was not acknowledged"
        return self

    def _on_connect(self):
        # Like the browser's script: (re)join on every connection and take the state at once.
        payload = (
            {"projector_token": self.projector_token}
            if self.projector_token
            else {"meeting_id": self.meeting_id}
        )
        self.sio.emit("join", payload, callback=self._on_join)

    def _on_join(self, ack):
        with self._changed:
            if ack.get("ok"):
                self.latest["state"] = ack["state"]
                for key in ("you", "roster"):
                    if key in ack:
                        self.latest[key] = ack[key] if key == "you" else {"people": ack[key]}
            self.latest["join"] = ack
            self.counts["join"] = self.counts.get("join", 0) + 1
            self._changed.notify_all()
        self.joined.set()

    def _on_event(self, event, data=None):
        with self._changed:
            if (
                event == "state"
                and "state" in self.latest
                and data["version"] < self.latest["state"]["version"]
            ):
                return  # an older state arriving late changes nothing
            self.latest[event] = data
            self.counts[event] = self.counts.get(event, 0) + 1
            self.arrivals.setdefault(event, []).append(time.monotonic())
            self._changed.notify_all()

    def call(self, event: str, **payload) -> dict:
        if self.meeting_id is not None:
            payload.setdefault("meeting_id", self.meeting_id)
        return self.sio.call(event, payload, timeout=10)

    def wait_for(self, predicate, timeout: float = 10, what: str = "condition"):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                try:
                    if predicate(self.latest):
                        return self.latest
                except (KeyError, TypeError, IndexError):
                    pass
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what}; latest: "
                        f"{ {k: v for k, v in self.latest.items() if k != 'roster'} }"
                    )
                self._changed.wait(remaining)

    def close(self) -> None:
        if self.sio.connected:
            # Say goodbye at the Socket.IO level, then drop the socket without waiting for the
            # server's websocket close handshake (it can take seconds and proves nothing here).
            self.sio.reconnection = False
            with contextlib.suppress(Exception):
                self.sio.eio.disconnect(abort=True)


def bench_figures(database_url: str, name: str, *options: str, timeout: int = 300) -> dict:
    """Run `assembly bench NAME OPTIONS` as an operator would and read its one JSON object;
    on PostgreSQL it works in a throwaway schema of the test database."""
    import json

    command = [sys.executable, "-m", "assembly.cli", "bench", name, *options]
    if database_url.startswith("postgresql"):
        command += ["--database-url", database_url]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)
