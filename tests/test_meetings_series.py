"""Meeting series: created on schedule, topped up idempotently, with calendar month arithmetic."""

from datetime import date, datetime, time

import pytest
from sqlalchemy import func, select

from assembly.core.errors import DomainError
from assembly.extensions import db
from assembly.meetings import service
from assembly.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingKind,
    MeetingSeries,
    MeetingStatus,
    RecurrenceUnit,
)
from assembly.organisations.models import Organisation

EN = {"Accept-Language": "en"}


def series_form(**overrides) -> dict:
    data = {
        "title": "Asamblea mensual",
        "kind": "ordinary_assembly",
        "every": "1",
        "unit": "months",
        "first_date": "2031-01-31",
        "starts": "19:00",
        "ends": "21:00",
        "place": "Galpón",
        "ahead": "3",
        "ends_on": "",
        "template": "builtin:ordinary_assembly",
    }
    data.update(overrides)
    return data


def local_starts(app, series_id):
    with app.app_context():
        return [
            service.to_local(m.starts_at).replace(tzinfo=None)
            for m in db.session.scalars(
                select(Meeting).where(Meeting.series_id == series_id).order_by(Meeting.starts_at)
            )
        ]


def make_series(app, org, **fields) -> int:
    """A series straight in the database (no meetings yet), for the scheduling rules."""
    values = {
        "title": "Plenario",
        "kind": MeetingKind.ORDINARY,
        "every": 1,
        "unit": RecurrenceUnit.MONTHS,
        "first_starts_at": datetime(2031, 1, 31, 22, 0),  # 19:00 in Buenos Aires
        "duration_minutes": 120,
        "place": "Sede",
        "ahead": 3,
    }
    values.update(fields)
    with app.app_context():
        series = MeetingSeries(organisation_id=org.id, **values)
        db.session.add(series)
        db.session.commit()
        return series.id


def schedule(app, series_id, now):
    with app.app_context():
        created = service.schedule_series(db.session.get(MeetingSeries, series_id), now)
        db.session.commit()
        return [service.to_local(m.starts_at).replace(tzinfo=None) for m in created]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (datetime(2031, 1, 31, 19), 1, datetime(2031, 2, 28, 19)),
        (datetime(2032, 1, 31, 19), 1, datetime(2032, 2, 29, 19)),  # leap year
        (datetime(2031, 1, 31, 19), 2, datetime(2031, 3, 31, 19)),
        (datetime(2031, 3, 31, 19), 1, datetime(2031, 4, 30, 19)),
        (datetime(2031, 11, 15, 19), 3, datetime(2032, 2, 15, 19)),  # across the year
        (datetime(2031, 12, 31, 19), 12, datetime(2032, 12, 31, 19)),
        (datetime(2031, 5, 10, 9, 30), 0, datetime(2031, 5, 10, 9, 30)),
    ],
)
def test_calendar_months(start, months, expected):
    assert service.add_months(start, months) == expected


def test_month_ends_are_kept_and_scheduling_is_idempotent(app, coop):
    org, _people = coop
    series_id = make_series(app, org)
    now = datetime(2031, 1, 1)
    assert schedule(app, series_id, now) == [
        datetime(2031, 1, 31, 19, 0),
        datetime(2031, 2, 28, 19, 0),  # not March 3rd
        datetime(2031, 3, 31, 19, 0),  # back to the 31st, not the 28th
    ]
    assert schedule(app, series_id, now) == []  # idempotent
    assert schedule(app, series_id, now) == []
    with app.app_context():
        meetings = db.session.scalars(select(Meeting).where(Meeting.series_id == series_id)).all()
        assert all(m.status == MeetingStatus.DRAFT for m in meetings)
        assert all(m.planned_minutes == 120 and m.place == "Sede" for m in meetings)
        assert len({m.projector_token for m in meetings}) == 3
    # A month later one meeting has passed: the series is topped up by one.
    assert schedule(app, series_id, datetime(2031, 2, 10)) == [datetime(2031, 4, 30, 19, 0)]
    assert schedule(app, series_id, datetime(2031, 2, 10)) == []
    assert len(local_starts(app, series_id)) == 4


