"""Ordering: orders, their state machine and the checkout saga's coordination."""
