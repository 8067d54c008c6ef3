"""Benchmark deterrence matching: recall on obfuscated variants, false positives on benign text, throughput.

Every rule is an invented placeholder word (random pronounceable syllables, checked to be no word of the
benign corpora). The matcher uses the shipped default lexicon (wordfreq words); Debian's word lists, which it
never saw, are split in two by a hash of each word: the tuning half was looked at while choosing thresholds, the
held-out half only ever reported. Run: ``pip install -e '.[bench]' && python bench/deterrence.py`` (``--json``
for one JSON line). ``--sweep`` then measures the matcher's knobs (see ``SWEEP``) on the same rules and queries:
the recall-versus-false-positive curve, and the bound of what the query string alone can tell apart.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Protocol

from sharedhash.deterrence import Matcher, Rule, TermList, fuzzy, normalise
from sharedhash.deterrence import matcher as matcher_module
from sharedhash.deterrence.lexicon import Lexicon, default_lexicon, read_lexicon, wordfreq_lexicon
from sharedhash.deterrence.matcher import MatchHow, RuleMatch
from sharedhash.deterrence.variants import typo_strings, variants

DICT_DIR = Path("/usr/share/dict")
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "ru")
_ONSETS = ("b", "d", "f", "g", "k", "m", "n", "p", "r", "t", "v", "z", "bl", "dr", "fl", "gr", "kr", "pl", "qu",
           "sn", "tw", "vr", "zw", "gl", "fr", "kl")  # fmt: skip
_VOWELS = ("a", "e", "i", "o", "u", "oo", "ei", "au", "y")
_CODAS = ("", "", "x", "n", "k", "m", "z", "rb", "lt", "mp", "nd", "sk", "rn", "ff")
_CONTEXT_WORDS = ("free", "video", "new", "best", "watch", "online", "pics", "download", "full", "hd", "2024")


def wordfreq_corpus(words_per_language: int) -> dict[str, list[str]]:
    """The most frequent words of each language, from wordfreq (installed by ``pip install sharedhash[bench]``)."""
    import wordfreq

    return {lang: [w for w in wordfreq.top_n_list(lang, words_per_language) if any(c.isalpha() for c in w)]
            for lang in LANGUAGES}  # fmt: skip


def debian_corpus(limit: int, rng: random.Random) -> dict[str, list[str]]:
    """Debian's word lists (``apt-get install wamerican wngerman wfrench ...``): a source independent of the
    lexicon, with every inflected form, so the lexicon guard is tested on words it was never given."""
    corpus: dict[str, list[str]] = {}
    for path in sorted(DICT_DIR.glob("*")):
        if path.is_symlink() or not path.is_file() or path.name.startswith(("README", "words")):
            continue
        # Most lists are UTF-8, but Debian's Swedish list is ISO-8859-1: decoding it as UTF-8 would drop every
        # å, ä and ö and make non-words ("krleksfull") out of real ones.
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("iso-8859-1")
        words = [w.strip() for w in text.splitlines() if w.strip()]
        corpus[path.name] = rng.sample(words, min(limit, len(words)))
    return corpus


def invent_words(count: int, rng: random.Random, forbidden: set[str]) -> list[str]:
    """Random pronounceable words whose skeletons are no benign word's skeleton, and distinct from each other."""
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)
                       for _ in range(rng.randint(2, 3)))  # fmt: skip
        skeleton = normalise(word).despaced
        if len(skeleton) < 5 or skeleton in seen or skeleton in forbidden:
            continue
        seen.add(skeleton)
        words.append(word)
    return words


