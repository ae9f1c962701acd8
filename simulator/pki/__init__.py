"""X.509 material of a station: keys and CSRs, chain checks (``certificates``) and the installed
certificates with their OCPP hash data (``cert_store``). Below the station and the services; the
reference CSMS and ``fixtures/make_certs.py`` share it."""
