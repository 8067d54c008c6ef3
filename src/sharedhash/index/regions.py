"""Matching region probes (``pdqr``) against an index of listed region values, and deciding by the evidence rule.

The index is an ordinary 256-bit index of ``pdqr`` values whose ids map to listed images (several values per
image, one per region); :func:`match_probes` searches every probe at the rule's loosest distance and hands the
hits to :func:`sharedhash.hashing.regions.decide`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from sharedhash.hashing.regions import DEFAULT_THRESHOLDS, Evidence, Hit, Probe, Thresholds, decide, probe_limit
from sharedhash.index.base import HashIndex


def match_probes(
    index: HashIndex,
    probes: Sequence[Probe],
    owner: Callable[[int], Hashable],
    *,
    trimmed: bool,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[Evidence]:
    """The listed images the probes match by the evidence rule; ``owner`` maps an index id to its image."""
    if not probes:
        return []
    found = index.query_batch([p.value for p in probes], probe_limit(thresholds))
    hits = [
        Hit(owner(m.id), probe.region, m.distance, probe.source, probe.aligned, probe.quality)
        for probe, matches in zip(probes, found, strict=True)
        for m in matches
    ]
    return decide(hits, trimmed, thresholds)


__all__ = ["match_probes"]
