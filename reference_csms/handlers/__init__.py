"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, data_transfer, maintenance, provisioning, remote_control,  # noqa: F401
               reservation, security, smart_charging, transactions)
