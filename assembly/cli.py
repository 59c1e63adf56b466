"""The `assembly` command. Kept free of Flask imports until gevent has patched the process."""

from __future__ import annotations

import sys

# Commands that run the real-time server need gevent's cooperative sockets (see
# docs/realtime.md): patching must happen before anything imports socket or threading.
_GEVENT_COMMANDS = {"serve"}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in _GEVENT_COMMANDS:
        import gevent
        from gevent import monkey

        # Recording each greenlet's spawning stack (a debugging aid) cost a third of the
        # server's time in a voting burst, where every ballot runs in a greenlet of its own.
        gevent.config.track_greenlet_tree = False
        monkey.patch_all()
    from flask.cli import FlaskGroup

    from assembly import create_app

    cli = FlaskGroup(
        create_app=lambda: create_app(),
        help="Assembly: live assemblies for worker cooperatives.",
        set_debug_flag=False,
    )
    cli.main(prog_name="assembly")


if __name__ == "__main__":
    main()
