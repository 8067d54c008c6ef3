"""``/v1/rules`` (an org's ordered action rules, and their dry run) and ``/v1/suppressions`` (the org's own false
positives: matches of these hashes never trigger an action)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from sharedhash.server.deps import Admin, IdPath, Reader, State
from sharedhash.server.rules import service
from sharedhash.server.rules.schemas import (
    RuleIn,
    RuleOut,
    RuleTestIn,
    RuleTestOut,
    SuppressionIn,
    SuppressionOut,
    TraceStep,
)
from sharedhash.store.models import ActionRule, Suppression

router = APIRouter(prefix="/v1/rules", tags=["rules"])
suppressions_router = APIRouter(prefix="/v1/suppressions", tags=["rules"])


def _out(rule: ActionRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        name=rule.name,
        position=rule.position,
        conditions=dict(rule.conditions),
        actions=list(rule.actions),
        stop=rule.stop,
        created_at=rule.created_at,
    )


def _suppression(row: Suppression) -> SuppressionOut:
    return SuppressionOut(
        id=row.id, hash_type=row.hash_type, value=row.value, reason=row.reason, created_at=row.created_at
    )


@router.get("", response_model=list[RuleOut], summary="The org's action rules, in the order they run")
def list_rules(state: State, caller: Reader) -> list[RuleOut]:
    """Every rule of the caller's org, by position."""
    return [_out(r) for r in service.list_rules(state, caller)]


@router.post("", response_model=RuleOut, status_code=status.HTTP_201_CREATED, summary="Add an action rule")
def add_rule(body: RuleIn, state: State, caller: Admin) -> RuleOut:
    """Add a rule at ``position`` (default: last). Lists and endpoints it names must be the org's to use (else 404)."""
    return _out(service.add_rule(state, caller, body))


@router.delete("/{rule_id}", response_model=RuleOut, summary="Remove an action rule")
def remove_rule(rule_id: IdPath, state: State, caller: Admin) -> RuleOut:
    """Remove one of the org's rules; later rules move up."""
    return _out(service.remove_rule(state, caller, rule_id))


@router.post("/test", response_model=RuleTestOut, summary="Dry-run the rules on a match")
def test_rules(body: RuleTestIn, state: State, caller: Reader) -> RuleTestOut:
    """Which rule fires for the described match and why, and what it would do; nothing is acted on."""
    decision = service.test_rules(state, caller, body)
    return RuleTestOut(
        rule=decision.rule,
        actions=decision.verbs,
        decided=decision.actions,
        suppressed=decision.suppressed,
        trace=[TraceStep(**step) for step in decision.trace],
    )


@suppressions_router.get("", response_model=list[SuppressionOut], summary="The org's suppression list")
def list_suppressions(state: State, caller: Reader) -> list[SuppressionOut]:
    """Hashes of the org's own content declared false positives."""
    return [_suppression(s) for s in service.list_suppressions(state, caller)]


@suppressions_router.post("", response_model=SuppressionOut, summary="Suppress a hash of the org's content")
def add_suppression(body: SuppressionIn, state: State, caller: Admin, response: Response) -> SuppressionOut:
    """Matches of this hash never trigger an action, whatever the rules say (201 when new, 200 if it was there)."""
    row, created = service.suppress(state, caller, body.hash_type, body.value, body.reason)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return _suppression(row)


@suppressions_router.delete("/{suppression_id}", response_model=SuppressionOut, summary="Remove a suppression")
def remove_suppression(suppression_id: IdPath, state: State, caller: Admin) -> SuppressionOut:
    """Matches of the hash trigger actions again."""
    return _suppression(service.unsuppress(state, caller, suppression_id))
