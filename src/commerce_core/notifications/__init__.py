"""Notifications: what the customer is told, recorded with its delivery status."""
