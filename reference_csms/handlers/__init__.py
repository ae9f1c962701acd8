"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, data_transfer, diagnostics, display, maintenance, provisioning,  # noqa: F401
               security, smart_charging, transactions)
