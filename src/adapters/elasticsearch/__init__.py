"""Elasticsearch adapters (the official async client)."""
