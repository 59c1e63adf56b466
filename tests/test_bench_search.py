"""`assembly bench search` runs end to end at a small size and reports every figure (its timings
are for the README, not for a test)."""

from __future__ import annotations

from assembly.bench.search import texts, vocabulary
from tests.live import bench_figures

FIELDS = {
    "documents",
    "index_seconds",
    "query_p50_ms",
    "query_p95_ms",
    "frequent_term_p95_ms",
    "database_mb",
}


def test_the_search_benchmark_reports_every_figure(database_url):
    figures = bench_figures(
        database_url, "search", "--documents", "400", "--organisations", "5", "--queries", "60"
    )
    assert set(figures) >= FIELDS, FIELDS - set(figures)
    assert figures["documents"] == 400 and figures["queries"] == 60
    assert figures["queries_with_results"] > 30  # the queries are about the texts
    assert 0 < figures["query_p50_ms"] <= figures["query_p95_ms"]
    assert figures["frequent_term_document_share"] >= 0.5  # a word found in half the texts


def test_the_generated_texts_are_varied_spanish_of_1_to_2_kb_with_skewed_word_frequencies():
    words, probabilities = vocabulary(3)
    assert probabilities[0] > 50 * probabilities[len(words) // 2]  # Zipf-like
    generated = list(texts(200, 3))
    assert all(1024 <= len(body.encode()) <= 2 * 1024 + 200 for _title, body in generated)
    assert len({body for _title, body in generated}) == 200
    assert any("ó" in body or "í" in body for _title, body in generated)
