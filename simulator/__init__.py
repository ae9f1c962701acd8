"""The harness: simulated charging stations that play OCPP 2.0.1 Part 6 against a CSMS, and everything
a case needs around them. Each subpackage holds one kind of thing and imports only the layers listed
before it here (``selftest/test_layers.py`` keeps it so):

- ``cli``         how the project's commands end (exit code; quietly when ``| head`` stops reading)
- ``formats``     the value formats of OCPP's test data (idTokens per type, eMAID check digit, URLs);
                  imports nothing of the harness
- ``settings``    every setting the user gives (environment, ``.env``), each checked against its format
- ``verdicts``    what a verdict is and what it rests on: checks, the trace of frames, the catalogue
- ``wire``        OCPP-J frames and schemas, WebSocket connections per security profile
- ``pki``         X.509 material a station makes, holds and checks (``fixtures`` makes the files next)
- ``provisioning`` what the CSMS must hold for a selection of cases: the manifest's format (which the
                  reference CSMS reads) and how the settings and the catalogue's "CSMS setup" make it
- ``services``    what a case hosts for the CSMS to reach (OCSP responder, certificate status)
- ``operators``   how the CSMS under test is asked to act, and the actions a step asks for
- ``station``     the simulated charging station, its default replies and the catalogue's reusable states
- ``probes``      connection-level checks around a station (admission, TLS offers, preflight)
- ``reporting``   the pytest plugin that writes the summary, HTML, Allure and JUnit views, and ``diff``
- ``bench``       a benchmark of many stations against the reference CSMS
- ``load``        the load mode on Locust (the optional ``load`` extra): many stations living a profile
                  against one CSMS, exact metrics, and the suite run while they do. With ``bench`` the only
                  layer that imports ``reference_csms`` (its station id patterns, its embedded CSMS)
"""
