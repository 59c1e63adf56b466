"""The knowledge base's decision log and timeline: every decision newest first with its meeting,
its minutes (only when the reader may read them) and the commitments it led to with their
follow-up; a timeline of the organisation, year by year; and, in search results, a decision's
commitments and minutes. Only what the reader may read, for members, staff, delegates and
outsiders alike."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlalchemy import event

from assembly.accounts.models import User
from assembly.commitments import service as commitments
from assembly.commitments.models import Commitment, CommitmentStatus, TimeFrame
from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings.models import Meeting
from assembly.minutes import service as minutes_service
from assembly.organisations.models import Organisation
from assembly.voting.models import Decision
from tests.test_voting_ui import client_for, text_of

EN = {"Accept-Language": "en"}
TWO_YEARS = timedelta(days=730)


def _held(app, make_meeting, org, title: str, ago: timedelta):
    """A meeting held `ago`, closed."""
    ref = make_meeting(org, status="closed", title=title, items=("Compras",))
    with app.app_context():
        meeting = db.session.get(Meeting, ref.id)
        meeting.starts_at = (utcnow() - ago).replace(microsecond=0)
        meeting.planned_end_at = meeting.starts_at + timedelta(hours=2)
        meeting.started_at = meeting.starts_at
        meeting.ended_at = meeting.starts_at + timedelta(hours=1)
        db.session.commit()
    return ref


def _decision(app, org, meeting_ref, title: str, text: str, at: datetime) -> int:
    with app.app_context():
        decision = Decision(
            organisation_id=org.id,
            meeting_id=meeting_ref.id if meeting_ref else None,
            title=title,
            text=text,
            decided_at=at,
            tally={"counts": {"yes": 5, "no": 1, "abstain": 0}, "outcome": "adopted"},
        )
        db.session.add(decision)
        db.session.commit()
        return decision.id


def approve_minutes(app, meeting_ref, text: str, approver) -> None:
    """The meeting's minutes, with `text`, approved by `approver`."""
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_ref.id)
        minutes = minutes_service.draft_minutes(meeting)
        user = db.session.get(User, approver.id)
        minutes_service.save_version(minutes, text, user)
        minutes_service.set_approvers(minutes, [approver.id])
        assert minutes_service.approve(minutes, user) is True
        db.session.commit()


def commitment_from(
    app, org, decision_id: int, what: str, owner, *, at=None, for_org=None, **changes
) -> int:
    """A commitment from the decision, made `at` (now by default), perhaps already done."""
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        commitment = commitments.create_commitment(
            organisation,
            what=what,
            owners=[commitments.OwnerChoice(owner.id, for_org.id if for_org else None)],
            due_on=changes.pop("due_on", None),
            time_frame=TimeFrame.SHORT,
            made_by=None,
            source=("decision", decision_id),
            confirm_past=True,
        )
        db.session.flush()
        if changes.get("status"):
            commitments.update_commitment(
                commitment,
                actor=db.session.get(User, owner.id),
                status=changes["status"],
                note="Listo",
            )
        if at is not None:  # as if it had been recorded then (and done a week later)
            commitment.created_at = commitment.updated_at = at
            if commitment.closed_at is not None:
                commitment.closed_at = commitment.updated_at = at + timedelta(days=7)
        db.session.commit()
        return commitment.id


