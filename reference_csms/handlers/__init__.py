"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (authorization, availability, certificates, data_transfer, diagnostics, display,  # noqa: F401
               firmware, local_list, meter_values, provisioning, remote_control, reservation, security,
               smart_charging, tariff, transactions)
