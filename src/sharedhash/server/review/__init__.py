"""The review queue: service.py (claim, view, decide, skip, revert), media.py (the media proxy), routes.py (the
JSON API of the review pages, for signed-in people), schemas.py, errors.py."""
