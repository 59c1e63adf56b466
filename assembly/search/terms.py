"""Words into stems, queries into the engines' own syntax, and snippets with <mark>.

Both the index and the queries go through `assembly.core.words.stem` (folded, singular,
Snowball), so "Votaciones", "votación" and "votacion" are one term, and "actas" meets "acta".
Numbers are kept as they are ("2024", "20337"). A query is never passed to an engine as the
person typed it: it is read into terms, phrases and prefixes, and every piece is quoted, so
stray quotes, operators and FTS syntax are plain words (or nothing) and never an error.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

from markupsafe import Markup

from assembly.core.words import STOPWORDS, stem
from assembly.core.words import fold as _fold_accents

QUERY_MAX = 400  # characters of a query that are read; the rest is ignored
PIECES_MAX = 12  # terms, phrases and prefixes taken from one query
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_PIECE = re.compile(r'"([^"]*)"|(\S+)')
PREFIX_MIN = 2  # `c*` would match half the language
# Index rows carry who may read them as tokens beginning so (service.py); no term taken from a
# text may begin so, or a text could pose as one: such a word is indexed (and searched) as "x"
# followed by itself.
RESERVED = "xq"


def _unreserved(term: str) -> str:
    return "x" + term if term.startswith(RESERVED) else term


def _latin_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        folded = _fold_accents(chr(code)).replace("ñ", "n")
        if folded != chr(code).lower():
            table[code] = folded
    return table


_LATIN = str.maketrans(_latin_table())
_LATIN_END = 0x250


def fold(text: str) -> str:
    """Lower case without accents; ñ as n too, as people type it on keyboards without one.
    (The same as assembly.core.words.fold, by a table for Latin letters: texts are long.)"""
    folded = text.lower().translate(_LATIN)
    if folded.isascii() or all(ord(c) < _LATIN_END for c in folded):
        return folded
    return _fold_accents(folded).replace("ñ", "n")


@lru_cache(maxsize=65536)
def term_of(word: str) -> str | None:
    """The indexed form of one folded word, or None for a word not worth indexing."""
    if word in STOPWORDS:
        return None
    if word.isalpha():
        return _unreserved(stem(word)[:40]) if len(word) > 1 else None
    return _unreserved(word[:40])  # a number ("2024"), letters and digits ("covid19") as written


def index_terms(text: str) -> str:
    """A text's stems, in order, separated by spaces: what the engines index."""
    found = (term_of(w) for w in _TOKEN.findall(fold(text or "")))
    return " ".join(t for t in found if t)


@dataclass
class Query:
    terms: list[str] = field(default_factory=list)  # each must occur
    phrases: list[list[str]] = field(default_factory=list)  # each, stems side by side
    prefixes: list[str] = field(default_factory=list)  # folded beginnings of words

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.prefixes)

    def all_stems(self) -> set[str]:
        return set(self.terms) | {t for phrase in self.phrases for t in phrase}


def parse(text: str) -> Query:
    """What a person typed, as terms, "quoted phrases" and prefix* words. Anything else (a
    lone quote, AND/OR/NOT, parentheses, colons, a minus) is read as plain words or dropped."""
    text = (text or "")[:QUERY_MAX]
    if text.count('"') % 2:
        text = text.replace('"', " ")  # a stray quote: no phrase at all, just words
    query = Query()
    for quoted, bare in _PIECE.findall(text):
        if len(query.terms) + len(query.phrases) + len(query.prefixes) >= PIECES_MAX:
            break
        if quoted:
            stems = [t for t in (term_of(w) for w in _TOKEN.findall(fold(quoted))) if t]
            if len(stems) > 1:
                query.phrases.append(stems[:8])
            elif stems:
                query.terms.append(stems[0])
            continue
        words = _TOKEN.findall(fold(bare))
        if not words:
            continue
        if bare.rstrip().endswith("*"):
            *whole, last = words
            query.terms.extend(t for t in (term_of(w) for w in whole) if t)
            if len(last) >= PREFIX_MIN:
                query.prefixes.append(_unreserved(last[:30]))
            continue
        query.terms.extend(t for t in (term_of(w) for w in words) if t)
    query.terms = list(dict.fromkeys(query.terms))
    query.prefixes = list(dict.fromkeys(query.prefixes))
    return query


def _prefix_stems(prefix: str) -> list[str]:
    """Stems a word beginning with `prefix` may have been indexed as: those that begin with it
    (matched as prefixes), or, as a stem is shorter than its word ("cooperativas" is indexed as
    "cooper"), a shorter beginning of it of at least four letters."""
    return [prefix[:n] for n in range(len(prefix) - 1, 3, -1)]


def fts5_match(query: Query) -> str:
    """The FTS5 expression for the text part of a query (every piece quoted)."""
    parts = [f'"{t}"' for t in query.terms]
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    for prefix in query.prefixes:
        options = [f'"{prefix}"*', *(f'"{s}"' for s in _prefix_stems(prefix))]
        parts.append("(" + " OR ".join(options) + ")")
    return "{title_terms body_terms} : (" + " AND ".join(parts) + ")"


def _ts_lexeme(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'"


# PostgreSQL's text search configuration (migration 9c3e5f7a2b18): Spanish, its words through
# `unaccent` and 'simple' (lower case) and not a second stemmer: they arrive as stems. The index
# and every piece of a query go through it alike, prefixes included.
TS_CONFIG = "assembly_es"


def tsquery(query: Query) -> str:
    """The PostgreSQL tsquery text for the text part of a query (lexemes quoted), to be read
    with `TS_CONFIG`, as the index is."""
    parts = [_ts_lexeme(t) for t in query.terms]
    parts += ["(" + " <-> ".join(_ts_lexeme(t) for t in phrase) + ")" for phrase in query.phrases]
    for prefix in query.prefixes:
        options = [_ts_lexeme(prefix) + ":*", *(_ts_lexeme(s) for s in _prefix_stems(prefix))]
        parts.append("(" + " | ".join(options) + ")")
    return " & ".join(parts)


# --- snippets ----------------------------------------------------------------------------------

_WORDS_AROUND = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=65536)
def _folded_word(word: str) -> str:
    return fold(word)


def _matches(query: Query):
    stems = query.all_stems()
    prefixes = tuple(query.prefixes)

    def matches(word: str) -> bool:
        folded = _folded_word(word)
        if prefixes and folded.startswith(prefixes):
            return True
        return term_of(folded) in stems

    return matches


def highlight(text: str, query: Query) -> Markup:
    """The text, escaped, with each word the query found in <mark>."""
    matches = _matches(query)
    text = text or ""
    out, last = [], 0
    for m in _WORDS_AROUND.finditer(text):
        if matches(m.group()):
            word = html.escape(m.group())
            out += [html.escape(text[last : m.start()]), "<mark>", word, "</mark>"]
            last = m.end()
    out.append(html.escape(text[last:]))
    return Markup("".join(out))  # every piece of the text escaped above


def snippet(text: str, query: Query, width: int = 220) -> Markup:
    """About `width` characters of the text around its first match, escaped, matches marked."""
    text = " ".join((text or "").split())
    if not text:
        return Markup("")
    matches = _matches(query)
    start = 0
    for m in _WORDS_AROUND.finditer(text):
        if matches(m.group()):
            start = max(0, m.start() - width // 3)
            break
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    piece = highlight(text[start:end], query)
    return Markup("%s%s%s") % (
        "… " if start else "",
        piece,
        " …" if end < len(text) else "",
    )
