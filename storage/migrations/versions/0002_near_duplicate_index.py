"""near-duplicate index: MinHash signatures and LSH band keys

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('near_duplicate_signatures',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('signature', sa.LargeBinary(), nullable=False),
    sa.Column('canonical_id', sa.Integer(), nullable=True),
    sa.Column('similarity', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['canonical_id'], ['documents.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('document_id')
    )
    with op.batch_alter_table('near_duplicate_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_near_duplicate_signatures_canonical_id'), ['canonical_id'], unique=False)

    op.create_table('lsh_bands',
    sa.Column('bucket', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ),
    sa.PrimaryKeyConstraint('bucket', 'document_id'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('lsh_bands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lsh_bands_document_id'), ['document_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lsh_bands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lsh_bands_document_id'))

    op.drop_table('lsh_bands')
    with op.batch_alter_table('near_duplicate_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_near_duplicate_signatures_canonical_id'))

    op.drop_table('near_duplicate_signatures')
