"""What people see and do with polls, in-process: the form that prepares them, drafts in the
room, polls open for days on plain pages (voting, reminders, closing on time), and results
explained in words."""

import re
import uuid
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from assembly.core.clock import utcnow
from assembly.extensions import db
from assembly.meetings.models import Notification
from assembly.proposals.models import Proposal
from assembly.voting import counting
from assembly.voting.explain import explain
from assembly.voting.models import Ballot, Poll, PollOption, VoteRecord
from tests.test_live_room import last, ok, refused

EN = {"Accept-Language": "en"}


def client_for(app, person):
    client = app.test_client()
    client.login(person.email, person.password)
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def errors_in(page: str) -> list[str]:
    return re.findall(r'<ul class="errors"[^>]*>\s*<li>(.*?)</li>', page, re.S)


def only_poll(app) -> Poll:
    with app.app_context():
        poll = db.session.scalar(select(Poll).order_by(Poll.id.desc()))
        db.session.expunge(poll)
        return poll


def poll_fields(**fields) -> dict:
    values = {
        "title": "¿Aprobamos el balance 2026?",
        "method": "yes_no",
        "majority": "simple",
        "abstentions": "excluded",
        "max_objections": "0",
        "seats": "1",
        "dots": "3",
        "secret": "open",
        "eligibility": "present",
        "closes_time": "20:00",
        "proposal": "",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


# --- the form that prepares a poll in a meeting ---------------------------------------------------


def test_facilitators_prepare_a_draft_poll_from_the_room(app, room):
    org, meeting, people, socks = room
    facilitator = client_for(app, people["facilitator"])
    room_page = text_of(facilitator.get(f"/o/{org.slug}/meetings/{meeting.id}/live"))
    form_url = f"/o/{org.slug}/meetings/{meeting.id}/polls/new"
    assert form_url in room_page and 'id="polls"' in room_page
    assert form_url in text_of(facilitator.get(f"/o/{org.slug}/meetings/{meeting.id}/"))
    page = text_of(facilitator.get(form_url))
    assert "Cada persona ordena las opciones" in page  # one line about each method
    assert 'name="weighting"' not in page  # not a network

    response = facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls",
        poll_fields(method="single", options="Web\nCatálogo\n\nCompras conjuntas\n"),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/o/{org.slug}/meetings/{meeting.id}/live#polls")
    poll = only_poll(app)
    assert (poll.status, poll.meeting_id, poll.method) == ("draft", meeting.id, "single")
    with app.app_context():
        labels = [o.label for o in db.session.scalars(select(PollOption).order_by("position"))]
    assert labels == ["Web", "Catálogo", "Compras conjuntas"]

    # Drafts are not in the room state; those who run the meeting ask for them.
    assert last(socks["member"], "state")["polls"] == []
    drafts = ok(socks["facilitator"].emit("poll_drafts", {"meeting_id": meeting.id}, callback=True))
    assert [p["title"] for p in drafts["polls"]] == ["¿Aprobamos el balance 2026?"]
    assert drafts["polls"][0]["options"][1]["label"] == "Catálogo"
    refused(
        socks["member"].emit("poll_drafts", {"meeting_id": meeting.id}, callback=True), "forbidden"
    )

    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll.id}, callback=True))
    drafts = ok(socks["facilitator"].emit("poll_drafts", {"meeting_id": meeting.id}, callback=True))
    assert drafts["polls"] == []
    assert last(socks["member"], "state")["polls"][0]["status"] == "open"


