"""Participation figures never tell anyone's self-described gender (property, over every room).

The attacker model: someone who reads every participation page and the trend across meetings.
They see, per meeting, who came and who spoke (and how often), the total speaking time, and the
gender figure if one is shown; they know the rules. Each person's speaking time is not shown, so
a figure's values could come from any split of the time: what the figures can give away is
whether a figure is shown, for whom, and what it adds up. A person's gender is "derived" when
every assignment of genders to the people that yields the same pages gives them the same one.
"""

import itertools
from collections import defaultdict
from datetime import timedelta

import pytest

from assembly.accounts.models import Gender
from assembly.room.participation import EVERYONE_ELSE, MEN, MIN_GROUP, split_shares

GENDERS = [*Gender, None]  # None: did not say
EN = {"Accept-Language": "en"}


def _seconds(n: int) -> list[float]:
    return [37.0 * (k + 1) + k * k for k in range(n)]  # all different, as in a real meeting


def _page(assignment, speakers) -> tuple:
    """What one meeting's pages show about gender: which figures (values aside)."""
    seconds = _seconds(len(speakers))
    shown = split_shares([(assignment[p], s) for p, s in zip(speakers, seconds, strict=True)])
    return tuple(sorted(shown))


def _derived(population: int, meetings: list[tuple[int, ...]]) -> list:
    """(person, gender) for everyone whose gender the meetings' pages determine."""
    possible = defaultdict(lambda: defaultdict(set))
    for assignment in itertools.product(GENDERS, repeat=population):
        view = tuple(_page(assignment, speakers) for speakers in meetings)
        for person in range(population):
            possible[view][person].add(assignment[person])
    spoke = {p for speakers in meetings for p in speakers}
    return [
        (view, person, genders)
        for view, people in possible.items()
        for person, genders in people.items()
        if person in spoke and len(genders) < 2
    ]


@pytest.mark.parametrize("speakers", range(1, 7))
def test_every_shown_figure_adds_up_at_least_two_people_each_side(speakers):
    seconds = _seconds(speakers)
    for assignment in itertools.product(GENDERS, repeat=speakers):
        shown = split_shares(list(zip(assignment, seconds, strict=True)))
        if not shown:
            continue
        men = [s for g, s in zip(assignment, seconds, strict=True) if g == Gender.MAN]
        others = [s for g, s in zip(assignment, seconds, strict=True) if g != Gender.MAN]
        # Each figure, and the total minus it (the other figure), is at least two people's.
        assert set(shown) == {MEN, EVERYONE_ELSE}
        assert len(men) >= MIN_GROUP and len(others) >= MIN_GROUP
        assert shown[MEN] == pytest.approx(sum(men) / sum(seconds))
        assert shown[MEN] + shown[EVERYONE_ELSE] == pytest.approx(1)


@pytest.mark.parametrize("speakers", range(1, 7))
def test_no_room_of_up_to_six_speakers_tells_anyone_s_gender(speakers):
    assert _derived(speakers, [tuple(range(speakers))]) == []


def test_no_two_meetings_of_five_people_tell_anyone_s_gender_by_difference():
    population = 5
    rooms = [
        s for k in range(1, population + 1) for s in itertools.combinations(range(population), k)
    ]
    for first, second in itertools.combinations(rooms, 2):
        assert _derived(population, [first, second]) == [], (first, second)


def test_no_three_meetings_of_four_people_tell_anyone_s_gender():
    population = 4
    rooms = [
        s for k in range(2, population + 1) for s in itertools.combinations(range(population), k)
    ]
    for meetings in itertools.combinations(rooms, 3):
        assert _derived(population, list(meetings)) == [], meetings


