"""What a CSMS must hold before the selected cases run (stations, tokens, tariffs, firmware,
certificates, URLs), as one manifest: ``manifest`` is its format (it imports nothing of the harness:
the reference CSMS reads it with ``--manifest``), ``build`` derives it from the settings and the
catalogue's "CSMS setup" lines, and ``python -m simulator.provisioning`` prints it as JSON or
Markdown. May import ``settings``, ``verdicts`` and ``fixtures``; never the station."""
