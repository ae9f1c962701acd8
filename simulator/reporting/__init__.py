"""The reports: the pytest plugin that collects verdicts and writes the summary, JUnit properties,
HTML and Allure views (``reports``), the HTML page and its sequence diagrams (``html``,
``sequence_svg``), the verdict diff for release gating (``diff``, ``python -m simulator.reporting
diff``) and the redaction of secrets (``redaction``). Imports ``settings`` and ``verdicts`` only:
a report is built from the trace, never from a live station."""
