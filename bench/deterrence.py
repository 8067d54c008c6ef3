"""Benchmark deterrence matching: recall on obfuscated variants, false positives on benign text, throughput.

Every rule is an invented placeholder word (random pronounceable syllables, checked to be no word of the
benign corpora). Run: ``pip install -e '.[bench]' && python bench/deterrence.py`` (``--json`` for one JSON line).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from sharedhash.deterrence import Matcher, Rule, TermList, normalise
from sharedhash.deterrence.lexicon import Lexicon, wordfreq_lexicon
from sharedhash.deterrence.variants import variants

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
        words = [w.strip() for w in path.read_text(encoding="utf-8", errors="ignore").splitlines() if w.strip()]
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
    """Single words, word pairs and 3-5 word phrases of one language each, as people type into a search box."""
    out: list[str] = []
    langs = list(corpus)
    for lang in langs:  # every corpus word alone, once
        out += corpus[lang]
    while len(out) < count:
        words = corpus[rng.choice(langs)]
        size = rng.choice((2, 2, 2, 3, 4, 5))
        out.append(" ".join(rng.choice(words) for _ in range(size)))
    return out[:count]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=10_000, help="placeholder rules to generate")
    parser.add_argument("--variants", type=int, default=120, help="obfuscated variants per rule")
    parser.add_argument("--recall-rules", type=int, default=2_000, help="rules whose variants are checked")
    parser.add_argument("--benign", type=int, default=1_000_000, help="benign queries checked")
    parser.add_argument("--words", type=int, default=50_000, help="benign words per language")
    parser.add_argument("--lexicon-words", type=int, default=100_000, help="lexicon words per language (0: none)")
    parser.add_argument("--debian-words", type=int, default=100_000, help="Debian word-list words per list")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of tables")
    parser.add_argument("--show-misses", type=int, default=0, help="print this many missed variants")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    corpus = wordfreq_corpus(args.words)
    debian = debian_corpus(args.debian_words, rng)
    forbidden = {normalise(w).despaced for source in (corpus, debian) for ws in source.values() for w in ws}
    rules = make_rules(args.rules, rng, forbidden)
    # Production configuration: wordfreq's lists plus the machine's dictionaries, except a held-out tenth of the
    # Debian words, which measures the guard on words it was never given.
    held_out: dict[str, list[str]] = {}
    in_lexicon: dict[str, list[str]] = {}
    for name, words in debian.items():
        cut = len(words) // 10
        held_out[name], in_lexicon[name] = words[:cut], words[cut:]
    t0 = time.perf_counter()
    lexicon = (
        wordfreq_lexicon(LANGUAGES, args.lexicon_words, extra=(w for ws in in_lexicon.values() for w in ws))
        if args.lexicon_words
        else Lexicon()
    )
    lexicon_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    matcher = Matcher(TermList.from_rules(rules), lexicon=lexicon)
    compile_s = time.perf_counter() - t0
    log(
        f"{len(rules)} rules compiled in {compile_s:.2f} s; lexicon {len(lexicon)} skeletons in {lexicon_s:.1f} s;"
        f" benign words: wordfreq {sum(map(len, corpus.values()))}, Debian {sum(map(len, debian.values()))}"
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
    for rule in sample:
        for variant in variants(rule, count=args.variants, seed=args.seed):
            total += 1
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

    # False positives on benign queries: each source alone, words, pairs and phrases
    fp_report: dict[str, dict[str, object]] = {}
    queries: list[str] = []
    by_source: dict[str, list[str]] = {}
    benign_s = 0.0
    sources = (("wordfreq", corpus, args.benign // 2), ("debian", in_lexicon, args.benign // 2),
               ("held_out", held_out, args.benign // 5))  # fmt: skip
    for source, words_by_lang, size in sources:
        if not words_by_lang:
            continue
        source_queries = benign_queries(words_by_lang, size, rng)
        queries += source_queries
        by_source[source] = source_queries
        t0 = time.perf_counter()
        fp = 0
        fp_how: Counter[str] = Counter()
        for q in source_queries:
            result = matcher.check(q)
            if result.deter:
                fp += 1
                fp_how[result.matches[0].how] += 1
                if args.show_misses and fp <= 10:
                    log(f"  false positive ({source}): {result.matches[0].explain()}")
        benign_s += time.perf_counter() - t0
        fp_report[source] = {"queries": len(source_queries), "false_positives": fp,
                             "per_100k": fp / len(source_queries) * 100_000, "by_how": dict(fp_how)}  # fmt: skip
    # The target is judged on the production configuration; held-out words are reported beside it.
    judged = [r for name, r in fp_report.items() if name != "held_out"]
    fp_total = sum(int(r["false_positives"]) for r in judged)  # type: ignore[call-overload]
    fp_queries = sum(int(r["queries"]) for r in judged)  # type: ignore[call-overload]

    # Throughput, compiled matcher against the linear reference, same queries, same run; per source too, since
    # rare words (not in the lexicon) take the slow fuzzy path
    timing = rng.sample(queries, min(20_000, len(queries)))
    qps = time_queries(matcher.check, timing)
    reference = LinearMatcher(rules)
    ref_qps = time_queries(reference.check, timing[:2_000])
    qps_by_source = {name: time_queries(matcher.check, rng.sample(qs, min(10_000, len(qs))))
                     for name, qs in by_source.items()}  # fmt: skip
    # The same with the optional fuzzy look-up cache (off by default), after one warm-up pass over other queries
    cached = Matcher(TermList.from_rules(rules), lexicon=lexicon, fuzzy_cache=100_000)
    for q in rng.sample(queries, min(100_000, len(queries))):
        cached.check(q)
    cached_qps = time_queries(cached.check, timing)

    report = {
        "rules": len(rules),
        "recall": {"variants": total, "missed": missed, "recall": recall, "rules_sampled": len(sample),
                   "per_transform": {k: 1 - per_transform_miss[k] / v for k, v in sorted(per_transform.items())},
                   "alone": {k: 1 - alone_miss[k] / v for k, v in sorted(alone.items())},
                   "combined": {"variants": combined, "recall": 1 - combined_miss / max(combined, 1)}},
        "false_positives": {"queries": fp_queries, "false_positives": fp_total,
                            "per_100k": fp_total / fp_queries * 100_000, "sources": fp_report},
        "throughput": {"queries_per_s": qps, "linear_reference_queries_per_s": ref_qps,
                       "speedup_vs_linear": qps / ref_qps,
                       "by_source": qps_by_source, "with_fuzzy_cache": cached_qps,
                       "benign_pass_s": benign_s, "compile_s": compile_s},
    }  # fmt: skip
    if args.json:
        print(json.dumps(report))
        return
    print(f"\nrecall: {recall:.4%} ({total - missed}/{total} variants of {len(sample)} rules)")
    print(f"  combined (2+ transformations): {1 - combined_miss / max(combined, 1):.4%} ({combined} variants)")
    print("  transformation   alone      in any variant")
    for name, value in report["recall"]["per_transform"].items():  # type: ignore[index]
        alone_recall = 1 - alone_miss[name] / alone[name] if alone[name] else float("nan")
        print(f"  {name:<14} {alone_recall:9.2%}   {value:9.4%}  ({per_transform[name]} variants)")
    print(
        f"false positives: {fp_total} in {fp_queries} benign queries = "
        f"{fp_total / fp_queries * 100_000:.2f} per 100,000 (wordfreq + Debian lists, lexicon configured)"
    )
    for source, row in fp_report.items():
        print(
            f"  {source:<9} {row['false_positives']} in {row['queries']} ({row['per_100k']:.2f} per 100,000)"
            f" {row['by_how']}"
        )
    print(
        f"throughput: {qps:,.0f} queries/s (one core, {len(rules)} rules); linear reference {ref_qps:,.0f}/s;"
        f" x{qps / ref_qps:.0f}"
    )
    for name, value in qps_by_source.items():
        print(f"  {name:<9} {value:,.0f} queries/s")
    print(f"  with the optional fuzzy cache (mixed queries): {cached_qps:,.0f} queries/s")


if __name__ == "__main__":
    main()
