"""indexes the corpus browser pages on: a run's versions, exact copies, documents by status

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index('ix_document_versions_run', ['run_id', 'status', 'version', 'document_id', 'id'], unique=False)
        batch_op.create_index(
            'ix_document_versions_duplicate_of', ['duplicate_of'], unique=False,
            sqlite_where=sa.text('duplicate_of IS NOT NULL'), postgresql_where=sa.text('duplicate_of IS NOT NULL'),
        )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_status_key', ['status', 'key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_status_key')
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_document_versions_duplicate_of')
        batch_op.drop_index('ix_document_versions_run')
