"""ClickHouse adapters (clickhouse-driver over the native protocol): the analytics warehouse."""
