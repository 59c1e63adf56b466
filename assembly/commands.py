"""Commands of `assembly` (and `flask --app assembly`): serve, demo, create-organisation,
reset-link, verify-minutes, import-minutes."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import pathlib
import socket

import click
from flask import Flask, current_app
from flask_migrate import upgrade

from assembly.extensions import db, socketio


def tune_garbage_collector() -> None:
    """Keep Python's full collections out of a voting burst.

    A server with thousands of connections holds millions of long-lived objects, and a full
    (oldest-generation) collection walks them all: about 250 ms at 2,000 connections, during which
    no room moves. With CPython's default thresholds a 2,000-ballot burst set off one or two, half
    of the server's time in it (measured with `assembly bench vote`). So what start-up built is
    frozen out of collection, a young collection waits for 50,000 new objects (not 700), and a
    full one for 10 middle ones of 20 young ones each. Reference cycles are still collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def no_delay(sock) -> None:
    """Send each write at once (TCP_NODELAY). The server writes a response's headers and its body
    apart; with Nagle's algorithm the body then waited for the client's delayed acknowledgement
    of the headers: 40 ms more on every request after the first on a kept-alive connection."""
    with contextlib.suppress(OSError, AttributeError):  # not a TCP socket (a test's, a Unix one)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _no_delay_handler():
    from gevent import pywsgi

    class NoDelayHandler(pywsgi.WSGIHandler):
        def handle(self):
            no_delay(self.socket)
            return super().handle()

    return NoDelayHandler


