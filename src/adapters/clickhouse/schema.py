"""The warehouse's tables (ClickHouse 18.16 syntax: no LowCardinality, no TTL, no codecs).

ClickHouse has no transactions, so every row a batch writes carries the batch's number (a UInt64
that grows from batch to batch: nanoseconds since the epoch, strictly increasing per writer). A
batch is noted in ``reporting_batches_begun`` before its rows and becomes visible in one step: its
row in ``reporting_batches``, inserted last (one insert of one block is atomic). A read counts the
rows of batches up to the last committed one, less the void ones:

    batch <= (SELECT max(batch) FROM reporting_batches)
    AND batch NOT IN (SELECT batch FROM reporting_batches_void)

A batch in progress is above that watermark, so unseen. A writer that died halfway left a batch
begun and never committed; before it begins a batch, the (single) writer marks every such batch
above the watermark void, so the watermark never passes a half-written batch. Readers thus build
a set of the few void batches, never one of every committed batch, and the redelivered batch is
folded again from the committed state.

* facts (``reporting_products``, ``reporting_orders``): each batch appends the new version of what
  it changed; a read takes the one of the latest committed batch, ``argMax(..., batch)``.
  Plain MergeTree on purpose: a ReplacingMergeTree would let a merge drop a committed version in
  favour of a newer row from a batch that never committed.
* figures (``reporting_sales_by_*``, ``reporting_funnel``): signed deltas, summed at read time,
  partitioned by month and ordered for the reports' range scans by day. Revenue is kept in
  thousandths of the currency unit (no currency has more than 3 decimals): exact integer sums.
* ``reporting_sales_by_product_month``: the same deltas as ``reporting_sales_by_product`` summed
  per month (``month`` is its first day) and per batch, written by the batch that writes the daily
  rows, under the same visibility rule. A long period's report by product reads its whole months
  here (a year of 10,000 products is 120,000 rows rather than 3,650,000) and only the loose days
  at its ends from the daily table, as the SQL read models do. A warehouse made before this table
  fills it from the daily rows of its committed batches when the schema is next ensured
  (``MONTHLY_BACKFILL``), built aside and renamed in, so a reader never sees it half-filled
  (a loader of the older code must be stopped first: its batches would miss monthly rows).
* ``reporting_messages``: the message ids each batch folded, ordered by id for the lookups that
  filter a redelivered batch.
* ``reporting_batches.journal_position``: how far into the event journal a loaded batch reached,
  committed with the batch itself, so the loader's checkpoint never runs ahead of the figures.
"""

from __future__ import annotations

MONTHLY = "reporting_sales_by_product_month"

TABLES: dict[str, str] = {
    "reporting_batches": """
        CREATE TABLE IF NOT EXISTS reporting_batches (
            batch UInt64,
            events UInt32,
            journal_position UInt64,
            committed_at DateTime
        ) ENGINE = ReplacingMergeTree() ORDER BY batch
    """,
    "reporting_batches_begun": """
        CREATE TABLE IF NOT EXISTS reporting_batches_begun (
            batch UInt64,
            begun_at DateTime
        ) ENGINE = MergeTree() ORDER BY batch
    """,
    "reporting_batches_void": """
        CREATE TABLE IF NOT EXISTS reporting_batches_void (
            batch UInt64
        ) ENGINE = ReplacingMergeTree() ORDER BY batch
    """,
    "reporting_messages": """
        CREATE TABLE IF NOT EXISTS reporting_messages (
            message_id String,
            batch UInt64
        ) ENGINE = MergeTree() ORDER BY message_id
    """,
    "reporting_products": """
        CREATE TABLE IF NOT EXISTS reporting_products (
            product_id String,
            batch UInt64,
            known UInt8,
            sku String,
            name String,
            category String,
            active UInt8,
            low_stock_threshold Int64,
            on_hand Int64,
            reserved Int64,
            stock_version Int64,
            received Int64,
            returned Int64,
            adjusted Int64
        ) ENGINE = MergeTree() ORDER BY (product_id, batch)
    """,
    "reporting_orders": """
        CREATE TABLE IF NOT EXISTS reporting_orders (
            order_id String,
            batch UInt64,
            facts String
        ) ENGINE = MergeTree() ORDER BY (order_id, batch)
    """,
    "reporting_sales_by_day": """
        CREATE TABLE IF NOT EXISTS reporting_sales_by_day (
            day Date,
            currency String,
            orders Int64,
            units Int64,
            revenue_milli Int64,
            batch UInt64
        ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, currency)
    """,
    "reporting_sales_by_product": """
        CREATE TABLE IF NOT EXISTS reporting_sales_by_product (
            day Date,
            product_id String,
            category String,
            currency String,
            orders Int64,
            units Int64,
            revenue_milli Int64,
            batch UInt64
        ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, product_id, currency)
    """,
    MONTHLY: """
        CREATE TABLE IF NOT EXISTS {table} (
            month Date,
            product_id String,
            category String,
            currency String,
            orders Int64,
            units Int64,
            revenue_milli Int64,
            batch UInt64
        ) ENGINE = MergeTree() PARTITION BY toYear(month) ORDER BY (month, product_id, currency)
    """,
    "reporting_sales_by_category": """
        CREATE TABLE IF NOT EXISTS reporting_sales_by_category (
            day Date,
            category String,
            currency String,
            orders Int64,
            units Int64,
            revenue_milli Int64,
            batch UInt64
        ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, category, currency)
    """,
    "reporting_funnel": """
        CREATE TABLE IF NOT EXISTS reporting_funnel (
            day Date,
            step String,
            count Int64,
            batch UInt64
        ) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, step)
    """,
}

WATERMARK = "(SELECT max(batch) FROM reporting_batches)"
COMMITTED = f"batch <= {WATERMARK} AND batch NOT IN (SELECT batch FROM reporting_batches_void)"

# The monthly sums of the daily rows of every batch up to the watermark (void batches included:
# they stay void there too). Batches above it are in progress or dead: a live writer writes its
# own monthly rows, and a dead one's batch is made void before anything commits after it.
MONTHLY_BACKFILL = (
    "INSERT INTO {table} SELECT toStartOfMonth(day) AS month, product_id, category, currency, "
    "sum(orders), sum(units), sum(revenue_milli), batch FROM reporting_sales_by_product "
    f"WHERE batch <= {WATERMARK} GROUP BY month, product_id, category, currency, batch"
)
