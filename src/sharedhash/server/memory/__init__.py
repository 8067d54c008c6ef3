"""What a running hub keeps in memory and every domain shares: the indexes of every hash (indexes.py,
hash_owners.py), the lookup caches (caches.py, entry_cache.py) and the batching buffers (batching.py, with the
lookups' audit tallies in tallies.py). Lookups read them; entries, bulk, subscriptions and auth keep them current.
Nothing here imports a domain package or the shared state, so :mod:`sharedhash.server.state` can hold them."""