def build_history(app, org, people, make_meeting) -> dict:
    """Two years of an organisation: a meeting two years ago with approved minutes and a
    decision whose commitments were followed up; one last year whose minutes are still a
    draft; a draft meeting being prepared."""
    old = _held(app, make_meeting, org, "Asamblea de herramientas", TWO_YEARS)
    approve_minutes(
        app,
        old,
        "# Acta de la asamblea\n\nSe aprueba priorizar la compra de herramientas nuevas.",
        people["secretary"],
    )
    old_decision = _decision(
        app,
        org,
        old,
        "Compra de herramientas",
        "Se aprueba priorizar la compra de herramientas para el taller.",
        utcnow() - TWO_YEARS + timedelta(hours=1),
    )
    done = commitment_from(
        app,
        org,
        old_decision,
        "Pedir tres presupuestos de amoladoras",
        people["member"],
        at=utcnow() - TWO_YEARS + timedelta(hours=1),
        due_on=(utcnow() - TWO_YEARS + timedelta(days=30)).date(),
        status=CommitmentStatus.DONE,
    )
    pending = commitment_from(
        app,
        org,
        old_decision,
        "Comprar la soldadora",
        people["facilitator"],
        at=utcnow() - TWO_YEARS + timedelta(hours=1),
    )
    recent = _held(app, make_meeting, org, "Asamblea de balance", timedelta(days=365))
    with app.app_context():
        minutes_service.draft_minutes(db.session.get(Meeting, recent.id))
        db.session.commit()
    recent_decision = _decision(
        app,
        org,
        recent,
        "Balance anual",
        "Se aprueba el balance.",
        utcnow() - timedelta(days=365) + timedelta(hours=1),
    )
    draft = make_meeting(org, status="draft", title="Asamblea en preparación")
    return {
        "old": old,
        "recent": recent,
        "draft": draft,
        "old_decision": old_decision,
        "recent_decision": recent_decision,
        "done": done,
        "pending": pending,
    }


def _minutes_url(org, ref) -> str:
    return f"/o/{org.slug}/meetings/{ref.id}/minutes"


# --- the decision log --------------------------------------------------------------------------


