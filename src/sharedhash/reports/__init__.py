"""CyberTipline reports, the pure part: the report model and its XML (:mod:`.model`, :mod:`.xml`), the schema
and validation (:mod:`.schema`, ``cybertipline.xsd``), the submission client of NCMEC's Reporting API
(:mod:`.client`), its errors (:mod:`.errors`) and a local stand-in server built from the public documentation
(:mod:`.standin`). No database and no hub here: the hub's ``server/reports`` and ``store/reports`` use this."""
