"""Build the shipped default lexicon data file from the installed, pinned wordfreq release.

Run ``pip install 'sharedhash[lexicon]' && python -m sharedhash.deterrence.build_lexicon``; the output is
deterministic, so rebuilding with the same wordfreq and normaliser gives the same bytes.
"""

from __future__ import annotations

import argparse
from importlib.metadata import version as dist_version
from pathlib import Path

from sharedhash._optional import require
from sharedhash.deterrence.attested import DEFAULT_FILE as ATTESTED_FILE
from sharedhash.deterrence.attested import AttestedWords
from sharedhash.deterrence.lexicon import (
    DEFAULT_COMMON_PER_LANGUAGE,
    DEFAULT_LANGUAGES,
    DEFAULT_WORDS_PER_LANGUAGE,
    NUMBERS_UP_TO,
    skeletons,
    wordfreq_words,
    write_lexicon,
)
from sharedhash.deterrence.lexicon_data import DEFAULT_FILE, normaliser_fingerprint

#: The wordfreq release the shipped file is built from (the ``lexicon`` extra pins the same one).
WORDFREQ_VERSION = "3.1.1"


def main(argv: list[str] | None = None) -> None:
    """Build the default lexicon data file from the installed wordfreq (``pip install 'sharedhash[lexicon]'``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    default_output = Path(__file__).parent / "data" / DEFAULT_FILE
    parser.add_argument("--output", type=Path, default=default_output, help=f"default: {default_output}")
    default_attested = Path(__file__).parent / "data" / ATTESTED_FILE
    parser.add_argument(
        "--attested", type=Path, default=default_attested, help=f"attested-words output, default: {default_attested}"
    )
    parser.add_argument("--languages", default=",".join(DEFAULT_LANGUAGES), help="comma-separated wordfreq codes")
    parser.add_argument("--per-language", type=int, default=DEFAULT_WORDS_PER_LANGUAGE)
    parser.add_argument("--common-per-language", type=int, default=DEFAULT_COMMON_PER_LANGUAGE)
    args = parser.parse_args(argv)
    languages = tuple(args.languages.split(","))
    version = dist_version("wordfreq")
    if version != WORDFREQ_VERSION:
        parser.error(f"the default lexicon is built from wordfreq {WORDFREQ_VERSION}; {version} is installed")
    words, common = wordfreq_words(languages, args.per_language, args.common_per_language)
    lexicon = skeletons(words)
    source = (
        f"wordfreq {version} (CC BY-SA 4.0), top {args.per_language} words of {', '.join(languages)}"
        f" (top {args.common_per_language} common), numbers 0-{NUMBERS_UP_TO}"
    )
    write_lexicon(args.output, lexicon, skeletons(common) & lexicon, source)
    print(f"wrote {args.output}: {len(lexicon)} skeletons, {args.output.stat().st_size} bytes")
    # Every other word wordfreq has seen in real text, below the lexicon's most frequent ones (see attested.py).
    wordfreq = require("wordfreq", "lexicon", "the wordfreq lexicon")
    rare = skeletons(w for lang in languages for w in wordfreq.get_frequency_dict(lang)) - lexicon
    attested = AttestedWords.from_words(
        rare, f"wordfreq {version} (CC BY-SA 4.0), every word of {', '.join(languages)} not in the lexicon"
    )
    attested.write(args.attested, normaliser_fingerprint())
    print(f"wrote {args.attested}: {len(attested)} digests, {args.attested.stat().st_size} bytes")


if __name__ == "__main__":
    main()