def upgrade_database() -> None:
    """Bring the schema to the newest migration; the start-up path of every server."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    from assembly.search.service import fill_if_empty

    fill_if_empty()  # the first start after the search index arrived builds it


def register_commands(app: Flask) -> None:
    @app.cli.command("serve")
    @click.option(
        "--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1"
    )
    @click.option(
        "--port",
        type=int,
        default=lambda: int(os.environ.get("PORT", "5000")),
        show_default="$PORT or 5000",
    )
    @click.option("--demo", is_flag=True, help="Load the demo data first (idempotent).")
    def serve(host: str, port: int, demo: bool) -> None:
        """Upgrade the database and serve the app with live updates."""
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        if not os.environ.get("BASE_URL"):
            # Development: links in messages point where this server listens.
            local = host in {"", "0.0.0.0", "::"}
            shown = "127.0.0.1" if local else (f"[{host}]" if ":" in host else host)
            app.config["BASE_URL"] = f"http://{shown}:{port}"
        upgrade_database()
        if demo:
            from assembly.demo.service import load_demo, print_accounts

            print_accounts(load_demo())
        click.echo(
            f"Assembly on http://{host}:{port}  ({current_app.config['SQLALCHEMY_DATABASE_URI'].split('://')[0]})"
        )
        # The command's own session must not sit idle in a transaction for the server's life.
        db.session.remove()
        from assembly.live.sessions import closer

        closer.start_listening()
        from assembly.commitments.reminders import clock

        clock.start(app)
        tune_garbage_collector()
        socketio.run(
            app,
            host=host,
            port=port,
            debug=False,
            use_reloader=False,
            log_output=False,
            handler_class=_no_delay_handler(),
        )

    @app.cli.command("remind")
    def remind() -> None:
        """Send the commitment reminders due now (in-app notices, and mail when configured).

        Idempotent: run it from cron as often as you like; nobody is reminded twice of the
        same due date. `assembly serve` also runs it every hour (REMINDER_MINUTES).
        """
        from assembly.commitments.reminders import send_reminders
        from assembly.core.clock import utcnow

        upgrade_database()
        notices = send_reminders(utcnow())
        click.echo(f"{len(notices)} reminders sent.")

    @app.cli.command("demo")
    def demo() -> None:
        """Load the demo organisations, networks and people (idempotent)."""
        from assembly.demo.service import load_demo, print_accounts

        upgrade_database()
        print_accounts(load_demo())

    @app.cli.group("bench")
    def bench() -> None:
        """Benchmarks that start real servers and clients (never part of the tests)."""

    @bench.command("vote")
    @click.option("--voters", type=int, default=200, show_default=True)
    @click.option(
        "--database-url", default=None, help="PostgreSQL URL (a throwaway schema is used)."
    )
    @click.option("--processes", type=int, default=1, show_default=True)
    @click.option("--redis-url", default=None, help="Needed with --processes above 1.")
    @click.option(
        "--rounds",
        type=int,
        default=1,
        show_default=True,
        help="Polls voted one after another on the same server; timings are their medians.",
    )
    def bench_vote(
        voters: int, database_url: str | None, processes: int, redis_url: str | None, rounds: int
    ):
        """N members vote at once; prints one JSON object of what happened."""
        from assembly.bench.vote import main

        main(voters, database_url, processes, redis_url, rounds)

    @bench.command("workshop")
    @click.option("--members", type=int, default=100, show_default=True)
    @click.option("--cards", type=int, default=300, show_default=True)
    @click.option(
        "--backings", type=int, default=3, show_default=True, help="Cards each member backs."
    )
    @click.option(
        "--duration",
        type=float,
        default=30.0,
        show_default=True,
        help="Seconds over which the cards are added.",
    )
    @click.option("--seed", type=int, default=None, help="Repeat a run's random choices.")
    @click.option(
        "--database-url", default=None, help="PostgreSQL URL (a throwaway schema is used)."
    )
    def bench_workshop(
        members: int,
        cards: int,
        backings: int,
        duration: float,
        seed: int | None,
        database_url: str | None,
    ):
        """Members fill a workshop board while the facilitator groups it; prints one JSON
        object of what happened."""
        from assembly.bench.workshop import main

        main(members, cards, database_url, backings=backings, duration=duration, seed=seed)

    @bench.command("hints")
    @click.option("--cards", type=int, default=500, show_default=True)
    @click.option("--runs", type=int, default=30, show_default=True)
    def bench_hints(cards: int, runs: int):
        """Similar-card hints on a board of N cards, texts new and already seen; prints one
        JSON object."""
        from assembly.bench.hints import main

        main(cards, runs)

    @bench.command("minutes")
    @click.option("--members", type=int, default=300, show_default=True)
    @click.option("--items", type=int, default=30, show_default=True)
    @click.option("--polls", type=int, default=20, show_default=True)
    @click.option("--runs", type=int, default=7, show_default=True)
    @click.option(
        "--database-url", default=None, help="PostgreSQL URL (a throwaway schema is used)."
    )
    @click.option("--show-draft", is_flag=True, help="Include the drafted minutes in the JSON.")
    def bench_minutes(
        members: int, items: int, polls: int, runs: int, database_url: str | None, show_draft: bool
    ):
        """Drafting the minutes of a big assembly when it closes (target: under 2 s); prints
        one JSON object."""
        from assembly.bench.minutes import main

        main(members, items, polls, runs, database_url, show_draft)

    @bench.command("search")
    @click.option("--documents", type=int, default=100_000, show_default=True)
    @click.option("--organisations", type=int, default=50, show_default=True)
    @click.option("--queries", type=int, default=1000, show_default=True)
    @click.option("--seed", type=int, default=11, show_default=True)
    @click.option(
        "--database-url", default=None, help="PostgreSQL URL (a throwaway schema is used)."
    )
    def bench_search(
        documents: int, organisations: int, queries: int, seed: int, database_url: str | None
    ):
        """Search over N generated meeting texts as members of different organisations; prints
        one JSON object."""
        from assembly.bench.search import main

        main(documents, organisations, queries, seed, database_url)

    @app.cli.command("search")
    @click.argument("query")
    @click.option("--as", "email", required=True, help="Search as this person.")
    @click.option("--org", "slug", default=None, help="Only this organisation of theirs.")
    @click.option(
        "--kind",
        default=None,
        help="meeting, item, topic, proposal, decision, commitment or minutes.",
    )
    @click.option("--limit", type=int, default=20, show_default=True)
    def search_command(query: str, email: str, slug: str | None, kind: str | None, limit: int):
        """Search as EMAIL would; prints one JSON object per result."""
        import json

        from assembly.accounts.service import find_user_by_email
        from assembly.organisations.models import Organisation
        from assembly.search.service import search

        user = find_user_by_email(email)
        if user is None or not user.active:
            raise click.ClickException(f"No active account has the address {email}.")
        organisation = None
        if slug:
            organisation = db.session.scalar(
                db.select(Organisation).where(Organisation.slug == slug)
            )
            if organisation is None:
                raise click.ClickException(f"No organisation is called {slug}.")
        with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
            results = search(
                user, query, organisation=organisation, kind=kind, limit=limit, snippets=False
            )
            for hit in results.hits:
                click.echo(json.dumps(hit.as_json(), ensure_ascii=False))

    @app.cli.command("reindex")
    def reindex_command() -> None:
        """Rebuild the search index from meetings, proposals, decisions and commitments."""
        from assembly.search.service import reindex

        count = reindex()
        db.session.commit()
        click.echo(f"Search index rebuilt: {count} records.")

    @app.cli.command("create-organisation")
    @click.argument("name")
    @click.argument("admin_email")
    @click.option(
        "--kind",
        default="worker_cooperative",
        type=click.Choice(["worker_cooperative", "sme", "collective", "network", "other"]),
    )
    def create_organisation(name: str, admin_email: str, kind: str) -> None:
        """Create an organisation and print the invitation link for its first admin."""
        from assembly.organisations.models import OrganisationKind, Role
        from assembly.organisations.service import create_organisation, invite

        upgrade_database()
        organisation = create_organisation(name, OrganisationKind(kind))
        _invitation, link = invite(organisation, admin_email, Role.ADMIN, actor=None)
        db.session.commit()
        click.echo(f"Created {organisation.name} (/o/{organisation.slug}/).")
        click.echo(f"Invitation for {admin_email} (admin): {link}")

    @app.cli.command("reset-link")
    @click.argument("email")
    def reset_link(email: str) -> None:
        """Print a password reset link for EMAIL's account (valid for two hours, once).

        For operators of an installation without a mail server: a reset link goes to its owner
        only, never to an admin's page. Check who is asking before handing it over.
        """
        from assembly.accounts.service import find_user_by_email
        from assembly.accounts.service import reset_link as make_link

        upgrade_database()
        user = find_user_by_email(email)
        if user is None or not user.active:
            raise click.ClickException(f"No active account has the address {email}.")
        click.echo(f"Reset link for {user.display_name} <{user.email}> (two hours, once):")
        click.echo(make_link(user))

    @app.cli.command("verify-minutes")
    def verify_minutes() -> None:
        """Check every approved version of every minutes against its hash chain.

        Exits with status 1 naming each minutes and version whose stored text or chain no
        longer matches what was approved.
        """
        from assembly.minutes.service import verify_all

        checked, breaches = verify_all()
        db.session.rollback()
        for breach in breaches:
            click.echo(f"CHANGED: {breach}", err=True)
        if breaches:
            raise SystemExit(1)
        click.echo(f"Checked {checked} minutes: every approved version matches its hash chain.")

    @app.cli.command("import-minutes")
    @click.argument(
        "directory", type=click.Path(exists=True, file_okay=False, path_type=pathlib.Path)
    )
    @click.option("--org", "slug", required=True, help="The organisation's short name (slug).")
    def import_minutes(directory: pathlib.Path, slug: str) -> None:
        """Bring past minutes (.md, .markdown, .txt files under DIRECTORY) into the archive of
        an organisation as approved historical minutes, each with a closed meeting.

        Idempotent: a file already imported is left alone; one changed since is reported.
        Exits with status 1 if any file was skipped or changed.
        """
        from assembly.minutes.importing import Outcome, import_directory
        from assembly.organisations.service import organisation_by_slug

        upgrade_database()
        organisation = organisation_by_slug(slug)
        if organisation is None:
            raise click.ClickException(f"No organisation is called {slug}.")
        results = import_directory(organisation, directory)
        db.session.commit()
        for result in results:
            if result.outcome == Outcome.IMPORTED:
                click.echo(f"imported: {result.name} (meeting {result.meeting_id})")
            elif result.failed:
                click.echo(f"{result.outcome.upper()}: {result.name}: {result.message}", err=True)
        count = {outcome: sum(r.outcome == outcome for r in results) for outcome in Outcome}
        click.echo(
            f"{organisation.name}: imported {count[Outcome.IMPORTED]}, "
            f"already there {count[Outcome.ALREADY]}, changed {count[Outcome.CHANGED]}, "
            f"skipped {count[Outcome.SKIPPED]}."
        )
        if any(result.failed for result in results):
            raise SystemExit(1)
