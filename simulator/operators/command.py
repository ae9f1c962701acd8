"""The command operator: each action runs ``CSMS_OPERATOR_COMMAND`` with the action's JSON on stdin
(``CSMS_OPERATOR=command``). Exit code 0 is done (JSON on stdout is the answer recorded in the
trace); any other exit code is a refusal whose reason is the first line of its output."""
from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
from typing import Any

from simulator.operators.interface import Action, ActionRefused, Answer, CsmsOperator
from simulator.verdicts.checks import fail
from simulator.verdicts.trace import redact


class CommandOperator(CsmsOperator):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.command = settings.CSMS_OPERATOR_COMMAND

    async def perform(self, action: Action, step: int | str | None = None, until: Any = None) -> Answer:
        if not self.command:
            fail(step, "CSMS_OPERATOR=command needs CSMS_OPERATOR_COMMAND")
        return await asyncio.to_thread(self._run, action, step)

    def _run(self, action: Action, step: int | str | None) -> Answer:
        try:
            done = subprocess.run(shlex.split(self.command), input=json.dumps(action.to_json()),
                                  capture_output=True, text=True, timeout=self.settings.CSMS_ACTION_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            fail(step, f"operator action {action.name}: command failed: {e}")
        if done.returncode != 0:
            first = (done.stderr or done.stdout).strip().splitlines()[:1]
            raise ActionRefused(f"exit {done.returncode}: {redact(first[0]) if first else 'no output'}",
                                action.name, by="the command")
        try:
            return json.loads(done.stdout or "{}")
        except ValueError:
            return {}
