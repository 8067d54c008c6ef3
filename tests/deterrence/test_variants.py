"""The variant generator the benchmark and ``deter test`` use: enough variants, every transformation, repeatable."""

from __future__ import annotations

import random

from sharedhash.deterrence import parse_rule
from sharedhash.deterrence.variants import FIRST_LETTER_SHARE, TRANSFORMS, _typo, typo_strings, variants


def test_at_least_a_hundred_variants_using_every_transformation() -> None:
    rule = parse_rule("term zorblax")
    found = list(variants(rule, count=120))
    assert len(found) == 120
    used = {name for v in found for name in v.transforms}
    assert used == set(TRANSFORMS)
    assert sum(len(v.transforms) > 1 for v in found) >= 100  # mostly combinations


def test_no_misspellings_for_short_or_non_fuzzy_rules() -> None:
    for line in ("term qix", "term zorblax fuzzy=off"):
        assert all("typo" not in v.transforms for v in variants(parse_rule(line), count=50))


def test_repeatable_and_only_for_terms() -> None:
    rule = parse_rule("term zorblax")
    assert list(variants(rule, count=30, seed=3)) == list(variants(rule, count=30, seed=3))
    assert list(variants(parse_rule("near frobnitz wuggle"))) == []


def test_typo_strings_hold_every_misspelling_the_generator_makes() -> None:
    for text, budget in (("zorblax", 1), ("plimmerbolt", 2), ("quux vid", 1)):
        every = typo_strings(text, budget)
        rng = random.Random(7)
        made = {_typo(text, rng, budget) for _ in range(3000)}
        assert made <= every
    one = typo_strings("zorblax", 1)
    assert {"zorbax", "zqorblax", "zorblqx", "zorbalx"} <= one
    assert "zorblaxx" not in one  # the generator never doubles a neighbour: that would collapse to no change
    assert len(typo_strings("zorblax", 2)) > len(one)


def test_typos_get_the_first_letter_wrong_as_rarely_as_real_misspellings() -> None:
    rng = random.Random(3)
    made = [_typo("zorblaxquux", rng, 1) for _ in range(4000)]
    share = sum(m[0] != "z" for m in made) / len(made)
    assert abs(share - FIRST_LETTER_SHARE) < 0.02
    # A phrase: each word's first letter is a first letter.
    made = [_typo("zorblax quuxvid", rng, 1) for _ in range(4000)]
    firsts = sum(m.split()[0][0] != "z" or m.split()[-1][0] != "q" for m in made if len(m.split()) == 2)
    assert 0.03 < firsts / len(made) < 0.11
