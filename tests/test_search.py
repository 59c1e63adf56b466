"""The knowledge base's search: Spanish word forms and accents, phrases and prefixes, queries that
never fail, only what the reader may read (results, counts and snippets), the index in step with
every create, edit and delete, filters, the command line and the page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.commitments.models import Commitment, TimeFrame
from assembly.extensions import db
from assembly.meetings.models import AgendaItem, Meeting
from assembly.organisations.models import Organisation
from assembly.proposals.models import Proposal, ProposalAuthor, ProposalStatus
from assembly.search import service
from assembly.search.models import SearchDocument
from assembly.search.terms import index_terms, parse
from assembly.voting.models import Decision
from assembly.workshops.models import Topic


def _search(app, reader, text, /, **filters):
    """A search as `reader`; `filters` as service.search takes them (person= among them)."""
    with app.app_context(), app.test_request_context():
        user = db.session.get(User, reader.id)
        if "organisation" in filters:
            filters["organisation"] = db.session.get(Organisation, filters["organisation"].id)
        results = service.search(user, text, **filters)
        return {
            "total": results.total,
            "hits": [(h.kind, h.id) for h in results.hits],
            "titles": [h.title for h in results.hits],
            "snippets": [str(h.snippet) for h in results.hits],
            "marked": [str(h.title_html) for h in results.hits],
            "urls": [h.url() for h in results.hits],
        }


def _add(app, *records):
    with app.app_context():
        db.session.add_all(records)
        db.session.commit()
        return [r.id for r in records]


def _decision(org, title, text="", when=None):
    return Decision(
        organisation_id=org.id,
        title=title,
        text=text,
        decided_at=when or datetime(2026, 3, 5, 20, 0),
        tally={},
    )


def _proposal(org, title, body="", status=ProposalStatus.SUBMITTED, by=None):
    return Proposal(
        organisation_id=org.id,
        title=title,
        body=body,
        status=status,
        created_by_id=by.id if by else None,
    )


# --- Spanish word forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "searched"),
    [
        ("Votación del presupuesto anual", "votaciones"),
        ("Votación del presupuesto anual", "VOTACION"),
        ("Las votaciones por correo", "votación"),
        ("Priorizar la compra de la máquina", "priorizamos"),
        ("La prioridad es la máquina", "prioridades"),
        ("Las cooperativas de la red", "cooperativa"),
        ("Aprobación del acta anterior", "actas"),
        ("Lectura de actas", "acta"),
        ("Asambleas por barrio", "asamblea"),
        ("Convocar a asamblea extraordinaria", "asambleas"),
        ("Reparto de tareas de limpieza", "tarea"),
        ("Una tarea para la comisión", "tareas"),
        ("Compañeras de la panadería", "companeras"),
        ("Quarterly meetings with the suppliers", "meeting"),
        ("The workers approved the budgets", "budget"),
        ("The workers approved the budgets", "approve"),
        ("Minutes of the cooperative's assembly", "cooperatives"),
        ("Informe 2024 de la Ley 20337", "20337"),
    ],
)
def test_a_word_finds_its_other_forms_whatever_the_accents_and_case(app, coop, written, searched):
    org, people = coop
    [decision_id] = _add(app, _decision(org, written))
    found = _search(app, people["member"], searched)
    assert found["hits"] == [("decision", decision_id)]
    assert "<mark>" in found["marked"][0]


def test_different_words_stay_apart(app, coop):
    org, people = coop
    _add(app, _decision(org, "Compra de la máquina"))
    assert _search(app, people["member"], "votación")["total"] == 0
    assert _search(app, people["member"], "compra votación")["total"] == 0  # every word counts


def test_a_meeting_is_found_by_its_title_place_agenda_and_workshop_topics(app, coop, make_meeting):
    org, people = coop
    ref = make_meeting(
        org,
        title="Plenario de primavera",
        place="Galpón de la calle Moreno",
        items=[{"title": "Retiros", "description": "Propuesta de adelantos quincenales"}],
    )
    with app.app_context():
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == ref.id))
        item_id = item.id
    [topic_id] = _add(
        app,
        Topic(
            meeting_id=ref.id,
            agenda_item_id=item_id,
            title="Falta de comunicación",
            main_points="Los turnos no se enteran de las novedades",
        ),
    )
    member = people["member"]
    assert _search(app, member, "plenarios")["hits"] == [("meeting", ref.id)]
    assert _search(app, member, "galpon moreno")["hits"] == [("meeting", ref.id)]
    assert _search(app, member, "adelanto quincenal")["hits"] == [("item", item_id)]
    assert _search(app, member, "novedad")["hits"] == [("topic", topic_id)]
    urls = _search(app, member, "retiros")["urls"]
    assert urls == [f"/o/{org.slug}/meetings/{ref.id}/#item-{item_id}"]


def test_titles_rank_above_bodies_and_snippets_mark_the_words(app, coop):
    org, people = coop
    body_only, in_title = _add(
        app,
        _decision(org, "Compra de insumos", "Se decide sin votación nominal. " * 3),
        _decision(org, "Votación del reglamento", "El texto del reglamento."),
    )
    found = _search(app, people["member"], "votaciones")
    assert found["hits"] == [("decision", in_title), ("decision", body_only)]
    assert "<mark>votación</mark>" in found["snippets"][1]
    assert found["marked"][0] == "<mark>Votación</mark> del reglamento"


def test_text_is_escaped_in_titles_and_snippets(app, coop):
    org, people = coop
    _add(app, _decision(org, "<script>alert(1)</script> presupuesto", "<b>presupuesto</b> & más"))
    found = _search(app, people["member"], "presupuesto")
    assert "<script>" not in found["marked"][0] and "&lt;script&gt;" in found["marked"][0]
    assert "&lt;b&gt;<mark>presupuesto</mark>&lt;/b&gt; &amp; más" in found["snippets"][0]


# --- phrases, prefixes, malformed queries ------------------------------------------------------


def test_phrases_in_quotes_and_prefixes(app, coop):
    org, people = coop
    plan, other = _add(
        app,
        _decision(org, "Plan de trabajo 2027", "El plan anual de trabajo de la cooperativa"),
        _decision(org, "Trabajo en el plan de compras", "Otra cosa"),
    )
    member = people["member"]
    assert _search(app, member, '"plan de trabajo"')["hits"] == [("decision", plan)]
    assert set(_search(app, member, "plan trabajo")["hits"]) == {
        ("decision", plan),
        ("decision", other),
    }
    assert _search(app, member, "coop*")["hits"] == [("decision", plan)]
    assert _search(app, member, "cooperat*")["hits"] == [("decision", plan)]  # stem "cooper"
    assert _search(app, member, "compr*")["hits"] == [("decision", other)]


NASTY = [
    '"',
    '""',
    '"plan',
    'plan"',
    "*",
    "**",
    "plan*trabajo",
    "-plan",
    "+plan",
    "plan AND OR NOT",
    "AND",
    "NEAR(plan trabajo, 2)",
    "(plan",
    "plan)",
    "title:plan",
    "{title_terms}:plan",
    "scope:o1",
    "o1",
    "^plan",
    "plan'; DROP TABLE search_document; --",
    "'",
    "\\",
    "plan:*",
    "!plan & | <->",
    "%_%",
    "\x00plan",
    "🙂 plan",
    "плaн",
    "ñ",
    "",
    "   ",
    "de la el",
    "a" * 4000,
    "plan " * 800,
    '"' * 4000,
    "coop* " * 200,
]


def test_no_query_fails_however_it_is_written(app, coop, client):
    org, people = coop
    _add(app, _decision(org, "Plan de trabajo"))
    client.login(people["member"].email)
    for text in NASTY:
        found = _search(app, people["member"], text)
        assert found["total"] >= 0
        response = client.get("/search", query_string={"q": text})
        assert response.status_code == 200, text
    assert _search(app, people["member"], '"plan')["total"] == 1  # a stray quote is no phrase
    assert _search(app, people["member"], "plan AND")["total"] == 1


def test_queries_are_read_into_quoted_pieces():
    query = parse('"plan de trabajo" coop* votaciones NEAR(')
    assert query.phrases == [["plan", "trabaj"]]
    assert query.prefixes == ["coop"]
    assert query.terms == ["votacion", "near"]
    assert index_terms("Las ACTAS y el acta") == "acta acta"


# --- PostgreSQL's Spanish configuration -------------------------------------------------------


def test_both_databases_find_what_a_second_stemmer_would_lose_or_confuse(app, coop):
    """PostgreSQL reads the Python stems with its Spanish configuration but does not stem them
    again (migration 9c3e5f7a2b18 says why): words on Spanish stop lists ("estado"), beginnings
    of words whose stem is short, and words whose stems a second stemming would merge."""
    org, people = coop
    accounts, chores, weeks, saying = _add(
        app,
        _decision(org, "Estado de cuentas", "Los estados contables del año"),
        _decision(org, "Reparto de tareas"),
        _decision(org, "Dos semanas de vacaciones"),
        _decision(org, "Decir la verdad"),
    )
    member = people["member"]
    assert _search(app, member, "estado")["hits"] == [("decision", accounts)]
    assert _search(app, member, '"estado de cuentas"')["hits"] == [("decision", accounts)]
    assert _search(app, member, "tare*")["hits"] == [("decision", chores)]
    assert _search(app, member, "semana*")["hits"] == [("decision", weeks)]
    assert _search(app, member, "decir")["hits"] == [("decision", saying)]
    assert _search(app, member, "decidimos")["total"] == 0


def test_postgresql_indexes_in_a_spanish_configuration_with_unaccent(app, coop, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's own text search configuration; SQLite indexes with FTS5")
    from sqlalchemy import text

    org, _people = coop
    [decision_id] = _add(app, _decision(org, "Votación del presupuesto", "Compañeras"))
    with app.app_context():
        expression = db.session.scalar(
            text(
                "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
                "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
                "WHERE d.adrelid = 'search_document'::regclass AND a.attname = 'terms'"
            )
        )
        assert "to_tsvector('assembly_es'::regconfig, title_terms)" in expression
        assert "to_tsvector('assembly_es'::regconfig, body_terms)" in expression
        assert "to_tsvector('simple'::regconfig, (scope)::text)" in expression
        assert db.session.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'"))
        # Words beyond ASCII through unaccent, whatever the Python side left.
        folded = db.session.scalar(text("SELECT to_tsvector('assembly_es', 'Cañón ŒUVRE')::text"))
        assert folded == "'canon':1 'oeuvre':2"
        # Who may read it: the tokens exactly as written, never stemmed or dropped.
        terms = db.session.scalar(
            text("SELECT terms::text FROM search_document WHERE source_id = :id"),
            {"id": decision_id},
        )
        assert f"'xqo{org.id}':" in terms and "'xqkdecision':" in terms
        assert "'votacion':1A" in terms and "'companer':" in terms


# --- access ------------------------------------------------------------------------------------


@pytest.fixture
def two_coops(make_user, make_org):
    ana, bruno = make_user("Ana"), make_user("Bruno")
    first = make_org("Cooperativa Norte", members={ana: "member"})
    second = make_org("Cooperativa Sur", members={bruno: "member"})
    return first, second, ana, bruno


def test_a_search_only_returns_counts_and_snippets_what_the_reader_may_read(app, two_coops):
    first, second, ana, bruno = two_coops
    mine, theirs = _add(
        app,
        _decision(first, "Presupuesto de la cooperativa", "Compra de la máquina nueva"),
        _decision(second, "Presupuesto de la cooperativa", "Secreto del Sur: la máquina vieja"),
    )
    found = _search(app, ana, "presupuesto máquina")
    assert found["hits"] == [("decision", mine)] and found["total"] == 1
    assert not any("Sur" in s for s in found["snippets"])
    assert _search(app, bruno, "presupuesto")["hits"] == [("decision", theirs)]
    assert _search(app, ana, "secreto")["total"] == 0
    # Naming the other organisation finds nothing rather than its records.
    assert _search(app, ana, "presupuesto", organisation=second)["total"] == 0
    # A text that spells the index's own tokens for who may read it gains no readers.
    [posing] = _add(app, _decision(second, f"xqo{first.id} o{first.id} Retiros", "xqkdecision"))
    assert _search(app, ana, "retiros")["total"] == 0
    assert _search(app, ana, f"xqo{first.id} xq*")["total"] == 0
    assert _search(app, bruno, f"retiros xqo{first.id}")["hits"] == [("decision", posing)]


def test_an_outsider_and_someone_who_left_find_nothing(app, two_coops, make_user):
    first, _second, ana, _bruno = two_coops
    _add(app, _decision(first, "Presupuesto"))
    assert _search(app, make_user(), "presupuesto")["total"] == 0
    with app.app_context():
        from assembly.organisations.models import Membership

        membership = db.session.scalar(select(Membership).where(Membership.user_id == ana.id))
        membership.left_at = datetime(2026, 1, 1)
        db.session.commit()
    assert _search(app, ana, "presupuesto")["total"] == 0


def test_drafts_are_found_only_by_who_may_see_them(app, coop, make_meeting):
    org, people = coop
    draft_meeting = make_meeting(org, status="draft", title="Reunión sobre el galpón", items=[])
    with app.app_context():
        proposal = _proposal(org, "Galpón nuevo", status=ProposalStatus.DRAFT, by=people["member"])
        db.session.add(proposal)
        db.session.flush()
        db.session.add(ProposalAuthor(proposal_id=proposal.id, user_id=people["member"].id))
        db.session.commit()
        proposal_id = proposal.id
    assert _search(app, people["member"], "galpon")["hits"] == [("proposal", proposal_id)]
    assert set(_search(app, people["secretary"], "galpon")["hits"]) == {
        ("meeting", draft_meeting.id)
    }
    assert set(_search(app, people["admin"], "galpon")["hits"]) == {
        ("meeting", draft_meeting.id),
        ("proposal", proposal_id),
    }
    with app.app_context():  # convened and submitted: everyone's
        db.session.get(Meeting, draft_meeting.id).status = "convened"
        db.session.get(Proposal, proposal_id).status = ProposalStatus.SUBMITTED
        db.session.commit()
    assert _search(app, people["member"], "galpon")["total"] == 2


def test_a_networks_records_are_for_its_delegates(app, network_of_one):
    network, delegate, member = (
        network_of_one.network,
        network_of_one.delegate,
        network_of_one.partner,
    )
    [decision_id] = _add(app, _decision(network, "Compras conjuntas de harina"))
    assert _search(app, delegate, "harinas")["hits"] == [("decision", decision_id)]
    assert _search(app, member, "harinas")["total"] == 0


# --- the index in step with its sources ---------------------------------------------------------


def test_edits_and_deletes_keep_the_index_in_step(app, coop, make_meeting):
    org, people = coop
    member = people["member"]
    ref = make_meeting(org, status="draft", items=["Informe de tesorería"])
    with app.app_context():
        item = db.session.scalar(select(AgendaItem).where(AgendaItem.meeting_id == ref.id))
        item.title = "Informe de cocina"
        db.session.get(Meeting, ref.id).status = "convened"
        db.session.commit()
        item_id = item.id
    assert _search(app, member, "tesoreria")["total"] == 0
    assert _search(app, member, "cocina")["hits"] == [("item", item_id)]
    with app.app_context():
        db.session.delete(db.session.get(AgendaItem, item_id))
        db.session.commit()
    assert _search(app, member, "cocina")["total"] == 0

    commitment_id, decision_id = _add(
        app,
        Commitment(organisation_id=org.id, what="Pedir presupuestos", time_frame=TimeFrame.SHORT),
        _decision(org, "Aprobar presupuestos"),
    )
    assert _search(app, member, "presupuesto")["total"] == 2
    with app.app_context():
        db.session.get(Commitment, commitment_id).what = "Pedir muestras"
        db.session.delete(db.session.get(Decision, decision_id))
        db.session.commit()
    assert _search(app, member, "presupuesto")["total"] == 0
    assert _search(app, member, "muestra")["hits"] == [("commitment", commitment_id)]

    with app.app_context():  # a meeting deleted takes its agenda and topics with it
        db.session.delete(db.session.get(Meeting, ref.id))
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(SearchDocument)
                .where(SearchDocument.meeting_id == ref.id)
            )
            == 0
        )


def test_a_draft_meeting_deleted_by_the_service_leaves_nothing_behind(app, coop, make_meeting):
    from assembly.meetings.service import delete_meeting

    org, people = coop
    ref = make_meeting(org, status="draft", title="Borrador sobre cocina", items=["Cocina"])
    assert _search(app, people["admin"], "cocina")["total"] == 2
    with app.app_context():
        delete_meeting(db.session.get(Meeting, ref.id))
        db.session.commit()
    assert _search(app, people["admin"], "cocina") == _search(app, people["admin"], "nada")
    assert _search(app, people["admin"], "cocina")["total"] == 0


def test_a_draft_proposals_readers_follow_its_authors(app, coop, client):
    from assembly.proposals.service import update_proposal

    org, people = coop
    with app.app_context():
        proposal = _proposal(
            org, "Galpón nuevo", "Comprar", status=ProposalStatus.DRAFT, by=people["member"]
        )
        db.session.add(proposal)
        db.session.flush()
        for person in (people["member"], people["secretary"]):
            db.session.add(ProposalAuthor(proposal_id=proposal.id, user_id=person.id))
        db.session.commit()
        proposal_id = proposal.id
    assert _search(app, people["secretary"], "galpon")["total"] == 1
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        update_proposal(
            proposal,
            db.session.get(User, people["member"].id),
            title=proposal.title,
            body=proposal.body,
            co_author_ids=[],
        )
        db.session.commit()
    assert _search(app, people["secretary"], "galpon")["total"] == 0
    assert _search(app, people["member"], "galpon")["total"] == 1


def test_a_removed_topic_and_a_rolled_back_change_leave_no_trace(app, coop, make_meeting):
    org, people = coop
    ref = make_meeting(org, items=["Taller"])
    with app.app_context():
        item_id = db.session.scalar(select(AgendaItem.id).where(AgendaItem.meeting_id == ref.id))
    [topic_id] = _add(app, Topic(meeting_id=ref.id, agenda_item_id=item_id, title="Horarios"))
    assert _search(app, people["member"], "horario")["hits"] == [("topic", topic_id)]
    with app.app_context():
        db.session.get(Topic, topic_id).removed_at = datetime(2026, 11, 1)
        db.session.commit()
        db.session.get(Meeting, ref.id).title = "Título que no quedó"
        db.session.flush()
        db.session.rollback()
    assert _search(app, people["member"], "horario")["total"] == 0
    assert _search(app, people["member"], "titulo")["total"] == 0


def test_reindex_rebuilds_the_same_index(app, coop, make_meeting, runner):
    org, people = coop
    make_meeting(org, title="Asamblea anual", items=["Balance"])
    _add(app, _decision(org, "Aprobar el balance"))
    before = _search(app, people["member"], "balance")
    with app.app_context():
        db.session.execute(SearchDocument.__table__.delete())
        db.session.commit()
    assert _search(app, people["member"], "balance")["total"] == 0
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0, result.output
    assert "3 records" in result.output  # the meeting, its item, the decision
    assert _search(app, people["member"], "balance") == before


# --- filters -----------------------------------------------------------------------------------


def test_filters_by_organisation_kind_and_date(app, make_user, make_org):
    ana = make_user("Ana")
    first = make_org("Cooperativa Norte", members={ana: "member"})
    second = make_org("Cooperativa Sur", members={ana: "member"})
    old, new, elsewhere, proposal = _add(
        app,
        _decision(first, "Retiros", when=datetime(2024, 5, 1)),
        _decision(first, "Retiros", when=datetime(2026, 5, 1)),
        _decision(second, "Retiros", when=datetime(2026, 5, 2)),
        _proposal(first, "Retiros nuevos"),
    )
    assert _search(app, ana, "retiro")["total"] == 4
    assert _search(app, ana, "retiro", organisation=second)["hits"] == [("decision", elsewhere)]
    assert _search(app, ana, "retiro", kind="proposal")["hits"] == [("proposal", proposal)]
    found = _search(
        app, ana, "retiro", kind="decision", since=datetime(2026, 1, 1), until=datetime(2027, 1, 1)
    )
    assert set(found["hits"]) == {("decision", new), ("decision", elsewhere)}
    assert _search(app, ana, "retiro", until=datetime(2025, 1, 1))["hits"] == [("decision", old)]
    assert _search(app, ana, "retiro", kind="nonsense")["total"] == 0


def test_many_results_come_in_pages_with_the_full_count(app, coop, monkeypatch):
    monkeypatch.setattr(service, "SHORTLIST", 5)  # PostgreSQL's ranked shortlist, shorter
    org, people = coop
    _add(app, *(_decision(org, f"Retiro número {n}") for n in range(25)))
    first = _search(app, people["member"], "retiro")
    second = _search(app, people["member"], "retiro", offset=20)
    assert first["total"] == second["total"] == 25
    assert len(first["hits"]) == 20 and len(second["hits"]) == 5
    assert not set(first["hits"]) & set(second["hits"])


# --- the command line and the page --------------------------------------------------------------


def test_the_search_command_prints_one_json_object_per_result(app, two_coops, runner):
    first, second, ana, _bruno = two_coops
    mine, _theirs = _add(
        app,
        _decision(first, "Votación de autoridades", when=datetime(2025, 4, 2)),
        _decision(second, "Votación de autoridades"),
    )
    result = runner.invoke(args=["search", "votaciones", "--as", ana.email])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines == [
        {
            "kind": "decision",
            "id": mine,
            "title": "Votación de autoridades",
            "organisation": first.slug,
            "date": "2025-04-02",
            "url": f"/o/{first.slug}/decisions?decision={mine}#decision-{mine}",
        }
    ]
    other = runner.invoke(args=["search", "votaciones", "--as", ana.email, "--org", second.slug])
    assert other.exit_code == 0 and other.output == ""
    unknown = runner.invoke(args=["search", "x", "--as", "nadie@example.coop"])
    assert unknown.exit_code != 0 and "nadie@example.coop" in unknown.output


def test_the_search_page_shows_results_with_snippets_and_links(app, coop, client):
    org, people = coop
    [decision_id] = _add(
        app, _decision(org, "Votación de autoridades", "Se eligió el consejo por votación.")
    )
    assert client.get("/search").status_code == 302  # log in first
    client.login(people["member"].email)
    page = client.get("/search").get_data(as_text=True)
    assert 'role="search"' in page
    page = client.get(
        "/search", query_string={"q": "votaciones", "kind": "decision", "from": "bad"}
    ).get_data(as_text=True)
    assert f'href="/o/{org.slug}/decisions?decision={decision_id}#decision-{decision_id}"' in page
    assert "<mark>votación</mark>" in page
    spanish = client.get(
        "/search", query_string={"q": "votaciones"}, headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "1 resultado." in spanish and "Buscar" in spanish


def test_the_search_page_never_fails_on_odd_filters(app, coop, client):
    _org, people = coop
    client.login(people["member"].email)
    for args in (
        {"q": "x", "page": "99999999999"},
        {"q": "x", "page": "-1"},
        {"q": "x", "org": "not-mine"},
        {"q": "x", "to": "2026-02-31"},
        {"q": "x", "from": "9999-12-31", "to": "9999-12-31"},
    ):
        assert client.get("/search", query_string=args).status_code == 200, args


def test_an_index_emptied_by_an_upgrade_is_filled_at_start(app, coop):
    org, people = coop
    _add(app, _decision(org, "Balance anual"))
    with app.app_context():
        db.session.execute(SearchDocument.__table__.delete())
        db.session.commit()
        service.fill_if_empty()
    assert _search(app, people["member"], "balance")["total"] == 1


def test_the_index_is_written_in_the_same_transaction_as_its_source(app, coop):
    org, _people = coop
    with app.app_context():
        decision = _decision(org, "Balance")
        db.session.add(decision)
        db.session.commit()
        rows = db.session.scalars(select(SearchDocument)).all()
        assert [(r.kind, r.source_id, r.title_terms) for r in rows] == [
            ("decision", decision.id, "balanc")
        ]
        assert rows[0].happened_at == decision.decided_at
        assert decision.decided_at - datetime(2026, 3, 5, 20, 0) == timedelta(0)
