"""Pure vote counting: check ballots, count them, explain the result.

No Flask and no database: the app stores each ballot's normalised choice with its weight and
passes them to `count`. Every threshold comparison is exact (Fraction or integers), so two-thirds
of 30 is exactly 20, and weights may be ints or Fractions. Results are deterministic: ties are
either reported as ties or broken by the rule documented where it applies, never by dict or set
ordering and never at random.

Results are JSON-serialisable: exact numbers come back as ints when integral and as "p/q"
strings otherwise; option ids used as dict keys become strings ("12"); display-only values
(percentages, means, averages) are floats rounded half-up to two decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

METHODS = (
    "yes_no",
    "consent",
    "gradient",
    "single",
    "approval",
    "dots",
    "score",
    "ranked_irv",
    "ranked_schulze",
)

YES_NO_VOTES = ("yes", "no", "abstain")
CONSENT_VOTES = ("agree", "stand_aside", "object")
GRADIENT_LEVELS = (0, 1, 2, 3, 4, 5)
SCORE_MIN, SCORE_MAX = 0, 5
MAJORITIES = ("simple", "absolute", "two_thirds", "three_quarters")
ABSTENTIONS = ("excluded", "included")

Weight = int | Fraction
Ballot = tuple[dict, Fraction]


class BallotInvalid(ValueError):
    """A ballot that cannot be counted. `code` is stable (for translation), `detail` for logs."""

    CODES = (
        "invalid_choice",
        "unknown_option",
        "duplicate_option",
        "too_many_dots",
        "incomplete_ranking",
        "incomplete_scores",
        "out_of_range",
    )

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in self.CODES:
            raise ValueError(f"unknown ballot error code {code!r}")
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- small helpers ---------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    # bool is a subclass of int, but True is not a level, a score or an option id.
    return isinstance(value, int) and not isinstance(value, bool)


def _weight(value: Any, what: str = "weight") -> Fraction:
    # Floats are refused: 0.1 + 0.2 is not 0.3, and a threshold must be exact.
    if isinstance(value, Fraction):
        result = value
    elif _is_int(value):
        result = Fraction(value)
    else:
        raise ValueError(f"{what} must be an int or a Fraction, not {value!r}")
    if result < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return result


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown voting method {method!r}")


def _check_options(options: Sequence[int]) -> list[int]:
    options = list(options)
    if not all(_is_int(o) for o in options) or len(set(options)) != len(options):
        raise ValueError(f"options must be distinct ints, got {options!r}")
    return options


def _config_choice(config: dict, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = config.get(key, default)
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"config {key!r} must be one of {allowed}, not {value!r}")
    return value


def _config_int(config: dict, key: str, default: int | None, minimum: int) -> int:
    value = config.get(key, default)
    if not _is_int(value) or value < minimum:
        raise ValueError(f"config {key!r} must be an int >= {minimum}, not {value!r}")
    return value


def _display(value: Fraction) -> float:
    # Half-up rounding to two decimals, computed exactly before turning into a float.
    return math.floor(value * 100 + Fraction(1, 2)) / 100


def _percent(part: Fraction, base: Fraction) -> float | None:
    return None if base == 0 else _display(part * 100 / base)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fraction):
        return (
            value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
        )
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _explain(key: str, **params: Any) -> dict:
    return {"key": key, "params": params}


def _outcome_chosen(config: dict) -> str:
    return "elected" if config.get("election") else "chosen"


# --- validation ------------------------------------------------------------------------------


def _field(choice: Any, key: str) -> Any:
    # Exactly one expected key: an unexpected extra key means the client and server disagree.
    if not isinstance(choice, dict) or set(choice) != {key}:
        raise BallotInvalid("invalid_choice", f"expected an object with exactly the key {key!r}")
    return choice[key]


def _option_id(raw: Any, known: set[int]) -> int:
    if _is_int(raw):
        option = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit():
        if len(raw) > 30:  # no real id is this long; spare int() a huge conversion
            raise BallotInvalid("unknown_option", raw[:30])
        option = int(raw)
    else:
        raise BallotInvalid("invalid_choice", f"option id {raw!r} is not an integer")
    if option not in known:
        raise BallotInvalid("unknown_option", str(option))
    return option


def _option_list(raw: Any, known: set[int]) -> list[int]:
    if not isinstance(raw, list):
        raise BallotInvalid("invalid_choice", "expected a list of option ids")
    result: list[int] = []
    for item in raw:
        option = _option_id(item, known)
        if option in result:
            raise BallotInvalid("duplicate_option", str(option))
        result.append(option)
    return result


def _option_map(raw: Any, known: set[int]) -> dict[int, int]:
    if not isinstance(raw, dict):
        raise BallotInvalid("invalid_choice", "expected an object keyed by option id")
    result: dict[int, int] = {}
    for key, value in raw.items():
        option = _option_id(key, known)
        if option in result:  # "7" and "07" name the same option
            raise BallotInvalid("duplicate_option", str(option))
        if not _is_int(value):
            raise BallotInvalid("invalid_choice", f"value for option {option} is not an integer")
        result[option] = value
    return result


def _in_option_order(options: list[int], values: dict[int, int]) -> dict[str, int]:
    return {str(o): values[o] for o in options if o in values}


def _validate_yes_no(config: dict, options: list[int], choice: Any) -> dict:
    vote = _field(choice, "vote")
    if not isinstance(vote, str) or vote not in YES_NO_VOTES:
        raise BallotInvalid("invalid_choice", f"vote {vote!r}")
    return {"vote": vote}


def _validate_consent(config: dict, options: list[int], choice: Any) -> dict:
    vote = _field(choice, "vote")
    if not isinstance(vote, str) or vote not in CONSENT_VOTES:
        raise BallotInvalid("invalid_choice", f"vote {vote!r}")
    return {"vote": vote}


def _validate_gradient(config: dict, options: list[int], choice: Any) -> dict:
    level = _field(choice, "level")
    if not _is_int(level):
        raise BallotInvalid("invalid_choice", f"level {level!r} is not an integer")
    if level not in GRADIENT_LEVELS:
        raise BallotInvalid("out_of_range", f"level {level}")
    return {"level": level}


def _validate_single(config: dict, options: list[int], choice: Any) -> dict:
    return {"option": _option_id(_field(choice, "option"), set(options))}


def _validate_approval(config: dict, options: list[int], choice: Any) -> dict:
    approved = set(_option_list(_field(choice, "options"), set(options)))
    # Stored in the options' order, so two equal ballots are stored identically.
    return {"options": [o for o in options if o in approved]}


def _validate_dots(config: dict, options: list[int], choice: Any) -> dict:
    limit = _config_int(config, "dots", None, 1)
    dots = _option_map(_field(choice, "dots"), set(options))
    if any(n < 0 for n in dots.values()):
        raise BallotInvalid("out_of_range", "a negative number of dots")
    total = sum(dots.values())
    if total > limit:
        raise BallotInvalid("too_many_dots", f"{total} > {limit}")
    return {"dots": _in_option_order(options, {o: n for o, n in dots.items() if n})}


def _validate_score(config: dict, options: list[int], choice: Any) -> dict:
    scores = _option_map(_field(choice, "scores"), set(options))
    for option, score in scores.items():
        if not SCORE_MIN <= score <= SCORE_MAX:
            raise BallotInvalid("out_of_range", f"score {score} for option {option}")
    if config.get("require_all", True) and len(scores) != len(options):
        raise BallotInvalid("incomplete_scores", f"{len(scores)} of {len(options)} scored")
    return {"scores": _in_option_order(options, scores)}


def _validate_ranked(config: dict, options: list[int], choice: Any) -> dict:
    ranking = _option_list(_field(choice, "ranking"), set(options))
    if config.get("require_full_ranking", False) and len(ranking) != len(options):
        raise BallotInvalid("incomplete_ranking", f"{len(ranking)} of {len(options)} ranked")
    return {"ranking": ranking}


_VALIDATORS: dict[str, Callable[[dict, list[int], Any], dict]] = {
    "yes_no": _validate_yes_no,
    "consent": _validate_consent,
    "gradient": _validate_gradient,
    "single": _validate_single,
    "approval": _validate_approval,
    "dots": _validate_dots,
    "score": _validate_score,
    "ranked_irv": _validate_ranked,
    "ranked_schulze": _validate_ranked,
}


def validate_ballot(method: str, config: dict, options: list[int], choice: Any) -> dict:
    """Check one ballot's `choice` (raw JSON from a client) and return its normalised form.

    Raises BallotInvalid (with a `.code`) for a bad ballot, and plain ValueError for a bad
    method, config or option list, which are the server's fault rather than the voter's.
    Normalising is idempotent: validating a normalised choice returns it unchanged.
    """
    _check_method(method)
    return _VALIDATORS[method](config or {}, _check_options(options), choice)


# --- yes/no, consent, gradient ---------------------------------------------------------------


def _tally_votes(ballots: list[Ballot], values: tuple[str, ...]) -> dict[str, Fraction]:
    counts = {v: Fraction(0) for v in values}
    for choice, weight in ballots:
        counts[choice["vote"]] += weight
    return counts


def _count_yes_no(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
    majority = _config_choice(config, "majority", MAJORITIES, "simple")
    abstentions = _config_choice(config, "abstentions", ABSTENTIONS, "excluded")
    counts = _tally_votes(ballots, YES_NO_VOTES)
    yes, no, abstain = counts["yes"], counts["no"], counts["abstain"]

    if majority == "absolute":
        # A majority of all members: not voting counts the same as voting no.
        base, of, shown = eligible, "eligible", YES_NO_VOTES
    elif abstentions == "included":
        base, of, shown = yes + no + abstain, "votes_cast_with_abstentions", YES_NO_VOTES
    else:
        base, of, shown = yes + no, "votes_cast", ("yes", "no")

    if majority in ("simple", "absolute"):
        # "yes > no" is the same as "yes > half of yes + no"; one form covers every base.
        fraction, comparison = Fraction(1, 2), "more_than"
    else:
        fraction = Fraction(2, 3) if majority == "two_thirds" else Fraction(3, 4)
        comparison = "at_least"
    value = base * fraction

    if base == 0:
        adopted, votes_needed = False, None
    elif comparison == "more_than":
        adopted, votes_needed = yes > value, math.floor(value) + 1
    else:
        adopted, votes_needed = yes >= value, math.ceil(value)

    if base == 0:
        key = "empty_base"
    elif majority == "simple":
        key = "simple_majority_yes_exceeds_no" if adopted else "simple_majority_yes_not_above_no"
        if abstentions == "included":
            key += "_and_abstain"
    elif majority == "absolute":
        key = "absolute_majority_reached" if adopted else "absolute_majority_not_reached"
    else:
        key = "qualified_majority_reached" if adopted else "qualified_majority_not_reached"

    threshold = {
        "fraction": fraction,
        "comparison": comparison,
        "of": of,
        "value": value,
        "votes_needed": votes_needed,
    }
    return {
        "majority": majority,
        "abstentions": abstentions,
        "counts": counts,
        "base": base,
        "threshold": threshold,
        "percentages": {v: _percent(counts[v], base) for v in shown},
        "outcome": "adopted" if adopted else "rejected",
        "explanation": _explain(
            key,
            majority=majority,
            abstentions=abstentions,
            yes=yes,
            no=no,
            abstain=abstain,
            base=base,
            fraction=fraction,
            comparison=comparison,
            threshold=value,
            votes_needed=votes_needed,
            eligible=eligible,
        ),
    }


def _count_consent(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
    max_objections = _config_int(config, "max_objections", 0, 0)
    counts = _tally_votes(ballots, CONSENT_VOTES)
    # An objection is a voice, not a share: count objecting ballots, whatever their weight
    # (a weight-0 ballot does not take part). The weighted counts are reported alongside.
    objections = sum(1 for c, w in ballots if c["vote"] == "object" and w > 0)
    stand_asides = sum(1 for c, w in ballots if c["vote"] == "stand_aside" and w > 0)
    adopted = objections <= max_objections
    if not adopted:
        key = "objection_blocks"
    elif objections:
        key = "objections_tolerated"
    else:
        key = "no_objections"
    return {
        "counts": counts,
        "objections": objections,
        "stand_asides": stand_asides,
        "max_objections": max_objections,
        "outcome": "adopted" if adopted else "rejected",
        "explanation": _explain(
            key,
            objections=objections,
            max_objections=max_objections,
            stand_asides=stand_asides,
            agree=counts["agree"],
        ),
    }


def _weighted_median(distribution: dict[int, Fraction]) -> Fraction | None:
    # Weighted form of the usual median: the middle level, or the mean of the two middle levels
    # when the cumulative weight lands exactly on half (as [1, 2, 3, 4] gives 2.5).
    levels = [level for level in GRADIENT_LEVELS if distribution[level] > 0]
    total = sum(distribution.values())
    if total == 0:
        return None
    cumulative = Fraction(0)
    for i, level in enumerate(levels):
        cumulative += distribution[level]
        if cumulative * 2 == total:
            return Fraction(level + levels[i + 1], 2)
        if cumulative * 2 > total:
            return Fraction(level)
    raise AssertionError("unreachable: the cumulative weight reaches the total")


def _count_gradient(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
    block_level = config.get("block_level", 0)
    if block_level is not None and (not _is_int(block_level) or block_level not in GRADIENT_LEVELS):
        raise ValueError(f"config 'block_level' must be None or 0..5, not {block_level!r}")
    distribution = {level: Fraction(0) for level in GRADIENT_LEVELS}
    for choice, weight in ballots:
        distribution[choice["level"]] += weight
    total = sum(distribution.values())
    mean = None if total == 0 else sum(lv * w for lv, w in distribution.items()) / total
    median = _weighted_median(distribution)

    if block_level is None:  # blocking switched off: a pure temperature check
        blocks, blockers = Fraction(0), 0
    else:
        blocks = sum(w for lv, w in distribution.items() if lv <= block_level)
        blockers = sum(1 for c, w in ballots if c["level"] <= block_level and w > 0)
    blocked = blockers > 0
    mean_shown = None if mean is None else _display(mean)
    # A median is a level or halfway between two: an int, or a float ending in .5.
    median_shown: int | float | None = None
    if median is not None:
        median_shown = int(median) if median.denominator == 1 else float(median)
    return {
        "distribution": distribution,
        "total": total,
        "mean": mean_shown,
        "median": median_shown,
        "block_level": block_level,
        "blocks": blocks,
        "blockers": blockers,
        "outcome": "blocked" if blocked else "reported",
        "explanation": _explain(
            "gradient_blocked" if blocked else "gradient_reported",
            blocks=blocks,
            blockers=blockers,
            block_level=block_level,
            mean=mean_shown,
            median=median_shown,
            total=total,
        ),
    }


# --- choosing among options ------------------------------------------------------------------


@dataclass(frozen=True)
class _Selection:
    """Options ordered by a score, with the seats filled or the tie that stops them."""

    ranking: list[int]
    places: dict[int, int]
    ties: list[list[int]]
    winners: list[int]
    tied: list[int]

    @classmethod
    def by_score(cls, options: list[int], score: dict[int, Any], seats: int) -> _Selection:
        # sorted() is stable: equal scores keep the options' order (they are flagged, not broken).
        ranking = sorted(options, key=lambda o: -score[o])
        places = {o: 1 + sum(1 for x in options if score[x] > score[o]) for o in ranking}
        ties: list[list[int]] = []
        for option in ranking:
            group = [o for o in ranking if score[o] == score[option]]
            if len(group) > 1 and group not in ties:
                ties.append(group)
        if seats >= len(ranking):
            return cls(ranking, places, ties, list(ranking), [])
        boundary = score[ranking[seats - 1]]
        if score[ranking[seats]] == boundary:
            # The last seat falls inside a group of equals: only those above it are clear.
            winners = [o for o in ranking if score[o] > boundary]
            tied = [o for o in ranking if score[o] == boundary]
            return cls(ranking, places, ties, winners, tied)
        return cls(ranking, places, ties, ranking[:seats], [])

    def report(self) -> dict:
        return {
            "ranking": self.ranking,
            "places": self.places,
            "ties": self.ties,
            "winners": self.winners,
            "tied": self.tied,
        }


def _selection_outcome(
    config: dict,
    selection: _Selection,
    seats: int,
    n_options: int,
    cast: Fraction,
    score: dict[int, Any],
    winner_key: str,
    **params: Any,
) -> tuple[str, dict]:
    if seats >= n_options:
        return _outcome_chosen(config), _explain("seats_cover_all_options", seats=seats)
    if selection.tied:
        key = "no_votes" if cast == 0 else "tie_at_last_seat"
        return "tie", _explain(
            key,
            seats=seats,
            tied=selection.tied,
            seats_filled=len(selection.winners),
            value=score[selection.tied[0]],
        )
    runner_up = selection.ranking[seats]
    return _outcome_chosen(config), _explain(
        winner_key,
        seats=seats,
        winners=selection.winners,
        values={o: score[o] for o in selection.winners},
        runner_up=runner_up,
        runner_up_value=score[runner_up],
        **params,
    )


def _count_choice(method: str):
    def counter(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
        seats = _config_int(config, "seats", 1, 1)
        totals = {o: Fraction(0) for o in options}
        scored = {o: Fraction(0) for o in options}  # weight of voters who scored each option
        for choice, weight in ballots:
            if method == "single":
                totals[choice["option"]] += weight
            elif method == "approval":
                for option in choice["options"]:
                    totals[option] += weight
            elif method == "dots":
                for option, n in choice["dots"].items():
                    totals[int(option)] += weight * n
            else:
                for option, points in choice["scores"].items():
                    totals[int(option)] += weight * points
                    scored[int(option)] += weight
        cast = sum((w for _, w in ballots), Fraction(0))
        selection = _Selection.by_score(options, totals, seats)
        outcome, explanation = _selection_outcome(
            config, selection, seats, len(options), cast, totals, "highest_total"
        )
        result: dict[str, Any] = {"seats": seats, "totals": totals}
        if method == "dots":
            result["dots_per_voter"] = _config_int(config, "dots", None, 1)
        if method == "score":
            result["averages"] = {
                o: None if scored[o] == 0 else _display(totals[o] / scored[o]) for o in options
            }
        return {**result, **selection.report(), "outcome": outcome, "explanation": explanation}

    return counter


# --- instant run-off -------------------------------------------------------------------------


@dataclass
class _Round:
    tallies: dict[int, Fraction]
    exhausted: Fraction
    eliminated: int | None = None
    elected: int | None = None
    tie_break: dict | None = None

    @property
    def active(self) -> Fraction:
        return sum(self.tallies.values(), Fraction(0))

    def report(self, number: int) -> dict:
        return {
            "round": number,
            "tallies": self.tallies,
            "exhausted": self.exhausted,
            "active": self.active,
            "majority_over": self.active / 2,  # a winner needs strictly more than this
            "eliminated": self.eliminated,
            "elected": self.elected,
            "tie_break": self.tie_break,
        }


def _irv_loser(
    lowest: list[int], history: list[_Round], options: list[int]
) -> tuple[int, dict | None]:
    if len(lowest) == 1:
        return lowest[0], None
    # Backwards tie-break: walk back through earlier rounds; in each, keep only those of the
    # tied options that had the fewest votes there, until one is left.
    candidates = list(lowest)
    for earlier in reversed(history):
        fewest = min(earlier.tallies[o] for o in candidates)
        candidates = [o for o in candidates if earlier.tallies[o] == fewest]
        if len(candidates) == 1:
            return candidates[0], {"tied": lowest, "rule": "backwards"}
    # Still tied in every round: eliminate the one latest in the options list.
    loser = max(candidates, key=options.index)
    return loser, {"tied": lowest, "rule": "option_order"}


def _irv_seat(
    options: list[int], ballots: list[Ballot], excluded: set[int]
) -> tuple[list[_Round], int | None, list[int]]:
    """One IRV contest among the options not in `excluded`: (rounds, winner, unresolved)."""
    continuing = [o for o in options if o not in excluded]
    rounds: list[_Round] = []
    while True:
        still_in = set(continuing)
        tallies = {o: Fraction(0) for o in continuing}
        exhausted = Fraction(0)
        for choice, weight in ballots:
            top = next((o for o in choice["ranking"] if o in still_in), None)
            if top is None:
                exhausted += weight
            else:
                tallies[top] += weight
        current = _Round(tallies, exhausted)
        if current.active == 0:
            # Nothing left to count (no votes, or every ballot exhausted): no one can win.
            rounds.append(current)
            return rounds, None, continuing
        majority = [o for o in continuing if tallies[o] * 2 > current.active]
        if majority:
            current.elected = majority[0]  # a strict majority: at most one option has it
            rounds.append(current)
            return rounds, current.elected, []
        fewest = min(tallies.values())
        lowest = [o for o in continuing if tallies[o] == fewest]
        current.eliminated, current.tie_break = _irv_loser(lowest, rounds, options)
        rounds.append(current)
        continuing.remove(current.eliminated)


def _count_irv(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
    seats = _config_int(config, "seats", 1, 1)
    cast = sum((w for _, w in ballots), Fraction(0))
    if seats >= len(options):
        return {
            "seats": seats,
            "rounds": [],
            "seat_results": [],
            "winners": list(options),
            "tied": [],
            "outcome": _outcome_chosen(config),
            "explanation": _explain("seats_cover_all_options", seats=seats),
        }
    # Sequential IRV: each further seat is a fresh IRV with the elected options removed, so
    # ballots that ranked an elected option first pass on to their next preference.
    winners: list[int] = []
    seat_results: list[dict] = []
    tied: list[int] = []
    for seat in range(1, seats + 1):
        rounds, winner, unresolved = _irv_seat(options, ballots, set(winners))
        seat_results.append(
            {
                "seat": seat,
                "elected": winner,
                "rounds": [r.report(i) for i, r in enumerate(rounds, start=1)],
            }
        )
        if winner is None:
            tied = unresolved
            break
        winners.append(winner)

    tie_breaks = sum(1 for s in seat_results for r in s["rounds"] if r["tie_break"])
    if tied:
        key = "no_votes" if cast == 0 else "irv_all_ballots_exhausted"
        outcome = "tie"
        explanation = _explain(key, seats=seats, seats_filled=len(winners), tied=tied)
    elif seats == 1:
        outcome = _outcome_chosen(config)
        last = seat_results[0]["rounds"][-1]
        explanation = _explain(
            "irv_majority",
            round=last["round"],
            winner=winners[0],
            votes=last["tallies"][winners[0]],
            active=last["active"],
            exhausted=last["exhausted"],
            tie_breaks=tie_breaks,
        )
    else:
        outcome = _outcome_chosen(config)
        explanation = _explain(
            "irv_sequential",
            seats=seats,
            winners=winners,
            rounds_per_seat=[len(s["rounds"]) for s in seat_results],
            tie_breaks=tie_breaks,
        )
    return {
        "seats": seats,
        "rounds": seat_results[0]["rounds"],
        "seat_results": seat_results,
        "winners": winners,
        "tied": tied,
        "outcome": outcome,
        "explanation": explanation,
    }


# --- Schulze ---------------------------------------------------------------------------------


def _pairwise(options: list[int], ballots: list[Ballot]) -> dict[int, dict[int, Fraction]]:
    d = {a: {b: Fraction(0) for b in options if b != a} for a in options}
    for choice, weight in ballots:
        ranking = choice["ranking"]
        ranked = set(ranking)
        # Ranked options beat everything after them, and every unranked option; unranked
        # options are tied with each other, so they gain nothing from this ballot.
        below = [o for o in options if o not in ranked]
        for option in reversed(ranking):
            for other in below:
                d[option][other] += weight
            below.append(option)
    return d


def _strongest_paths(
    options: list[int], d: dict[int, dict[int, Fraction]]
) -> dict[int, dict[int, Fraction]]:
    # Widest paths (a Floyd-Warshall variant) over the links a->b that win pairwise.
    p = {
        a: {b: (d[a][b] if d[a][b] > d[b][a] else Fraction(0)) for b in options if b != a}
        for a in options
    }
    for i in options:
        for j in options:
            if j == i:
                continue
            for k in options:
                if k in (i, j):
                    continue
                p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return p


def _count_schulze(config: dict, options: list[int], ballots: list[Ballot], eligible: Fraction):
    seats = _config_int(config, "seats", 1, 1)
    cast = sum((w for _, w in ballots), Fraction(0))
    d = _pairwise(options, ballots)
    p = _strongest_paths(options, d)
    beats = {a: [b for b in options if b != a and p[a][b] > p[b][a]] for a in options}
    wins = {a: len(beats[a]) for a in options}
    selection = _Selection.by_score(options, wins, seats)
    if seats == 1 and len(selection.winners) == 1 and len(options) > 1:
        winner = selection.winners[0]
        condorcet = all(d[winner][o] > d[o][winner] for o in options if o != winner)
        winner_key = "schulze_condorcet_winner" if condorcet else "schulze_strongest_paths"
    else:
        winner_key = "schulze_strongest_paths"
    outcome, explanation = _selection_outcome(
        config, selection, seats, len(options), cast, wins, winner_key
    )
    return {
        "seats": seats,
        "pairwise": d,
        "strongest_paths": p,
        "beats": beats,
        "wins": wins,
        **selection.report(),
        "outcome": outcome,
        "explanation": explanation,
    }


_COUNTERS: dict[str, Callable[[dict, list[int], list[Ballot], Fraction], dict]] = {
    "yes_no": _count_yes_no,
    "consent": _count_consent,
    "gradient": _count_gradient,
    "single": _count_choice("single"),
    "approval": _count_choice("approval"),
    "dots": _count_choice("dots"),
    "score": _count_choice("score"),
    "ranked_irv": _count_irv,
    "ranked_schulze": _count_schulze,
}


def count(
    method: str,
    config: dict,
    options: list[int],
    ballots: Iterable[tuple[dict, Weight]],
    eligible_weight: Weight,
) -> dict:
    """Count normalised ballots (choice, weight). Returns a JSON-serialisable result dict.

    Each choice is validated again (normalising is idempotent), so a corrupt stored ballot
    raises BallotInvalid instead of being counted wrongly.
    """
    _check_method(method)
    config = config or {}
    options = _check_options(options)
    eligible = _weight(eligible_weight, "eligible_weight")
    checked: list[Ballot] = [
        (validate_ballot(method, config, options, choice), _weight(weight))
        for choice, weight in ballots
    ]
    result = _COUNTERS[method](config, options, checked, eligible)
    header = {
        "method": method,
        "ballots": len(checked),
        "cast_weight": sum((w for _, w in checked), Fraction(0)),
        "eligible_weight": eligible,
    }
    return _jsonable({**header, **result})
