"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (authorization, availability, data_transfer, diagnostics, display, local_list,  # noqa: F401
               maintenance, meter_values, provisioning, security, smart_charging, tariff, transactions)
