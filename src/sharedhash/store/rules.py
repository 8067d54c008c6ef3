"""Action rules of an org (ordered) and its suppression list (hashes of its own content declared false positives).

Rules are small per org and read whole; their JSON (conditions, actions) is validated before it gets here
(server/rules/schemas.py). Another org's rules are never found.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.orm import Session

from sharedhash.errors import NotFoundError
from sharedhash.hub_errors import NameTakenError
from sharedhash.store.db import Transaction, session_of
from sharedhash.store.models import ActionRule, Suppression
from sharedhash.store.sqlhelpers import driver_fetch, driver_rows


def list_rules(session: Session, org_id: int) -> list[ActionRule]:
    """The org's rules in the order they run."""
    return list(session.scalars(select(ActionRule).where(ActionRule.org_id == org_id).order_by(ActionRule.position)))


#: A rule's columns as :func:`rule_rows` gives them: ``(id, name, position, conditions, actions, stop)``.
RuleRow = tuple[int, str, int, dict[str, Any], list[dict[str, Any]], bool]


def rule_rows(session: Session, org_id: int) -> list[RuleRow]:
    """The org's rules in the order they run, as plain rows (what the rule engine needs, without loading each rule
    as an object: every transaction of content checks with a match reads them)."""
    return [_rule_row(*row) for row in driver_rows(session, _RULE_ROWS, (org_id,))]


_RULE_ROWS = (
    "SELECT id, name, position, conditions, actions, stop FROM action_rules WHERE org_id = %s ORDER BY position"
)


def rule_rows_and_suppressions(session: Transaction, org_id: int) -> tuple[list[RuleRow], bool]:
    """:func:`rule_rows` and whether the org has any suppression, in one statement (one round trip instead of two:
    every transaction of content checks with a match asks both). Read in the caller's transaction, never cached."""
    rows: list[RuleRow] = []
    anything = False
    for *rule, found in driver_fetch(session, _RULES_AND_SUPPRESSIONS, (org_id, org_id)):
        anything = bool(found)
        if rule[0] is not None:  # no rule: the one row of the probe, with no rule joined
            rows.append(_rule_row(*rule))
    return rows, anything


def _rule_row(i: Any, n: Any, p: Any, c: Any, a: Any, s: Any) -> RuleRow:
    """A rule as the driver gives its columns (id, name, position, conditions, actions, stop), as a plain row."""
    return (int(i), str(n), int(p), dict(_json(c)), list(_json(a)), bool(s))


_RULES_AND_SUPPRESSIONS = (
    "SELECT r.id, r.name, r.position, r.conditions, r.actions, r.stop, p.found "
    "FROM (SELECT EXISTS (SELECT 1 FROM suppressions WHERE org_id = %s) AS found) AS p "
    "LEFT JOIN action_rules r ON r.org_id = %s ORDER BY r.position"
)


def _json(value: Any) -> Any:
    """A JSON column's value as the driver gives it: text on SQLite, already decoded by psycopg."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def get_rule(session: Session, org_id: int, rule_id: int) -> ActionRule:
    """One of the org's rules; another org's rule answers as absent."""
    rule = session.scalar(select(ActionRule).where(ActionRule.id == rule_id, ActionRule.org_id == org_id))
    if rule is None:
        raise NotFoundError(f"no rule {rule_id}")
    return rule


def add_rule(
    session: Session,
    org_id: int,
    *,
    name: str,
    conditions: dict[str, Any],
    actions: list[dict[str, Any]],
    stop: bool,
    position: int | None,
) -> ActionRule:
    """Add a rule at ``position`` (1-based; None or past the end: last), moving later rules down."""
    if session.scalar(select(ActionRule.id).where(ActionRule.org_id == org_id, ActionRule.name == name)):
        raise NameTakenError(f"a rule named {name!r} exists", hint="Pick another name, or remove that rule first.")
    count = session.scalar(select(func.count()).select_from(ActionRule).where(ActionRule.org_id == org_id)) or 0
    where = count + 1 if position is None or position > count else max(position, 1)
    session.execute(
        update(ActionRule)
        .where(ActionRule.org_id == org_id, ActionRule.position >= where)
        .values(position=ActionRule.position + 1)
    )
    rule = ActionRule(org_id=org_id, name=name, position=where, conditions=conditions, actions=actions, stop=stop)
    session.add(rule)
    session.flush()
    return rule


def remove_rule(session: Session, org_id: int, rule_id: int) -> ActionRule:
    """Remove one of the org's rules; later rules move up."""
    rule = get_rule(session, org_id, rule_id)
    session.delete(rule)
    session.flush()
    session.execute(
        update(ActionRule)
        .where(ActionRule.org_id == org_id, ActionRule.position > rule.position)
        .values(position=ActionRule.position - 1)
    )
    return rule


def list_suppressions(session: Session, org_id: int) -> list[Suppression]:
    """The org's suppression list, by id."""
    return list(session.scalars(select(Suppression).where(Suppression.org_id == org_id).order_by(Suppression.id)))


def add_suppression(session: Session, org_id: int, hash_type: str, value: str, reason: str) -> tuple[Suppression, bool]:
    """Suppress a hash of the org's content (canonical value); the existing row if it is there. Returns (row, new)."""
    found = session.scalar(
        select(Suppression).where(
            Suppression.org_id == org_id, Suppression.hash_type == hash_type, Suppression.value == value
        )
    )
    if found is not None:
        return found, False
    row = Suppression(org_id=org_id, hash_type=hash_type, value=value, reason=reason)
    session.add(row)
    session.flush()
    return row, True


def remove_suppression(session: Session, org_id: int, suppression_id: int) -> Suppression:
    """Remove one of the org's suppressions; another org's answers as absent."""
    row = session.scalar(select(Suppression).where(Suppression.id == suppression_id, Suppression.org_id == org_id))
    if row is None:
        raise NotFoundError(f"no suppression {suppression_id}")
    session.execute(delete(Suppression).where(Suppression.id == row.id))
    return row


def suppressed(
    session: Transaction, org_id: int, hashes: Iterable[tuple[str, str]], *, any_known: bool | None = None
) -> set[tuple[str, str]]:
    """Which ``(hash type, value)`` pairs are on the org's suppression list. ``any_known``: whether the org has any
    suppression, when the caller read it in the same transaction (:func:`rule_rows_and_suppressions`); None: asked
    here."""
    pairs = list(set(hashes))
    out: set[tuple[str, str]] = set()
    if not pairs or not (_has_suppressions(session, org_id) if any_known is None else any_known):
        return out  # most orgs have none: a batch's thousands of pairs are not sent
    for start in range(0, len(pairs), 2000):
        part = pairs[start : start + 2000]
        stmt = select(Suppression.hash_type, Suppression.value).where(
            Suppression.org_id == org_id, tuple_(Suppression.hash_type, Suppression.value).in_(part)
        )
        out.update((t, v) for t, v in session_of(session).execute(stmt))
    return out


def _has_suppressions(session: Transaction, org_id: int) -> bool:
    """Whether the org has any suppression (asked by every transaction of checks with a match: through the
    driver)."""
    return driver_rows(session, "SELECT 1 FROM suppressions WHERE org_id = %s LIMIT 1", (org_id,)).first() is not None


def orgs_with_suppressions(session: Session) -> set[int]:
    """Orgs that have any suppression (most have none: their checks skip the query)."""
    return set(session.scalars(select(Suppression.org_id).distinct()))