def test_members_cannot_prepare_polls_and_outsiders_see_nothing(app, room, make_user):
    org, meeting, people, _socks = room
    member = client_for(app, people["member"])
    assert member.get(f"/o/{org.slug}/meetings/{meeting.id}/polls/new").status_code == 403
    response = member.post_form(f"/o/{org.slug}/meetings/{meeting.id}/polls", poll_fields())
    assert response.status_code == 403
    assert member.get(f"/o/{org.slug}/polls/new").status_code == 403
    outsider = client_for(app, make_user())
    assert outsider.get(f"/o/{org.slug}/meetings/{meeting.id}/polls/new").status_code == 404
    assert outsider.get(f"/o/{org.slug}/polls").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"method": "single", "options": "Sola"}, "options", "at least two"),
        ({"method": "approval", "options": "A\nB\na"}, "options", "must be different"),
        ({"method": "single", "options": "A\nB", "seats": "2"}, "seats", "fewer than the options"),
        ({"method": "dots", "options": "A\nB", "dots": "0"}, "dots", "between 1 and 100"),
        ({"method": "consent", "max_objections": "-1"}, "max_objections", "between 0 and"),
        ({"method": "ranked_irv", "options": "x" * 201 + "\nB"}, "options", "at most 200"),
        ({"method": "plurality"}, "method", "Not a valid choice"),
        ({"method": "single", "election": "y"}, "candidates", "at least two"),
        ({"eligibility": "all_members", "closes_on": "2001-01-01"}, "closes_on", "future"),
    ],
)
def test_invalid_polls_come_back_with_messages_never_a_500(app, room, fields, field, message):
    org, meeting, people, _socks = room
    facilitator = client_for(app, people["facilitator"])
    response = facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls", poll_fields(**fields), headers=EN
    )
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}' in page
    assert any(message in error for error in errors_in(page)), errors_in(page)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Poll)) == 0


def test_settings_a_method_does_not_use_are_ignored(app, room):
    org, meeting, people, _socks = room
    facilitator = client_for(app, people["facilitator"])
    response = facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls",
        poll_fields(
            method="consent",
            max_objections="1",
            dots="0",
            seats="x",
            options="solo",
            secret="secret",
        ),
    )
    assert response.status_code == 302
    poll = only_poll(app)
    assert poll.config == {"max_objections": 1} and poll.secret


def test_an_election_among_members_with_a_proposal_and_its_settings(app, room):
    org, meeting, people, _socks = room
    with app.app_context():
        submitted = Proposal(
            organisation_id=org.id, title="Comisión de compras", status="submitted"
        )
        draft = Proposal(organisation_id=org.id, title="Borrador privado", status="draft")
        db.session.add_all([submitted, draft])
        db.session.commit()
        submitted_id = submitted.id
    facilitator = client_for(app, people["facilitator"])
    page = text_of(facilitator.get(f"/o/{org.slug}/meetings/{meeting.id}/polls/new"))
    assert "Comisión de compras" in page and "Borrador privado" not in page
    candidates = [people["member"].id, people["secretary"].id, people["admin"].id]
    response = facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls",
        {
            **poll_fields(
                method="ranked_schulze", election="y", seats="2", proposal=str(submitted_id)
            ),
            "candidates": [str(c) for c in candidates],
            "require_full_ranking": "y",
            "allow_change": "y",
            "show_running_results": "y",
        },
    )
    assert response.status_code == 302, errors_in(text_of(response))
    poll = only_poll(app)
    assert poll.config == {"seats": 2, "election": True, "require_full_ranking": True}
    assert poll.allow_change and poll.show_running_results and poll.proposal_id == submitted_id
    with app.app_context():
        options = db.session.scalars(select(PollOption).order_by(PollOption.position)).all()
        assert {o.candidate_id for o in options} == set(candidates)
        assert {o.label for o in options} == {
            people[r].name for r in ("member", "secretary", "admin")
        }


def test_networks_choose_how_organisations_weigh(app, make_user, make_org, make_meeting):
    coordinator = make_user(name="Rosa")
    network = make_org("RCC", "network", members={coordinator: "facilitator"})
    meeting = make_meeting(network, kind="network_plenary")
    client = client_for(app, coordinator)
    page = text_of(client.get(f"/o/{network.slug}/meetings/{meeting.id}/polls/new"))
    assert 'name="weighting"' in page
    assert re.search(r'value="organisation"[^>]*checked|checked[^>]*value="organisation"', page)
    response = client.post_form(
        f"/o/{network.slug}/meetings/{meeting.id}/polls", poll_fields(weighting="membership")
    )
    assert response.status_code == 302
    assert only_poll(app).weighting == "membership"


# --- what the room asks for: which votes are mine ---------------------------------------------


