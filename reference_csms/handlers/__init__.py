"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import (authorization, availability, data_transfer, local_list, maintenance,  # noqa: F401
               provisioning, security, smart_charging, transactions)
