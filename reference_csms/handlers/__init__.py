"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, data_transfer, maintenance, provisioning, security,  # noqa: F401
               smart_charging, transactions)
