"""Services a case hosts for the CSMS to reach: the OCSP responder (``ocsp``) and the certificate
status checks of block C/M (``certificate_status``). May import ``verdicts``, ``wire``, ``pki`` and
``fixtures``; never the station."""