def test_the_log_lists_decisions_newest_first_with_minutes_and_follow_up(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    page = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/decisions", headers=EN))
    assert page.index("Balance anual") < page.index("Compra de herramientas")
    old = page[page.index(f'id="decision-{h["old_decision"]}"') :]
    recent = page[page.index(f'id="decision-{h["recent_decision"]}"') : page.index(old[:40])]
    # Approved minutes are linked for a member; a draft's are not.
    assert f'href="{_minutes_url(org, h["old"])}"' in old
    assert _minutes_url(org, h["recent"]) not in recent
    # Its commitments, their owners, status, due date and last update.
    assert "Pedir tres presupuestos de amoladoras" in old and "Comprar la soldadora" in old
    assert f'/o/{org.slug}/commitments/{h["done"]}"' in old
    assert "Done" in old and "Member Pérez" in old and "Facilitator Pérez" in old
    assert "last update" in old and "Open" in old
    # Staff may open the draft minutes of the recent meeting.
    staff = text_of(client_for(app, people["secretary"]).get(f"/o/{org.slug}/decisions"))
    assert f'href="{_minutes_url(org, h["recent"])}"' in staff
    assert "Compromisos y su seguimiento" in staff


def test_the_log_by_year_page_and_a_link_to_one_decision(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    client = client_for(app, people["member"])
    old_year = (utcnow() - TWO_YEARS + timedelta(hours=1)).year
    page = text_of(client.get(f"/o/{org.slug}/decisions?year={old_year}", headers=EN))
    assert "Compra de herramientas" in page
    assert ("Balance anual" in page) == (
        (utcnow() - timedelta(days=365) + timedelta(hours=1)).year == old_year
    )
    # Many decisions: pages of 25; a link to the old one opens the page it is on.
    base = utcnow() - timedelta(days=30)
    with app.app_context():
        db.session.add_all(
            Decision(
                organisation_id=org.id,
                title=f"Decisión menor {n}",
                text="Trámite.",
                decided_at=base + timedelta(minutes=n),
                tally={},
            )
            for n in range(60)
        )
        db.session.commit()
    first = text_of(client.get(f"/o/{org.slug}/decisions", headers=EN))
    assert "Decisión menor 59" in first and "Compra de herramientas" not in first
    assert "Page 1 of 3" in first and 'rel="next"' in first
    found = text_of(client.get(f"/o/{org.slug}/decisions?decision={h['old_decision']}"))
    assert f'id="decision-{h["old_decision"]}"' in found
    # Malformed values are no filter, not an error.
    for query in ("year=abcd", "page=-1", "page=99999999999999", "decision=0", "year=1"):
        assert client.get(f"/o/{org.slug}/decisions?{query}").status_code == 200


def test_the_log_is_not_an_n_plus_one(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    for n in range(10):
        commitment_from(app, org, h["recent_decision"], f"Tarea {n}", people["member"])
    client = client_for(app, people["member"])
    client.get(f"/o/{org.slug}/decisions")  # warm up

    def count_queries(url):
        with app.app_context():
            engine = db.engine
        seen = []

        def before(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", before)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", before)
        return len(seen)

    few = count_queries(f"/o/{org.slug}/decisions")
    with app.app_context():
        for n in range(15):
            decision = Decision(
                organisation_id=org.id,
                meeting_id=h["old"].id,
                title=f"Otra {n}",
                text="x",
                tally={},
            )
            db.session.add(decision)
            db.session.flush()
            db.session.add(
                Commitment(
                    organisation_id=org.id,
                    what=f"Compromiso {n}",
                    time_frame=TimeFrame.SHORT,
                    decision_id=decision.id,
                )
            )
        db.session.commit()
    many = count_queries(f"/o/{org.slug}/decisions")
    # Proposals' visibility is checked per decision that has one; these have none.
    assert many <= few + 2, (few, many)


def test_a_networks_log_is_read_by_its_delegates_and_no_one_outside(
    app, network_of_one, make_meeting
):
    network, member_coop = network_of_one.network, network_of_one.coop
    admin, delegate, partner = network_of_one.admin, network_of_one.delegate, network_of_one.partner
    plenary = _held(app, make_meeting, network, "Plenario de la red", timedelta(days=400))
    approve_minutes(app, plenary, "# Acta del plenario\n\nSe acuerda.", admin)
    decision = _decision(
        app, network, plenary, "Compra conjunta", "Se acuerda la compra conjunta.", utcnow()
    )
    commitment_from(app, network, decision, "Coordinar la compra", delegate, for_org=member_coop)
    page = text_of(client_for(app, delegate).get(f"/o/{network.slug}/decisions", headers=EN))
    assert "Compra conjunta" in page and "Coordinar la compra" in page
    assert f'href="{_minutes_url(network, plenary)}"' in page
    timeline = text_of(client_for(app, delegate).get(f"/o/{network.slug}/timeline"))
    assert "Plenario de la red" in timeline or "Compra conjunta" in timeline
    for path in ("decisions", "timeline"):
        assert client_for(app, partner).get(f"/o/{network.slug}/{path}").status_code == 404


def test_outsiders_get_404_and_see_nothing(app, coop, make_meeting, make_user, make_org):
    org, people = coop
    build_history(app, org, people, make_meeting)
    stranger = make_user("Ajena", "ajena@otra.example")
    make_org("Otra cooperativa", members={stranger: "admin"})
    client = client_for(app, stranger)
    for path in ("decisions", "timeline", "decisions?year=2020", "timeline?year=2020"):
        assert client.get(f"/o/{org.slug}/{path}").status_code == 404
    assert client.get("/o/no-such-org/timeline").status_code == 404


# --- the timeline ------------------------------------------------------------------------------


def test_the_timeline_shows_a_year_newest_first_grouped_by_month(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    member = client_for(app, people["member"])
    old_year = (utcnow() - TWO_YEARS).year
    page = text_of(member.get(f"/o/{org.slug}/timeline?year={old_year}", headers=EN))
    assert f"Timeline · {old_year}" in page
    assert "Asamblea de herramientas" in page and "Compra de herramientas" in page
    assert "Pedir tres presupuestos de amoladoras" in page
    assert f'href="{_minutes_url(org, h["old"])}"' in page
    # Newest first: the decision (an hour after the meeting began) above the meeting.
    assert page.index("Compra de herramientas") < page.index("Asamblea de herramientas")
    assert "Commitment made" in page
    months = re.findall(r'<h3 id="month-(\d{4}-\d{2})-01">', page)
    assert months == sorted(months, reverse=True) and months
    assert all(m.startswith(str(old_year)) for m in months)
    # The year selector offers every year with something in it.
    assert f'<option value="{old_year}" selected>' in page
    # A year with nothing is the default year, not an error.
    assert member.get(f"/o/{org.slug}/timeline?year=1999").status_code == 200
    assert member.get(f"/o/{org.slug}/timeline?year=x").status_code == 200


def test_the_timeline_shows_draft_meetings_only_to_those_who_prepare_them(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    year = utcnow().year
    member = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/timeline?year={year}"))
    secretary = text_of(
        client_for(app, people["secretary"]).get(f"/o/{org.slug}/timeline?year={year}")
    )
    assert "Asamblea en preparación" not in member
    assert "Asamblea en preparación" in secretary
    assert f'/meetings/{h["draft"].id}/"' in secretary
    # Minutes not yet approved: staff see the link, members do not.
    recent_year = (utcnow() - timedelta(days=365)).year
    member = text_of(
        client_for(app, people["member"]).get(f"/o/{org.slug}/timeline?year={recent_year}")
    )
    staff = text_of(
        client_for(app, people["facilitator"]).get(f"/o/{org.slug}/timeline?year={recent_year}")
    )
    assert "Asamblea de balance" in member and _minutes_url(org, h["recent"]) not in member
    assert f'href="{_minutes_url(org, h["recent"])}"' in staff


def test_an_empty_timeline_and_the_navigation_links(app, coop):
    org, people = coop
    page = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/timeline", headers=EN))
    assert "Nothing on the timeline yet" in page
    assert f'href="/o/{org.slug}/timeline" aria-current="page"' in page
    spanish = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/timeline"))
    assert "Cronología" in spanish


def test_a_busy_year_stays_a_few_queries(app, coop, make_meeting):
    """Hundreds of entries in a year: the page is a fixed number of queries."""
    org, people = coop
    build_history(app, org, people, make_meeting)
    base = datetime(utcnow().year, 1, 2)
    with app.app_context():
        for n in range(120):
            decision = Decision(
                organisation_id=org.id,
                title=f"Decisión {n}",
                text="x",
                decided_at=base + timedelta(hours=n),
                tally={},
            )
            db.session.add(decision)
            db.session.flush()
            db.session.add(
                Commitment(
                    organisation_id=org.id,
                    what=f"Compromiso {n}",
                    time_frame=TimeFrame.SHORT,
                    decision_id=decision.id,
                    created_at=base + timedelta(hours=n),
                    due_on=date(base.year, 12, 31),
                )
            )
        db.session.commit()
    client = client_for(app, people["member"])
    with app.app_context():
        engine = db.engine
    seen = []

    def before(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", before)
    try:
        page = text_of(client.get(f"/o/{org.slug}/timeline?year={base.year}"))
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert "Decisión 119" in page and "Compromiso 0" in page
    assert len(seen) < 40, len(seen)


# --- search results ----------------------------------------------------------------------------


def test_a_decision_in_search_results_shows_its_commitments_and_minutes(app, coop, make_meeting):
    org, people = coop
    h = build_history(app, org, people, make_meeting)
    page = text_of(
        client_for(app, people["member"]).get("/search?q=priorizamos&kind=decision", headers=EN)
    )
    assert "Compra de herramientas" in page
    assert "Pedir tres presupuestos de amoladoras" in page and "Done" in page
    assert f'/o/{org.slug}/commitments/{h["pending"]}"' in page
    assert f'href="{_minutes_url(org, h["old"])}"' in page
    assert f"decisions?decision={h['old_decision']}#decision-{h['old_decision']}" in page
