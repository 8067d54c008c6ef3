"""People of an org who sign in to the review pages: service.py (passwords, sessions, invitations), deps.py (the
signed-in person of a request), errors.py."""
