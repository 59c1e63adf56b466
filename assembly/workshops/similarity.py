"""Which contribution cards say nearly the same thing: hints for the person grouping them.

Cards are compared by the stems of their meaningful words (assembly/core/words.py: case, accents,
plurals and word forms folded), each weighted by how rare it is on the board (TF-IDF), by cosine
similarity. A stem only one card uses cannot make two cards alike, so only the stems cards share
go into the matrix product that scores every pair at once. No external service.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

import numpy as np

from assembly.core.words import terms

THRESHOLD = 0.35


@lru_cache(maxsize=8192)
def _bag(text: str) -> tuple[tuple[str, int], ...]:
    """A card's stems and their counts (cached: a card's text is read once, as it arrives)."""
    return tuple(Counter(terms(text)).items())


def _scores(texts: dict[int, str]) -> tuple[list[int], np.ndarray | None]:
    """The cards' ids and the cosine similarity of every pair (None if no two share a stem)."""
    ids = sorted(texts)
    bags = [dict(_bag(texts[card_id])) for card_id in ids]
    frequency = Counter(t for bag in bags for t in bag)
    n = len(ids)
    shared = {t: i for i, t in enumerate(sorted(t for t, df in frequency.items() if df > 1))}
    if n < 2 or not shared:
        return ids, None
    matrix = np.zeros((n, len(shared)), dtype=np.float32)
    for row, bag in enumerate(bags):
        weights = {t: (1 + math.log(c)) * math.log(1 + n / frequency[t]) for t, c in bag.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for t, w in weights.items():
            column = shared.get(t)
            if column is not None:
                matrix[row, column] = w / norm
    scores = matrix @ matrix.T
    np.fill_diagonal(scores, 0.0)
    return ids, scores


def similar_pairs(
    texts: dict[int, str], threshold: float = THRESHOLD
) -> list[tuple[int, int, float]]:
    """(card, card, similarity) for every pair at or above `threshold`, most similar first."""
    ids, scores = _scores(texts)
    if scores is None:
        return []
    upper = np.triu(np.ones_like(scores, dtype=bool), k=1)  # each pair once
    rows, columns = np.nonzero(upper & (scores >= threshold))
    pairs = [
        (ids[a], ids[b], round(float(scores[a, b]), 3))
        for a, b in zip(rows.tolist(), columns.tolist(), strict=True)
    ]
    return sorted(pairs, key=lambda p: (-p[2], p[0], p[1]))


def hints(
    texts: dict[int, str], threshold: float = THRESHOLD, per_card: int = 3
) -> dict[int, list[int]]:
    """For each card, the cards most like it: at most `per_card`, most similar first."""
    ids, scores = _scores(texts)
    if scores is None:
        return {}
    k = min(per_card, len(ids) - 1)
    nearest = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    found = {}
    for row, candidates in enumerate(nearest.tolist()):
        near = sorted(
            (c for c in candidates if scores[row, c] >= threshold),
            key=lambda c: (-scores[row, c], ids[c]),
        )
        if near:
            found[ids[row]] = [ids[c] for c in near]
    return found
