"""Action rules and the suppression list of an org: add, list, remove, dry-run. Each write runs in one transaction
with its audit record; queries are in :mod:`sharedhash.store.rules`.

:func:`suppress` is the entry point other domains call (the review queue adds a hash here when a reviewer decides a
match was a false positive)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sharedhash.errors import NotFoundError
from sharedhash.hashing import get_hash_type
from sharedhash.server.rules.engine import Decision, MatchFacts, RuleSpec, decide
from sharedhash.server.rules.schemas import RuleIn, RuleTestIn
from sharedhash.server.state import HubState
from sharedhash.store import audit, outbox
from sharedhash.store import rules as store
from sharedhash.store.db import Transaction
from sharedhash.store.models import ActionRule, Suppression
from sharedhash.store.visibility import Caller


def specs(session: Session, org_id: int) -> list[RuleSpec]:
    """The org's rules as the engine runs them (read in the caller's transaction)."""
    return [RuleSpec(*row) for row in store.rule_rows(session, org_id)]


def specs_and_suppressions(session: Transaction, org_id: int) -> tuple[list[RuleSpec], bool]:
    """:func:`specs`, and whether the org has any suppression, read in one statement in the caller's
    transaction."""
    rows, anything = store.rule_rows_and_suppressions(session, org_id)
    return [RuleSpec(*row) for row in rows], anything


def _stored(body: RuleIn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    conditions = body.conditions.model_dump(exclude_none=True)
    actions = [a.model_dump() for a in body.actions]
    return conditions, actions


def _check_references(state: HubState, session: Session, caller: Caller, body: RuleIn) -> None:
    """Lists and endpoints a rule names must be the org's to read and use; others answer as absent (404)."""
    readable = state.caches.policy.visible(state.db, caller.org_id)
    for list_id in body.conditions.list_ids or []:
        if list_id not in readable:
            raise NotFoundError(f"no hash list {list_id}", hint="conditions.list_ids: use lists your org may read.")
    for action in body.actions:
        if action.type == "webhook" and outbox.endpoint_by_name(session, caller.org_id, action.endpoint) is None:
            raise NotFoundError(
                f"no webhook endpoint named {action.endpoint!r}", hint="actions: create the endpoint first."
            )


def list_rules(state: HubState, caller: Caller) -> list[ActionRule]:
    """The org's rules in the order they run."""
    with state.db.reading() as session:
        return store.list_rules(session, caller.org_id)


def add_rule(state: HubState, caller: Caller, body: RuleIn) -> ActionRule:
    """Add a validated rule at its position; audited."""
    conditions, actions = _stored(body)
    with state.db.writing() as session:
        _check_references(state, session, caller, body)
        rule = store.add_rule(
            session,
            caller.org_id,
            name=body.name,
            conditions=conditions,
            actions=actions,
            stop=body.stop,
            position=body.position,
        )
        audit.record(session, caller, "rule.add", target=f"rule:{rule.id}", detail={"name": rule.name})
        return rule


def remove_rule(state: HubState, caller: Caller, rule_id: int) -> ActionRule:
    """Remove one of the org's rules; audited."""
    with state.db.writing() as session:
        rule = store.remove_rule(session, caller.org_id, rule_id)
        audit.record(session, caller, "rule.remove", target=f"rule:{rule_id}", detail={"name": rule.name})
        return rule


def test_rules(state: HubState, caller: Caller, body: RuleTestIn) -> Decision:
    """Run the org's rules (or the ones given) on a described match, acting on nothing."""
    readable = state.caches.policy.visible(state.db, caller.org_id)
    match = body.match
    if match.list_id not in readable:
        raise NotFoundError(f"no hash list {match.list_id}", hint="match.list_id: use a list your org may read.")
    get_hash_type(match.hash_type)  # an unknown type is refused with its own code
    facts = MatchFacts(
        list_id=match.list_id,
        list_name=readable[match.list_id][0],
        classification=match.classification,
        entry_labels=tuple(match.entry_labels),
        hash_type=match.hash_type,
        distance=match.distance,
        content_type=match.content_type,
        disputes=match.disputes,
        confirms=match.confirms,
    )
    with state.db.reading() as session:
        if body.rules is None:
            rules = specs(session, caller.org_id)
        else:
            for rule in body.rules:
                _check_references(state, session, caller, rule)
            rules = []
            for i, rule in enumerate(body.rules):
                conditions, actions = _stored(rule)
                rules.append(RuleSpec(0, rule.name, i + 1, conditions, actions, rule.stop))
    return decide(rules, facts)


def list_suppressions(state: HubState, caller: Caller) -> list[Suppression]:
    """The org's suppression list."""
    with state.db.reading() as session:
        return store.list_suppressions(session, caller.org_id)


def suppress(state: HubState, caller: Caller, hash_type: str, value: str, reason: str = "") -> tuple[Suppression, bool]:
    """Put a hash of the org's own content on its suppression list (its matches trigger no action from now on);
    audited with the value's first characters only. Returns the row and whether it is new."""
    canonical = get_hash_type(hash_type).validate(value)
    with state.db.writing() as session:
        row, created = store.add_suppression(session, caller.org_id, hash_type, canonical, reason)
        if created:
            audit.record(
                session,
                caller,
                "suppression.add",
                target=f"suppression:{row.id}",
                detail={"hash": f"{hash_type}:{audit.hash_prefix(canonical)}"},
            )
        return row, created


def unsuppress(state: HubState, caller: Caller, suppression_id: int) -> Suppression:
    """Take a hash off the org's suppression list; audited."""
    with state.db.writing() as session:
        row = store.remove_suppression(session, caller.org_id, suppression_id)
        audit.record(
            session,
            caller,
            "suppression.remove",
            target=f"suppression:{suppression_id}",
            detail={"hash": f"{row.hash_type}:{audit.hash_prefix(row.value)}"},
        )
        return row
