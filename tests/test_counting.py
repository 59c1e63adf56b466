"""Hand-worked counts for assembly.voting.counting: the arithmetic is in the comments."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from assembly.voting.counting import METHODS, BallotInvalid, count, validate_ballot


def run(method, ballots, config=None, options=(), eligible=None):
    """Count, and check every result survives json.dumps (the app stores it as JSON)."""
    if eligible is None:
        eligible = sum((w for _, w in ballots), 0)
    result = count(method, config or {}, list(options), ballots, eligible)
    assert json.loads(json.dumps(result)) == result
    assert result["method"] == method
    assert result["ballots"] == len(ballots)
    return result


def many(choice, n, weight=1):
    return [(choice, weight)] * n


def yes_no(yes, no, abstain=0):
    return (
        many({"vote": "yes"}, yes) + many({"vote": "no"}, no) + many({"vote": "abstain"}, abstain)
    )


def ranked(n, *ranking):
    return many({"ranking": list(ranking)}, n)


# --- yes / no --------------------------------------------------------------------------------


def test_simple_majority_abstentions_excluded_and_included_change_the_outcome():
    ballots = yes_no(10, 8, 5)
    # Excluded: base = 10 + 8 = 18; adopted iff yes > no: 10 > 8. Need more than 9, so 10.
    out = run("yes_no", ballots, {"majority": "simple", "abstentions": "excluded"})
    assert out["outcome"] == "adopted"
    assert out["counts"] == {"yes": 10, "no": 8, "abstain": 5}
    assert out["base"] == 18
    assert out["threshold"] == {
        "fraction": "1/2",
        "comparison": "more_than",
        "of": "votes_cast",
        "value": 9,
        "votes_needed": 10,
    }
    # 10/18 = 55.555..% and 8/18 = 44.444..%; abstentions are not in the base, so not shown.
    assert out["percentages"] == {"yes": 55.56, "no": 44.44}
    assert out["explanation"]["key"] == "simple_majority_yes_exceeds_no"
    assert out["cast_weight"] == 23 and out["eligible_weight"] == 23

    # Included: base = 10 + 8 + 5 = 23; adopted iff yes > no + abstain: 10 > 13 is false.
    # More than 23/2 = 11.5 needed, so 12 votes.
    out = run("yes_no", ballots, {"majority": "simple", "abstentions": "included"})
    assert out["outcome"] == "rejected"
    assert out["base"] == 23
    assert out["threshold"]["value"] == "23/2"
    assert out["threshold"]["votes_needed"] == 12
    # 10/23 = 43.478%, 8/23 = 34.783%, 5/23 = 21.739%
    assert out["percentages"] == {"yes": 43.48, "no": 34.78, "abstain": 21.74}
    assert out["explanation"]["key"] == "simple_majority_yes_not_above_no_and_abstain"


def test_simple_majority_is_the_default_and_a_tie_is_rejected():
    # 5 > 5 is false: an equal split does not adopt.
    out = run("yes_no", yes_no(5, 5, 1))
    assert (out["majority"], out["abstentions"]) == ("simple", "excluded")
    assert out["outcome"] == "rejected"
    assert out["explanation"]["key"] == "simple_majority_yes_not_above_no"
    assert out["explanation"]["params"]["votes_needed"] == 6  # more than 10/2 = 5


def test_absolute_majority_counts_members_who_did_not_vote():
    # 30 members, 19 voted: yes 14, no 3, abstain 2. A simple majority would adopt (14 > 3),
    # but the absolute rule needs more than 30 / 2 = 15 yes votes, so 16: 14 is not enough.
    config = {"majority": "absolute"}
    out = run("yes_no", yes_no(14, 3, 2), config, eligible=30)
    assert out["outcome"] == "rejected"
    assert out["base"] == 30
    assert out["threshold"]["of"] == "eligible"
    assert out["threshold"]["value"] == 15 and out["threshold"]["votes_needed"] == 16
    assert out["explanation"]["key"] == "absolute_majority_not_reached"
    # Percentages are of the 30 members: 14/30 = 46.67%, 3/30 = 10%, 2/30 = 6.67%.
    assert out["percentages"] == {"yes": 46.67, "no": 10.0, "abstain": 6.67}
    assert run("yes_no", yes_no(14, 3, 2), {"majority": "simple"}, eligible=30)["outcome"] == (
        "adopted"
    )

    # 15 of 30 is exactly half, not more than half; 16 of 30 is.
    assert run("yes_no", yes_no(15, 0), config, eligible=30)["outcome"] == "rejected"
    out = run("yes_no", yes_no(16, 0), config, eligible=30)
    assert out["outcome"] == "adopted"
    assert out["explanation"]["key"] == "absolute_majority_reached"


def test_two_thirds_exactly_at_the_threshold():
    config = {"majority": "two_thirds"}
    # 20 yes, 10 no: base 30, 2/3 * 30 = 20, and 20 >= 20 passes.
    out = run("yes_no", yes_no(20, 10), config)
    assert out["outcome"] == "adopted"
    assert out["threshold"] == {
        "fraction": "2/3",
        "comparison": "at_least",
        "of": "votes_cast",
        "value": 20,
        "votes_needed": 20,
    }
    assert out["explanation"]["key"] == "qualified_majority_reached"
    # 19 yes, 11 no: base still 30, 19 < 20 fails.
    out = run("yes_no", yes_no(19, 11), config)
    assert out["outcome"] == "rejected"
    assert out["explanation"]["key"] == "qualified_majority_not_reached"


def test_two_thirds_with_abstentions_in_the_base():
    # yes 20, no 10, abstain 7. Excluded: 20 >= 2/3 * 30 = 20 passes.
    # Included: base 37, 2/3 * 37 = 74/3 = 24.67, so 25 needed: 20 fails.
    ballots = yes_no(20, 10, 7)
    assert run("yes_no", ballots, {"majority": "two_thirds"})["outcome"] == "adopted"
    out = run("yes_no", ballots, {"majority": "two_thirds", "abstentions": "included"})
    assert out["outcome"] == "rejected"
    assert out["threshold"]["value"] == "74/3"
    assert out["threshold"]["votes_needed"] == 25


def test_three_quarters():
    config = {"majority": "three_quarters"}
    # 15 yes, 5 no: 3/4 * 20 = 15, and 15 >= 15 passes.
    out = run("yes_no", yes_no(15, 5), config)
    assert out["outcome"] == "adopted"
    assert out["threshold"]["value"] == 15
    # 14 yes, 5 no: 3/4 * 19 = 57/4 = 14.25, 14 < 14.25 fails; 15 would be needed.
    out = run("yes_no", yes_no(14, 5), config)
    assert out["outcome"] == "rejected"
    assert out["threshold"]["value"] == "57/4"
    assert out["threshold"]["votes_needed"] == 15


def test_empty_base_is_rejected():
    # Only abstentions, excluded from the base: base 0, nothing to take two-thirds of.
    out = run("yes_no", yes_no(0, 0, 4), {"majority": "two_thirds"})
    assert out["outcome"] == "rejected"
    assert out["base"] == 0
    assert out["threshold"]["votes_needed"] is None
    assert out["percentages"] == {"yes": None, "no": None}
    assert out["explanation"]["key"] == "empty_base"
    # No ballots at all, simple majority.
    out = run("yes_no", [], eligible=12)
    assert out["outcome"] == "rejected"
    assert out["explanation"]["key"] == "empty_base"
    assert (out["cast_weight"], out["eligible_weight"]) == (0, 12)


def test_network_weighting_changes_the_outcome():
    # A network of five cooperatives weighted 3, 2, 1, 1, 1 (e.g. by size).
    ballots = [
        ({"vote": "yes"}, 3),
        ({"vote": "yes"}, 2),
        ({"vote": "no"}, 1),
        ({"vote": "no"}, 1),
        ({"vote": "no"}, 1),
    ]
    # Weighted: yes 3 + 2 = 5 > no 1 + 1 + 1 = 3, adopted.
    out = run("yes_no", ballots, eligible=8)
    assert out["outcome"] == "adopted"
    assert out["counts"] == {"yes": 5, "no": 3, "abstain": 0}
    assert out["cast_weight"] == 8
    # One organisation, one vote: yes 2 < no 3, rejected.
    flat = [(choice, 1) for choice, _ in ballots]
    assert run("yes_no", flat)["outcome"] == "rejected"


def test_fraction_weights_are_exact():
    # Three delegates of 1/3 each: yes 1/3 + 1/3 = 2/3 of a base of 1, exactly two-thirds.
    # In floats 1/3 + 1/3 is 0.6666666666666666 and 2/3 * 1.0 is 0.6666666666666666 too, but
    # only exact arithmetic guarantees it for every weight.
    third = Fraction(1, 3)
    ballots = [({"vote": "yes"}, third), ({"vote": "yes"}, third), ({"vote": "no"}, third)]
    out = run("yes_no", ballots, {"majority": "two_thirds"}, eligible=1)
    assert out["outcome"] == "adopted"
    assert out["counts"] == {"yes": "2/3", "no": "1/3", "abstain": 0}
    assert out["base"] == 1
    assert out["threshold"]["value"] == "2/3"
    assert out["percentages"] == {"yes": 66.67, "no": 33.33}
    # Weight 1/10 ten times is exactly 1 (0.1 summed as floats is not).
    out = run("yes_no", many({"vote": "yes"}, 10, Fraction(1, 10)), eligible=2)
    assert out["cast_weight"] == 1


def test_absolute_majority_of_nobody_is_an_empty_base():
    out = run("yes_no", [], {"majority": "absolute"}, eligible=0)
    assert (out["outcome"], out["explanation"]["key"]) == ("rejected", "empty_base")


# --- consent ---------------------------------------------------------------------------------


def test_consent_without_objections_tolerated():
    agree = many({"vote": "agree"}, 6) + many({"vote": "stand_aside"}, 2)
    out = run("consent", agree)
    assert out["outcome"] == "adopted"
    assert out["counts"] == {"agree": 6, "stand_aside": 2, "object": 0}
    assert out["stand_asides"] == 2
    assert out["explanation"]["key"] == "no_objections"
    # One objection with max_objections 0 (the default): 1 > 0 blocks.
    out = run("consent", [*agree, ({"vote": "object"}, 1)])
    assert out["outcome"] == "rejected"
    assert out["objections"] == 1 and out["max_objections"] == 0
    assert out["explanation"]["key"] == "objection_blocks"


def test_consent_with_tolerated_objections():
    config = {"max_objections": 2}
    agree = many({"vote": "agree"}, 5)
    # 2 objections <= 2 tolerated: adopted.
    out = run("consent", agree + many({"vote": "object"}, 2), config)
    assert out["outcome"] == "adopted"
    assert out["explanation"]["key"] == "objections_tolerated"
    assert out["explanation"]["params"] == {
        "objections": 2,
        "max_objections": 2,
        "stand_asides": 0,
        "agree": 5,
    }
    # 3 objections > 2: rejected.
    assert run("consent", agree + many({"vote": "object"}, 3), config)["outcome"] == "rejected"


def test_consent_counts_objecting_ballots_not_their_weight():
    # An organisation of weight 3 objects: the weighted count is 3, but it is one objection,
    # which max_objections 1 tolerates.
    ballots = [({"vote": "object"}, 3), ({"vote": "agree"}, 2), ({"vote": "agree"}, 1)]
    out = run("consent", ballots, {"max_objections": 1})
    assert out["counts"] == {"agree": 3, "stand_aside": 0, "object": 3}
    assert out["objections"] == 1
    assert out["outcome"] == "adopted"


# --- gradient --------------------------------------------------------------------------------


def test_gradient_distribution_mean_median():
    # Levels 5, 5, 4, 3, 3, 2. Mean (5+5+4+3+3+2)/6 = 22/6 = 3.67.
    # Sorted 2, 3, 3 | 4, 5, 5: the median is between 3 and 4, so 3.5.
    ballots = [({"level": lv}, 1) for lv in (5, 5, 4, 3, 3, 2)]
    out = run("gradient", ballots)
    assert out["distribution"] == {"0": 0, "1": 0, "2": 1, "3": 2, "4": 1, "5": 2}
    assert out["total"] == 6
    assert out["mean"] == 3.67
    assert out["median"] == 3.5
    assert (out["blocks"], out["blockers"], out["block_level"]) == (0, 0, 0)
    assert out["outcome"] == "reported"
    assert out["explanation"]["key"] == "gradient_reported"


def test_gradient_block():
    # Level 0 is a block by default: 1, 3, 5 and a 0 -> blocked.
    out = run("gradient", [({"level": lv}, 1) for lv in (0, 3, 5, 5)])
    assert out["outcome"] == "blocked"
    assert (out["blocks"], out["blockers"]) == (1, 1)
    assert out["explanation"]["key"] == "gradient_blocked"
    # Sorted 0, 3 | 5, 5: median (3 + 5) / 2 = 4; mean 13/4 = 3.25.
    assert (out["median"], out["mean"]) == (4, 3.25)

    # block_level 1: the 1 blocks. Sorted 1, 3, 5: median 3, mean 9/3 = 3.
    out = run("gradient", [({"level": lv}, 1) for lv in (1, 3, 5)], {"block_level": 1})
    assert out["outcome"] == "blocked"
    assert (out["median"], out["mean"]) == (3, 3.0)

    # block_level None turns blocking off: a 0 is only part of the picture.
    out = run("gradient", [({"level": 0}, 1), ({"level": 4}, 1)], {"block_level": None})
    assert out["outcome"] == "reported"
    assert out["blockers"] == 0


def test_gradient_weighted_median_and_empty():
    # Level 1 with weight 3 and level 5 with weight 1: total 4, half 2; cumulative weight
    # reaches 3 > 2 at level 1, so the median is 1 (unweighted it would be 3).
    # Mean (1*3 + 5*1) / 4 = 2.
    out = run("gradient", [({"level": 1}, 3), ({"level": 5}, 1)])
    assert (out["median"], out["mean"]) == (1, 2.0)
    out = run("gradient", [])
    assert (out["median"], out["mean"], out["outcome"]) == (None, None, "reported")


# --- single, approval, dots, score -----------------------------------------------------------


def test_single_choice_with_a_tie():
    options = [1, 2, 3]
    ballots = many({"option": 1}, 4) + many({"option": 2}, 4) + many({"option": 3}, 2)
    # Totals 4, 4, 2: options 1 and 2 share the only seat.
    out = run("single", ballots, options=options)
    assert out["totals"] == {"1": 4, "2": 4, "3": 2}
    assert out["ranking"] == [1, 2, 3]
    assert out["places"] == {"1": 1, "2": 1, "3": 3}
    assert out["ties"] == [[1, 2]]
    assert out["outcome"] == "tie"
    assert (out["winners"], out["tied"]) == ([], [1, 2])
    assert out["explanation"] == {
        "key": "tie_at_last_seat",
        "params": {"seats": 1, "tied": [1, 2], "seats_filled": 0, "value": 4},
    }
    # With two seats the tie sits inside the winners: no problem.
    out = run("single", ballots, {"seats": 2, "election": True}, options)
    assert out["outcome"] == "elected"
    assert out["winners"] == [1, 2] and out["tied"] == []
    assert out["explanation"]["params"]["runner_up"] == 3


def test_single_choice_clear_winner_and_ties_keep_option_order():
    # Totals: option 3 gets 5, options 1 and 2 get 1 each; 1 and 2 are flagged tied, in the
    # options' order, below the clear winner.
    ballots = [*many({"option": 3}, 5), ({"option": 2}, 1), ({"option": "1"}, 1)]
    out = run("single", ballots, options=[1, 2, 3])
    assert out["ranking"] == [3, 1, 2]
    assert out["ties"] == [[1, 2]]
    assert out["winners"] == [3]
    assert out["outcome"] == "chosen"
    assert out["explanation"]["key"] == "highest_total"
    assert out["explanation"]["params"]["values"] == {"3": 5}


def test_approval():
    options = [1, 2, 3, 4]
    ballots = [
        ({"options": [1, 2]}, 1),
        ({"options": [2, 3]}, 1),
        ({"options": [2]}, 1),
        ({"options": [1, 4]}, 1),
        ({"options": []}, 1),  # approves none, still a ballot cast
    ]
    # Totals: 1 -> 2, 2 -> 3, 3 -> 1, 4 -> 1.
    out = run("approval", ballots, options=options)
    assert out["totals"] == {"1": 2, "2": 3, "3": 1, "4": 1}
    assert out["winners"] == [2]
    assert out["cast_weight"] == 5
    assert run("approval", ballots, {"seats": 2}, options)["winners"] == [2, 1]
    # Three seats: 2 and 1 are in, 3 and 4 tie for the last seat.
    out = run("approval", ballots, {"seats": 3}, options)
    assert out["outcome"] == "tie"
    assert (out["winners"], out["tied"]) == ([2, 1], [3, 4])


def test_dots_with_the_limit():
    config = {"dots": 5}
    options = [1, 2, 3]
    ballots = [
        ({"dots": {"1": 3, "2": 2}}, 1),
        ({"dots": {"2": 5}}, 1),
        ({"dots": {"1": 1, "3": 4}}, 1),
    ]
    # Totals: 1 -> 3 + 1 = 4, 2 -> 2 + 5 = 7, 3 -> 4.
    out = run("dots", ballots, config, options)
    assert out["totals"] == {"1": 4, "2": 7, "3": 4}
    assert out["dots_per_voter"] == 5
    assert out["winners"] == [2]
    # Keys normalised to str(int), zeros dropped, options' order.
    assert validate_ballot("dots", config, options, {"dots": {3: 2, "2": 0, "1": 3}}) == {
        "dots": {"1": 3, "3": 2}
    }
    # 3 + 3 = 6 > 5 dots.
    with pytest.raises(BallotInvalid) as raised:
        validate_ballot("dots", config, options, {"dots": {"1": 3, "2": 3}})
    assert raised.value.code == "too_many_dots"
    # Weighted: a weight-2 voter's dots count twice: 2 * 5 = 10 for option 3.
    assert run("dots", [({"dots": {"3": 5}}, 2)], config, options)["totals"]["3"] == 10


def test_score_with_require_all():
    options = [1, 2, 3]
    ballots = [
        ({"scores": {"1": 5, "2": 3, "3": 0}}, 1),
        ({"scores": {"1": 2, "2": 4, "3": 5}}, 1),
        ({"scores": {"1": 4, "2": 5, "3": 1}}, 1),
    ]
    # Totals: 1 -> 5+2+4 = 11, 2 -> 3+4+5 = 12, 3 -> 0+5+1 = 6.
    # Averages: 11/3 = 3.67, 12/3 = 4, 6/3 = 2.
    out = run("score", ballots, options=options)
    assert out["totals"] == {"1": 11, "2": 12, "3": 6}
    assert out["averages"] == {"1": 3.67, "2": 4.0, "3": 2.0}
    assert out["winners"] == [2]
    # require_all (the default) refuses a partial ballot...
    with pytest.raises(BallotInvalid) as raised:
        validate_ballot("score", {}, options, {"scores": {"1": 5}})
    assert raised.value.code == "incomplete_scores"
    # ...and without it, averages are over the voters who scored the option:
    # option 1: (5 + 2) / 2 = 3.5; option 2: 4 / 1; option 3 unscored.
    partial = [({"scores": {"1": 5}}, 1), ({"scores": {"1": 2, "2": 4}}, 1)]
    out = run("score", partial, {"require_all": False}, options)
    assert out["totals"] == {"1": 7, "2": 4, "3": 0}
    assert out["averages"] == {"1": 3.5, "2": 4.0, "3": None}


def test_score_weighted():
    # Weights 3 and 1: option 1 gets 3*1 + 1*5 = 8, option 2 gets 3*4 + 1*0 = 12.
    ballots = [({"scores": {"1": 1, "2": 4}}, 3), ({"scores": {"1": 5, "2": 0}}, 1)]
    out = run("score", ballots, options=[1, 2])
    assert out["totals"] == {"1": 8, "2": 12}
    # Averages per unit of weight: 8/4 = 2, 12/4 = 3.
    assert out["averages"] == {"1": 2.0, "2": 3.0}


def test_no_votes_and_seats_covering_all_options():
    out = run("single", [], options=[1, 2])
    assert out["outcome"] == "tie"
    assert out["explanation"]["key"] == "no_votes"
    out = run("approval", [], {"seats": 2}, [1, 2])
    assert out["outcome"] == "chosen"
    assert out["winners"] == [1, 2]
    assert out["explanation"]["key"] == "seats_cover_all_options"


# --- instant run-off -------------------------------------------------------------------------

A, B, C, D, E = 1, 2, 3, 4, 5


def irv_example():
    # 24 ballots over A, B, C, D.
    return (
        ranked(9, A)  # A only: exhausted once A is out
        + ranked(6, C, B)
        + ranked(5, B, C)
        + ranked(1, D, C)
        + ranked(2, D, B)
        + ranked(1, D)  # exhausted as soon as D is out
    )


def test_irv_three_rounds_with_a_backwards_tie_break():
    out = run("ranked_irv", irv_example(), options=[A, B, C, D])
    r1, r2, r3 = out["rounds"]
    # Round 1: A 9, B 5, C 6, D 4 of 24; a majority is more than 12: nobody. D is last.
    assert r1["tallies"] == {"1": 9, "2": 5, "3": 6, "4": 4}
    assert (r1["exhausted"], r1["active"], r1["majority_over"]) == (0, 24, 12)
    assert (r1["eliminated"], r1["elected"], r1["tie_break"]) == (D, None, None)
    # Round 2: D's ballots: 1 to C, 2 to B, 1 exhausted. A 9, B 7, C 7, exhausted 1;
    # more than 23/2 = 11.5 needed: nobody. B and C tie at 7; one round back B had 5 and C 6,
    # so B goes (the option-order rule would have removed C, the later option, instead).
    assert r2["tallies"] == {"1": 9, "2": 7, "3": 7}
    assert (r2["exhausted"], r2["active"], r2["majority_over"]) == (1, 23, "23/2")
    assert r2["eliminated"] == B
    assert r2["tie_break"] == {"tied": [B, C], "rule": "backwards"}
    # Round 3: B's 5 [B, C] go to C, its 2 [D, B] are exhausted. A 9, C 12, exhausted 3;
    # 12 > 21/2 = 10.5: C wins, although A led the first round.
    assert r3["tallies"] == {"1": 9, "3": 12}
    assert (r3["exhausted"], r3["active"]) == (3, 21)
    assert r3["elected"] == C
    assert out["winners"] == [C]
    assert out["outcome"] == "chosen"
    assert out["explanation"] == {
        "key": "irv_majority",
        "params": {
            "round": 3,
            "winner": C,
            "votes": 12,
            "active": 21,
            "exhausted": 3,
            "tie_breaks": 1,
        },
    }


def test_irv_multi_seat_sequential():
    out = run("ranked_irv", irv_example(), {"seats": 2, "election": True}, [A, B, C, D])
    first, second = out["seat_results"]
    assert first["elected"] == C and first["rounds"] == out["rounds"]
    # Seat 2, C removed: [C, B] ballots now count for B.
    # Round 1: A 9, B 5 + 6 = 11, D 4; more than 12 needed: nobody; D is last.
    # Round 2: [D, C] is exhausted (C is no longer running), 2 [D, B] go to B, [D] exhausted:
    # A 9, B 13, exhausted 2; 13 > 22/2 = 11: B wins.
    s1, s2 = second["rounds"]
    assert s1["tallies"] == {"1": 9, "2": 11, "4": 4} and s1["eliminated"] == D
    assert s2["tallies"] == {"1": 9, "2": 13} and s2["exhausted"] == 2
    assert s2["elected"] == B
    assert out["winners"] == [C, B]
    assert out["outcome"] == "elected"
    assert out["explanation"]["key"] == "irv_sequential"
    assert out["explanation"]["params"]["rounds_per_seat"] == [3, 2]


def test_irv_option_order_tie_break_and_first_round_majority():
    # Round 1: A 2, B 1, C 1 of 4 (more than 2 needed). B and C tie with no earlier round:
    # the later option, C, goes. Round 2: A 2, B 1, exhausted 1: 2 > 3/2 wins.
    ballots = ranked(2, A) + ranked(1, B) + ranked(1, C)
    out = run("ranked_irv", ballots, options=[A, B, C])
    assert out["rounds"][0]["eliminated"] == C
    assert out["rounds"][0]["tie_break"] == {"tied": [B, C], "rule": "option_order"}
    assert out["rounds"][1]["elected"] == A
    # A first-round majority: 3 of 5 > 5/2.
    out = run("ranked_irv", ranked(3, A, B) + ranked(2, B), options=[A, B, C])
    assert len(out["rounds"]) == 1 and out["winners"] == [A]
    assert out["explanation"]["params"]["round"] == 1


def test_irv_backwards_tie_break_narrows_a_three_way_tie():
    # Round 1: A 4, B 3, C 3, D 2, E 1 (13 ballots, more than 6.5 needed). E out; its ballot
    # goes to D. Round 2: A 4, B 3, C 3, D 3: B, C, D tie. Back in round 1 D had 2 and B, C 3,
    # so D goes.
    ballots = ranked(4, A) + ranked(3, B) + ranked(3, C) + ranked(2, D) + ranked(1, E, D)
    out = run("ranked_irv", ballots, options=[A, B, C, D, E])
    assert out["rounds"][1]["tallies"] == {"1": 4, "2": 3, "3": 3, "4": 3}
    assert out["rounds"][1]["eliminated"] == D
    assert out["rounds"][1]["tie_break"] == {"tied": [B, C, D], "rule": "backwards"}


def test_irv_weighted_and_no_votes():
    # Weights 3, 2, 1. Round 1: A 3, B 2, C 1 of 6 (more than 3 needed); C goes, its ballot
    # moves to B. Round 2: A 3, B 3: tied; one round back B had 2 < A 3, so B goes.
    # Round 3: A 3, exhausted 2 + 1 = 3; 3 > 3/2: A wins.
    # One organisation, one vote: round 1 A 1, B 1, C 1, no earlier round, so the last option
    # C goes; round 2: A 1, B 2 > 3/2: B wins.
    ballots = [({"ranking": [A]}, 3), ({"ranking": [B]}, 2), ({"ranking": [C, B]}, 1)]
    out = run("ranked_irv", ballots, options=[A, B, C])
    assert out["winners"] == [A]
    assert out["rounds"][1]["tie_break"]["rule"] == "backwards"
    flat = [(choice, 1) for choice, _ in ballots]
    assert run("ranked_irv", flat, options=[A, B, C])["winners"] == [B]
    out = run("ranked_irv", [], options=[A, B])
    assert out["outcome"] == "tie"
    assert out["tied"] == [A, B]
    assert out["explanation"]["key"] == "no_votes"


# --- Schulze ---------------------------------------------------------------------------------


def wikipedia_schulze_ballots():
    # The 45-voter example of the English Wikipedia article "Schulze method".
    letters = {"A": A, "B": B, "C": C, "D": D, "E": E}
    groups = [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ]
    return [b for n, order in groups for b in ranked(n, *(letters[x] for x in order))]


def matrix(result, key):
    table = result[key]
    return [[table[str(a)].get(str(b)) for b in (A, B, C, D, E)] for a in (A, B, C, D, E)]


def test_schulze_wikipedia_example():
    out = run("ranked_schulze", wikipedia_schulze_ballots(), options=[A, B, C, D, E])
    # d[A][B]: ACBED 5 + ADECB 5 + CABED 3 + CAEBD 7 = 20; d[B][A] = 45 - 20 = 25, etc.
    assert matrix(out, "pairwise") == [
        [None, 20, 26, 30, 22],
        [25, None, 16, 33, 18],
        [19, 29, None, 17, 24],
        [15, 12, 28, None, 14],
        [23, 27, 21, 31, None],
    ]
    # Strongest paths, e.g. p[E][A] = 25 by E-(31)-D-(28)-C-(25)... : E->D 31, D->C 28, C->A 25.
    assert matrix(out, "strongest_paths") == [
        [None, 28, 28, 30, 24],
        [25, None, 28, 33, 24],
        [25, 29, None, 29, 24],
        [25, 28, 28, None, 24],
        [25, 28, 28, 31, None],
    ]
    # E beats all 4, A beats 3, C 2, B 1, D none: E > A > C > B > D.
    assert out["wins"] == {"1": 3, "2": 1, "3": 2, "4": 0, "5": 4}
    assert out["ranking"] == [E, A, C, B, D]
    assert out["winners"] == [E]
    assert out["outcome"] == "chosen"
    # C beats E head to head (24 > 21): E is no Condorcet winner, it wins by strongest paths.
    assert out["explanation"]["key"] == "schulze_strongest_paths"
    # Two seats: E and A.
    assert run("ranked_schulze", wikipedia_schulze_ballots(), {"seats": 2}, [A, B, C, D, E])[
        "winners"
    ] == [E, A]


def test_schulze_condorcet_winner_with_the_fewest_first_preferences():
    # First preferences: A 4, B 4, C 3 - but C beats A 7 to 4 and B 7 to 4; A beats B 6 to 5.
    ballots = ranked(4, A, C, B) + ranked(4, B, C, A) + ranked(2, C, A, B) + ranked(1, C, B, A)
    out = run("ranked_schulze", ballots, options=[A, B, C])
    assert out["pairwise"]["3"] == {"1": 7, "2": 7}
    assert out["pairwise"]["1"] == {"2": 6, "3": 4}
    assert out["ranking"] == [C, A, B]
    assert out["explanation"]["key"] == "schulze_condorcet_winner"
    # IRV drops C first (3 first preferences) on the same ballots.
    assert run("ranked_irv", ballots, options=[A, B, C])["winners"] != [C]


def test_schulze_partial_rankings():
    # 3 [A], 2 [B, C], 2 [C]; D is never ranked. Ranked beats unranked; unranked tie.
    # d[A][B] = 3 (from [A]) vs d[B][A] = 2 (from [B, C]): A beats B.
    # d[C][A] = 2 + 2 = 4 vs d[A][C] = 3: C beats A.
    # d[B][C] = 2 ([B, C]) vs d[C][B] = 2 ([C]): a pairwise tie.
    # Paths: C->B via A is min(4, 3) = 3 against nothing from B to C: C beats B too.
    ballots = ranked(3, A) + ranked(2, B, C) + ranked(2, C)
    out = run("ranked_schulze", ballots, options=[A, B, C, D])
    assert out["pairwise"]["2"]["3"] == out["pairwise"]["3"]["2"] == 2
    assert out["pairwise"]["4"] == {"1": 0, "2": 0, "3": 0}
    assert out["strongest_paths"]["3"]["2"] == 3 and out["strongest_paths"]["2"]["3"] == 0
    assert out["ranking"] == [C, A, B, D]
    assert out["winners"] == [C]
    # Not a Condorcet winner: C only ties B head to head.
    assert out["explanation"]["key"] == "schulze_strongest_paths"


def test_schulze_tie_and_weights():
    # One [A, B] and one [B, A]: 1 to 1, nobody beats anybody.
    out = run("ranked_schulze", ranked(1, A, B) + ranked(1, B, A), options=[A, B])
    assert out["outcome"] == "tie" and out["tied"] == [A, B]
    assert out["explanation"]["key"] == "tie_at_last_seat"
    # Weights 4 [A, B], 2 [B, A], 1 [B, A]: d[A][B] = 4 > d[B][A] = 2 + 1 = 3, A wins;
    # one organisation, one vote: 1 against 2, B wins.
    ballots = [({"ranking": [A, B]}, 4), ({"ranking": [B, A]}, 2), ({"ranking": [B, A]}, 1)]
    out = run("ranked_schulze", ballots, {"election": True}, [A, B])
    assert out["pairwise"] == {"1": {"2": 4}, "2": {"1": 3}}
    assert out["winners"] == [A] and out["outcome"] == "elected"
    assert out["explanation"]["key"] == "schulze_condorcet_winner"
    flat = [(choice, 1) for choice, _ in ballots]
    assert run("ranked_schulze", flat, options=[A, B])["winners"] == [B]


# --- validation ------------------------------------------------------------------------------

OPTIONS = [1, 2, 3]

INVALID = [
    # (method, config, choice, code)
    ("yes_no", {}, {"vote": "maybe"}, "invalid_choice"),
    ("yes_no", {}, "yes", "invalid_choice"),
    ("yes_no", {}, None, "invalid_choice"),
    ("yes_no", {}, {"vote": "yes", "extra": 1}, "invalid_choice"),
    ("consent", {}, {"vote": "yes"}, "invalid_choice"),
    ("gradient", {}, {"level": "3"}, "invalid_choice"),
    ("gradient", {}, {"level": True}, "invalid_choice"),
    ("gradient", {}, {"level": 6}, "out_of_range"),
    ("gradient", {}, {"level": -1}, "out_of_range"),
    ("single", {}, {"option": 1.0}, "invalid_choice"),
    ("single", {}, {"option": True}, "invalid_choice"),
    ("single", {}, {"option": "one"}, "invalid_choice"),
    ("single", {}, {"option": 99}, "unknown_option"),
    ("single", {}, {"option": "99"}, "unknown_option"),
    ("approval", {}, {"options": 1}, "invalid_choice"),
    ("approval", {}, {"options": [1, 99]}, "unknown_option"),
    ("approval", {}, {"options": [1, "1"]}, "duplicate_option"),
    ("dots", {"dots": 5}, {"dots": [1, 2]}, "invalid_choice"),
    ("dots", {"dots": 5}, {"dots": {"1": "2"}}, "invalid_choice"),
    ("dots", {"dots": 5}, {"dots": {"99": 1}}, "unknown_option"),
    ("dots", {"dots": 5}, {"dots": {"1": 1, "01": 1}}, "duplicate_option"),
    ("dots", {"dots": 5}, {"dots": {"1": -1}}, "out_of_range"),
    ("dots", {"dots": 5}, {"dots": {"1": 4, "2": 2}}, "too_many_dots"),
    ("score", {}, {"scores": {"1": True, "2": 1, "3": 1}}, "invalid_choice"),
    ("score", {}, {"scores": {"1": 6, "2": 1, "3": 1}}, "out_of_range"),
    ("score", {}, {"scores": {"1": 5, "2": 1}}, "incomplete_scores"),
    ("ranked_irv", {}, {"ranking": "1,2"}, "invalid_choice"),
    ("ranked_irv", {}, {"ranking": [1, 2, 1]}, "duplicate_option"),
    ("ranked_schulze", {}, {"ranking": [4]}, "unknown_option"),
    ("ranked_schulze", {"require_full_ranking": True}, {"ranking": [1, 2]}, "incomplete_ranking"),
]


@pytest.mark.parametrize(("method", "config", "choice", "code"), INVALID)
def test_invalid_ballots(method, config, choice, code):
    with pytest.raises(BallotInvalid) as raised:
        validate_ballot(method, config, OPTIONS, choice)
    assert raised.value.code == code


def test_every_code_and_method_is_exercised():
    assert {code for *_, code in INVALID} == set(BallotInvalid.CODES)
    assert {method for method, *_ in INVALID} == set(METHODS)


VALID = [
    ("yes_no", {}, {"vote": "abstain"}, {"vote": "abstain"}),
    ("consent", {}, {"vote": "stand_aside"}, {"vote": "stand_aside"}),
    ("gradient", {}, {"level": 0}, {"level": 0}),
    ("single", {}, {"option": "2"}, {"option": 2}),
    ("approval", {}, {"options": ["3", 1]}, {"options": [1, 3]}),
    ("approval", {}, {"options": []}, {"options": []}),
    ("dots", {"dots": 3}, {"dots": {"2": 0}}, {"dots": {}}),
    ("score", {}, {"scores": {3: 0, "1": 5, "2": 2}}, {"scores": {"1": 5, "2": 2, "3": 0}}),
    ("score", {"require_all": False}, {"scores": {}}, {"scores": {}}),
    ("ranked_irv", {}, {"ranking": ["3", 1]}, {"ranking": [3, 1]}),
    ("ranked_schulze", {"require_full_ranking": True}, {"ranking": [2, 3, 1]}, None),
]


@pytest.mark.parametrize(("method", "config", "choice", "normalised"), VALID)
def test_valid_ballots_normalise_idempotently(method, config, choice, normalised):
    result = validate_ballot(method, config, OPTIONS, choice)
    assert result == (normalised or choice)
    assert validate_ballot(method, config, OPTIONS, result) == result


def test_server_side_errors_are_not_ballot_errors():
    # A bad method, config, option list or weight is the server's fault: plain ValueError.
    with pytest.raises(ValueError) as raised:
        validate_ballot("borda", {}, OPTIONS, {})
    assert not isinstance(raised.value, BallotInvalid)
    with pytest.raises(ValueError):
        count("yes_no", {"majority": "most"}, [], [], 1)
    with pytest.raises(ValueError):
        count("yes_no", {}, [], [({"vote": "yes"}, 0.5)], 1)  # floats are not exact
    with pytest.raises(ValueError):
        count("yes_no", {}, [], [({"vote": "yes"}, True)], 1)
    with pytest.raises(ValueError):
        count("dots", {}, OPTIONS, [], 1)  # the number of dots is required
    with pytest.raises(ValueError):
        validate_ballot("single", {}, [1, 1], {"option": 1})
    with pytest.raises(ValueError):
        BallotInvalid("not_a_code")


def test_count_rejects_a_corrupt_stored_ballot():
    with pytest.raises(BallotInvalid) as raised:
        count("single", {}, OPTIONS, [({"option": 7}, 1)], 1)
    assert raised.value.code == "unknown_option"


def test_results_are_deterministic():
    ballots = wikipedia_schulze_ballots()
    first = count("ranked_schulze", {}, [A, B, C, D, E], ballots, 45)
    assert count("ranked_schulze", {}, [A, B, C, D, E], list(reversed(ballots)), 45) == first
    assert json.dumps(first) == json.dumps(
        count("ranked_schulze", {}, [1, 2, 3, 4, 5], ballots, 45)
    )
