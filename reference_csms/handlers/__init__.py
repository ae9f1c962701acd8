"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, data_transfer, diagnostics, display, maintenance, meter_values,  # noqa: F401
               provisioning, security, smart_charging, tariff, transactions)
