"""Fixtures of the warehouse tests: a fresh ClickHouse database per test."""

from clickhouse_support import clickhouse, clickhouse_store, clickhouse_url

__all__ = ["clickhouse", "clickhouse_store", "clickhouse_url"]
