"""Deterrence: normalise search queries and match them against term lists. Pure library."""
