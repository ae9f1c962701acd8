"""The simulated charging station: its connection and message loop (``station``), what it holds
(``model``, ``device_model``), what it does when the CSMS asks (``replies`` and the behaviour
modules ``smart_charging``, ``metering``, ``diagnostics``, ``display``, ``firmware``) and the
catalogue's reusable states (``states``). Inside the package the core (``station``, ``model``,
``device_model``, ``counters``: the ids it gives out, kept across runs) imports no behaviour: the replies register themselves with the core. May import
``verdicts``, ``wire``, ``pki``, ``services`` and ``operators``."""

from simulator.station import replies as _replies  # noqa: E402,F401  (registers the default answers with the core)
