"""The transparency dashboard: service.py (an org's figures per day and per list, as rows, JSON and CSV)."""
