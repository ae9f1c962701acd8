"""The operator: how the suite asks the CSMS under test to act ("Manual Action" steps).

``manual`` prints a precise instruction and, for actions the harness cannot observe, waits for
Enter; ``http`` POSTs the action as JSON to CSMS_OPERATOR_URL; ``command`` runs
CSMS_OPERATOR_COMMAND with the action as JSON on stdin. The action format is in the README.
"""
from __future__ import annotations

import asyncio
import json
import shlex
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from simulator.verdicts.checks import fail
from simulator.verdicts.trace import Trace, redact


@dataclass
class Action:
    """One request to the CSMS: ``name`` and ``params`` as documented, ``text`` for a person."""
    name: str
    station: str
    params: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    confirm: bool = False  # nothing on the wire shows it was done: a person confirms
    #: the CSMS→CS request this action makes the CSMS send ("" when nothing on the wire shows it)
    request: str = ""
    #: what identifies that request among others of its kind a busy CSMS sends on its own:
    #: declarative path -> expected value (values may be OneOf / Rule), as ``checks.check_fields``
    identity: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"action": self.name, "stationId": self.station, "params": self.params}


class Operator:
    def __init__(self, settings: Any, trace: Trace | None = None, url: str | None = None) -> None:
        self.settings = settings
        self.mode = settings.CSMS_OPERATOR
        self.url = url or settings.CSMS_OPERATOR_URL
        self.command = settings.CSMS_OPERATOR_COMMAND
        self.trace = trace
        self.done: list[Action] = []

    async def request(self, action: Action, step: int | str | None = None) -> dict[str, Any]:
        """Ask the CSMS to act; a refusal or an unreachable operator fails the step."""
        if self.trace is not None:
            self.trace.note(action.station, f"operator action {json.dumps(action.to_json())}")
        self.done.append(action)
        if self.mode == "manual":
            return await self._manual(action, step)
        answer = await asyncio.to_thread(self._post if self.mode == "http" else self._run, action, step)
        if self.trace is not None:  # what the CSMS's side said, beside what it was asked
            self.trace.note(action.station, f"operator answer {json.dumps(answer)}")
        return answer

    def _post(self, action: Action, step: int | str | None) -> dict[str, Any]:
        if not self.url:
            fail(step, "CSMS_OPERATOR=http needs CSMS_OPERATOR_URL (the CSMS's action endpoint)")
        body = json.dumps(action.to_json()).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.settings.CSMS_ACTION_TIMEOUT) as response:
                text = response.read().decode() or "{}"
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:200]
            fail(step, f"operator action {action.name} refused by the CSMS: HTTP {e.code} {redact(detail)}")
        except (urllib.error.URLError, OSError) as e:
            fail(step, f"operator action {action.name}: cannot reach {self.url}: "
                       f"{getattr(e, 'reason', e)}")
        try:
            return json.loads(text)
        except ValueError:
            return {}

    def _run(self, action: Action, step: int | str | None) -> dict[str, Any]:
        if not self.command:
            fail(step, "CSMS_OPERATOR=command needs CSMS_OPERATOR_COMMAND")
        try:
            done = subprocess.run(shlex.split(self.command), input=json.dumps(action.to_json()),
                                  capture_output=True, text=True, timeout=self.settings.CSMS_ACTION_TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as e:
            fail(step, f"operator action {action.name}: command failed: {e}")
        if done.returncode != 0:
            first = (done.stderr or done.stdout).strip().splitlines()[:1]
            fail(step, f"operator action {action.name} refused by the command (exit {done.returncode}): "
                       f"{redact(first[0]) if first else 'no output'}")
        try:
            return json.loads(done.stdout or "{}")
        except ValueError:
            return {}

    async def _manual(self, action: Action, step: int | str | None) -> dict[str, Any]:
        timeout = self.settings.CSMS_ACTION_TIMEOUT
        lines = [f"\n>>> OPERATOR ACTION for station {action.station}: {action.text or action.name}",
                 f"    (action {json.dumps(action.to_json())})"]
        if action.confirm:
            lines.append(f"    Press Enter when done (waiting up to {timeout:g} s).")
        else:
            lines.append(f"    The harness waits up to {timeout:g} s for the CSMS's message.")
        sys.__stderr__.write(redact("\n".join(lines)) + "\n")
        sys.__stderr__.flush()
        if not action.confirm:
            return {}
        try:
            tty = open("/dev/tty")
        except OSError:
            fail(step, f"manual operator action {action.name} needs a terminal to confirm; "
                       f"use CSMS_OPERATOR=http or command")
        try:
            await asyncio.wait_for(asyncio.to_thread(tty.readline), timeout)
        except asyncio.TimeoutError:
            fail(step, f"manual operator action {action.name} was not confirmed within {timeout:g} s")
        finally:
            tty.close()
        return {}
