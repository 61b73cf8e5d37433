"""containers: fingerprints of container files, and a byte-order index for member-key prefixes

Revision ID: 0006
Revises: 0005

A container's members are the keys from `container#` up to `container$`. SQLite
compares text bytewise, so its unique index on `documents.key` serves that range;
PostgreSQL compares by the database's collation, which may order punctuation
differently, so the range is asked in the "C" collation and gets an index of its own.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('containers',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('mtime_ns', sa.BigInteger(), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('damage', sa.Text(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_documents_key_bytes ON documents (key COLLATE "C")')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX ix_documents_key_bytes')
    op.drop_table('containers')
