"""How the project's commands end: with their own exit code, and quietly when the reader of their
output stops early (``| head``), as shell tools do, instead of with a BrokenPipeError traceback."""
from __future__ import annotations

import os
import select
import sys
from typing import Callable, NoReturn


def run(main: Callable[[], int | None]) -> NoReturn:
    """Exit with ``main()``'s code. Only a pipe on standard output whose reader is gone ends it with
    1 and nothing more; a broken pipe anywhere else (a socket the command writes to) is an error and
    keeps its traceback."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise
        # Python's own advice: point stdout at nothing, or its flush at exit fails once more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    sys.exit(code)


def _stdout_reader_gone() -> bool:
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poll.poll(0))
    except (OSError, ValueError):  # no file behind stdout
        return False
