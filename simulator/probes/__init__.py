"""Connection-level checks around a station rather than through it: who the CSMS admits and
refuses (``admission``, ``tls_probes``) and the check before the first case that the CSMS accepts a
station at all (``preflight``). May import everything below ``reporting``."""
