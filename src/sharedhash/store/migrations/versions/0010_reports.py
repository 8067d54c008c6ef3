"""Reports (CyberTipline): org reporter settings and pre-submit webhook, sealed credentials per environment,
reports and their files, preservation records.

Revision ID: 0010_reports
Revises: 0012_review
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0010_reports"
down_revision: str | None = "0012_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_settings",
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("reporter", sa.JSON(), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("pre_submit_url", sa.String(length=2000), nullable=True),
        sa.Column("pre_submit_secret", sa.Text(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "report_credentials",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "environment"),
    )
    op.create_table(
        "reports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("uploader_id", sa.String(length=200), nullable=False),
        sa.Column("environment", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("incident_type", sa.String(length=100), nullable=False),
        sa.Column("incident_time", UtcDateTime(), nullable=False),
        sa.Column("reporter", sa.JSON(), nullable=False),
        sa.Column("reported_person", sa.JSON(), nullable=False),
        sa.Column("additional_info", sa.Text(), nullable=False),
        sa.Column("follows_report_id", _ID, sa.ForeignKey("reports.id"), nullable=True),
        sa.Column("ncmec_report_id", sa.BigInteger(), nullable=True),
        sa.Column("ncmec_opened_at", UtcDateTime(), nullable=True),
        sa.Column("abandoned_ncmec_ids", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.Column("retracted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reports_org_id", "reports", ["org_id", "id"])
    op.create_index("ix_reports_due", "reports", ["status", "next_attempt_at"])
    op.create_table(
        "report_files",
        sa.Column("id", _ID, nullable=False),
        sa.Column("report_id", _ID, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("viewed_by_esp", sa.Boolean(), nullable=False),
        sa.Column("publicly_available", sa.Boolean(), nullable=True),
        sa.Column("original_url", sa.String(length=2000), nullable=False),
        sa.Column("classification", sa.String(length=2), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("content_md5", sa.String(length=32), nullable=True),
        sa.Column("content_size", sa.BigInteger(), nullable=True),
        sa.Column("ncmec_file_id", sa.String(length=100), nullable=True),
        sa.Column("details_sent", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_files_report_id", "report_files", ["report_id", "position"])
    op.create_table(
        "report_preservations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("report_id", _ID, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("report_file_id", _ID, sa.ForeignKey("report_files.id"), nullable=False),
        sa.Column("ncmec_report_id", sa.BigInteger(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("reported_at", UtcDateTime(), nullable=False),
        sa.Column("preserve_until", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_preservations_until", "report_preservations", ["preserve_until"])


def downgrade() -> None:
    op.drop_index("ix_report_preservations_until", table_name="report_preservations")
    op.drop_table("report_preservations")
    op.drop_index("ix_report_files_report_id", table_name="report_files")
    op.drop_table("report_files")
    op.drop_index("ix_reports_due", table_name="reports")
    op.drop_index("ix_reports_org_id", table_name="reports")
    op.drop_table("reports")
    op.drop_table("report_credentials")
    op.drop_table("report_settings")
