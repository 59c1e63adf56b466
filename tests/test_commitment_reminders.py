"""Commitment reminders (in-app notices and mail) and the personal calendar feed, parsed back
with the icalendar library."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.commitments import service
from assembly.commitments.models import CalendarFeed, Commitment, CommitmentStatus
from assembly.commitments.reminders import DUE_SOON, OVERDUE, send_reminders
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings.models import Notification
from assembly.organisations.models import Membership
from tests.conftest import link_in
from tests.test_commitments import _make


def today():
    return service.today()


def _remind(app, now=None) -> list[tuple[int, int, str]]:
    with app.app_context():
        notices = send_reminders(now or utcnow())
        return sorted((n.user_id, n.commitment_id, n.kind) for n in notices)


def _notices(app) -> list[tuple[int, int, str]]:
    with app.app_context():
        return sorted(
            (n.user_id, n.commitment_id, n.kind) for n in db.session.scalars(select(Notification))
        )


def _leave(app, person, org) -> None:
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(
                Membership.user_id == person.id, Membership.organisation_id == org.id
            )
        )
        membership.left_at = utcnow()
        db.session.commit()


def _set_locale(app, person, locale) -> None:
    with app.app_context():
        db.session.get(User, person.id).locale = locale
        db.session.commit()


# --- reminders ---------------------------------------------------------------------------------


def test_owners_are_reminded_once_of_what_is_due_soon_or_overdue(app, coop):
    org, people = coop
    member, admin, secretary = people["member"], people["admin"], people["secretary"]
    soon = _make(app, org, [member.id, admin.id], made_by=secretary.id, due_in=3)
    late = _make(app, org, [member.id], made_by=secretary.id, due_in=-2)
    _make(app, org, [member.id], due_in=20)  # not yet
    _make(app, org, [member.id], due_in=None)  # no date
    _make(app, org, [member.id], due_in=1, status="done")
    _make(app, org, [member.id], due_in=-5, status="dropped")

    assert _remind(app) == sorted(
        [
            (member.id, soon, DUE_SOON),
            (admin.id, soon, DUE_SOON),
            (member.id, late, OVERDUE),
        ]
    )
    # Nothing new the second time, nor for the one who recorded them.
    assert _remind(app) == []
    assert len(_notices(app)) == 3
    assert not any(user_id == secretary.id for user_id, _c, _k in _notices(app))


def test_an_overdue_commitment_reminds_again_and_so_does_a_renegotiated_date(app, coop):
    org, people = coop
    member = people["member"]
    commitment_id = _make(app, org, [member.id], due_in=2)
    assert _remind(app) == [(member.id, commitment_id, DUE_SOON)]
    # Three days later it is overdue: one more notice, of the other kind.
    assert _remind(app, utcnow() + timedelta(days=3)) == [(member.id, commitment_id, OVERDUE)]
    assert _remind(app, utcnow() + timedelta(days=4)) == []
    # Renegotiated to a date within the week: reminded of the new date.
    with app.app_context():
        commitment = db.session.get(Commitment, commitment_id)
        service.update_commitment(
            commitment,
            actor=None,
            status=CommitmentStatus.RENEGOTIATED,
            due_on=today() + timedelta(days=5),
        )
        db.session.commit()
    assert _remind(app) == [(member.id, commitment_id, DUE_SOON)]
    with app.app_context():
        dates = sorted(
            n.due_on for n in db.session.scalars(select(Notification).order_by(Notification.id))
        )
        assert dates == sorted([today() + timedelta(days=2)] * 2 + [today() + timedelta(days=5)])


def test_nobody_is_reminded_of_a_closed_commitment_or_after_leaving(app, coop):
    org, people = coop
    member, admin = people["member"], people["admin"]
    done_later = _make(app, org, [member.id], due_in=2)
    _make(app, org, [admin.id], due_in=-1)
    with app.app_context():
        service.update_commitment(
            db.session.get(Commitment, done_later), actor=None, status=CommitmentStatus.DONE
        )
        db.session.commit()
    _leave(app, admin, org)
    assert _remind(app) == []
    assert _notices(app) == []


def test_two_processes_reminding_at_once_remind_nobody_twice(app, coop, database_url):
    """Cron and a server may run at the same moment: the unique index keeps one notice."""
    import threading

    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: nothing runs at once there")
    org, people = coop
    owners = [people["member"].id, people["admin"].id]
    for n in range(15):
        _make(app, org, owners, due_in=n % 9 - 1, what=f"Compromiso {n}")
    barrier = threading.Barrier(2)
    counts = []

    def run():
        with app.app_context():
            barrier.wait()
            counts.append(len(send_reminders(utcnow())))
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(counts) == 30
    assert len(_notices(app)) == 30


def test_the_notice_reads_in_the_readers_language_and_opens_the_commitment(app, coop):
    org, people = coop
    member, admin = people["member"], people["admin"]
    commitment_id = _make(app, org, [member.id, admin.id], due_in=-3, what="Pedir **chapa**")
    _set_locale(app, admin, "en")
    _remind(app)

    client = app.test_client()
    client.login(member.email)
    page = client.get("/notifications").get_data(as_text=True)
    assert "un compromiso tuyo venció el" in page
    assert "“Pedir chapa”" in page
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
        notice_id = notice.id
    response = client.post_form(f"/notifications/{notice_id}/open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/o/{org.slug}/commitments/{commitment_id}")
    with app.app_context():
        assert db.session.get(Notification, notice_id).read_at is not None

    other = app.test_client()
    other.login(admin.email)
    page = other.get("/notifications").get_data(as_text=True)
    assert "a commitment of yours was due on" in page
    # Someone else's notice is not theirs to open.
    assert other.post_form(f"/notifications/{notice_id}/open").status_code == 404


def test_reminders_are_mailed_in_each_language_with_a_link_to_the_commitment(
    mail_app, make_user, make_org
):
    ana = make_user(name="Ana", email="ana@coop.example")
    bob = make_user(name="Bob", email="bob@coop.example", locale="en")
    org = make_org("Cooperativa Chapa", members={ana: "member", bob: "member"})
    soon = _make(mail_app, org, [ana.id, bob.id], due_in=4, what="Pedir presupuestos")
    with mail_app.app_context():
        notices = send_reminders(utcnow())
    assert len(notices) == 2
    mailed = dict(mail_app.mailed())
    assert set(mailed) == {"ana@coop.example", "bob@coop.example"}
    assert "Pedir presupuestos" in mailed["ana@coop.example"]
    assert "vence el" in mailed["ana@coop.example"]
    assert "is due on" in mailed["bob@coop.example"]
    for body in mailed.values():
        assert body.count("http://127.0.0.1:5000/") == 2  # BASE_URL, not a request's host
        assert link_in(body) == f"/o/{org.slug}/commitments/{soon}"
    # Again: nothing more is mailed.
    with mail_app.app_context():
        assert send_reminders(utcnow()) == []
    assert len(mail_app.mailed()) == 2


def test_without_mail_only_notices_are_given(app, coop):
    from assembly.accounts.models import OutboxMessage

    org, people = coop
    _make(app, org, [people["member"].id], due_in=1)
    assert len(_remind(app)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_remind_command_is_idempotent(app, runner, coop):
    org, people = coop
    _make(app, org, [people["member"].id, people["admin"].id], due_in=0)
    result = runner.invoke(args=["remind"])
    assert result.exit_code == 0, result.output
    assert "2 reminders sent." in result.output
    assert "0 reminders sent." in runner.invoke(args=["remind"]).output


def test_the_servers_clock_sends_them_and_a_failure_does_not_stop_it(app, coop, monkeypatch):
    from assembly.commitments import reminders

    org, people = coop
    _make(app, org, [people["member"].id], due_in=1)
    assert reminders.clock.run_once(app) == 1
    assert reminders.clock.run_once(app) == 0

    def broken(now):
        raise RuntimeError("database away")

    monkeypatch.setattr(reminders, "send_reminders", broken)
    assert reminders.clock.run_once(app) == 0


# --- the calendar feed -------------------------------------------------------------------------


def _new_feed(client) -> tuple[str, str]:
    response = client.post_form("/commitments/calendar")
    assert response.status_code == 200
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    url = re.search(r'id="feed-url" type="text" value="([^"]+)"', page).group(1)
    path = link_in(url)
    return url, path


def _read(app, path):
    """The feed as a calendar app reads it: no cookies."""
    response = app.test_client().get(path)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return Calendar.from_ical(response.data)


def _events(calendar) -> dict[str, object]:
    return {str(e["uid"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_my_open_commitments_and_coming_meetings(app, coop, make_meeting):
    org, people = coop
    member, admin = people["member"], people["admin"]
    mine = _make(app, org, [member.id], due_in=3, what="Pedir **3** presupuestos")
    late = _make(app, org, [member.id, admin.id], due_in=-2, what="Arreglar la plegadora")
    _make(app, org, [admin.id], due_in=5, what="No es mío")
    _make(app, org, [member.id], due_in=4, what="Ya hecho", status="done")
    _make(app, org, [member.id], due_in=None, what="Sin fecha")
    meeting = make_meeting(org, starts_in_minutes=60 * 24 * 3, title="Asamblea de diciembre")
    make_meeting(org, status="draft", starts_in_minutes=60 * 24, title="Borrador")

    client = app.test_client()
    client.login(member.email)
    assert 'href="/commitments/calendar"' in client.get("/commitments/mine").get_data(as_text=True)
    url, path = _new_feed(client)
    assert url.startswith("http://127.0.0.1:5000/calendar/") and url.endswith(".ics")

    events = _events(_read(app, path))
    assert set(events) == {
        f"commitment-{mine}@127.0.0.1",
        f"commitment-{late}@127.0.0.1",
        f"meeting-{meeting.id}@127.0.0.1",
    }
    first = events[f"commitment-{mine}@127.0.0.1"]
    assert first.decoded("dtstart") == today() + timedelta(days=3)
    assert first.decoded("dtend") == today() + timedelta(days=4)
    assert str(first["summary"]) == "Vence: Pedir 3 presupuestos (Cooperativa 7 de Septiembre)"
    assert f"/o/{org.slug}/commitments/{mine}" in str(first["url"])
    assert "Estado: Abierto" in str(first["description"])
    assert "está vencido" in str(events[f"commitment-{late}@127.0.0.1"]["description"])
    gathering = events[f"meeting-{meeting.id}@127.0.0.1"]
    assert "Asamblea de diciembre" in str(gathering["summary"])

    # Only a fingerprint of the address is kept.
    token = path.removeprefix("/calendar/").removesuffix(".ics")
    with app.app_context():
        feed = db.session.scalar(select(CalendarFeed))
        assert feed.user_id == member.id and token not in feed.token_hash
        assert feed.last_read_at is not None
    page = client.get("/commitments/calendar").get_data(as_text=True)
    assert token not in page


def test_the_feed_speaks_its_owners_language(app, coop):
    org, people = coop
    member = people["member"]
    _set_locale(app, member, "en")
    commitment_id = _make(app, org, [member.id], due_in=-1, what="Order steel")
    client = app.test_client()
    client.login(member.email)
    _url, path = _new_feed(client)
    event = _events(_read(app, path))[f"commitment-{commitment_id}@127.0.0.1"]
    assert str(event["summary"]) == "Due: Order steel (Cooperativa 7 de Septiembre)"
    assert "is overdue" in str(event["description"])


def test_a_new_address_or_turning_it_off_ends_the_old_one_at_once(app, coop):
    org, people = coop
    member = people["member"]
    _make(app, org, [member.id], due_in=3)
    client = app.test_client()
    client.login(member.email)
    _url, first = _new_feed(client)
    _read(app, first)
    _url, second = _new_feed(client)
    assert second != first
    assert app.test_client().get(first).status_code == 404
    _read(app, second)

    response = client.post_form("/commitments/calendar/off")
    assert response.status_code == 302
    assert app.test_client().get(second).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(CalendarFeed.id))) == 0
        assert db.session.scalar(select(func.count(Commitment.id))) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No tenés una dirección de calendario." in page
    # Turning it off twice, or without the confirmation token, changes nothing.
    assert client.post("/commitments/calendar/off").status_code == 400
    assert client.post("/commitments/calendar").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(CalendarFeed.id))) == 0


def test_a_wrong_or_someone_elses_address_shows_nothing_of_mine(app, coop):
    org, people = coop
    member, admin = people["member"], people["admin"]
    mine = _make(app, org, [member.id], due_in=3, what="Lo mío")
    theirs = _make(app, org, [admin.id], due_in=3, what="Lo suyo")
    member_client, admin_client = app.test_client(), app.test_client()
    member_client.login(member.email)
    admin_client.login(admin.email)
    _url, member_path = _new_feed(member_client)
    _url, admin_path = _new_feed(admin_client)
    assert set(_events(_read(app, admin_path))) == {f"commitment-{theirs}@127.0.0.1"}
    assert set(_events(_read(app, member_path))) == {f"commitment-{mine}@127.0.0.1"}

    anonymous = app.test_client()
    token = member_path.removeprefix("/calendar/").removesuffix(".ics")
    for guess in (
        secrets.token_urlsafe(32),
        token[:-1] + ("A" if token[-1] != "A" else "B"),
        token.upper() if token.upper() != token else token.lower(),
        token[:20],
        token + "x",
        "",
    ):
        assert anonymous.get(f"/calendar/{guess}.ics").status_code == 404, guess
    assert anonymous.get("/calendar/.ics").status_code == 404
    # Logging in opens nobody's feed either.
    assert member_client.get(f"/calendar/{secrets.token_urlsafe(32)}.ics").status_code == 404


def test_guessing_addresses_is_rate_limited(make_app):
    app = make_app(CALENDAR_RATE_LIMIT="3 per minute")
    client = app.test_client()
    answers = [
        client.get(f"/calendar/{secrets.token_urlsafe(32)}.ics").status_code for _ in range(4)
    ]
    assert answers == [404, 404, 404, 429]


def test_after_leaving_an_organisation_its_commitments_leave_the_feed(app, coop, make_org):
    org, people = coop
    member = people["member"]
    other = make_org("Red Metalúrgica", members={member: "member"})
    stays = _make(app, other, [member.id], due_in=2, what="En la otra")
    goes = _make(app, org, [member.id], due_in=2, what="En la que dejo")
    client = app.test_client()
    client.login(member.email)
    _url, path = _new_feed(client)
    assert set(_events(_read(app, path))) == {
        f"commitment-{stays}@127.0.0.1",
        f"commitment-{goes}@127.0.0.1",
    }
    _leave(app, member, org)
    assert set(_events(_read(app, path))) == {f"commitment-{stays}@127.0.0.1"}


def test_a_closed_account_has_no_feed(app, coop):
    org, people = coop
    member = people["member"]
    _make(app, org, [member.id], due_in=2)
    client = app.test_client()
    client.login(member.email)
    _url, path = _new_feed(client)
    with app.app_context():
        db.session.get(User, member.id).active = False
        db.session.commit()
    assert app.test_client().get(path).status_code == 404


def test_a_failing_feed_is_logged_without_its_address(app, coop, monkeypatch, caplog):
    from assembly.commitments import feed as feed_service

    org, people = coop
    _make(app, org, [people["member"].id], due_in=2)
    client = app.test_client()
    client.login(people["member"].email)
    _url, path = _new_feed(client)
    token = path.removeprefix("/calendar/").removesuffix(".ics")

    def broken(user, now):
        raise RuntimeError("disk full")

    monkeypatch.setattr(feed_service, "calendar", broken)
    with caplog.at_level("INFO"):
        assert app.test_client().get(path).status_code == 500
    assert "calendar feed of account" in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize("url", ["/commitments/calendar"])
def test_the_calendar_page_needs_a_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.post(url).status_code in (302, 400)


# --- in a real server and a real browser -------------------------------------------------------


@pytest.mark.live
def test_a_running_server_sends_the_reminders_by_itself(app, coop, database_url):
    """`assembly serve` starts its reminder clock (the shared live server has it off)."""
    import time

    from tests.live import ServerProcess

    org, people = coop
    commitment_id = _make(app, org, [people["member"].id], due_in=-1)
    server = ServerProcess(database_url, extra_env={"ASSEMBLY_REMINDER_MINUTES": "60"})
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not _notices(app):
            time.sleep(0.2)
    finally:
        server.stop()
    assert _notices(app) == [(people["member"].id, commitment_id, OVERDUE)]


@pytest.mark.live
@pytest.mark.browser
def test_on_a_phone_a_member_makes_reads_and_turns_off_the_calendar_address(
    app, coop, browser_page
):
    import requests

    from tests.test_browser_accessibility import AXE_PATH, BLOCKING, RUN_AXE, SMALL_TARGETS

    org, people = coop
    member = people["member"]
    commitment_id = _make(app, org, [member.id], due_in=2, what="Pedir la chapa")
    page = browser_page(member, width=360, height=740)
    page.context.add_init_script(path=AXE_PATH)
    page.goto("/commitments/mine")
    page.get_by_role("link", name="Verlos en mi calendario").click()
    page.wait_for_url("**/commitments/calendar")
    page.get_by_role("button", name="Hacer mi dirección de calendario").click()
    url = page.locator("#feed-url").input_value()
    assert url.endswith(".ics")
    # The page that shows the address: accessible, no sideways scrolling, thumb-sized targets.
    assert [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING] == []
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 360
    assert page.evaluate(SMALL_TARGETS, 44) == []

    answer = requests.get(url, timeout=10)  # a calendar app: no cookies
    assert answer.status_code == 200
    events = _events(Calendar.from_ical(answer.content))
    assert str(events[f"commitment-{commitment_id}@127.0.0.1"]["summary"]).startswith(
        "Vence: Pedir la chapa"
    )

    page.goto("/commitments/calendar")
    assert url not in page.content()
    page.get_by_role("button", name="Desactivar la dirección").click()
    page.wait_for_url("**/commitments/calendar")
    assert "Tu dirección de calendario ya no funciona." in page.content()
    assert requests.get(url, timeout=10).status_code == 404
