"""What every selftest process shares."""
from __future__ import annotations

import os

from selftest.support import free_port

# Locust's --processes runs a master on one TCP port (5557 unless told) that its worker processes join.
# Two selftests running it at once on parallel xdist workers joined one master: one failed to bind, the
# other's run got the stranger's workers (CI loop, run 1 of 80d9166). Each selftest process gets a port
# of its own, which every Locust it starts inherits.
os.environ["LOCUST_MASTER_BIND_PORT"] = os.environ["LOCUST_MASTER_NODE_PORT"] = str(free_port())
