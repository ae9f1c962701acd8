"""A small but real OCPP 2.0.1 CSMS: the suite's default target and the subject of its selftests.

Its modules, lowest first, each with what it may import of the package: only modules above it in
this list, so no import circle forms (``selftest/test_layers.py`` checks). From outside the
package: ``simulator.settings``, ``.verdicts``, ``.wire``, ``.pki``, ``.services`` and ``fixtures``.

- ``config``: what it is started with (nothing of the package)
- ``registry``: where handlers, operator actions and faults are registered, and what a handler
  may answer (nothing)
- ``store``: its SQLite state (config)
- ``suite_config``: the config a suite run needs (config)
- ``optional_fields``: the optional answer fields of option busy (nothing)
- ``central``: ``CentralSystem``, the state, faults and options the behaviour sees, and
  ``CsmsSession``, one connected station (config, registry, store, optional_fields)
- ``busy``: the requests of option busy (central)
- ``tls``: the wss endpoint's TLS and the CSMS's certificate authority (config, registry, central)
- ``handlers``: the behaviour, one module per functional area (registry, central, tls, config);
  ``handlers.common`` and ``handlers.evse_state`` below the areas, and an area imports another
  only if that one does not import it back
- ``app``: ``CsmsServer``, the CSMS on the network (all of the above but suite_config)
- ``embedded``, ``__main__``: the ways to run it (app, config, registry, handlers, suite_config);
  nothing else imports ``app``
"""
