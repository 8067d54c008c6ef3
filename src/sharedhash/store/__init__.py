"""The store: SQLAlchemy models, repositories and migrations; all SQL of sharedhash lives here."""