def test_weekly_series_stop_at_their_last_date(app, coop):
    org, _people = coop
    series_id = make_series(
        app,
        org,
        every=2,
        unit=RecurrenceUnit.WEEKS,
        first_starts_at=datetime(2031, 3, 3, 21, 0),  # Monday 18:00 local
        ahead=5,
        ends_on=service.end_of_local_day(date(2031, 4, 14)),
    )
    assert schedule(app, series_id, datetime(2031, 3, 1)) == [
        datetime(2031, 3, 3, 18, 0),
        datetime(2031, 3, 17, 18, 0),
        datetime(2031, 3, 31, 18, 0),
        datetime(2031, 4, 14, 18, 0),  # the last date itself still counts
    ]
    assert schedule(app, series_id, datetime(2031, 3, 20)) == []


def test_past_dates_are_not_scheduled(app, coop):
    org, _people = coop
    series_id = make_series(app, org, ahead=2)
    assert schedule(app, series_id, datetime(2031, 5, 15)) == [
        datetime(2031, 5, 31, 19, 0),
        datetime(2031, 6, 30, 19, 0),
    ]


def test_a_meeting_moved_by_hand_is_not_scheduled_again(app, coop):
    org, _people = coop
    series_id = make_series(app, org, ahead=2)
    schedule(app, series_id, datetime(2031, 1, 1))
    with app.app_context():
        last = db.session.scalar(
            select(Meeting)
            .where(Meeting.series_id == series_id)
            .order_by(Meeting.starts_at.desc())
            .limit(1)
        )
        last.starts_at = last.starts_at.replace(day=3)  # Feb 28 → Feb 3
        last.planned_end_at = last.planned_end_at.replace(day=3)
        db.session.commit()
    assert schedule(app, series_id, datetime(2031, 1, 1)) == []
    assert local_starts(app, series_id) == [
        datetime(2031, 1, 31, 19, 0),
        datetime(2031, 2, 3, 19, 0),
    ]


def test_the_live_room_tops_up_a_series_when_a_meeting_closes(app, coop):
    org, _people = coop
    series_id = make_series(app, org, ahead=1)
    schedule(app, series_id, datetime(2031, 1, 1))
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.series_id == series_id))
        meeting.status = MeetingStatus.CLOSED
        created = service.schedule_series_of(meeting, datetime(2031, 1, 31, 23, 30))
        db.session.commit()
        assert [service.to_local(m.starts_at).day for m in created] == [28]
        standalone = Meeting(
            organisation_id=org.id,
            kind=MeetingKind.WORKING,
            title="Suelta",
            starts_at=datetime(2031, 1, 1),
            planned_end_at=datetime(2031, 1, 1, 1),
            projector_token="suelta",
        )
        assert service.schedule_series_of(standalone, datetime(2031, 1, 2)) == []


