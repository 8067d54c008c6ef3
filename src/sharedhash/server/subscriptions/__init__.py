"""Scheduled subscriptions to other hubs' lists: service (service.py), run by the loop registry."""
