"""A small but real OCPP 2.0.1 CSMS: the suite's default target and the subject of its selftests."""
