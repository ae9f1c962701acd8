"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (availability, certificates, data_transfer, firmware, maintenance, provisioning,  # noqa: F401
               security, smart_charging, transactions)
