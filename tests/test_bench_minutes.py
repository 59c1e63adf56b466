"""`assembly bench minutes` runs end to end at a small size, reports every figure, and drafts
minutes whose figures are those of the assembly it built (its timings are for the README)."""

from __future__ import annotations

from tests.live import bench_figures

FIELDS = {
    "members",
    "attendees",
    "agenda_items",
    "polls",
    "ballots",
    "topics",
    "commitments",
    "draft_chars",
    "draft_ms_p50",
    "draft_ms_max",
    "draft_queries",
    "end_meeting_ms",
    "runs",
    "database",
    "load_average",
}


def _bench(database_url: str, members: int, items: int, polls: int) -> dict:
    return bench_figures(
        database_url,
        "minutes",
        "--show-draft",
        *("--members", str(members), "--items", str(items), "--polls", str(polls)),
        *("--runs", "2"),
    )


def test_the_minutes_benchmark_reports_every_figure_and_drafts_the_record_it_built(database_url):
    figures = _bench(database_url, 20, 4, 2)
    assert set(figures) >= FIELDS, FIELDS - set(figures)
    assert figures["database"] == ("postgresql" if "postgres" in database_url else "sqlite")
    assert figures["runs"] == 2 and figures["drafted_on_close"]
    assert 0 < figures["draft_ms_p50"] <= figures["draft_ms_max"]
    assert len(figures["load_average"]) == 2

    draft = figures["draft"]
    assert figures["draft_chars"] == len(draft)
    attendees, members = figures["attendees"], figures["members"]
    assert 0 < attendees < members == 20
    assert f"con la presencia de {attendees} personas" in draft
    assert f"- **Presentes ({attendees}):**" in draft
    assert f"- **Llegaron tarde ({figures['late']}):**" in draft
    assert f"- **Se retiraron antes del cierre ({figures['left_early']}):**" in draft
    assert f"- **Ausentes ({members - attendees}):**" in draft
    assert f"- **Representados por poder ({figures['proxies']}):**" in draft
    assert f"- Asistieron {attendees} de {members} personas habilitadas" in draft
    assert draft.count("Se pone a consideración") == figures["polls"] == 2
    assert draft.count("Notas de la secretaría:") >= 4
    workshop = draft.split("Ejes trabajados en el taller:")[1].split("\n\n")[1]
    assert workshop.count("- **Eje ") == figures["topics"] == 8
    made = draft.split("### Compromisos asumidos")[1].split("###")[0]
    assert made.count(" — responsables: ") == figures["commitments"]
    reviewed = draft.split("### Revisión de compromisos")[1].split("###")[0]
    assert reviewed.count("  Estado: ") >= figures["commitments_reviewed"] >= 1
    assert f"{figures['speeches']} intervenciones" in draft


def test_drafting_runs_as_many_queries_whatever_the_size_of_the_assembly(database_url):
    """No query per person, poll or commitment: a bigger assembly is drafted in as many."""
    small = _bench(database_url, 12, 3, 2)
    big = _bench(database_url, 40, 9, 7)
    assert big["ballots"] > small["ballots"] and big["draft_chars"] > small["draft_chars"]
    assert big["draft_queries"] <= small["draft_queries"] + 2
