"""Participatory processes of problematisation workshops, over HTTP: processes and their
sessions, members' candidate questions and the dots poll among them, turning candidates into
points of debate, topics into proposals and prioritised with dots, the export, the demo's
process, and every refusal (rights, forged ids, over-long input)."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import func, select

from assembly.extensions import db
from assembly.meetings.models import AgendaItem, AgendaItemKind, Meeting
from assembly.workshops.models import (
    CandidateIssue,
    Card,
    CardBacking,
    Process,
    Topic,
    WorkshopSession,
)

QUESTIONS = (
    "¿Por qué nos organizamos como cooperativa de trabajo?",
    "¿Cómo se toman las decisiones?",
)
SPANISH = {"Accept-Language": "es-AR"}


def client_as(app, person):
    client = app.test_client()
    client.login(person.email)
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def base(org, process_id) -> str:
    return f"/o/{org.slug}/processes/{process_id}"


def make_process(app, org, title="Sesiones de problematización", proposals_open=True) -> int:
    from assembly.organisations.models import Organisation
    from assembly.workshops import processes

    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        process = processes.create_process(organisation, None, title=title)
        process.proposals_open = proposals_open
        db.session.commit()
        return process.id


def attach(app, process_id, meeting_id, position=0):
    with app.app_context():
        db.session.add(
            WorkshopSession(meeting_id=meeting_id, process_id=process_id, position=position)
        )
        db.session.commit()


def question_ids(app, meeting_id) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AgendaItem.id)
                .where(
                    AgendaItem.meeting_id == meeting_id,
                    AgendaItem.kind == AgendaItemKind.QUESTION,
                )
                .order_by(AgendaItem.position)
            )
        )


def add_topic(app, meeting_id, item_id, title, main_points="", cards=(), backers=()) -> int:
    """A topic with cards (texts) by `backers[0]`, each card backed by every backer."""
    with app.app_context():
        topic = Topic(
            meeting_id=meeting_id, agenda_item_id=item_id, title=title, main_points=main_points
        )
        db.session.add(topic)
        db.session.flush()
        for text in cards:
            card = Card(
                meeting_id=meeting_id,
                agenda_item_id=item_id,
                topic_id=topic.id,
                author_id=backers[0].id if backers else None,
                text=text,
                client_id=uuid.uuid4().hex,
            )
            db.session.add(card)
            db.session.flush()
            for person in backers:
                db.session.add(CardBacking(card_id=card.id, user_id=person.id))
        db.session.commit()
        return topic.id


@pytest.fixture
def process(app, coop, make_meeting):
    """A process of the co-op with one workshop session of two questions:
    (org, people, process id, meeting id)."""
    org, people = coop
    meeting = make_meeting(
        org,
        kind="problematisation_workshop",
        title="Primera sesión",
        items=[{"title": q, "kind": "problematisation_question"} for q in QUESTIONS],
    )
    process_id = make_process(app, org)
    attach(app, process_id, meeting.id)
    return org, people, process_id, meeting.id


# --- processes --------------------------------------------------------------------------------


def test_staff_create_and_edit_processes_and_members_cannot(app, coop):
    org, people = coop
    member = client_as(app, people["member"])
    assert member.get(f"/o/{org.slug}/processes").status_code == 200
    assert member.get(f"/o/{org.slug}/processes/new").status_code == 403
    assert member.post_form(f"/o/{org.slug}/processes/new", {"title": "X"}).status_code == 403
    for role in ("facilitator", "secretary", "admin"):
        staff = client_as(app, people[role])
        created = staff.post_form(
            f"/o/{org.slug}/processes/new",
            {"title": f"Proceso de {role}", "description": "Cuatro **sesiones**."},
        )
        assert created.status_code == 302, text_of(created)[:300]
    listing = text_of(member.get(f"/o/{org.slug}/processes"))
    assert "Proceso de facilitator" in listing and "Proceso de admin" in listing
    with app.app_context():
        process_id = db.session.scalar(
            select(Process.id).where(Process.title == "Proceso de admin")
        )
    assert member.get(f"{base(org, process_id)}/edit").status_code == 403
    staff = client_as(app, people["secretary"])
    edited = staff.post_form(
        f"{base(org, process_id)}/edit", {"title": "Proceso renombrado", "description": ""}
    )
    assert edited.status_code == 302
    with app.app_context():
        process = db.session.get(Process, process_id)
        assert process.title == "Proceso renombrado"
        assert process.proposals_open is False  # the unchecked box closes proposals


def test_process_form_errors_are_form_errors(app, coop):
    org, people = coop
    staff = client_as(app, people["facilitator"])
    for data in ({"title": ""}, {"title": "x" * 201}, {"title": "Bien", "description": "x" * 5001}):
        answer = staff.post_form(f"/o/{org.slug}/processes/new", data, headers=SPANISH)
        assert answer.status_code == 400
        assert 'class="errors"' in text_of(answer)
    with app.app_context():
        assert db.session.scalar(select(func.count(Process.id))) == 0


# --- sessions ---------------------------------------------------------------------------------


def test_sessions_are_existing_or_new_workshop_meetings(app, process, make_meeting, make_org):
    org, people, process_id, first = process
    staff = client_as(app, people["facilitator"])
    second = make_meeting(org, kind="problematisation_workshop", title="Segunda sesión", items=())
    assembly = make_meeting(org, title="Asamblea ordinaria", items=())
    other_org = make_org("Otra cooperativa")
    foreign = make_meeting(other_org, kind="problematisation_workshop", items=())
    url = f"{base(org, process_id)}/sessions"
    page = text_of(staff.get(base(org, process_id) + "/"))
    assert "Segunda sesión" in page and "Asamblea ordinaria" not in page.split("add-session")[-1]
    for forged in (str(assembly.id), str(foreign.id), "abc", "99999999999", str(first)):
        answer = staff.post_form(url, {"add-meeting": forged})
        assert answer.status_code == 400, forged
    assert staff.post_form(url, {"add-meeting": str(second.id)}).status_code == 302
    created = staff.post_form(
        f"{url}/new",
        {"new-title": "Tercera sesión", "new-date": "2031-05-04", "new-starts": "10:00",
         "new-ends": "13:00"},
    )  # fmt: skip
    assert created.status_code == 302
    bad = staff.post_form(
        f"{url}/new",
        {"new-title": "x" * 161, "new-date": "2031-05-04", "new-starts": "10:00",
         "new-ends": "13:00"},
    )  # fmt: skip
    assert bad.status_code == 400
    backwards = staff.post_form(
        f"{url}/new",
        {"new-title": "Al revés", "new-date": "2031-05-04", "new-starts": "13:00",
         "new-ends": "10:00"},
    )  # fmt: skip
    assert backwards.status_code == 400 and 'class="errors"' in text_of(backwards)
    with app.app_context():
        rows = db.session.execute(
            select(Meeting.title, Meeting.kind, WorkshopSession.position)
            .join(WorkshopSession, WorkshopSession.meeting_id == Meeting.id)
            .where(WorkshopSession.process_id == process_id)
            .order_by(WorkshopSession.position)
        ).all()
    assert [(t, str(k), p) for t, k, p in rows] == [
        ("Primera sesión", "problematisation_workshop", 0),
        ("Segunda sesión", "problematisation_workshop", 1),
        ("Tercera sesión", "problematisation_workshop", 2),
    ]
    member = client_as(app, people["member"])
    assert member.post_form(url, {"add-meeting": str(second.id)}).status_code == 403
    meeting_page = text_of(member.get(f"/o/{org.slug}/meetings/{second.id}/"))
    assert f"/processes/{process_id}/" in meeting_page  # the session links to its process
    removed = staff.post_form(f"{url}/{second.id}/remove")
    assert removed.status_code == 302
    assert staff.post_form(f"{url}/{second.id}/remove").status_code == 404


def test_a_draft_session_is_shown_only_to_those_who_prepare_meetings(app, process, make_meeting):
    org, people, process_id, _meeting = process
    draft = make_meeting(
        org,
        status="draft",
        kind="problematisation_workshop",
        title="Sesión en preparación",
        items=[{"title": "¿Pregunta secreta?", "kind": "problematisation_question"}],
    )
    attach(app, process_id, draft.id, position=1)
    member = client_as(app, people["member"])
    for path in ("/", "/print", "/export.md"):
        assert "Sesión en preparación" not in text_of(member.get(base(org, process_id) + path))
    staff = client_as(app, people["secretary"])
    assert "Sesión en preparación" in text_of(staff.get(base(org, process_id) + "/"))


# --- candidate issues -------------------------------------------------------------------------


def test_members_propose_questions_with_clear_errors(app, process):
    org, people, process_id, _meeting = process
    member = client_as(app, people["member"])
    url = f"{base(org, process_id)}/issues"
    ok = member.post_form(url, {"issue-text": "  ¿Cómo  repartimos los excedentes? "})
    assert ok.status_code == 302
    too_long = member.post_form(url, {"issue-text": "x" * 301}, headers=SPANISH)
    assert too_long.status_code == 400 and 'class="errors"' in text_of(too_long)
    assert member.post_form(url, {"issue-text": "   "}).status_code == 400
    again = member.post_form(url, {"issue-text": "¿cómo repartimos los excedentes?"})
    assert again.status_code == 409 and "ya fue propuesta" in text_of(again)
    with app.app_context():
        texts = db.session.scalars(select(CandidateIssue.text)).all()
        assert texts == ["¿Cómo repartimos los excedentes?"]
        db.session.get(Process, process_id).proposals_open = False
        db.session.commit()
    closed = member.post_form(url, {"issue-text": "Otra pregunta"})
    assert closed.status_code == 409
    assert "Este proceso ya no recibe propuestas de preguntas." in text_of(closed)


def propose(app, org, person, process_id, *texts):
    member = client_as(app, person)
    for text in texts:
        answer = member.post_form(f"{base(org, process_id)}/issues", {"issue-text": text})
        assert answer.status_code == 302
    with app.app_context():
        return {
            c.text: c.id
            for c in db.session.scalars(
                select(CandidateIssue).where(CandidateIssue.process_id == process_id)
            )
        }


def test_a_dots_poll_among_the_candidates_ranks_them(app, process):
    from assembly.voting.models import Poll, PollOption

    org, people, process_id, _meeting = process
    url = f"{base(org, process_id)}/issues/poll"
    facilitator = client_as(app, people["facilitator"])
    poll_form = {"poll-dots": "3", "poll-closes_on": "2099-01-01", "poll-closes_time": "20:00"}
    propose(app, org, people["member"], process_id, "Retiros")
    too_few = facilitator.post_form(url, poll_form)
    assert too_few.status_code == 409 and "al menos dos preguntas" in text_of(too_few)
    ids = propose(app, org, people["secretary"], process_id, "Sostenibilidad", "Trabajo en red")
    member = client_as(app, people["member"])
    assert member.post_form(url, poll_form).status_code == 403
    secretary = client_as(app, people["secretary"])
    assert secretary.post_form(url, poll_form).status_code == 403  # polls: those who run rooms
    for bad in ({"poll-dots": "0"}, {"poll-dots": "abc"}, {"poll-dots": "101"},
                {**poll_form, "poll-closes_on": "2001-01-01"}, {"poll-dots": "3"}):  # fmt: skip
        assert facilitator.post_form(url, bad).status_code == 400, bad
    opened = facilitator.post_form(url, poll_form)
    assert opened.status_code == 302
    poll_id = int(re.search(r"/polls/(\d+)", opened.headers["Location"]).group(1))
    assert facilitator.post_form(url, poll_form).status_code == 409  # one at a time
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        assert poll.method == "dots" and poll.meeting_id is None and poll.status == "open"
        assert poll.eligibility == "all_members"
        linked = {o.label: o.candidate_issue_id for o in poll.options}
        options = {o.label: o.id for o in poll.options}
    assert linked == ids
    # Members place their dots over days, from the poll's own page.
    for role, dots in (("member", {"Trabajo en red": 3}), ("secretary", {"Trabajo en red": 1,
                       "Sostenibilidad": 2}), ("admin", {"Retiros": 1})):  # fmt: skip
        voter = client_as(app, people[role])
        form = {f"dots-{options[label]}": str(n) for label, n in dots.items()}
        answer = voter.post_form(
            f"/o/{org.slug}/polls/{poll_id}/vote",
            {**form, "client_id": uuid.uuid4().hex, "voter_key": f"u:{people[role].id}"},
        )
        assert answer.status_code == 302
    page = text_of(member.get(base(org, process_id) + "/"))
    assert "cuando cierre la votación" in page
    closed = facilitator.post_form(f"/o/{org.slug}/polls/{poll_id}/close")
    assert closed.status_code == 302
    page = text_of(member.get(base(org, process_id) + "/"))
    ranking = page[page.index('class="ranking"') :]
    assert (
        ranking.index("Trabajo en red") < ranking.index("Sostenibilidad") < ranking.index("Retiros")
    )
    assert "4 puntos" in ranking
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).where(PollOption.candidate_issue_id.is_not(None))
            )
            == 3
        )


def test_chosen_candidates_become_points_of_debate(app, process, make_meeting, coop):
    org, people, process_id, meeting_id = process
    ids = propose(app, org, people["member"], process_id, "Retiros", "Sostenibilidad", "Red")
    url = f"{base(org, process_id)}/issues/choose"
    member = client_as(app, people["member"])
    chosen = {"choose-candidates": [ids["Retiros"], ids["Red"]], "choose-session": meeting_id}
    assert member.post_form(url, chosen).status_code == 403
    staff = client_as(app, people["secretary"])
    other = make_process(app, org, "Otro proceso")
    other_ids = propose(app, org, people["member"], other, "Ajena")
    for forged in (
        {"choose-candidates": [999999], "choose-session": meeting_id},
        {"choose-candidates": [other_ids["Ajena"]], "choose-session": meeting_id},
        {"choose-candidates": ["abc"], "choose-session": meeting_id},
        {"choose-candidates": [ids["Retiros"]], "choose-session": 999999},
        {"choose-candidates": [ids["Retiros"]], "choose-session": "abc"},
        {"choose-session": meeting_id},
    ):
        answer = staff.post_form(url, forged)
        assert answer.status_code == 400, forged
    assert staff.post_form(url, chosen).status_code == 302
    assert staff.post_form(url, chosen).status_code == 400  # chosen already: not offered
    with app.app_context():
        items = {
            i.title: i
            for i in db.session.scalars(
                select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
            )
        }
        assert items["Retiros"].kind == AgendaItemKind.QUESTION
        assert db.session.get(CandidateIssue, ids["Retiros"]).agenda_item_id == items["Retiros"].id
        assert db.session.get(CandidateIssue, ids["Red"]).agenda_item_id == items["Red"].id
        assert db.session.get(CandidateIssue, ids["Sostenibilidad"]).agenda_item_id is None
    page = text_of(member.get(base(org, process_id) + "/"))
    assert page.count("elegida por las socias y los socios") == 2
    assert f'href="#question-{items["Retiros"].id}"' in page


def test_a_closed_session_takes_no_new_questions(app, process):
    from assembly.core.errors import DomainError
    from assembly.workshops import processes

    org, people, process_id, meeting_id = process
    ids = propose(app, org, people["member"], process_id, "Retiros")
    with app.app_context():
        db.session.get(Meeting, meeting_id).status = "closed"
        db.session.commit()
        with pytest.raises(DomainError) as refused:
            processes.choose_issues(
                db.session.get(Process, process_id), [ids["Retiros"]], meeting_id
            )
        assert refused.value.code == "session_closed"


# --- topics onward ----------------------------------------------------------------------------


def test_the_process_page_shows_topics_cards_backers_and_sanitised_main_points(app, process):
    org, people, process_id, meeting_id = process
    first, _second = question_ids(app, meeting_id)
    add_topic(
        app, meeting_id, first, "La perspectiva política del trabajo",
        "- La persona antes que el **capital**\n<script>alert(1)</script>",
        cards=("Autogestión", "Decisiones participativas"),
        backers=(people["member"], people["admin"]),
    )  # fmt: skip
    page = text_of(client_as(app, people["member"]).get(base(org, process_id) + "/"))
    assert "Primera sesión" in page and QUESTIONS[0] in page and QUESTIONS[1] in page
    assert "La perspectiva política del trabajo" in page
    assert "2 tarjetas" in page and "2 personas las apoyaron" in page
    assert "<strong>capital</strong>" in page and "<script>alert" not in page


def test_a_topic_becomes_a_proposal_linked_both_ways(
    app, process, make_org, make_meeting, socket_for
):
    from assembly.proposals.models import Proposal

    org, people, process_id, meeting_id = process
    first, _second = question_ids(app, meeting_id)
    topic_id = add_topic(
        app, meeting_id, first, "Sostenibilidad de largo plazo", "- Presupuestar por cliente"
    )
    screen = socket_for(people["member"])  # a member's board, open during the session
    assert screen.emit("join", {"meeting_id": meeting_id}, callback=True)["ok"]
    screen.get_received()
    url = f"{base(org, process_id)}/topics/{topic_id}/proposal"
    member = client_as(app, people["member"])
    assert member.get(url).status_code == 403
    staff = client_as(app, people["facilitator"])
    form = text_of(staff.get(url))
    assert 'value="Sostenibilidad de largo plazo"' in form and "- Presupuestar por cliente" in form
    assert staff.post_form(url, {"title": "", "body": "x"}).status_code == 400
    assert staff.post_form(url, {"title": "t", "body": "x" * 20001}).status_code == 400
    created = staff.post_form(url, {"title": "Presupuestos por cliente", "body": "Que..."})
    assert created.status_code == 302
    with app.app_context():
        proposal_id = db.session.get(Topic, topic_id).proposal_id
        assert db.session.get(Proposal, proposal_id).title == "Presupuestos por cliente"
    linked = [
        topic
        for event in screen.get_received()
        if event["name"] == "board_changes"
        for topic in event["args"][0]["topics"]
    ]
    assert [(t["id"], t["proposal_id"]) for t in linked] == [(topic_id, proposal_id)]
    proposal_page = text_of(staff.get(f"/o/{org.slug}/proposals/{proposal_id}/"))
    assert f"/processes/{process_id}/#topic-{topic_id}" in proposal_page
    again = staff.get(url)
    assert again.status_code == 302
    assert staff.post_form(url, {"title": "Dos", "body": "x"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Proposal.id))) == 1
    process_page = text_of(staff.get(base(org, process_id) + "/"))
    assert f"/proposals/{proposal_id}/" in process_page
    # A topic of a meeting outside the process, and forged ids, are not found.
    loose = make_meeting(org, kind="problematisation_workshop", items=[
        {"title": "Suelta", "kind": "problematisation_question"}])  # fmt: skip
    loose_topic = add_topic(app, loose.id, question_ids(app, loose.id)[0], "Fuera")
    for forged in (loose_topic, 999999, 2**31):
        assert staff.get(f"{base(org, process_id)}/topics/{forged}/proposal").status_code == 404


def test_the_topics_of_a_question_are_prioritised_with_dots(app, process):
    from assembly.voting.models import Poll

    org, people, process_id, meeting_id = process
    first, _second = question_ids(app, meeting_id)
    url = f"{base(org, process_id)}/questions/{first}/poll"
    staff = client_as(app, people["facilitator"])
    form = {"tpoll-dots": "2", "tpoll-closes_on": "2099-01-01", "tpoll-closes_time": "20:00"}
    add_topic(app, meeting_id, first, "Retiros")
    lonely = staff.post_form(url, form)
    assert lonely.status_code == 409 and "al menos dos temas" in text_of(lonely)
    add_topic(app, meeting_id, first, "Excedentes")
    assert client_as(app, people["member"]).post_form(url, form).status_code == 403
    assert staff.post_form(url, {**form, "tpoll-dots": "-1"}).status_code == 400
    undated = staff.post_form(url, {"tpoll-dots": "2"})  # open for days: until when?
    assert undated.status_code == 400 and "Indicá hasta cuándo" in text_of(undated)
    opened = staff.post_form(url, form)
    assert opened.status_code == 302
    poll_id = int(re.search(r"/polls/(\d+)", opened.headers["Location"]).group(1))
    with app.app_context():
        poll = db.session.get(Poll, poll_id)
        topics = {t.title: t.id for t in db.session.scalars(select(Topic))}
        assert {o.label: o.topic_id for o in poll.options} == topics
        assert poll.agenda_item_id == first and poll.method == "dots"
    assert staff.post_form(url, form).status_code == 409
    # Not a question of this process's sessions: not found.
    for forged in (999999, 2**31):
        assert (
            staff.post_form(f"{base(org, process_id)}/questions/{forged}/poll", form).status_code
            == 404
        )


# --- the document -----------------------------------------------------------------------------


def test_the_export_holds_every_session_question_topic_and_main_points(app, process, make_meeting):
    org, people, process_id, meeting_id = process
    later = make_meeting(
        org,
        kind="problematisation_workshop",
        title="Segunda sesión",
        items=[{"title": "Esquemas de retiros", "kind": "problematisation_question"}],
    )
    attach(app, process_id, later.id, position=1)
    first, second = question_ids(app, meeting_id)
    add_topic(app, meeting_id, first, "La perspectiva política del trabajo",
              "- La persona antes que el capital\n- Autogestión", cards=("a", "b"),
              backers=(people["member"],))  # fmt: skip
    add_topic(app, meeting_id, second, "Órganos de gobierno", "Asamblea *mensual*")
    add_topic(app, later.id, question_ids(app, later.id)[0], "Retiros [1]",
              "<img src=x onerror=alert(1)> Retiro **igualitario**")  # fmt: skip
    member = client_as(app, people["member"])
    markdown = member.get(f"{base(org, process_id)}/export.md", headers=SPANISH)
    assert markdown.status_code == 200
    assert markdown.mimetype == "text/markdown"
    assert "attachment" in markdown.headers["Content-Disposition"]
    text = text_of(markdown)
    for expected in (
        "Sesión 1: Primera sesión", "Sesión 2: Segunda sesión", QUESTIONS[0],
        "Esquemas de retiros",
        "La perspectiva política del trabajo — principales puntos discutidos",
        "- La persona antes que el capital", "Asamblea *mensual*", "Retiros \\[1\\]",
        "2 tarjetas",
    ):  # fmt: skip
        assert expected in text, expected
    assert text.index("Primera sesión") < text.index("Segunda sesión")
    printable = member.get(f"{base(org, process_id)}/print", headers=SPANISH)
    assert printable.status_code == 200
    html = text_of(printable)
    for expected in (
        "Sesión 1: Primera sesión", "Sesión 2: Segunda sesión", QUESTIONS[0], QUESTIONS[1],
        "Esquemas de retiros", "La perspectiva política del trabajo",
        "principales puntos discutidos",
        "<li>La persona antes que el capital</li>", "Asamblea <em>mensual</em>",
        "Retiro <strong>igualitario</strong>", "Órganos de gobierno",
    ):  # fmt: skip
        assert expected in html, expected
    assert "onerror" not in html and "<script>alert" not in html
    assert "data-print" in html


# --- rights -----------------------------------------------------------------------------------


def _process_urls(app, org, process_id, meeting_id, topic_id, item_id):
    """Every route of the blueprint that names a process, with this process's ids."""
    values = {
        "slug": org.slug,
        "process_id": process_id,
        "meeting_id": meeting_id,
        "topic_id": topic_id,
        "item_id": item_id,
    }
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("workshops.") and "process_id" in rule.arguments:
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", str(values[name])).replace(
                    f"<{name}>", str(values[name])
                )
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                urls.append((method, path))
    return urls


