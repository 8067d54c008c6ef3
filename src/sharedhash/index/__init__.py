"""Indexes: in-memory lookup structures per hash type (exact and PDQ Hamming range search). Pure library."""
