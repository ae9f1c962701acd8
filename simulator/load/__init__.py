"""The load mode: many of the harness's own stations against one CSMS, run by Locust (the optional
``load`` extra: ``./run --extra load …``), so a CSMS team learns how many stations its CSMS holds and
whether it stays conformant while it does. Every station is a :class:`~simulator.station.station.Station`
(same transport, security profiles, schema validation of every frame both ways) living the life a
profile file describes. The top layer: it may import every other, nothing imports it.

- ``profile``     the profile file (YAML or JSON): station ids, security profile, what a station does
- ``metrics``     exact latencies per action (histograms merged across workers), errors by kind, timeline
- ``life``        one station's life on asyncio: boot, status, heartbeats, transactions, reconnects
- ``fleet``       one process's stations on one asyncio event loop in a real thread, beside gevent
- ``locustfile``  the Locust wiring (``locust -f simulator/load/locustfile.py``); imports Locust
- ``report``      CSV, ``load_summary.json`` and ``load.html`` (inline SVG plots)
- ``compare``     verdicts under load next to verdicts idle (two conformance ``summary.json``)
- ``under_load``  ``python -m simulator.load under-load``: the suite idle, then while the load runs

Only ``locustfile`` and ``fleet`` need Locust and gevent; everything else runs without the extra.
"""
