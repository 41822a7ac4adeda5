"""The initial schema: catalog, identity, inventory, ordering, payments, notifications, and the
outbox, inbox, idempotency-key and refresh-token tables.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the types in tables.py (a migration never imports the current schema).
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
SORTABLE_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('fingerprint', sa.String(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.LargeBinary(), nullable=True),
    sa.Column('response_location', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('inbox',
    sa.Column('consumer', sa.String(), nullable=False),
    sa.Column('message_id', sa.String(), nullable=False),
    sa.Column('processed_at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'message_id', name=op.f('pk_inbox'))
    )
    op.create_table('notifications',
    sa.Column('seq', SERIAL, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('template', sa.String(), nullable=False),
    sa.Column('recipient', sa.String(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', TIMESTAMP, nullable=True),
    sa.Column('gave_up', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_notifications')),
    sa.UniqueConstraint('id', name=op.f('uq_notifications_id'))
    )
    op.create_index('ix_notifications_user_id_seq', 'notifications', ['user_id', 'seq'])
    op.create_index(
        'ix_notifications_retry', 'notifications', ['next_attempt_at'],
        postgresql_where=sa.text("status <> 'SENT' AND NOT gave_up"),
        sqlite_where=sa.text("status <> 'SENT' AND NOT gave_up"),
    )
    op.create_table('orders',
    sa.Column('seq', SERIAL, autoincrement=True, nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.Column('cancel_reason', sa.String(), nullable=True),
    sa.Column('payment_method', sa.String(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_orders')),
    sa.UniqueConstraint('id', name=op.f('uq_orders_id'))
    )
    op.create_index('ix_orders_user_id_seq', 'orders', ['user_id', 'seq'])
    op.create_table('outbox',
    sa.Column('seq', SERIAL, autoincrement=True, nullable=False),
    sa.Column('message_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('written_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id'))
    )
    op.create_table('payments',
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('amount', sa.String(), nullable=False),
    sa.Column('currency', sa.String(), nullable=False),
    sa.Column('method_token', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.Column('reference', sa.String(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_payments'))
    )
    op.create_table('products',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('sku', sa.String(), nullable=False),
    sa.Column('name', SORTABLE_TEXT, nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('price_amount', sa.String(), nullable=False),
    sa.Column('price_currency', sa.String(), nullable=False),
    sa.Column('price_milli', sa.BigInteger(), nullable=False),
    sa.Column('stock_available', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.Column('stock_version', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name_key', SORTABLE_TEXT, nullable=False),
    sa.Column('category_key', sa.Text(), nullable=False),
    sa.Column('other_key', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('sku', name=op.f('uq_products_sku'))
    )
    op.create_index('ix_products_category_key', 'products', ['category_key'])
    op.create_table('refresh_tokens',
    sa.Column('token_hash', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('family_id', sa.String(), nullable=False),
    sa.Column('expires_at', TIMESTAMP, nullable=False),
    sa.Column('spent', sa.Boolean(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_refresh_tokens'))
    )
    op.create_index('ix_refresh_tokens_family_id', 'refresh_tokens', ['family_id'])
    op.create_table('reservations',
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reserved_at', TIMESTAMP, nullable=False),
    sa.Column('expires_at', TIMESTAMP, nullable=False),
    sa.Column('updated_at', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_reservations'))
    )
    op.create_index(
        'ix_reservations_status_expires_at', 'reservations', ['status', 'expires_at']
    )
    op.create_table('stock',
    sa.Column('product_id', sa.String(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('low_stock_threshold', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint(
        'reserved >= 0 AND on_hand - reserved >= 0', name=op.f('ck_stock_available')
    ),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_stock'))
    )
    op.create_table('stock_movements',
    sa.Column('id', SERIAL, autoincrement=True, nullable=False),
    sa.Column('product_id', sa.String(), nullable=False),
    sa.Column('delta_on_hand', sa.Integer(), nullable=False),
    sa.Column('delta_reserved', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('reference', sa.String(), nullable=True),
    sa.Column('at', TIMESTAMP, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movements'))
    )
    op.create_index('ix_stock_movements_product_id', 'stock_movements', ['product_id', 'id'])
    op.create_table('users',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('email', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('created_at', TIMESTAMP, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('order_lines',
    sa.Column('order_id', sa.String(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.String(), nullable=False),
    sa.Column('sku', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('price_amount', sa.String(), nullable=False),
    sa.Column('price_currency', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(
        ['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders')
    ),
    sa.PrimaryKeyConstraint('order_id', 'position', name=op.f('pk_order_lines'))
    )


def downgrade() -> None:
    op.drop_table('order_lines')
    op.drop_table('users')
    op.drop_table('stock_movements')
    op.drop_table('stock')
    op.drop_table('reservations')
    op.drop_table('refresh_tokens')
    op.drop_table('products')
    op.drop_table('payments')
    op.drop_table('outbox')
    op.drop_table('orders')
    op.drop_table('notifications')
    op.drop_table('inbox')
    op.drop_table('idempotency_keys')