def test_creating_a_series_from_the_form(app, client, coop):
    org, people = coop
    client.login(people["facilitator"].email)
    assert client.get(f"/o/{org.slug}/meetings/series/new", headers=EN).status_code == 200
    response = client.post_form(f"/o/{org.slug}/meetings/series/new", series_form())
    assert response.status_code == 302
    with app.app_context():
        series = db.session.scalar(select(MeetingSeries))
        assert series.first_starts_at == datetime(2031, 1, 31, 22, 0)
        assert series.duration_minutes == 120
        assert series.template_key == "builtin:ordinary_assembly"
        series_id = series.id
    assert response.location == f"/o/{org.slug}/meetings/series/{series_id}"
    assert local_starts(app, series_id) == [
        datetime(2031, 1, 31, 19, 0),
        datetime(2031, 2, 28, 19, 0),
        datetime(2031, 3, 31, 19, 0),
    ]
    with app.app_context():
        for meeting_id in db.session.scalars(select(Meeting.id)):
            titles = db.session.scalars(
                select(AgendaItem.title).where(AgendaItem.meeting_id == meeting_id)
            ).all()
            assert "Apertura y verificación del quórum" in titles
    # Viewing the series page (and the list) again schedules nothing more.
    page = client.get(response.location, headers=EN).get_data(as_text=True)
    assert "every month" in page and "Asamblea mensual" in page
    client.get(f"/o/{org.slug}/meetings")
    client.get(response.location)
    assert len(local_starts(app, series_id)) == 3
    # Members see neither the series nor its drafts.
    client.logout()
    client.login(people["member"].email)
    assert client.get(f"/o/{org.slug}/meetings/series/{series_id}").status_code == 403
    assert "Asamblea mensual" not in client.get(f"/o/{org.slug}/meetings").get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides",
    [
        {"every": "0"},
        {"every": "53"},
        {"ahead": "0"},
        {"ahead": "13"},
        {"unit": "fortnights"},
        {"ends": "18:00"},
        {"ends_on": "2031-01-30"},
        {"first_date": ""},
        {"title": ""},
        {"title": "x" * 161},
        {"kind": "network_plenary"},
        {"template": "saved:424242"},
    ],
)
def test_bad_series_input_is_a_form_error(app, client, coop, overrides):
    org, people = coop
    client.login(people["facilitator"].email)
    response = client.post_form(f"/o/{org.slug}/meetings/series/new", series_form(**overrides))
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(MeetingSeries.id))) == 0
        assert db.session.scalar(select(func.count(Meeting.id))) == 0


def test_ending_a_series(app, client, coop):
    org, people = coop
    client.login(people["facilitator"].email)
    response = client.post_form(
        f"/o/{org.slug}/meetings/series/new", series_form(first_date="2031-01-31")
    )
    series_url = response.location
    with app.app_context():
        first = db.session.scalar(select(Meeting).order_by(Meeting.starts_at).limit(1))
        first_id, series_id = first.id, first.series_id
    # A meeting of a series cannot be deleted on its own; it can be convened.
    client.post_form(f"/o/{org.slug}/meetings/{first_id}/delete")
    client.post_form(f"/o/{org.slug}/meetings/{first_id}/convene")
    with app.app_context():
        assert db.session.get(Meeting, first_id).status == MeetingStatus.CONVENED
    response = client.post_form(f"{series_url}/stop", headers=EN)
    assert response.status_code == 302
    page = client.get(series_url, headers=EN).get_data(as_text=True)
    assert "2 future drafts were removed" in page and "This series has ended." in page
    with app.app_context():
        assert db.session.scalars(select(Meeting.id)).all() == [first_id]
        assert db.session.get(MeetingSeries, series_id).ends_on is not None
    client.get(series_url)
    client.get(f"/o/{org.slug}/meetings")
    with app.app_context():
        assert db.session.scalar(select(func.count(Meeting.id))) == 1  # no new meetings


def test_the_series_of_another_organisation_is_404(app, client, coop, make_org):
    org, people = coop
    other = make_org("Otra", members={people["facilitator"]: "facilitator"})
    series_id = make_series(app, other)
    client.login(people["facilitator"].email)
    assert client.get(f"/o/{org.slug}/meetings/series/{series_id}").status_code == 404
    assert client.post_form(f"/o/{org.slug}/meetings/series/{series_id}/stop").status_code == 404
    assert client.get(f"/o/{other.slug}/meetings/series/{series_id}").status_code == 200


def test_the_service_refuses_bad_series(app, coop):
    org, _people = coop
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        first = service.from_local(date(2031, 1, 31), time(19))
        for values in (
            {"every": 0},
            {"ahead": 99},
            {"duration_minutes": 0},
            {"ends_on": datetime(2030, 1, 1)},
            {"kind": MeetingKind.PLENARY},
            {"template_key": "builtin:nothing"},
        ):
            arguments = {
                "title": "Serie",
                "kind": MeetingKind.ORDINARY,
                "every": 1,
                "unit": RecurrenceUnit.MONTHS,
                "first_starts_at": first,
                "duration_minutes": 60,
                **values,
            }
            with pytest.raises(DomainError):
                service.create_series(organisation, **arguments)
            db.session.rollback()
        assert db.session.scalar(select(func.count(MeetingSeries.id))) == 0
