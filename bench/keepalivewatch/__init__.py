"""Diagnosis helper (see sitecustomize.py); a package only so that mypy tells it from bench/loopwatch."""
