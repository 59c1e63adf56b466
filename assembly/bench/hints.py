"""How long similar-card hints take on a big board: `assembly bench hints --cards 500`
(target: under 50 ms for 500 cards).

Cards are generated from the phrases co-ops write in problematisation sessions (domain words,
plurals, accents and word forms mixed), so that many pairs are alike, as on a real board.
"""

from __future__ import annotations

import random
import statistics
import time

from assembly.workshops import similarity

SUBJECTS = [
    "las decisiones",
    "la asamblea",
    "el compromiso",
    "la puntualidad",
    "los retiros",
    "la productividad",
    "las socias nuevas",
    "el presupuesto",
    "la capacitación",
    "los clientes",
    "la rotación de tareas",
    "el consejo de administración",
    "la comunicación interna",
    "el fondo común",
    "la planificación",
    "los excedentes",
    "la asistencia",
    "las guardias",
    "el trabajo interdisciplinario",
    "la red",
    "las compras conjuntas",
    "el financiamiento",
]
PREDICATES = [
    "hace falta más participación",
    "dependemos de pocas personas",
    "mejoramos cuando rotamos",
    "lo decidimos en asamblea",
    "hay tensiones entre socios",
    "la información no llega a todos",
    "falta planificar",
    "cambió todo con la pandemia",
    "priorizamos lo urgente",
    "nadie hace el seguimiento",
    "necesitamos formación",
    "se decidió sin consultar",
    "cada cooperativa hace algo distinto",
    "nos cuesta sostenerlo",
]
TAILS = [
    "",
    " en la cooperativa",
    " desde hace años",
    " y eso cansa",
    " cuando hay mucho trabajo",
    " según las compañeras",
    " en las reuniones",
    " para los próximos meses",
]


def cards(n: int, seed: int = 7) -> dict[int, str]:
    rng = random.Random(seed)
    return {
        i: f"Sobre {rng.choice(SUBJECTS)}: {rng.choice(PREDICATES)}{rng.choice(TAILS)}"
        for i in range(1, n + 1)
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_hints_benchmark(n_cards: int = 500, runs: int = 30) -> dict:
    """Cold: no card seen before (every text parsed and stemmed); warm: texts already seen, as
    when the facilitator asks again while grouping."""
    cold, warm = [], []
    for run in range(runs):
        texts = cards(n_cards, seed=run)
        similarity._bag.cache_clear()
        started = time.perf_counter()
        found = similarity.hints(texts)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        similarity.hints(texts)
        warm.append((time.perf_counter() - started) * 1000)
    return {
        "cards": n_cards,
        "runs": runs,
        "cards_with_hints": len(found),
        "hints_cold_p50_ms": round(statistics.median(cold), 1),
        "hints_cold_p95_ms": round(_percentile(cold, 0.95), 1),
        "hints_warm_p50_ms": round(statistics.median(warm), 1),
        "hints_warm_p95_ms": round(_percentile(warm, 0.95), 1),
    }


def main(n_cards: int, runs: int) -> None:
    import json

    print(json.dumps(run_hints_benchmark(n_cards, runs)))
