"""Local Authorization List (D01, D02): the CSMS keeps per station the list it installed and its
version (table ``local_lists``) and sends Full lists or Differential updates built from it.

Every entry it adds carries the idTokenInfo the CSMS stores for the token; removals carry only the
idToken (D01.FR.17); idTokens are unique (D01.FR.06); versionNumber is always above the version the
station holds (D01.FR.18). On a new connection the CSMS does not trust its record blindly: before
the first update it asks the station's version (GetLocalListVersion), and when the station holds
another version than the one recorded, the content is taken as unknown.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..registry import ActionError, fault, operator_action
from .authorization import token_info
from .common import send_request

if TYPE_CHECKING:
    from ..central import CentralSystem, CsmsSession

VERSION_WRONG = fault("local_list_version_wrong", "sends Full lists with versionNumber 0 and differential updates "
                                                  "with the installed version instead of a higher one")
DIFFERENTIAL_AS_FULL = fault("differential_sent_as_full", "sends the entries of a differential update with "
                                                          "updateType Full")
NO_VERSION_REQUEST = fault("never_get_local_list_version", "accepts GetLocalListVersion actions but sends no "
                                                           "GetLocalListVersionRequest")
DUPLICATE_ENTRIES = fault("local_list_duplicate_entries", "lists every idToken of a Full list twice")

CHECKED = "local_list_checked"  # session attribute: the station's version was read on this connection


def _tokens(params: dict[str, Any], key: str) -> list[dict[str, Any]]:
    tokens = params.get(key) or []
    if not isinstance(tokens, list) or not all(isinstance(t, dict) and {"idToken", "type"} <= set(t) for t in tokens):
        raise ActionError(f"SendLocalList needs params.{key} as a list of {{idToken, type}}")
    unique: list[dict[str, Any]] = []
    for t in tokens:
        token = {"idToken": t["idToken"], "type": t["type"]}
        if token not in unique:
            unique.append(token)
    return unique


@operator_action("SendLocalList")
async def send_local_list(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Full: install exactly params.idTokens; Differential: add params.idTokens, remove params.remove.
    Tokens to add must be stored (their idTokenInfo comes from the store)."""
    update_type = params.get("updateType")
    if update_type not in ("Full", "Differential"):
        raise ActionError("SendLocalList needs params.updateType Full or Differential")
    add, remove = _tokens(params, "idTokens"), _tokens(params, "remove")
    if update_type == "Full" and remove:
        raise ActionError("a Full list has no removals")
    unknown = [t["idToken"] for t in add if csms.store.token(t["idToken"], t["type"]) is None]
    if unknown:
        raise ActionError(f"id token(s) {', '.join(unknown)} not known to the CSMS", 404)
    session = csms.session(station_id)
    session.later(_update(session, update_type, add, remove))
    return {"status": "sent", "request": "SendLocalList"}


async def _held(session: "CsmsSession") -> tuple[int, list[dict[str, Any]] | None]:
    """The station's (version, idTokens) as the CSMS knows it, read from the station once per connection."""
    store = session.store
    record = store.local_list(session.id)
    if record is None or not getattr(session, CHECKED, False):
        answer = await session.request("GetLocalListVersion", {})
        setattr(session, CHECKED, True)
        version = answer["versionNumber"]
        if record is None or record[0] != version:
            record = (version, [] if version == 0 else None)
            store.set_local_list(session.id, *record)
    return record


async def _update(session: "CsmsSession", update_type: str, add: list[dict[str, Any]],
                  remove: list[dict[str, Any]]) -> None:
    """One SendLocalListRequest. Its versionNumber and content follow from the list the CSMS
    records for the station at the moment the request goes out, after the answer to any update
    before it was taken in (two updates asked back to back never share a version)."""
    csms, store = session.csms, session.store
    await _held(session)
    sent: dict[str, Any] = {}

    def build() -> dict[str, Any]:
        version, content = store.local_list(session.id) or (0, None)
        entries = [{"idToken": t, "idTokenInfo": token_info(session, t)} for t in add] + \
                  [{"idToken": t} for t in remove]
        new_version = version + 1
        sent_type = update_type
        if csms.fault(VERSION_WRONG):
            new_version = 0 if update_type == "Full" else version
        if update_type == "Differential" and csms.fault(DIFFERENTIAL_AS_FULL):
            sent_type = "Full"
        if update_type == "Full" and csms.fault(DUPLICATE_ENTRIES):
            entries = entries + entries
        payload: dict[str, Any] = {"versionNumber": new_version, "updateType": sent_type}
        if entries:
            payload["localAuthorizationList"] = entries
        sent.update(version=new_version, content=content)
        return payload

    def record(answer: dict[str, Any]) -> None:
        if answer.get("status") != "Accepted":
            store.forget_local_list(session.id)  # Failed / VersionMismatch: read the version again next time
            return
        content = sent["content"]
        if update_type == "Full":
            installed: list[dict[str, Any]] | None = add
        elif content is None:
            installed = None
        else:
            installed = [t for t in content if t not in remove and t not in add] + add
        store.set_local_list(session.id, sent["version"], installed)
    await session.request("SendLocalList", build, record)


@operator_action("GetLocalListVersion")
async def get_local_list_version(csms: "CentralSystem", station_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """D02: ask the station's list version and take it over (0: no list installed)."""
    if csms.fault(NO_VERSION_REQUEST):
        csms.session(station_id)
        return {"status": "sent", "request": "GetLocalListVersion"}
    session = csms.session(station_id)

    def take_over(answer: dict[str, Any]) -> None:
        record = csms.store.local_list(station_id)
        setattr(session, CHECKED, True)
        version = answer["versionNumber"]
        if record is None or record[0] != version:
            csms.store.set_local_list(station_id, version, [] if version == 0 else None)
    return send_request(csms, station_id, "GetLocalListVersion", {}, take_over)
