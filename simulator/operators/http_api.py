"""The http operator: each action is POSTed as JSON to the CSMS's action endpoint
(``CSMS_OPERATOR=http``, ``CSMS_OPERATOR_URL``; the format is in the README). A 2xx answer is done
(its JSON body is the answer recorded in the trace), any other status is a refusal naming status
and body."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any

from simulator.operators.interface import Action, ActionRefused, Answer, CsmsOperator
from simulator.verdicts.checks import fail
from simulator.verdicts.trace import redact


class HttpOperator(CsmsOperator):
    def __init__(self, settings: Any, url: str | None = None) -> None:
        super().__init__(settings)
        self.url = url or settings.CSMS_OPERATOR_URL

    async def perform(self, action: Action, step: int | str | None = None, until: Any = None) -> Answer:
        if not self.url:
            fail(step, "CSMS_OPERATOR=http needs CSMS_OPERATOR_URL (the CSMS's action endpoint)")
        return await asyncio.to_thread(self._post, action, step)

    def _post(self, action: Action, step: int | str | None) -> Answer:
        body = json.dumps(action.to_json()).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.settings.CSMS_ACTION_TIMEOUT) as response:
                text = response.read().decode() or "{}"
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")[:200]
            raise ActionRefused(f"HTTP {e.code} {redact(detail)}", action.name) from None
        except (urllib.error.URLError, OSError) as e:
            fail(step, f"operator action {action.name}: cannot reach {self.url}: {getattr(e, 'reason', e)}")
        try:
            return json.loads(text)
        except ValueError:
            return {}