def test_poll_ballots_name_each_vote_a_person_may_cast(app, room):
    org, meeting, people, socks = room
    ok(
        socks["facilitator"].emit(
            "proxy_grant",
            {
                "meeting_id": meeting.id,
                "grantor_id": people["admin"].id,
                "holder_id": people["member"].id,
            },
            callback=True,
        )
    )
    facilitator = client_for(app, people["facilitator"])
    facilitator.post_form(f"/o/{org.slug}/meetings/{meeting.id}/polls", poll_fields())
    poll = only_poll(app)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll.id}, callback=True))
    mine = ok(socks["member"].emit("poll_ballots", {"meeting_id": meeting.id}, callback=True))
    choices = mine["polls"][str(poll.id)]
    assert [(c["voter_key"], c["own"], c["voted"]) for c in choices] == [
        (f"u:{people['member'].id}", True, False),
        (f"u:{people['admin'].id}", False, False),
    ]
    assert choices[1]["name"] == f"Poder de {people['admin'].name}"
    client_id = uuid.uuid4().hex
    vote = {"poll_id": poll.id, "choice": {"vote": "yes"}, "client_id": client_id}
    ok(socks["member"].emit("vote", vote, callback=True))
    again = ok(socks["member"].emit("vote", vote, callback=True))  # a resend after a reconnect
    assert again["resent"] is True
    mine = ok(socks["member"].emit("poll_ballots", {"meeting_id": meeting.id}, callback=True))
    assert [c["voted"] for c in mine["polls"][str(poll.id)]] == [True, False]
    # The member casts the absent admin's vote with the proxy: the admin's screen knows it is in.
    proxy_vote = {**vote, "client_id": uuid.uuid4().hex, "voter_key": f"u:{people['admin'].id}"}
    ok(socks["member"].emit("vote", proxy_vote, callback=True))
    # The admin is represented: her phone offers her no ballot of her own to cast.
    admin = ok(socks["admin"].emit("poll_ballots", {"meeting_id": meeting.id}, callback=True))
    assert admin["polls"].get(str(poll.id), []) == []
    # Represented by her proxy, she does not cast that vote herself.
    refused(
        socks["admin"].emit("vote", {**vote, "client_id": "z" * 32}, callback=True), "not_eligible"
    )


# --- polls open for days, on plain pages --------------------------------------------------------


def _create_async(app, org, facilitator, **fields):
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    values = poll_fields(closes_on=tomorrow, eligibility=None, **fields)
    response = facilitator.post_form(f"/o/{org.slug}/polls/new", values)
    assert response.status_code == 302, errors_in(text_of(response))
    return only_poll(app)