def test_no_role_of_one_organisation_reaches_another_organisations_process(
    app, process, make_user, make_org, make_meeting
):
    """Property: for every role of organisation A, every process route of organisation B,
    under B's address and under A's, is not found; B's own staff do reach them."""
    org_b, people_b, process_b, meeting_b = process
    first, _second = question_ids(app, meeting_b)
    topic_b = add_topic(app, meeting_b, first, "Tema", cards=("x",))
    people_a = {role: make_user(email=f"{role}@a.example") for role in
                ("admin", "facilitator", "secretary", "member")}  # fmt: skip
    org_a = make_org("Cooperativa A", members={p: r for r, p in people_a.items()})
    process_a = make_process(app, org_a, "Proceso de A")
    urls = _process_urls(app, org_b, process_b, meeting_b, topic_b, first)
    assert len(urls) >= 12
    # B's process under A's address, too.
    urls_in_a = [
        (method, path.replace(f"/o/{org_b.slug}/", f"/o/{org_a.slug}/")) for method, path in urls
    ]
    # And A's process id under B's address, for B's staff.
    cross = _process_urls(app, org_b, process_a, meeting_b, topic_b, first)
    for role, person in people_a.items():
        client = client_as(app, person)
        token = client.csrf_token()
        for method, url in urls + urls_in_a:
            answer = client.open(url, method=method, data={"csrf_token": token})
            assert answer.status_code == 404, (role, method, url, answer.status_code)
    staff_b = client_as(app, people_b["admin"])
    token = staff_b.csrf_token()
    for method, url in cross:
        answer = staff_b.open(url, method=method, data={"csrf_token": token})
        assert answer.status_code == 404, (method, url)
    for method, url in urls:
        if method == "GET":
            assert staff_b.get(url).status_code in (200, 302), url


