"""Connection-level checks around a station rather than through it: who the CSMS admits and
refuses (``admission``, ``tls_probes``) and the check before the first case that the CSMS accepts a
station at all and that it holds what the provisioning manifest says (``preflight``). May import
everything below ``reporting``."""
