"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, data_transfer, maintenance, meter_values, provisioning, security,  # noqa: F401
               smart_charging, tariff, transactions)
