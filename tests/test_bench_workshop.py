"""`assembly bench workshop` runs end to end with small numbers and loses nothing (its timings
are for the README, not for a test)."""

from __future__ import annotations

import json

import pytest

from tests.live import bench_figures

pytestmark = pytest.mark.live

FIELDS = {
    "members",
    "cards_sent",
    "cards_acked",
    "cards_stored",
    "cards_on_every_screen",
    "lost",
    "card_visible_p50_ms",
    "card_visible_p95_ms",
    "group_actions",
    "group_action_p95_ms",
    "group_action_all_screens_p95_ms",
    "backings",
    "server_rss_mb",
    "elapsed_s",
}


def test_the_workshop_benchmark_reports_every_figure_and_loses_nothing(database_url):
    figures = bench_figures(
        database_url,
        "workshop",
        *("--members", "6", "--cards", "12", "--duration", "4", "--seed", "7"),
        timeout=180,
    )
    assert set(figures) >= FIELDS, FIELDS - set(figures)
    assert figures["members"] == 6 and figures["screens"] == 8
    assert figures["cards_sent"] == figures["cards_acked"] == figures["cards_stored"] == 12
    assert figures["cards_on_every_screen"] == 12
    assert figures["lost"] == 0
    assert figures["screens_differing_from_board"] == 0
    assert figures["group_actions_not_on_every_screen"] == 0
    assert figures["group_actions"] > 0 and figures["backings"] > 0
    assert figures["database"] == (
        "postgresql" if database_url.startswith("postgres") else "sqlite"
    )


def test_the_hints_benchmark_times_a_board_whose_cards_are_alike(runner):
    result = runner.invoke(args=["bench", "hints", "--cards", "60", "--runs", "2"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["cards"] == 60 and figures["runs"] == 2
    # The generated board is what hints are for: many cards with near twins.
    assert figures["cards_with_hints"] > 30
    assert {"hints_cold_p50_ms", "hints_cold_p95_ms", "hints_warm_p50_ms"} <= set(figures)
