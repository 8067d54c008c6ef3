"""The hub's HTTP API (FastAPI): auth, orgs, keys, hash lists, entries, feedback, feed, lookup, audit."""
