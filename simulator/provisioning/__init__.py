"""What a CSMS must hold before the selected cases run (stations, tokens, tariffs, firmware,
certificates, URLs), as one manifest: ``manifest`` is its format (imports nothing of the harness),
``build`` derives it from the settings and the catalogue's "CSMS setup" lines, and
``python -m simulator.provisioning`` prints it as JSON or Markdown."""