def test_a_poll_open_for_days_from_creation_to_the_result(app, coop):
    org, people = coop
    facilitator = client_for(app, people["facilitator"])
    page = text_of(facilitator.get(f"/o/{org.slug}/polls/new"))
    assert 'name="eligibility"' not in page and 'name="closes_on"' in page
    no_date = facilitator.post_form(f"/o/{org.slug}/polls/new", poll_fields(eligibility=None))
    assert no_date.status_code == 400
    assert "Indicá hasta cuándo se puede votar." in errors_in(text_of(no_date))

    poll = _create_async(app, org, facilitator, title="Fondo de reserva 2027")
    assert (poll.status, poll.eligibility, poll.meeting_id) == ("draft", "all_members", None)
    assert poll.closes_at > utcnow() + timedelta(days=1)
    url = f"/o/{org.slug}/polls/{poll.id}"
    member = client_for(app, people["member"])
    assert member.get(url).status_code == 404  # a draft does not exist for members
    assert member.post_form(f"{url}/open").status_code == 404

    opened = facilitator.post_form(f"{url}/open", follow_redirects=True)
    assert "La votación está abierta." in text_of(opened)
    listing = text_of(member.get(f"/o/{org.slug}/polls"))
    assert "Fondo de reserva 2027" in listing and f"{url}#vote" in listing

    page = text_of(member.get(url))
    assert "Votaron 0 de 4" in page and 'name="vote"' in page
    client_id = re.search(r'name="client_id" value="([^"]+)"', page).group(1)
    ballot = {"voter_key": f"u:{people['member'].id}", "client_id": client_id, "vote": "yes"}
    voted = member.post_form(f"{url}/vote", ballot, follow_redirects=True)
    assert "Tu voto quedó registrado." in text_of(voted)
    assert "Votó 1 de 4" in text_of(voted) and 'name="vote"' not in text_of(voted)
    # The same form sent twice (a double tap, a reload): acknowledged, counted once.
    again = member.post_form(f"{url}/vote", ballot, follow_redirects=True)
    assert "cuenta una sola vez" in text_of(again)
    other = member.post_form(
        f"{url}/vote",
        {**ballot, "client_id": uuid.uuid4().hex, "vote": "no"},
        follow_redirects=True,
    )
    assert "Este voto ya fue emitido." in text_of(other)
    someone_else = {**ballot, "voter_key": f"u:{people['admin'].id}", "client_id": "a" * 32}
    refused_page = text_of(member.post_form(f"{url}/vote", someone_else, follow_redirects=True))
    assert "no es tuyo" in refused_page
    secretary = client_for(app, people["secretary"])
    bad = {"voter_key": f"u:{people['secretary'].id}", "client_id": "b" * 32}
    assert "Elegí tu respuesta antes de votar." in text_of(
        secretary.post_form(f"{url}/vote", bad, follow_redirects=True)
    )
    secretary.post_form(f"{url}/vote", {**bad, "vote": "no"})

    # Reminders reach the two who have not voted, once, in their notifications.
    assert member.post_form(f"{url}/remind").status_code == 403
    reminded = facilitator.post_form(f"{url}/remind", follow_redirects=True)
    assert "Se les recordó a 2 personas" in text_of(reminded)
    facilitator.post_form(f"{url}/remind")
    with app.app_context():
        notes = db.session.scalars(select(Notification).where(Notification.poll_id == poll.id))
        assert sorted(n.user_id for n in notes) == sorted(
            [people["admin"].id, people["facilitator"].id]
        )
    admin = client_for(app, people["admin"])
    notices = text_of(admin.get("/notifications"))
    assert "te recuerda votar en “Fondo de reserva 2027”" in notices
    note_id = re.search(r"/notifications/(\d+)/open", notices).group(1)
    opened_note = admin.post_form(f"/notifications/{note_id}/open")
    assert opened_note.headers["Location"].endswith(url)
    assert "Recordarles a quienes no votaron" not in text_of(member.get(url))

    # Past its closing time, the poll closes when someone opens the list.
    with app.app_context():
        db.session.get(Poll, poll.id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    listing = text_of(member.get(f"/o/{org.slug}/polls"))
    assert "Votaciones cerradas" in listing
    with app.app_context():
        closed = db.session.get(Poll, poll.id)
        assert closed.status == "closed"
        assert closed.result["counts"] == {"yes": 1, "no": 1, "abstain": 0}
    result = text_of(member.get(url))
    assert "Rechazada" in result
    assert "los votos a favor (1) no superan a los votos en contra (1)" in result
    assert "Podían votar" in result and "Mayoría simple" in result
    late = member.post_form(f"{url}/vote", {**ballot, "client_id": "c" * 32}, follow_redirects=True)
    assert "La votación está cerrada." in text_of(late)
    assert "La votación ya cerró." in text_of(admin.get("/notifications"))


def test_a_poll_page_closes_an_overdue_poll_and_facilitators_close_early(app, coop):
    org, people = coop
    facilitator = client_for(app, people["facilitator"])
    first = _create_async(app, org, facilitator, title="Primera")
    second = _create_async(app, org, facilitator, title="Segunda", secret="secret")
    for poll in (first, second):
        facilitator.post_form(f"/o/{org.slug}/polls/{poll.id}/open")
    with app.app_context():
        db.session.get(Poll, first.id).closes_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    page = text_of(facilitator.get(f"/o/{org.slug}/polls/{first.id}"))
    assert "Resultado" in page and "Rechazada: no hubo votos para contar." in page
    member = client_for(app, people["member"])
    secret_page = text_of(member.get(f"/o/{org.slug}/polls/{second.id}"))
    assert "Voto secreto: el resultado se muestra recién cuando cierra la votación." in secret_page
    assert member.post_form(f"/o/{org.slug}/polls/{second.id}/close").status_code == 403
    closed = facilitator.post_form(f"/o/{org.slug}/polls/{second.id}/close", follow_redirects=True)
    assert "La votación está cerrada. Este es su resultado." in text_of(closed)
    assert only_poll(app).status == "closed"


def test_ranked_and_dots_ballots_from_plain_forms(app, coop):
    org, people = coop
    facilitator = client_for(app, people["facilitator"])
    ranked = _create_async(
        app, org, facilitator, method="ranked_irv", options="Norte\nSur\nCentro", title="Sede"
    )
    facilitator.post_form(f"/o/{org.slug}/polls/{ranked.id}/open")
    with app.app_context():
        ids = [o.id for o in db.session.get(Poll, ranked.id).options]
    url = f"/o/{org.slug}/polls/{ranked.id}"
    key = f"u:{people['member'].id}"
    member = client_for(app, people["member"])
    page = text_of(member.get(url))
    assert f'name="rank-{ids[0]}"' in page
    same_place = {
        "voter_key": key,
        "client_id": "d" * 32,
        f"rank-{ids[0]}": "1",
        f"rank-{ids[1]}": "1",
    }
    assert "Cada opción puede tener un solo lugar en tu orden." in text_of(
        member.post_form(f"{url}/vote", same_place, follow_redirects=True)
    )
    ballot = {"voter_key": key, "client_id": "e" * 32, f"rank-{ids[2]}": "1", f"rank-{ids[0]}": "2"}
    assert "Tu voto quedó registrado." in text_of(
        member.post_form(f"{url}/vote", ballot, follow_redirects=True)
    )
    with app.app_context():
        assert db.session.scalar(select(Ballot.choice)) == {"ranking": [ids[2], ids[0]]}

    dots = _create_async(app, org, facilitator, method="dots", options="A\nB\nC", dots="3")
    facilitator.post_form(f"/o/{org.slug}/polls/{dots.id}/open")
    with app.app_context():
        ids = [o.id for o in db.session.get(Poll, dots.id).options]
    url = f"/o/{org.slug}/polls/{dots.id}"
    too_many = {
        "voter_key": key,
        "client_id": "f" * 32,
        f"dots-{ids[0]}": "3",
        f"dots-{ids[1]}": "1",
    }
    assert "Pusiste más puntos de los que tenés." in text_of(
        member.post_form(f"{url}/vote", too_many, follow_redirects=True)
    )
    fine = {"voter_key": key, "client_id": "g" * 32, f"dots-{ids[0]}": "2", f"dots-{ids[2]}": "1"}
    member.post_form(f"{url}/vote", fine)
    facilitator.post_form(f"{url}/close")
    result = text_of(member.get(url, headers=EN))
    assert "Highest total: A (2); next came C with 1." in result
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoteRecord)) == 2


