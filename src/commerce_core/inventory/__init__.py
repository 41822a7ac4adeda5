"""Inventory: stock per product, the movement log, and reservations held for orders."""
