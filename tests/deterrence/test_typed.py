"""Evidence of disguise: words typed without one are compared with rules as written (issue 16, false positives).

Every rule here is an invented placeholder word; the benign-looking queries are invented to show one mechanism
each (the skeleton reads "l" as "i" and writes repeats once; joined words; symbols beside words).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharedhash.deterrence import Matcher, MatchHow, Rule, normalise
from sharedhash.deterrence.explain import explain
from sharedhash.deterrence.fuzzy import edit_distance
from sharedhash.deterrence.lexicon import Lexicon, vocabulary
from sharedhash.deterrence.matcher import _within, digits_as_letters, typed_within
from sharedhash.deterrence.normalise import identifier_words, number_words, plain_words


@pytest.fixture(scope="module")
def typed_matcher() -> Matcher:
    words = ("zorblax", "ziltflilt", "neifffle", "snorvimp", "reifffnesk", "toomppi")
    rules = [Rule.create("term", [t]) for t in words]
    rules.append(Rule.create("term", ["quuxvid frobnitz"]))
    return Matcher(rules, lexicon=Lexicon())


def fired(matcher: Matcher, query: str) -> list[str]:
    return [m.rule.texts[0] for m in matcher.check(query).matches]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Zorblax video", ("zorblax", "video")),  # lower, Capitalised and ALL CAPS words are typed plainly
        ("ZORBLAX crème", ("zorblax", "creme")),  # accents dropped
        ("zorbIax z0rb", ("", "")),  # a capital i inside a word, a digit: disguises
        ("FindZorblax.cmake", ("findzorblax", "cmake")),  # camelCase: how identifiers are typed
        ("zorbIaxVideo zGarden", ("", "")),  # ... but not with a capital i, nor with a one-letter first word
        ("z o r b video", ("", "video")),  # letters spelled out one by one
        ("a zorblax", ("a", "zorblax")),  # a single letter alone is itself
        ("ｚorblax", ("",)),  # a fullwidth letter: a disguise of its word
        ("• Brock “zorblax” — crème", ("brock", "zorblax", "creme")),  # punctuation outside ASCII separates
        ("z\u043erblax video", ("", "video")),  # a Cyrillic look-alike: a disguise of its word only
        ("zor\u200bblax video", ("", "video")),  # an invisible character inside a word
        ("QUnit XMLHttpRequest PangoOT", ("qunit", "xmlhttprequest", "pangoot")),  # acronyms beside capitalised words
        ("zOrBlAx ZoRbLaX zorbfiTEN", ("", "", "")),  # random case; small letters then capitals: disguises
        ("zorblax → video ★", ("zorblax", "video")),  # symbols the normaliser reads as separators separate
    ],
)
def test_plain_words(query: str, words: tuple[str, ...]) -> None:
    assert plain_words(normalise(query)) == words


def test_a_word_read_through_a_symbol_is_not_plain() -> None:
    assert plain_words(normalise("zorb|ax")) == ("",)
    assert plain_words(normalise("zorb|ax video + quux")) == ("", "video", "", "quux")  # "+" alone read as "t"
    assert plain_words(normalise("zorb|ax video", symbols_as_letters=False)) == ("zorb", "ax", "video")


def test_a_plain_word_is_a_misspelling_of_the_rule_as_written(typed_matcher: Matcher) -> None:
    # "filtfilt" has the skeleton "fitfit" ("l" read as "i", "ii" written once), one edit from "ziltflilt"'s
    # skeleton "zitfit"; as written, it is three edits away.
    assert not typed_matcher.check("filtfilt").deter
    assert fired(typed_matcher, "ziltflilx") == ["ziltflilt"]  # a real misspelling of the rule as written
    assert fired(typed_matcher, "zilltflilt") == ["ziltflilt"]  # a doubled letter
    # With evidence of disguise, the skeleton decides: a digit read as a letter takes exact matches only, but
    # mixed case (a capital i for an l) is compared by skeleton, misspelling included.
    assert fired(typed_matcher, "zIltfIilx") == ["ziltflilt"]


def test_a_plain_word_holds_a_rule_only_as_written(typed_matcher: Matcher) -> None:
    assert not typed_matcher.check("homogeneifierons").deter  # skeleton "neifie" inside; the letters differ
    assert fired(typed_matcher, "neifffle") == ["neifffle"]
    assert fired(typed_matcher, "NEIFLE") == ["neifffle"]  # repeats written once
    assert fired(typed_matcher, "neif1e") == ["neifffle"]  # leetspeak is a disguise: the skeleton decides
    assert fired(typed_matcher, "neifIe") == ["neifffle"]  # so is a capital i for an l


def test_a_misspelt_term_split_apart_is_not_matched(typed_matcher: Matcher) -> None:
    assert fired(typed_matcher, "snor vimp") == ["snorvimp"]  # split: exact, joined
    assert fired(typed_matcher, "snorvimq") == ["snorvimp"]  # misspelt: one word
    assert not typed_matcher.check("snor vimq").deter  # both: two disguises stacked
    assert not typed_matcher.check("sn orvimq").deter
    # A phrase rule of two words still matches misspelt across its two words.
    assert fired(typed_matcher, "quuxvid frobnitx") == ["quuxvid frobnitz"]


def test_a_term_split_apart_keeps_its_letters(typed_matcher: Matcher) -> None:
    # Split, a one-word term keeps the letters it is written with; split with its repeats changed is two
    # disguises stacked ("data_to_mpi" is "to mpi", the skeleton of "toomppi" across two ordinary words).
    assert fired(typed_matcher, "toom ppi video") == ["toomppi"]
    assert fired(typed_matcher, "too-mppi") == ["toomppi"]
    assert fired(typed_matcher, "t o o m p p i") == ["toomppi"]  # spelled out: a disguise, the skeleton decides
    assert fired(typed_matcher, "tompi") == ["toomppi"]  # one word: repeats written once still match
    assert not typed_matcher.check("to mpi").deter
    assert not typed_matcher.check("sexp_data_to_mpi").deter
    # A symbol elsewhere in the query gives a second reading (symbols as letters); its plain words are still plain.
    assert not typed_matcher.check("data_to_mpi + commit").deter
    assert fired(typed_matcher, "too mppi + commit") == ["toomppi"]
    assert fired(typed_matcher, "toompp|") == ["toomppi"]  # "|" read as a letter: the skeleton decides
    assert fired(typed_matcher, "t0 mpi") == ["toomppi"]  # read through a digit: the skeleton decides
    (miss,) = explain(typed_matcher, "to mpi", rule=Rule.create("term", ["toomppi"])).near_misses
    assert "split across words" in miss.reason


def test_words_beside_a_symbol_take_exact_matches_only(typed_matcher: Matcher) -> None:
    assert fired(typed_matcher, "snorvimq video") == ["snorvimp"]
    assert not typed_matcher.check("snorvimq@example.org").deter  # an address: two readings, no misspelling
    assert fired(typed_matcher, "snorvimp@example.org") == ["snorvimp"]  # exact still counts
    reading = normalise("snorvimq@example.org video", symbols_as_letters=False)
    assert reading.beside_symbols == (True, True, False, False)


def test_repeated_letters_buy_no_edits(typed_matcher: Matcher) -> None:
    # "reifffnesk" is 8 letters with its repeats written once: one edit, though written with 10 letters.
    # Mixed case keeps the query on the skeleton path, so only the allowance decides.
    assert fired(typed_matcher, "rEifffnexk") == ["reifffnesk"]  # one edit
    assert not typed_matcher.check("rEifffesxk").deter  # two edits from the form with repeats kept
    match = typed_matcher.check("rEifffnexk").top
    assert match is not None
    assert match.how is MatchHow.FUZZY


def test_explain_says_which_disguise_rule_kept_a_rule_from_firing(typed_matcher: Matcher) -> None:
    def reason(query: str, rule: str) -> str:
        (miss,) = explain(typed_matcher, query, rule=Rule.create("term", [rule])).near_misses
        return miss.reason

    assert "not the rule as written" in reason("filtfilt", "ziltflilt")
    assert "not the rule as written" in reason("homogeneifierons", "neifffle")
    assert "split apart and misspelt" in reason("snor vimq", "snorvimp")
    assert "beside a symbol" in reason("snorvimq@example.org", "snorvimp")


def test_vocabulary_holds_plain_words_seen_in_two_lines() -> None:
    lines = ["snorvimq camping lamp", "Snorvimq tent pegs", "z0rblqx lamp", "z0rblqx tent", "quuxvyd once"]
    words = vocabulary(lines)
    assert "snorvimq" in words  # two lines, typed plainly (case does not matter)
    assert "zorbiqx" not in words  # read through a digit: never a vocabulary word
    assert "quxvyd" not in words  # seen once
    assert "lamp" not in words  # shorter than 5 letters: never fuzzy-matched anyway
    assert "camping" not in words  # seen once


def test_vocabulary_words_are_not_misspelt_rules_but_rules_still_match() -> None:
    rules = [Rule.create("term", ["snorvimp"])]
    lexicon = Lexicon().with_vocabulary(vocabulary(["snorvimq lamp", "snorvimq tent"]))
    ours = Matcher(rules, lexicon=lexicon)
    assert fired(Matcher(rules, lexicon=Lexicon()), "snorvimq lamp") == ["snorvimp"]
    assert not ours.check("snorvimq lamp").deter
    assert fired(ours, "snorvimp lamp") == ["snorvimp"]
    assert fired(ours, "snorxvimp lamp") == ["snorvimp"]  # another misspelling, not next to the vocabulary word


@pytest.mark.parametrize("allowance", [0, 1, 2])
@given(a=st.text(alphabet="abc", max_size=7), b=st.text(alphabet="abc", max_size=7))
def test_the_quick_edit_check_agrees_with_the_edit_distance(allowance: int, a: str, b: str) -> None:
    assert _within(a, b, allowance) is (edit_distance(a, b, allowance) <= allowance)


@pytest.mark.parametrize(
    ("query", "flags"),
    [
        ("import matplotlib.pyplot as plt", (False, True, True, False, False)),  # a module path
        ("remove the pyplot.show() call", (False, False, True, True, False)),  # an attribute
        ("see datauri.pyi", (False, True, True)),  # a source file
        ("removed from zorblq.x.", (False, False, False, False)),  # one letter after a dot: maybe a split term
        ("zorblqx.zip video", (False, False, False)),  # a file name: zip is a media or archive extension
        ("www.zorblqx.com", (False, False, False)),  # a web address
        ("data_to_mpi here", (True, True, True, False)),  # snake_case
        ("states:mapRun:idx", (False, True, False)),  # camelCase
        ("v1.2 zorb. lqx", (False, False, False, False)),  # a number; a full stop before a space
        ("z o r b video", (False, False)),  # letters spelled out are one token, as in plain_words
        ("mpz/zorblqx.c is new", (False, True, False, False, False)),  # a source file: a one-letter extension
        ("zorblqx.h video", (True, False, False)),
        ("by zorblqx() now", (False, True, False)),  # a function called
        ("in http::zorblqx now", (False, True, True, False)),  # a namespace
        ("-zorblqx prints it", (True, False, False)),  # a command-line option
        ("zorb-lqx video", (False, False, False)),  # ... not a dash inside a chunk (a split term)
        (
            "see zorblqx.2.gz and zorblqx.1: and zorblqx.2024",  # manual pages; a year is no section
            (False, True, False, False, False, True, False, False, False, False),
        ),
        ("see (zorblqx) and zorblqx(p, n)", (False, False, False, True, False)),  # in brackets: no
        ("see https://host.org/zorblqx now", (False, True, True, True, True, False)),  # a web address
        ("src/lib/zorblqx now", (True, True, True, False)),  # a path of three or more names
        ("zorblqx/video", (False, False)),  # two words and a slash: no
        ("adapter for QUnit", (False, False, True)),  # an acronym before a capitalised word
        ("that FileInfo is", (False, True, False)),  # camelCase with a capital i: still an identifier
    ],
)
def test_identifier_words(query: str, flags: tuple[bool, ...]) -> None:
    assert identifier_words(normalise(query)) == flags


def test_a_plain_misspelling_in_title_case_still_matches(typed_matcher: Matcher) -> None:
    # File names and titles are often Title Case; a misspelt term there is still a misspelt term (a rule that
    # took Capitalised words side by side for proper names was tried and dropped for this reason, issue 16).
    for query in ("Watch Zorblqx Video", "Tim Zorblqx", "Zorblqx Video.mp4"):
        assert fired(typed_matcher, query) == ["zorblax"], query


def test_a_short_rule_misspelt_plainly_keeps_its_first_letter(typed_matcher: Matcher) -> None:
    # "zorblax" is 7 letters: one edit allowed, but a plain word with another first letter is not taken for it.
    assert fired(typed_matcher, "zorblqx video") == ["zorblax"]
    assert fired(typed_matcher, "zrblax video") == ["zorblax"]  # an edit after the first letter
    for query in ("korblax video", "orblax video", "ozrblax video"):
        assert not typed_matcher.check(query).deter, query
    assert fired(typed_matcher, "ｋorblax video") == ["zorblax"]  # disguised: the skeleton decides
    # Longer rules keep every misspelling: "snorvimp" is 8 letters.
    assert fired(typed_matcher, "gnorvimp video") == ["snorvimp"]
    (miss,) = explain(typed_matcher, "korblax", rule=Rule.create("term", ["zorblax"])).near_misses
    assert "first letter" in miss.reason


def test_a_plain_identifier_misspelt_is_not_a_rule(typed_matcher: Matcher) -> None:
    for query in ("import foo.zorblqx", "zorblqx_data = 1", "see zorblqx.py", "call zorblqx.show()"):
        assert not typed_matcher.check(query).deter, query
    assert fired(typed_matcher, "zorblqx.zip") == ["zorblax"]  # a file name, not code
    assert fired(typed_matcher, "zorblqx.com") == ["zorblax"]  # a web address
    assert fired(typed_matcher, "import foo.zorblax") == ["zorblax"]  # exact matches still count
    assert fired(typed_matcher, "foo.zorbIax") == ["zorblax"]  # the skeleton exactly, through a disguise
    (miss,) = explain(typed_matcher, "see zorblqx.py", rule=Rule.create("term", ["zorblax"])).near_misses
    assert "identifier" in miss.reason


@pytest.mark.parametrize(
    ("typed", "written", "within"),
    [
        ("zorbblox", "zorbblax", True),  # one letter replaced
        ("zorblax", "zorbblax", True),  # a double letter typed once: one slip
        ("zorbbblax", "zorbblax", True),  # a letter typed three times: written once it is the rule
        ("zorblox", "zorbblax", False),  # a double letter typed once AND a letter replaced: two slips
        ("zorrrblox", "zorbblax", True),  # a deliberate repeat (three or more) is a disguise, not a slip
        ("zzorblox", "zorblax", False),  # a letter doubled AND another replaced
        ("zorflox", "zorffflax", True),  # the rule repeats a letter three times: it stands for any repeat
    ],
)
def test_a_doubled_or_undoubled_letter_is_a_slip_of_its_own(typed: str, written: str, within: bool) -> None:
    assert typed_within(typed, written, 1, True) is within


def test_a_plain_word_undoubled_and_misspelt_is_not_the_rule() -> None:
    matcher = Matcher([Rule.create("term", ["zorbblax"])], lexicon=Lexicon())
    assert matcher.check("zorbblox video").deter
    assert matcher.check("zorblax video").deter
    assert not matcher.check("zorblox video").deter  # two slips for a one-edit rule
    assert matcher.check("zOrblox video").deter  # mixed case is a disguise: the skeleton decides (one edit)
    (miss,) = explain(matcher, "zorblox video", rule=Rule.create("term", ["zorbblax"])).near_misses
    assert "slip of its own" in miss.reason


def test_a_common_word_with_a_letter_or_two_added_is_not_a_plain_misspelling() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    rules = [Rule.create("term", [t]) for t in ("zgardon", "gardenqx", "quuxvidor")]
    matcher = Matcher(rules, lexicon=build_lexicon(["garden", "video"]))
    assert not matcher.check("zgarden tools").deter  # "garden" + "z", one edit from "zgardon"
    assert matcher.common_word_added_to("zgarden", "zgardon") == "garden"
    assert fired(matcher, "zgardan tools") == ["zgardon"]  # a misspelling that makes no common word
    assert fired(matcher, "zgardon tools") == ["zgardon"]  # the rule itself
    assert fired(matcher, "zGarden tools") == ["zgardon"]  # through a disguise (mixed case) the skeleton decides
    assert fired(matcher, "gardenqz tools") == ["gardenqx"]  # the rule holds "garden" itself
    assert fired(matcher, "quuxvideor") == ["quuxvidor"]  # "video" + 5 letters: more than two added
    (miss,) = explain(matcher, "zgarden tools", rule=rules[0]).near_misses
    assert "the common word 'garden' with a letter or two added" in miss.reason


def test_two_frequent_english_words_run_together_are_not_a_plain_misspelling() -> None:
    from sharedhash.deterrence.frequent import frequent_compound
    from sharedhash.deterrence.lexicon import build_lexicon

    assert frequent_compound("dryrun") == ("dry", "run")
    assert frequent_compound("dryrux") is None
    assert frequent_compound("xrun") is None  # a single letter is no word of a compound
    rules = [Rule.create("term", [t]) for t in ("dryrux", "toform")]
    matcher = Matcher(rules, lexicon=build_lexicon(["video"]))
    assert not matcher.check("dryrun video").deter  # "dry" + "run", one edit from "dryrux"
    assert matcher.compound_of_frequent_words("dryrun", "dryrux")
    assert fired(matcher, "dryrax video") == ["dryrux"]  # a misspelling that makes no compound
    assert fired(matcher, "dryrux video") == ["dryrux"]  # the rule itself
    assert fired(matcher, "dRyRuN video") == ["dryrux"]  # through a disguise (mixed case) the skeleton decides
    assert fired(matcher, "tofrom video") == ["toform"]  # the rule is "to" + "form" itself: no evidence
    assert fired(Matcher(rules, lexicon=Lexicon()), "dryrun video") == ["dryrux"]  # no lexicon: never refused
    (miss,) = explain(matcher, "dryrun video", rule=rules[0]).near_misses
    assert "two frequent English words run together" in miss.reason


def test_a_camel_case_word_is_compared_as_written() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    matcher = Matcher([Rule.create("term", ["zorbfilten"])], lexicon=build_lexicon(["find", "video"]))
    # "ZorbFiten" has the rule's skeleton ("l" read as "i", "ii" written once: "zorbfiten"); typed in camelCase,
    # its letters are what was typed, and they are not the rule's.
    assert not matcher.check("ZorbFiten video").deter
    assert fired(matcher, "ZorbFilten video") == ["zorbfilten"]  # the rule itself
    assert fired(matcher, "zorbfiTEN video") == ["zorbfilten"]  # not camelCase: a disguise, the skeleton decides


def test_a_term_across_a_common_word_inside_a_longer_word_does_not_count() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    rules = [Rule.create("term", [t]) for t in ("quxgar", "zorblax")]
    matcher = Matcher(rules, lexicon=build_lexicon(["garden", "den", "video"]))
    # "quxgarden" is "qux" + "garden": the term's last letters are the common word's first.
    assert not matcher.check("quxgarden").deter
    assert matcher.common_word_across("quxgarden", 0, 6) == "garden"
    assert fired(matcher, "quxgarvideo") == ["quxgar"]  # glued to a common word, its letters its own
    assert fired(matcher, "quxgar garden") == ["quxgar"]  # a whole word
    assert fired(matcher, "zorblaxvideo") == ["zorblax"]


def test_a_misspelt_term_glued_into_a_camel_case_word_ends_where_a_word_begins() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon
    from sharedhash.deterrence.normalise import camel_joins

    assert camel_joins(normalise("FindZorblax.cmake zorb")) == ((4,), (), ())
    matcher = Matcher([Rule.create("term", ["feindfrelt"])], lexicon=build_lexicon(["find", "video", "type"]))
    # "findfreet", the beginning of "FindFreetype", is two edits from the rule, but cuts "Freetype" apart.
    assert not matcher.check("FindFreetype video").deter
    assert fired(matcher, "FeindfrelxVideo mp4") == ["feindfrelt"]  # glued before "Video", misspelt
    assert fired(matcher, "feindfrelxvideo mp4") == ["feindfrelt"]  # glued in lower case
    assert fired(matcher, "FeindfreltType video") == ["feindfrelt"]


def test_a_number_standing_alone_is_no_piece_of_a_term() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    rules = [Rule.create("term", [t]) for t in ("quxei", "zorbiflax", "zindvor blemp")]
    rules.append(Rule.create("term", ["quuxvid 7"], category="coded"))
    for lexicon in (Lexicon(), build_lexicon(["video", "asm"])):
        matcher = Matcher(rules, lexicon=lexicon)
        # "quxe_1.asm" read as "quxe i asm": a digit read as a letter AND joined to the word before it.
        assert number_words(normalise("quxe_1.asm")) == (False, True, False)
        for query in ("quxe_1.asm", "see quxe 1 video", "zorb 1 flax", "zorb_1_flax.c", "zindvor 8 lemp"):
            assert not matcher.check(query).deter, query
        assert not matcher.check("zindvqr 8 lemp").deter  # misspelt across it: no more than exactly
        # Disguised terms with digits in them still match: a digit inside a word, letters spelled out.
        for query in ("quxe1 video", "qux3i video", "q u x e 1", "quxe.i video", "quxei_1.asm"):
            assert fired(matcher, query) == ["quxei"], query
        assert fired(matcher, "zorb1flax video") == ["zorbiflax"]
        # A rule written with a number holds it as a number.
        assert fired(matcher, "quuxvid 7 video") == ["quuxvid 7"]
        assert fired(matcher, "quuxvld 7 video") == ["quuxvid 7"]
    (miss,) = explain(Matcher(rules[:1], lexicon=Lexicon()), "quxe_1.asm", rule=rules[0]).near_misses
    assert "number" in miss.reason


def test_a_term_inside_a_camel_case_word_is_its_inner_words_whole() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    matcher = Matcher([Rule.create("term", ["ziton"])], lexicon=build_lexicon(["con", "base", "my", "video"]))
    # "ConzitonBase" holds "ziton" after "con", inside its first inner word: a piece of another word.
    assert not matcher.check("not a ConzitonBase object").deter
    assert fired(matcher, "not a conzitonbase object") == ["ziton"]  # in lower case the glue decides
    assert fired(matcher, "MyZitonVideo") == ["ziton"]  # an inner word whole
    assert fired(matcher, "Zitonvideo") == ["ziton"]  # Capitalised, not camelCase: the glue decides
    assert fired(matcher, "ZitonBase") == ["ziton"]
    assert fired(matcher, "my Ziton video") == ["ziton"]


def test_a_source_file_name_misspelt_is_not_a_rule(typed_matcher: Matcher) -> None:
    assert not typed_matcher.check("mpz/zorblqx.c: new file").deter
    assert not typed_matcher.check("the result of zorblqx() is a fixpoint").deter  # a function called
    assert fired(typed_matcher, "the result of (zorblqx) is") == ["zorblax"]
    for query in ("* src/zorblqx.1: Update.", "see zorblqx.2.gz", "(http::zorblqx): fix", "-zorblqx prints it"):
        assert not typed_matcher.check(query).deter, query  # a manual page, a namespace, an option
    assert fired(typed_matcher, "zorblqx 2 video") == ["zorblax"]
    assert fired(typed_matcher, "mpz/zorblax.c: new file") == ["zorblax"]  # exact matches count anywhere
    assert fired(typed_matcher, "zorblqx.zip") == ["zorblax"]


def test_a_plain_word_with_the_skeleton_but_not_the_letters_is_weighed_as_a_misspelling() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    rules = [Rule.create("term", [t]) for t in ("fleinkorb", "zorblax", "flimpezor")]
    for lexicon in (Lexicon(), build_lexicon(["video", "garden"])):
        matcher = Matcher(rules, lexicon=lexicon)
        # "fieinkorb" has the skeleton of "fleinkorb" (l read as i) and is one edit from it as written.
        (match,) = matcher.check("free fieinkorb pics").matches
        assert match.how is MatchHow.FUZZY
        assert match.distance == 1
        assert fired(matcher, "filmpezor video") == ["flimpezor"]  # "li" typed "il": one swap
        assert fired(matcher, "zorbiax video") == ["zorblax"]
        assert fired(matcher, "zorblax video") == ["zorblax"]  # the rule itself: a word match
        assert matcher.check("zorblax video").matches[0].how is MatchHow.WORD
        # Every test of a plain misspelling still applies: "Fieinkorb_data" is an identifier of code.
        assert not matcher.check("fieinkorb_data = 1").deter
        assert not matcher.check("zorbiaxx video").deter  # an i for an l AND a letter doubled: two slips


def test_a_symbol_read_as_no_letter_leaves_the_words_plain(typed_matcher: Matcher) -> None:
    # "→" and "★" separate words in the normal form; taken for digits in what was typed, they made a token the
    # normal form does not have, so no word could be aligned and every word was compared by its skeleton only:
    # "filtfilt" (skeleton "fitfit") one edit from "ziltflilt" (skeleton "zitfit").
    for query in ("filtfilt video", "filtfilt → video", "filtfilt ★"):
        assert not typed_matcher.check(query).deter, query
    assert fired(typed_matcher, "zorblqx → video") == ["zorblax"]  # a real misspelling still counts


def test_an_acronym_beside_a_capitalised_word_is_how_names_are_typed() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    rules = [Rule.create("term", [t]) for t in ("quunglilt", "genpli")]
    matcher = Matcher(rules, lexicon=build_lexicon(["video", "set", "new"]))
    # "QUnit" has the skeleton "qunit", one edit from the rule's "qungit"; typed as a name, its letters are what
    # was typed, and they are not the rule's.
    assert not matcher.check("adapter for QUnit").deter
    assert fired(matcher, "QUNGLILT video") == ["quunglilt"]  # the rule itself, in capitals
    # A term inside such a word is its inner words whole ("set", "Genpin", "TT" hold no "genpli").
    assert not matcher.check("setGenpinTT new").deter
    assert fired(matcher, "setGenpli new") == ["genpli"]


def test_a_plain_misspelling_inside_a_web_address_or_a_path_does_not_count() -> None:
    from sharedhash.deterrence.lexicon import build_lexicon

    matcher = Matcher([Rule.create("term", ["zorbflax"])], lexicon=build_lexicon(["video", "see"]))
    # A web address or a path is copied, not typed: a rare name in it one edit from a rule is that name.
    assert not matcher.check("see https://host.org/zorbflix/video").deter
    assert not matcher.check("see src/lib/zorbflix").deter
    assert fired(matcher, "see zorbflix video") == ["zorbflax"]  # typed: a misspelling
    assert fired(matcher, "see https://host.org/zorbflax/video") == ["zorbflax"]  # the rule itself still counts


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("gliffpo 11", ("gliffpoii", "gliffpoil", "gliffpoli", "gliffpoll")),  # "1" typed as an i or an l
        ("zorblax 42", ("zorblaxa2",)),  # "2" is read as no letter: it stands for itself
        ("z0rb-lax", ("zorblax",)),
        ("zorblax", ()),  # no digits: compared as written (see as_written)
        ("zörblax 7", ()),  # anything but ASCII: compared by its skeleton
        ("1111111", ()),  # no letters
    ],
)
def test_digits_as_letters(text: str, readings: tuple[str, ...]) -> None:
    assert digits_as_letters(text) == readings


def test_a_rule_with_digits_misspelt_in_letters_is_misspelt_from_a_reading_of_its_digits() -> None:
    rule = Rule.create("term", ["gliffpo 11"])
    matcher = Matcher([rule], lexicon=Lexicon())
    # Its skeleton is one edit from "giftool"'s ("l" is "i", repeats written once), but no reading of the rule's
    # letters is: an ordinary word, not the rule.
    assert not matcher.check("use giftool instead").deter
    (miss,) = explain(matcher, "giftool", rule=rule).near_misses
    assert "reading of the rule's digits" in miss.reason
    # Typed with letters for its digits, misspelt or not, and with its digits, misspelt or not: the rule.
    for query in ("gliffpoll video", "glifpoll video", "gliffpoil", "gliffpo 11", "glifpo 11 video", "gliffpo 1l"):
        assert fired(matcher, query) == ["gliffpo 11"], query
    assert fired(matcher, "glyffpoll video") == ["gliffpo 11"]  # a letter replaced (9 letters: one edit)
