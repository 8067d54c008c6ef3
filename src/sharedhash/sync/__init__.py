"""Sync: mirror a remote hub's lists into local read-only mirrored lists through its change feed."""
