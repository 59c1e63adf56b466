"""Word forms as Spanish speakers mean them: case, accents, plurals and stems folded together.

`terms("Las votaciones PRIORIZAMOS")` gives the same stems as "votación priorizar". The Snowball
Spanish stemmer alone leaves short words apart ("acta"/"actas", "tarea"/"tareas",
"prioridad"/"prioridades" stem differently), so a plural ending is taken off first; it is taken
off the same way from both forms, so a singular that happens to end in -s ("crisis") still meets
itself. English words pass through the same steps harmlessly (plurals in -s fold too).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_VOWELS = set("aeiou")

# The commonest Spanish function words: they say nothing about what a card is about.
STOPWORDS = frozenset({
    "a", "al", "algo", "algun", "alguna", "algunas", "alguno", "algunos", "ante", "antes", "aqui",
    "asi", "aun", "cada", "como", "con", "contra", "cual", "cuales", "cuando", "de", "del",
    "desde", "donde", "dos", "el", "ella", "ellas", "ello", "ellos", "en", "entre", "era", "eran",
    "es", "esa", "esas", "ese", "eso", "esos", "esta", "estaba", "estan", "estar", "estas", "este",
    "esto", "estos", "fue", "fueron", "ha", "habia", "han", "hasta", "hay", "la", "las", "le",
    "les", "lo", "los", "mas", "me", "mi", "mis", "mucho", "muy", "nada", "ni", "no", "nos",
    "nosotras", "nosotros", "o", "otra", "otras", "otro", "otros", "para", "pero", "poco", "por",
    "porque", "que", "quien", "se", "sea", "segun", "ser", "si", "sin", "sobre", "solo", "son",
    "su", "sus", "tal", "tambien", "tan", "tanto", "te", "tener", "tiene", "tienen", "toda",
    "todas", "todo", "todos", "tu", "un", "una", "uno", "unos", "unas", "usted", "ustedes", "va",
    "vamos", "y", "ya", "yo", "nuestra", "nuestras", "nuestro", "nuestros", "vez", "veces", "cosa",
    "cosas", "hace", "hacer", "puede", "pueden", "debe", "deben", "esten",
    "estamos", "somos", "hemos", "tenemos", "hacemos", "the", "and", "or", "of", "to", "in", "for",
    "on", "with", "is", "are", "be", "it", "this", "that", "we", "our"
})  # fmt: skip

_stemmer = snowballstemmer.stemmer("spanish")


def fold(text: str) -> str:
    """Lower case without accents (ñ stays ñ: it is a letter of its own)."""
    text = text.lower().replace("ñ", "\x00")
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return text.replace("\x00", "ñ")


def _singular(word: str) -> str:
    if word.endswith("mos"):  # "priorizamos", "trabajamos": a verb, not a plural
        return word
    if len(word) > 4 and word.endswith("es") and word[-3] not in _VOWELS:
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and word[-2] != "s":
        return word[:-1]  # "actas", and English plurals ("meetings")
    return word


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The form a word is compared by: folded, singular, stemmed."""
    return _stemmer.stemWord(_singular(fold(word)))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text or ""))


def terms(text: str) -> list[str]:
    """The stems of a text's meaningful words, in order (repeats kept)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]
