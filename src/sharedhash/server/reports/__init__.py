"""CyberTipline reports: endpoints (routes.py), service (service.py), schemas (schemas.py); the XML, the schema,
the submission client and the stand-in server are in :mod:`sharedhash.reports`."""
