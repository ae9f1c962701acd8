"""OCPP-J on the wire: frames and the official JSON schemas (``protocol``) and the WebSocket
connection of each security profile, good and deliberately bad (``transport``), and the bookkeeping of
every connection a station opens: when it may start, when it closed (``connections``). Imports nothing of
the harness above ``verdicts``; the reference CSMS shares ``protocol``."""
