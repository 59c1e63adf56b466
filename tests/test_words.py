"""Spanish word forms fold together, and cards that say nearly the same thing are found."""

import pytest

from assembly.core.words import fold, stem, terms
from assembly.workshops.similarity import hints, similar_pairs


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("votación", "votaciones"),
        ("votacion", "Votación"),
        ("priorizamos", "priorizar"),
        ("prioridades", "prioridad"),
        ("cooperativas", "cooperativa"),
        ("acta", "actas"),  # short words the stemmer alone leaves apart
        ("asamblea", "asambleas"),
        ("tarea", "tareas"),
        ("decisión", "decisiones"),
        ("trabajamos", "trabajar"),
        ("meetings", "meeting"),
    ],
)
def test_word_forms_meet(one, other):
    assert stem(one) == stem(other)


@pytest.mark.parametrize(("one", "other"), [("retiro", "reunión"), ("capital", "capacitación")])
def test_different_words_stay_apart(one, other):
    assert stem(one) != stem(other)


def test_terms_fold_case_accents_and_drop_function_words():
    assert fold("PARTICIPACIÓN Ñandú") == "participacion ñandu"
    assert terms("Las votaciones de todas las socias") == ["votacion", "soci"]


def test_cards_that_say_nearly_the_same_thing_are_hinted():
    cards = {
        1: "Falta participación en las asambleas",
        2: "Poca participacion en la asamblea",
        3: "Los retiros no alcanzan a fin de mes",
        4: "El retiro no alcanza",
        5: "Necesitamos una página web comercial",
    }
    assert hints(cards) == {1: [2], 2: [1], 3: [4], 4: [3]}
    assert [(a, b) for a, b, _s in similar_pairs(cards)] in ([(1, 2), (3, 4)], [(3, 4), (1, 2)])
    assert hints({}) == {} and hints({1: "uno"}) == {}
