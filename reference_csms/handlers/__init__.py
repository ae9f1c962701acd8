"""The CSMS's behaviour, one module per functional area; importing registers everything."""
from . import provisioning, transactions, data_transfer, security  # noqa: F401
