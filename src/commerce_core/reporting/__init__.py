"""Reporting: read models built from the integration events (sales, stock, low stock, funnel)."""
