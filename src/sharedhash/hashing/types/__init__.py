"""Built-in hash types: one file each, registered through the ``sharedhash.hash_types`` entry point."""
