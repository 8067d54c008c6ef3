"""Rules: both written forms, one canonical value, and every malformed rule rejected with its line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import Rule, RuleKind, Severity, TermList, parse_rule
from sharedhash.deterrence.errors import InvalidRuleError, RuleFileError
from sharedhash.errors import FileAccessError, InvalidHashError


def test_compact_and_json_forms_give_one_canonical_value() -> None:
    compact = parse_rule("term zorblax severity=high category=placeholder")
    as_json = parse_rule('{"kind": "term", "text": "zorblax", "severity": "high", "category": "placeholder"}')
    assert compact == as_json
    assert compact.canonical == as_json.canonical
    assert json.loads(compact.canonical) == {
        "kind": "term", "text": "zorblax", "severity": "high", "category": "placeholder", "fuzzy": True,
    }  # fmt: skip
    assert parse_rule(compact.canonical) == compact


def test_unquoted_words_form_one_phrase() -> None:
    assert parse_rule("term plimmerbolt 9").texts == ("plimmerbolt 9",)
    assert parse_rule('term "plimmerbolt   9"').texts == ("plimmerbolt 9",)


def test_near_and_allow() -> None:
    near = parse_rule("near frobnitz wuggle within=2 fuzzy=off")
    assert near.kind is RuleKind.NEAR
    assert near.texts == ("frobnitz", "wuggle")
    assert (near.within, near.fuzzy, near.severity) == (2, False, Severity.MEDIUM)
    allow = parse_rule('allow "zorblax museum"')
    assert allow.to_dict() == {"kind": "allow", "text": "zorblax museum"}


def test_rule_id_is_stable_and_short() -> None:
    rule = parse_rule("term zorblax")
    assert rule.rule_id == parse_rule('{"kind":"term","text":"zorblax"}').rule_id
    assert len(rule.rule_id) == 12


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("", "empty rule"),
        ("ban zorblax", "unknown rule kind"),
        ("term", "takes 1 text, got 0"),
        ("term zorblax severity=extreme", "unknown severity"),
        ("term zorblax category=Bad!", "bad category"),
        ("term zorblax colour=red", "unknown option"),
        ("term zorblax severity=high severity=low", "given twice"),
        ("term zorblax fuzzy=maybe", "fuzzy must be on or off"),
        ("near frobnitz", "takes 2 texts"),
        ("near frobnitz wuggle within=0", "within must be"),
        ("near frobnitz wuggle within=x", "within must be"),
        ('near "frobnitz wuggle" zorblax', "single words"),
        ("allow zorblax severity=high", "unknown option"),
        ('term "zorblax', "No closing quotation"),
        ("term !!", "letters or digits needed"),
        ("term x", "letters or digits needed"),
        ("term " + "zorblax " * 40, "the limit is"),
        ("term zor\x07blax", "control"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "unknown rule kind"),
        ('{"kind": "term"}', "must be a string"),
        ('{"kind": "term", "text": "zorblax", "extra": 1}', "unknown field"),
        ('{"kind": "near", "terms": "frobnitz"}', "list of two words"),
    ],
)
def test_malformed_rules_are_rejected_with_the_reason(line: str, reason: str) -> None:
    with pytest.raises(InvalidRuleError, match=reason) as info:
        parse_rule(line)
    assert isinstance(info.value, InvalidHashError)  # a rule is the value of a term hash
    assert info.value.hint


def test_rule_file_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.txt"
    path.write_text("# comment\n\nterm zorblax\nterm quuxvid severity=urgent\n", encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"rules.txt, line 4: unknown severity") as info:
        TermList.from_file(path)
    assert info.value.details["line"] == 4


def test_duplicate_rule_names_both_lines() -> None:
    with pytest.raises(RuleFileError, match="line 3: duplicate of the rule on line 1"):
        TermList.from_lines(["term zorblax", "term quuxvid", '{"kind":"term","text":"zorblax"}'])


def test_rule_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "rules.txt"
    path.write_bytes(b"term zorblax\nterm zor\xffblax\n")
    with pytest.raises(RuleFileError, match="line 2: not valid UTF-8"):
        TermList.from_file(path)


def test_missing_rule_file(tmp_path: Path) -> None:
    with pytest.raises(FileAccessError):
        TermList.from_file(tmp_path / "absent.txt")


def test_term_list_entries_round_trip() -> None:
    rules = TermList.from_lines(["term zorblax", "near frobnitz wuggle", 'allow "zorblax museum"'])
    assert TermList.from_entries(rules.to_entries()) == rules
    assert TermList.from_lines(rules.to_lines()) == rules


_SYLLABLES = ["zor", "blax", "quu", "vid", "frob", "nitz", "plim", "mer", "wug", "gle"]
_WORD = st.lists(st.sampled_from(_SYLLABLES), min_size=1, max_size=3).map("".join)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(["term", "near"]),
    words=st.lists(_WORD, min_size=2, max_size=2),
    severity=st.sampled_from(list(Severity)),
    fuzzy=st.booleans(),
    within=st.integers(1, 10),
)
def test_any_valid_rule_round_trips_through_both_forms(
    kind: str, words: list[str], severity: Severity, fuzzy: bool, within: int
) -> None:
    texts = words if kind == "near" else [" ".join(words)]
    rule = Rule.create(kind, texts, severity=severity, fuzzy=fuzzy, within=within)
    assert parse_rule(rule.canonical) == rule
    assert parse_rule(rule.to_line()) == rule
