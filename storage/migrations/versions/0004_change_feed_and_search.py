"""change feed (commit-order cursor per version, purge log) and full-text search index

Revision ID: 0004
Revises: 0003

Existing versions get cursors in (ingested_at, id) order, the best record of commit
order a store had before it kept one, and their change kind from the version before
them; every document's current version is indexed for search.
"""

from alembic import op
import sqlalchemy as sa

from storage import search


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('change', sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE document_versions SET seq = numbered.n FROM "
        "(SELECT id, row_number() OVER (ORDER BY ingested_at, id) AS n FROM document_versions) AS numbered "
        "WHERE numbered.id = document_versions.id"
    )
    op.execute(
        "UPDATE document_versions SET change = CASE"
        " WHEN status = 'deleted' THEN 'deleted' WHEN status = 'rejected' THEN 'rejected'"
        " WHEN EXISTS (SELECT 1 FROM document_versions AS previous"
        "  WHERE previous.document_id = document_versions.document_id"
        "  AND previous.version = document_versions.version - 1 AND previous.status = 'active') THEN 'updated'"
        " ELSE 'created' END"
    )
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.create_index('ix_document_versions_seq', ['seq'], unique=True)

    state = op.create_table('change_feed_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('head', sa.BigInteger(), nullable=False),
    sa.Column('pruned_through', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    head = op.get_bind().execute(sa.text('SELECT count(*) FROM document_versions')).scalar()
    op.bulk_insert(state, [{'id': 1, 'head': head, 'pruned_through': 0}])

    op.create_table('purges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('purged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('command', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('purges', schema=None) as batch_op:
        batch_op.create_index('ix_purges_seq', ['seq'], unique=True)

    for statement in search.CREATE[op.get_bind().dialect.name]:
        op.execute(statement)
    search.backfill(op.get_bind())


def downgrade() -> None:
    for statement in search.DROP[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table('purges')
    op.drop_table('change_feed_state')
    with op.batch_alter_table('document_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_document_versions_seq')
        batch_op.drop_column('change')
        batch_op.drop_column('seq')
