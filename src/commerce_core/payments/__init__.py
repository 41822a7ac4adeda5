"""Payments: one payment per order, charged through a gateway with the order id as its key."""