def test_the_result_page_of_a_meeting_poll_keeps_the_whole_record(app, room):
    org, meeting, people, socks = room
    facilitator = client_for(app, people["facilitator"])
    facilitator.post_form(
        f"/o/{org.slug}/meetings/{meeting.id}/polls",
        poll_fields(majority="two_thirds", abstentions="included"),
    )
    poll = only_poll(app)
    ok(socks["facilitator"].emit("poll_open", {"poll_id": poll.id}, callback=True))
    for role, choice in (("member", "yes"), ("secretary", "yes"), ("facilitator", "abstain")):
        vote = {"poll_id": poll.id, "choice": {"vote": choice}, "client_id": uuid.uuid4().hex}
        ok(socks[role].emit("vote", vote, callback=True))
    ok(socks["facilitator"].emit("poll_close", {"poll_id": poll.id}, callback=True))
    page = text_of(
        client_for(app, people["member"]).get(f"/o/{org.slug}/polls/{poll.id}", headers=EN)
    )
    assert "Adopted by a 2/3 majority: 2 in favour out of 3 votes counted" in page
    assert "Quorum at opening" in page and "Quorum at closing" in page
    assert "3 of 4 members represented (quorum: 2)" in page
    assert "66.7 %" in page  # two of three, abstentions included
    assert "Two-thirds majority of all votes cast, abstentions included." in page
    detail = text_of(client_for(app, people["member"]).get(f"/o/{org.slug}/meetings/{meeting.id}/"))
    assert f"/o/{org.slug}/polls/{poll.id}" in detail


# --- results in words ---------------------------------------------------------------------------


def _count(method, config, options, choices, eligible=10):
    return counting.count(method, config, options, [(c, 1) for c in choices], eligible)


