"""Deciding what a match triggers: an org's ordered action rules run on the facts of one match (pure; no I/O).

A rule fires when every condition it sets holds. A fired rule adds its actions; ``stop`` ends the run; a
``suppress`` action drops every action of the match and ends the run. When no rule fires, the safe default holds:
the match is recorded and enqueued for review in the ``default`` queue (nothing is blocked without a rule saying
so). An org's own suppression list wins over every rule (decided by the caller before the rules run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The review queue of the safe default.
DEFAULT_QUEUE = "default"
#: What a match is marked with when the org's suppression list holds the content's hash.
SUPPRESSION_LIST = "suppression-list"


@dataclass(frozen=True, slots=True)
class MatchFacts:
    """What the rules may look at: the matched list and entry, the match itself and the content's type."""

    list_id: int
    list_name: str
    classification: str | None
    entry_labels: tuple[str, ...]
    hash_type: str
    distance: int
    content_type: str
    disputes: int
    confirms: int


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A stored rule: ``conditions`` and ``actions`` as validated by :mod:`.schemas`."""

    id: int
    name: str
    position: int
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    stop: bool


@dataclass
class Decision:
    """What the rules decided for one match: the actions to take (dicts as in a rule), their verbs (``block``,
    ``review``...), the rule that fired first (None: the safe default), and why each rule did or did not fire."""

    actions: list[dict[str, Any]] = field(default_factory=list)
    rule: str | None = None
    suppressed: bool = False
    trace: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verbs(self) -> list[str]:
        """The decided actions as words, each once: a webhook's event type without ``match.``, ``review``."""
        out: list[str] = []
        for action in self.actions:
            word = verb(action)
            if word not in out:
                out.append(word)
        return out


def verb(action: dict[str, Any]) -> str:
    """``block`` for a ``match.block`` webhook, ``review`` for a review, ``suppress``."""
    if action["type"] == "webhook":
        return str(action["event_type"]).removeprefix("match.")
    return str(action["type"])


def _why_not(conditions: dict[str, Any], facts: MatchFacts) -> str | None:
    """The first condition that does not hold, in words; None if all hold."""
    c = conditions
    if "list_ids" in c and facts.list_id not in c["list_ids"]:
        return f"list {facts.list_id} is not one of {c['list_ids']}"
    if "list_names" in c and facts.list_name not in c["list_names"]:
        return f"list {facts.list_name!r} is not one of {c['list_names']}"
    if "classifications" in c and facts.classification not in c["classifications"]:
        return f"classification {facts.classification} is not one of {c['classifications']}"
    if "entry_labels" in c and not set(c["entry_labels"]) & set(facts.entry_labels):
        return f"the entry has none of the labels {c['entry_labels']}"
    if "hash_types" in c and facts.hash_type not in c["hash_types"]:
        return f"hash type {facts.hash_type} is not one of {c['hash_types']}"
    if "max_distance" in c and facts.distance > c["max_distance"]:
        return f"distance {facts.distance} is over {c['max_distance']}"
    if "content_types" in c and facts.content_type not in c["content_types"]:
        return f"content type {facts.content_type} is not one of {c['content_types']}"
    if "disputed" in c and (facts.disputes > 0) != c["disputed"]:
        return "the entry is disputed" if facts.disputes else "the entry is not disputed"
    if "min_confirmations" in c and facts.confirms < c["min_confirmations"]:
        return f"{facts.confirms} orgs confirmed the entry, fewer than {c['min_confirmations']}"
    return None


def decide(rules: list[RuleSpec], facts: MatchFacts) -> Decision:
    """Run ``rules`` (in position order) on one match."""
    decision = Decision()
    fired = False
    for rule in sorted(rules, key=lambda r: r.position):
        why_not = _why_not(rule.conditions, facts)
        if why_not is not None:
            decision.trace.append({"rule": rule.name, "fired": False, "why": why_not})
            continue
        fired = True
        decision.rule = decision.rule or rule.name
        if any(a["type"] == "suppress" for a in rule.actions):
            decision.trace.append({"rule": rule.name, "fired": True, "why": "every condition holds; suppress"})
            decision.actions = []
            decision.suppressed = True
            decision.rule = rule.name
            return decision
        decision.actions.extend(rule.actions)
        decision.trace.append(
            {"rule": rule.name, "fired": True, "why": "every condition holds" + ("; stop" if rule.stop else "")}
        )
        if rule.stop:
            break
    if not fired:
        decision.actions = [{"type": "review", "queue": DEFAULT_QUEUE, "priority": 0}]
        decision.trace.append({"rule": None, "fired": True, "why": "no rule fired: the safe default (review)"})
    return decision


def suppressed_by_list() -> Decision:
    """The decision for a match of a hash on the org's own suppression list: no action, whatever the rules say."""
    return Decision(
        rule=SUPPRESSION_LIST,
        suppressed=True,
        trace=[{"rule": SUPPRESSION_LIST, "fired": True, "why": "the content's hash is on the org's suppression list"}],
    )
