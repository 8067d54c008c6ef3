"""Acting on a match: action rules, an org's suppression list, the hashes of checks (retroactive matching).

Revision ID: 0007_act
Revises: 0009_promises
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0007_act"
down_revision: str | None = "0009_promises"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "action_rules",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("stop", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "name"),
    )
    op.create_index("ix_action_rules_org_position", "action_rules", ["org_id", "position"])
    op.create_table(
        "suppressions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("hash_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "hash_type", "value"),
    )
    op.create_table(
        "check_hashes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("check_id", _ID, sa.ForeignKey("checks.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("hash_type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_hashes_value", "check_hashes", ["hash_type", "value"])
    op.create_index("ix_check_hashes_check", "check_hashes", ["check_id"])
    op.create_index("ix_check_hashes_created", "check_hashes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_check_hashes_created", table_name="check_hashes")
    op.drop_index("ix_check_hashes_check", table_name="check_hashes")
    op.drop_index("ix_check_hashes_value", table_name="check_hashes")
    op.drop_table("check_hashes")
    op.drop_table("suppressions")
    op.drop_index("ix_action_rules_org_position", table_name="action_rules")
    op.drop_table("action_rules")
