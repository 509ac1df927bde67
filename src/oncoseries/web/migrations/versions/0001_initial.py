"""initial schema: blobs, studies, study_files, runs, audit, users, shares

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("blobs", sa.Column("sha256", sa.String(64), primary_key=True),
                    sa.Column("size", sa.Integer, nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False))
    op.create_table("studies", sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("title", sa.String(300), nullable=False),
                    sa.Column("owner", sa.String(100), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False),
                    sa.Column("source", sa.String(60), nullable=False),
                    sa.Column("patients", sa.Integer, nullable=False),
                    sa.Column("valid", sa.Boolean, nullable=False),
                    sa.Column("problems_json", sa.Text, nullable=False),
                    sa.Column("meta_json", sa.Text, nullable=False),
                    sa.Column("plan_json", sa.Text, nullable=False))
    op.create_table("study_files", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("study_id", sa.String(32), sa.ForeignKey("studies.id"), nullable=False, index=True),
                    sa.Column("name", sa.String(120), nullable=False),
                    sa.Column("sha256", sa.String(64), sa.ForeignKey("blobs.sha256"), nullable=False))
    op.create_table("runs", sa.Column("id", sa.String(32), primary_key=True),
                    sa.Column("study_id", sa.String(32), sa.ForeignKey("studies.id"), nullable=False, index=True),
                    sa.Column("status", sa.String(10), nullable=False),
                    sa.Column("progress", sa.Float, nullable=False),
                    sa.Column("error", sa.Text, nullable=True),
                    sa.Column("settings_json", sa.Text, nullable=False),
                    sa.Column("plan_yaml", sa.Text, nullable=False),
                    sa.Column("input_hash", sa.String(64), nullable=False),
                    sa.Column("version", sa.String(40), nullable=False),
                    sa.Column("started_by", sa.String(100), nullable=False),
                    sa.Column("created_at", sa.DateTime, nullable=False),
                    sa.Column("finished_at", sa.DateTime, nullable=True),
                    sa.Column("headline_json", sa.Text, nullable=False))
    op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("at", sa.DateTime, nullable=False),
                    sa.Column("actor", sa.String(100), nullable=False),
                    sa.Column("action", sa.String(40), nullable=False),
                    sa.Column("study_id", sa.String(32), nullable=True, index=True),
                    sa.Column("run_id", sa.String(32), nullable=True),
                    sa.Column("detail", sa.Text, nullable=False))
    op.create_table("users", sa.Column("username", sa.String(100), primary_key=True),
                    sa.Column("password_hash", sa.String(200), nullable=False))
    op.create_table("shares", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("study_id", sa.String(32), sa.ForeignKey("studies.id"), nullable=False, index=True),
                    sa.Column("username", sa.String(100), nullable=False))


def downgrade():
    for name in ("shares", "users", "audit", "runs", "study_files", "studies", "blobs"):
        op.drop_table(name)