CASES = [
    (
        _count("yes_no", {}, [], [{"vote": "yes"}] * 3 + [{"vote": "no"}, {"vote": "abstain"}]),
        "Adopted by simple majority: more votes in favour (3) than against (1); "
        "1 abstention does not count.",
        "Aprobada por mayoría simple: más votos a favor (3) que en contra (1); "
        "1 abstención no cuenta.",
    ),
    (
        _count("yes_no", {"majority": "absolute"}, [], [{"vote": "yes"}] * 5, eligible=10),
        "Not adopted: an absolute majority needed 6 votes in favour, more than half of those "
        "who can vote (10), and there were 5.",
        "Rechazada: la mayoría absoluta necesitaba 6 votos a favor, más de la mitad de quienes "
        "pueden votar (10), y hubo 5.",
    ),
    (
        _count("consent", {"max_objections": 0}, [], [{"vote": "agree"}, {"vote": "object"}]),
        "Not adopted: 1 objection, more than tolerated (0).",
        "Rechazada: 1 objeción, más de lo tolerado (0).",
    ),
    (
        _count("gradient", {}, [], [{"level": 5}, {"level": 4}, {"level": 2}, {"level": 4}]),
        "Temperature taken: 4 responses, average 3.75, median 4; nobody blocked.",
        "Temperatura tomada: 4 respuestas, promedio 3,75, mediana 4; nadie bloqueó.",
    ),
    (
        _count("single", {}, [1, 2, 3], [{"option": 2}, {"option": 2}, {"option": 1}]),
        "Highest total: Sur (2); next came Norte with 1.",
        "Mayor total: Sur (2); le siguió Norte con 1.",
    ),
    (
        _count("approval", {"seats": 1}, [1, 2, 3], [{"options": [1, 2]}, {"options": [2, 1]}]),
        "Tie: Norte and Sur have the same result (2) for the last place; places filled: 0 of 1; "
        "the assembly must settle the tie.",
        "Empate: Norte y Sur tienen el mismo resultado (2) para el último lugar; lugares "
        "cubiertos: 0 de 1; la asamblea tiene que resolver el empate.",
    ),
    (
        _count(
            "ranked_irv",
            {},
            [1, 2, 3],
            [{"ranking": [1, 2]}, {"ranking": [2, 1]}, {"ranking": [3, 2]}, {"ranking": [2]}],
        ),
        "Sur won in round 2 with 3 of the 4 votes still in play, more than half.",
        "Sur ganó en la ronda 2 con 3 de los 4 votos que seguían en juego, más de la mitad.",
    ),
    (
        _count("ranked_schulze", {}, [1, 2, 3], [{"ranking": [3, 1, 2]}] * 2 + [{"ranking": [1]}]),
        "Centro beats every other option head to head (a Condorcet winner).",
        "Centro le gana a cada una de las otras opciones en la comparación de a dos "
        "(ganadora de Condorcet).",
    ),
]
LABELS = {1: "Norte", 2: "Sur", 3: "Centro"}


@pytest.mark.parametrize(("result", "english", "spanish"), CASES)
def test_explanations_in_english_and_spanish(app, result, english, spanish):
    with app.test_request_context(headers=EN):
        assert explain(result, LABELS) == english
    with app.test_request_context(headers={"Accept-Language": "es-AR"}):
        assert explain(result, {str(k): v for k, v in LABELS.items()}) == spanish


def test_every_explanation_key_has_a_sentence_and_fractions_read_as_numbers(app):
    from assembly.voting.explain import SENTENCES

    keys = [
        "simple_majority_yes_exceeds_no",
        "simple_majority_yes_not_above_no",
        "simple_majority_yes_exceeds_no_and_abstain",
        "simple_majority_yes_not_above_no_and_abstain",
        "absolute_majority_reached",
        "absolute_majority_not_reached",
        "qualified_majority_reached",
        "qualified_majority_not_reached",
        "empty_base",
        "no_objections",
        "objections_tolerated",
        "objection_blocks",
        "gradient_reported",
        "gradient_blocked",
        "highest_total",
        "schulze_condorcet_winner",
        "schulze_strongest_paths",
        "irv_majority",
        "irv_sequential",
        "irv_all_ballots_exhausted",
        "tie_at_last_seat",
        "no_votes",
        "seats_cover_all_options",
    ]
    assert set(SENTENCES) == set(keys)
    weighted = counting.count(
        "yes_no", {}, [], [({"vote": "yes"}, Fraction(3, 2)), ({"vote": "no"}, 1)], 3
    )
    with app.test_request_context(headers=EN):
        assert explain(weighted, {}).startswith(
            "Adopted by simple majority: more votes in favour (1.5)"
        )
        assert explain(None, {}) == "" and explain({"explanation": {"key": "nope"}}, {}) == ""