def test_forged_and_outsized_ids_are_not_found(app, process):
    org, people, process_id, _meeting = process
    staff = client_as(app, people["admin"])
    for forged in (999999, 2**31, 2**63):
        assert staff.get(f"/o/{org.slug}/processes/{forged}/").status_code == 404
        assert staff.get(f"/o/{org.slug}/processes/{forged}/export.md").status_code == 404
    assert staff.get("/o/no-such-org/processes").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/o/{org.slug}/processes/{process_id}/").status_code == 302
    # Changes without the confirmation token are refused, not carried out.
    meeting_url = f"/o/{org.slug}/processes/{process_id}/sessions/{_meeting}/remove"
    assert staff.post(meeting_url).status_code == 400


# --- the demo ---------------------------------------------------------------------------------


def test_the_demo_has_the_rctps_process_once(app, runner):
    from assembly.organisations.service import organisation_by_slug

    assert runner.invoke(args=["demo"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    with app.app_context():
        rctps = organisation_by_slug("rctps")
        processes = db.session.scalars(
            select(Process).where(Process.organisation_id == rctps.id)
        ).all()
        assert len(processes) == 1
        process_id = processes[0].id
        sessions = db.session.scalar(
            select(func.count()).where(WorkshopSession.process_id == process_id)
        )
        assert sessions == 4
        titles = set(db.session.scalars(select(Topic.title)))
        assert "La perspectiva política del trabajo" in titles
        assert db.session.scalar(select(func.count(Card.id))) > 0
    client = app.test_client()
    client.login("diego@demo.coop", "asamblea")
    page = text_of(client.get(f"/o/rctps/processes/{process_id}/", headers=SPANISH))
    assert "¿Por qué nos organizamos como cooperativa de trabajo?" in page
    assert "Trabajar en y para el sector" in page
    document = text_of(client.get(f"/o/rctps/processes/{process_id}/export.md"))
    assert document.count("## ") >= 4


def test_during_a_live_session_those_in_the_room_prioritise_the_topics(app, process):
    from assembly.meetings.models import Attendance
    from assembly.voting.models import Poll

    org, people, process_id, meeting_id = process
    first, _second = question_ids(app, meeting_id)
    add_topic(app, meeting_id, first, "Retiros")
    add_topic(app, meeting_id, first, "Excedentes")
    with app.app_context():
        db.session.get(Meeting, meeting_id).status = "live"
        db.session.commit()
    url = f"{base(org, process_id)}/questions/{first}/poll"
    staff = client_as(app, people["facilitator"])
    form = {"tpoll-dots": "3"}
    empty_room = staff.post_form(url, form)
    assert empty_room.status_code == 409  # nobody checked in: no quorum, said on the page
    assert 'role="alert"' in text_of(empty_room)
    with app.app_context():
        assert db.session.scalar(select(func.count(Poll.id))) == 0
        for role in ("facilitator", "member", "secretary"):
            db.session.add(
                Attendance(meeting_id=meeting_id, user_id=people[role].id, method="self")
            )
        db.session.commit()
    opened = staff.post_form(url, form)
    assert opened.status_code == 302
    with app.app_context():
        poll = db.session.scalar(select(Poll))
        assert poll.meeting_id == meeting_id and poll.eligibility == "present"
        assert poll.status == "open" and poll.closes_at is None
        assert set(poll.electorate) == {f"u:{people[r].id}" for r in
                                        ("facilitator", "member", "secretary")}  # fmt: skip


def test_long_questions_fit_the_poll_and_the_agenda_whole(app, process):
    from assembly.voting.models import Poll

    org, people, process_id, meeting_id = process
    long_a, long_b = "¿" + "a" * 250 + " uno?", "¿" + "a" * 250 + " dos?"
    ids = propose(app, org, people["member"], process_id, long_a, long_b)
    staff = client_as(app, people["facilitator"])
    opened = staff.post_form(
        f"{base(org, process_id)}/issues/poll",
        {"poll-dots": "2", "poll-closes_on": "2099-01-01", "poll-closes_time": "20:00"},
    )
    assert opened.status_code == 302
    with app.app_context():
        labels = [o.label for o in db.session.scalar(select(Poll)).options]
    assert len(set(labels)) == 2 and all(len(label) <= 200 for label in labels)
    chosen = staff.post_form(
        f"{base(org, process_id)}/issues/choose",
        {"choose-candidates": [ids[long_a]], "choose-session": meeting_id},
    )
    assert chosen.status_code == 302
    with app.app_context():
        item = db.session.get(
            AgendaItem, db.session.get(CandidateIssue, ids[long_a]).agenda_item_id
        )
        assert len(item.title) <= 200 and item.description == long_a