def make_rules(count: int, rng: random.Random, forbidden: set[str]) -> list[Rule]:
    """``count`` rules: 80% single terms, 10% two-word phrases, 5% coded word+number strings, 5% near rules."""
    words = invent_words(int(count * 1.2) + 10, rng, forbidden)
    pool = iter(words)
    rules: list[Rule] = []
    severities = ("low", "medium", "high")
    while len(rules) < count:
        roll = rng.random()
        sev = rng.choice(severities)
        if roll < 0.80:
            rules.append(Rule.create("term", [next(pool)], severity=sev, category="placeholder"))
        elif roll < 0.90:
            rules.append(Rule.create("term", [f"{next(pool)} {next(pool)}"], severity=sev, category="placeholder"))
        elif roll < 0.95:
            rules.append(Rule.create("term", [f"{next(pool)} {rng.randint(2, 99)}"], severity=sev, category="coded"))
        else:
            rules.append(Rule.create("near", [next(pool), next(pool)], severity=sev, category="placeholder"))
    return rules


def benign_queries(corpus: dict[str, list[str]], count: int, rng: random.Random) -> list[str]:
    """Half single words (each corpus word at most once), half word pairs and 3-5 word phrases of one language
    each, as people type into a search box."""
    langs = [lang for lang in corpus if corpus[lang]]
    words = [w for lang in langs for w in corpus[lang]]
    out = rng.sample(words, min(count // 2, len(words)))
    while len(out) < count:
        pool = corpus[rng.choice(langs)]
        size = rng.choice((2, 2, 2, 3, 4, 5))
        out.append(" ".join(rng.choice(pool) for _ in range(size)))
    return out


def time_queries(check: Callable[[str], object], queries: list[str]) -> float:
    """Queries per second of CPU time of this process: one core's throughput, whatever else runs beside it."""
    start = time.process_time()
    for q in queries:
        check(q)
    return len(queries) / (time.process_time() - start)


class LinearMatcher:
    """The reference: every term rule's skeleton searched in the query's skeleton, one by one (exact only)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.keys = [normalise(r.texts[0]).despaced for r in rules if r.kind == "term"]

    def check(self, query: str) -> bool:
        text = normalise(query).despaced
        return any(k in text for k in self.keys)


def split_words(debian: dict[str, list[str]]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Debian's words in two fixed halves by a hash of the word: the tuning half (looked at while choosing the
    matcher's thresholds) and the held-out half (only ever reported)."""
    tuning: dict[str, list[str]] = {}
    held_out: dict[str, list[str]] = {}
    for name, words in debian.items():
        tuning[name] = [w for w in words if zlib.crc32(w.encode("utf-8")) % 2 == 0]
        held_out[name] = [w for w in words if zlib.crc32(w.encode("utf-8")) % 2 == 1]
    return tuning, held_out


def rare_only(corpus: dict[str, list[str]], lexicon: Lexicon) -> dict[str, list[str]]:
    """The words of ``corpus`` with at least one token outside the lexicon: the ones that take the fuzzy path."""
    return {name: [w for w in words if not all(t in lexicon.words for t in normalise(w).tokens)]
            for name, words in corpus.items()}  # fmt: skip


def load_bench_lexicon(spec: str) -> Lexicon:
    """``default`` (the shipped file), ``wordfreq`` (built at run time from the same source), or ``none``."""
    if spec == "default":
        return default_lexicon()
    if spec == "wordfreq":
        return wordfreq_lexicon()
    if spec.endswith(".lexicon.gz"):
        return read_lexicon(Path(spec))
    return Lexicon()


#: The matcher's knobs ``--sweep`` compares, each row a set of module constants of ``sharedhash.deterrence.matcher``
#: (and ``fuzzy`` for the edit allowances) set while one matcher is built and checked, plus ``whole_tie_break``
#: (0: ``Lexicon.next_to_word`` is not asked for whole query words) and ``lexicon`` (``none``). The allowance rows
#: change the issue's own fuzzy rule (1 edit from 6 letters, 2 from 10): they show the trade-off, not an option.
SWEEP: dict[str, dict[str, int | str]] = {
    "shipped": {},
    "tie-break on whole words: edit in the last 1 letter": {"NEXT_TO_WORD_END": 1},
    "tie-break on whole words: last 3 letters": {"NEXT_TO_WORD_END": 3},
    "tie-break on whole words: any edit": {"NEXT_TO_WORD_END": 99},
    "tie-break on glued words only": {"whole_tie_break": 0},
    "2 edits from 11 letters (not 10)": {"TWO_EDITS_FROM": 11},
    "1 edit from 7 letters (not 6)": {"ONE_EDIT_FROM": 7},
    "1 edit from 8 letters": {"ONE_EDIT_FROM": 8},
    "no inside-word matches": {"INSIDE_WORD_MIN": 1_000},
    "no glued misspellings": {"ANCHORED_FROM": 1_000},
    "whole-word tie-break any edit, no inside-word, no glued": {
        "NEXT_TO_WORD_END": 99, "INSIDE_WORD_MIN": 1_000, "ANCHORED_FROM": 1_000},
    "no fuzzy matching": {"ONE_EDIT_FROM": 1_000, "TWO_EDITS_FROM": 1_000},
    "no lexicon": {"lexicon": "none"},
}  # fmt: skip
_FUZZY_HOWS = (MatchHow.FUZZY, MatchHow.FUZZY_INSIDE_WORD)


class _WholeWordsUnguarded(Lexicon):
    """A lexicon whose ``next_to_word`` says no for whole query words (asked with ``end`` > 0): the matcher's
    whole-word tie-break off, its glued-word one on."""

    def next_to_word(self, token: str, *, end: int = 0) -> bool:
        return False if end else Lexicon.next_to_word(self, token, end=end)


@contextlib.contextmanager
def matcher_settings(settings: dict[str, int | str], lexicon: Lexicon) -> Iterator[Lexicon]:
    """Set a ``SWEEP`` row's module constants while the block runs; yield the lexicon the row uses."""
    saved: list[tuple[object, str, object]] = []
    for name, value in settings.items():
        if name in ("lexicon", "whole_tie_break"):
            continue
        modules = (fuzzy, matcher_module) if name in ("ONE_EDIT_FROM", "TWO_EDITS_FROM") else (matcher_module,)
        for module in modules:
            saved.append((module, name, getattr(module, name)))
            setattr(module, name, value)
    if settings.get("lexicon") == "none":
        lexicon = Lexicon()
    elif settings.get("whole_tie_break") == 0:
        lexicon = _WholeWordsUnguarded(**{f.name: getattr(lexicon, f.name) for f in fields(lexicon)})
    try:
        yield lexicon
    finally:
        for owner, attribute, old in reversed(saved):
            setattr(owner, attribute, old)


class _Result(Protocol):
    @property
    def deter(self) -> bool: ...
    @property
    def matches(self) -> tuple[RuleMatch, ...]: ...


@dataclass(frozen=True)
class _Filtered:
    deter: bool
    matches: tuple[RuleMatch, ...]


class OracleVocabulary:
    """The bound of a perfect word list: the matcher's answers with every fuzzy match dropped whose query words
    are all words of some Debian list, complete (both halves, so not a setting: it has seen the held-out words)
    or of the lexicon. What it costs in recall is what knowing every benign word would cost."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.words = set(matcher.lexicon.words)
        for words in debian_corpus(10**9, random.Random(0)).values():
            for word in words:
                self.words.update(normalise(word).tokens)

    def check(self, query: str) -> _Result:
        result = self.matcher.check(query)
        if not any(m.how in _FUZZY_HOWS for m in result.matches):
            return result
        text = normalise(query)
        kept = tuple(m for m in result.matches if m.how not in _FUZZY_HOWS or not all(
            token in self.words for token, s, e in zip(text.tokens, text.starts, text.ends, strict=True)
            if s < m.span[1] and e > m.span[0]))  # fmt: skip
        return _Filtered(bool(kept), kept)


def recall_of(check: Callable[[str], _Result], cases: list[tuple[Rule, str]]) -> float:
    """The share of (rule, variant) cases where that rule fired."""
    return sum(any(m.rule == rule for m in check(query).matches) for rule, query in cases) / len(cases)


def typo_reachable(match: RuleMatch) -> bool:
    """Whether ``match`` is fuzzy and its matched text is the skeleton of a misspelling the variant generator's
    ``typo`` transformation makes from the rule (then no test of that text alone can tell the two apart)."""
    if match.how not in _FUZZY_HOWS:
        return False
    text = match.rule.texts[0]
    skeleton = normalise(text).despaced
    budget = fuzzy.allowed_edits(len(skeleton))
    return match.matched in _typo_skeletons(text, budget)


_TYPO_SKELETONS: dict[tuple[str, int], frozenset[str]] = {}


def _typo_skeletons(text: str, budget: int) -> frozenset[str]:
    key = (text, budget)
    if key not in _TYPO_SKELETONS:
        found: set[str] = set()
        for typo in typo_strings(text, budget):
            found.add(normalise(typo).despaced)
            found.add(normalise(typo, collapse=False).despaced)
        _TYPO_SKELETONS[key] = frozenset(found)
    return _TYPO_SKELETONS[key]


def sweep(
    rules: list[Rule], lexicon: Lexicon, cases: list[tuple[Rule, str]], by_part: dict[str, list[str]],
    timing: dict[str, list[str]], log: Callable[..., None],
) -> list[dict[str, object]]:  # fmt: skip
    """Recall, false positives per 100,000 queries of each Debian part and throughput for every ``SWEEP`` row,
    then the oracle-vocabulary bound; the shipped row also counts its held-out false positives the ``typo``
    transformation can make."""
    parts = ("debian_tuning", "debian_held_out", "rare_tuning", "rare_held_out")
    log("\nsweep: recall on the same variants, false positives per 100,000 queries, queries per CPU second")
    log(f"  {'setting':<56} {'recall':>8} " + " ".join(f"{p:>15}" for p in parts) + "   common     rare")
    rows: list[dict[str, object]] = []
    shipped: Matcher | None = None

    def measure(name: str, check: Callable[[str], _Result]) -> None:
        recall = recall_of(check, cases)
        fps = {part: [r for r in map(check, by_part[part]) if r.deter] for part in parts}
        qps = {name: time_queries(check, qs) for name, qs in timing.items()}
        row: dict[str, object] = {"setting": name, "recall": recall,
                                  "per_100k": {p: len(fps[p]) / len(by_part[p]) * 100_000 for p in parts},
                                  "queries_per_cpu_s": qps}  # fmt: skip
        if not rows:
            reachable = {p: sum(all(typo_reachable(m) for m in r.matches) for r in fps[p]) for p in parts}
            row["typo_reachable"] = reachable
        rows.append(row)
        log(
            f"  {name:<56} {recall:8.3%} "
            + " ".join(f"{len(fps[p]) / len(by_part[p]) * 100_000:15.1f}" for p in parts)
            + f" {qps['common_words']:8,.0f} {qps['rare_words']:8,.0f}"
        )

    for name, settings in SWEEP.items():
        with matcher_settings(settings, lexicon) as row_lexicon:
            matcher = Matcher(TermList.from_rules(rules), lexicon=row_lexicon)
            matcher.check("warm up the fuzzy index")
            measure(name, matcher.check)
        if not settings:
            shipped = matcher
    assert shipped is not None
    measure("bound: fuzzy hits on words of any word list dropped", OracleVocabulary(shipped).check)
    reachable = rows[0]["typo_reachable"]
    log(
        "  false positives of the shipped row that are all fuzzy and whose matched text the typo transformation"
        " makes from the rule: " + ", ".join(f"{p} {reachable[p]}" for p in parts)  # type: ignore[index]
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000, help="placeholder rules to generate")
    parser.add_argument("--variants", type=int, default=120, help="obfuscated variants per rule")
    parser.add_argument("--recall-rules", type=int, default=1_000, help="rules whose variants are checked")
    parser.add_argument("--benign", type=int, default=200_000, help="benign queries per corpus part")
    parser.add_argument("--words", type=int, default=50_000, help="wordfreq benign words per language")
    parser.add_argument("--debian-words", type=int, default=100_000, help="Debian word-list words per list")
    parser.add_argument("--timing", type=int, default=20_000, help="queries per throughput measurement")
    parser.add_argument("--lexicon", default="default", help="default, wordfreq, none or a *.lexicon.gz file")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of tables")
    parser.add_argument("--show-misses", type=int, default=0, help="print this many misses and false positives")
    parser.add_argument("--sweep", action="store_true", help="also measure every SWEEP setting and the bound")
    parser.add_argument("--sweep-timing", type=int, default=5_000, help="queries per throughput measurement per row")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    corpus = wordfreq_corpus(args.words)
    debian = debian_corpus(args.debian_words, rng)
    tuning, held_out = split_words(debian)
    forbidden = {normalise(w).despaced for source in (corpus, debian) for ws in source.values() for w in ws}
    rules = make_rules(args.rules, rng, forbidden)
    t0 = time.process_time()
    lexicon = load_bench_lexicon(args.lexicon)
    lexicon_s = time.process_time() - t0
    t0 = time.process_time()
    matcher = Matcher(TermList.from_rules(rules), lexicon=lexicon)
    matcher.check("warm up the fuzzy index")
    compile_s = time.process_time() - t0
    log(
        f"{len(rules)} rules compiled in {compile_s:.2f} s CPU; lexicon {args.lexicon!r}: {len(lexicon)} skeletons"
        f" loaded in {lexicon_s:.2f} s CPU; benign words: wordfreq {sum(map(len, corpus.values()))},"
        f" Debian {sum(map(len, debian.values()))} in {len(debian)} lists"
        f" (tuning {sum(map(len, tuning.values()))}, held out {sum(map(len, held_out.values()))});"
        f" fuzzy kernel: {'C' if fuzzy.NATIVE is not None else 'Python fallback'}"
    )

    # Recall on obfuscated variants
    terms = [r for r in rules if r.kind == "term"]
    sample = rng.sample(terms, min(args.recall_rules, len(terms)))
    per_transform: Counter[str] = Counter()
    per_transform_miss: Counter[str] = Counter()
    alone: Counter[str] = Counter()  # variants made by one transformation only
    alone_miss: Counter[str] = Counter()
    combined = combined_miss = 0
    total = missed = 0
    shown = 0
    cases: list[tuple[Rule, str]] = []
    for rule in sample:
        for variant in variants(rule, count=args.variants, seed=args.seed):
            total += 1
            cases.append((rule, variant.query))
            hit = any(m.rule == rule for m in matcher.check(variant.query).matches)
            for name in variant.transforms:
                per_transform[name] += 1
                per_transform_miss[name] += not hit
            if len(variant.transforms) == 1:
                alone[variant.transforms[0]] += 1
                alone_miss[variant.transforms[0]] += not hit
            else:
                combined += 1
                combined_miss += not hit
            if not hit:
                missed += 1
                if shown < args.show_misses:
                    shown += 1
                    log(f"  missed {variant.query!r} {variant.transforms} for {rule.to_line()}")
    recall = 1 - missed / total

    # False positives on benign queries, per corpus part: every word alone, then pairs and 3-5 word phrases
    parts = {"wordfreq": corpus, "debian_tuning": tuning, "debian_held_out": held_out,
             "rare_tuning": rare_only(tuning, lexicon), "rare_held_out": rare_only(held_out, lexicon)}  # fmt: skip
    fp_report: dict[str, dict[str, object]] = {}
    by_part: dict[str, list[str]] = {}
    for part, words_by_lang in parts.items():
        queries = benign_queries(words_by_lang, args.benign, rng)
        by_part[part] = queries
        fp = 0
        fp_how: Counter[str] = Counter()
        for q in queries:
            result = matcher.check(q)
            if result.deter:
                fp += 1
                fp_how[result.matches[0].how.value] += 1
                if args.show_misses and fp <= 10:
                    log(f"  false positive ({part}): {result.matches[0].explain()}")
        fp_report[part] = {"queries": len(queries), "false_positives": fp,
                           "per_100k": fp / len(queries) * 100_000, "by_how": dict(fp_how)}  # fmt: skip

    # Throughput per core (CPU time of this process), same queries for every matcher, in this run: common-word
    # queries (wordfreq words, in the lexicon) and rare-word queries (held-out words outside the lexicon).
    timing = {
        "common_words": rng.sample(by_part["wordfreq"], min(args.timing, len(by_part["wordfreq"]))),
        "rare_words": rng.sample(by_part["rare_held_out"], min(args.timing, len(by_part["rare_held_out"]))),
    }
    qps = {name: time_queries(matcher.check, qs) for name, qs in timing.items()}
    reference = LinearMatcher(rules)
    ref_qps = {name: time_queries(reference.check, qs[:2_000]) for name, qs in timing.items()}
    python_qps: dict[str, float] = {}
    if fuzzy.NATIVE is not None:
        fallback = Matcher(TermList.from_rules(rules), lexicon=lexicon)
        fallback._fuzzy.native = False  # the pure-Python fuzzy look-up, for the kernel's ratio
        python_qps = {name: time_queries(fallback.check, qs[:1_000]) for name, qs in timing.items()}

    report = {
        "rules": len(rules),
        "lexicon": {"spec": args.lexicon, "skeletons": len(lexicon), "load_cpu_s": lexicon_s},
        "recall": {"variants": total, "missed": missed, "recall": recall, "rules_sampled": len(sample),
                   "per_transform": {k: 1 - per_transform_miss[k] / v for k, v in sorted(per_transform.items())},
                   "alone": {k: 1 - alone_miss[k] / v for k, v in sorted(alone.items())},
                   "combined": {"variants": combined, "recall": 1 - combined_miss / max(combined, 1)}},
        "false_positives": fp_report,
        "throughput": {"queries_per_cpu_s": qps, "linear_reference_queries_per_cpu_s": ref_qps,
                       "python_fuzzy_fallback_queries_per_cpu_s": python_qps, "compile_cpu_s": compile_s},
    }  # fmt: skip
    sweep_timing = {name: qs[: args.sweep_timing] for name, qs in timing.items()}
    if args.json:
        if args.sweep:
            report["sweep"] = sweep(rules, lexicon, cases, by_part, sweep_timing, log)
        print(json.dumps(report))
        return
    print(f"\nrecall: {recall:.4%} ({total - missed}/{total} variants of {len(sample)} rules)")
    print(f"  combined (2+ transformations): {1 - combined_miss / max(combined, 1):.4%} ({combined} variants)")
    print("  transformation   alone      in any variant")
    for name, value in report["recall"]["per_transform"].items():  # type: ignore[index]
        alone_recall = 1 - alone_miss[name] / alone[name] if alone[name] else float("nan")
        print(f"  {name:<14} {alone_recall:9.2%}   {value:9.4%}  ({per_transform[name]} variants)")
    print("false positives (every word alone, then 2-5 word queries of one language):")
    for part, row in fp_report.items():
        print(
            f"  {part:<16} {row['false_positives']:>5} in {row['queries']} ({row['per_100k']:.2f} per 100,000)"
            f" {row['by_how']}"
        )
    print(f"throughput per core (queries per CPU second, {len(rules)} rules):")
    for name in timing:
        extra = f"; Python fuzzy fallback {python_qps[name]:,.0f}/s" if python_qps else ""
        print(
            f"  {name:<13} {qps[name]:>8,.0f}/s; linear reference {ref_qps[name]:,.0f}/s"
            f" (x{qps[name] / ref_qps[name]:.0f}){extra}"
        )
    if args.sweep:
        sweep(rules, lexicon, cases, by_part, sweep_timing, log)


if __name__ == "__main__":
    main()