def test_the_old_figures_told_genders_by_difference():
    """Why one split: the groups a meeting showed, compared across two meetings whose speakers
    differ by one person, told that person's group (the rule this replaced)."""
    from collections import Counter

    def by_group(assignment, speakers):
        counts = Counter(assignment[p] for p in speakers)
        shown = {g for g, c in counts.items() if c >= MIN_GROUP}
        rest = sum(c for g, c in counts.items() if g not in shown)
        while 0 < rest < MIN_GROUP and shown:
            smallest = min(shown, key=lambda g: (counts[g], str(g)))
            shown.remove(smallest)
            rest += counts[smallest]
        return None if len(shown) + bool(rest) < 2 else (frozenset(shown), rest > 0)

    meetings = [(0, 1, 2, 3), (0, 1, 2, 4)]
    views = defaultdict(set)
    for assignment in itertools.product(GENDERS, repeat=5):
        view = tuple(by_group(assignment, m) for m in meetings)
        views[view].add(assignment[3])
    assert any(len(genders) == 1 for genders in views.values())


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def spoken(app, make_user, make_org, make_meeting):
    """A meeting where people of the given genders checked in and spoke (seconds each)."""
    from assembly.core.clock import utcnow
    from assembly.extensions import db
    from assembly.meetings.models import Attendance, FloorRequest

    def factory(genders_and_seconds, *, status="closed"):
        people = [
            make_user(name=f"Persona {n}", gender=gender)
            for n, (gender, _s) in enumerate(genders_and_seconds)
        ]
        viewer = make_user(name="Quien Mira")
        org = make_org(members={viewer: "member", **{p: "member" for p in people}})
        start = utcnow().replace(microsecond=0) - timedelta(hours=1)
        meeting = make_meeting(org, status=status, started_at=start)
        with app.app_context():
            for person, (_gender, seconds) in zip(people, genders_and_seconds, strict=True):
                db.session.add(Attendance(meeting_id=meeting.id, user_id=person.id, method="self"))
                db.session.add(
                    FloorRequest(
                        meeting_id=meeting.id,
                        user_id=person.id,
                        kind="contribution",
                        status="done",
                        started_at=start,
                        ended_at=start + timedelta(seconds=seconds),
                    )
                )
            db.session.commit()
        client = app.test_client()
        client.login(viewer.email)
        return org, meeting, client

    return factory


def _participation(client, org, meeting) -> str:
    page = client.get(f"/o/{org.slug}/meetings/{meeting.id}/participation", headers=EN)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_one_person_alone_on_a_side_is_never_shown(spoken):
    """Three women and one man: the old page showed the man's share as a group of its own."""
    org, meeting, client = spoken(
        [(Gender.WOMAN, 120), (Gender.WOMAN, 60), (Gender.WOMAN, 90), (Gender.MAN, 300)]
    )
    trend = client.get(f"/o/{org.slug}/participation", headers=EN).get_data(as_text=True)
    for page in (_participation(client, org, meeting), trend):
        assert "Self-described men" not in page and "Everyone else" not in page
        assert "Groups of fewer than two" not in page
        assert "53%" not in page and "47%" not in page  # 300 of 570 s, 270 of 570 s
    assert "Not shown: it needs at least two people who spoke on each side" in _participation(
        client, org, meeting
    )


def test_two_on_each_side_are_shown_added_up_once_the_meeting_has_ended(spoken):
    org, meeting, client = spoken(
        [(Gender.MAN, 150), (Gender.MAN, 90), (Gender.WOMAN, 60), (None, 300)]
    )
    page = _participation(client, org, meeting)
    assert "Self-described men" in page and "40%" in page  # 240 of 600 s
    assert "Everyone else" in page and "60%" in page
    # Nobody's own speaking time is on the page (it would match shares to people).
    for minutes in ("2.5 min", "1.5 min", "1.0 min", "5.0 min", "2,5 min", "1,5 min"):
        assert minutes not in page
    trend = client.get(f"/o/{org.slug}/participation", headers=EN).get_data(as_text=True)
    assert "Self-described men: 40%" in trend


def test_nothing_is_shown_while_the_meeting_runs(spoken):
    """Figures that change as people speak would tell, by difference, the last speaker's side."""
    org, meeting, client = spoken(
        [(Gender.MAN, 150), (Gender.MAN, 90), (Gender.WOMAN, 60), (Gender.WOMAN, 300)],
        status="live",
    )
    page = _participation(client, org, meeting)
    assert "Shown once the meeting has ended." in page
    assert "Self-described men" not in page
