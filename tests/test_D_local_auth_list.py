"""Block D — Local Authorization List (catalogue: D.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted. The simulator keeps a local list
and its version (at the start of a case <LOCAL_LIST_VERSION> with unknown content; TC_D_09: 0,
empty): it answers every GetLocalListVersionRequest with its current version (so a CSMS may check
the version before any step) and applies every SendLocalListRequest it accepts.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable

import pytest

from simulator.operators import actions
from simulator.verdicts.checks import ABSENT, PRESENT, HarnessError, OneOf, Rule, check, check_fields, check_that
from simulator.settings import Settings
from simulator.station.states import booted
from simulator.station.station import Station

NON_EMPTY = Rule("a non-empty list", lambda entries: isinstance(entries, list) and len(entries) > 0)


# ---------------------------------------------------------------- helpers that read like the catalogue
def above(version: int) -> Rule:
    return Rule(f"> {version}", lambda v: isinstance(v, int) and v > version)


def entry_names(entries: list[dict]) -> list[str]:
    return [f"{e.get('idToken', {}).get('idToken')}/{e.get('idToken', {}).get('type')}" for e in entries]


def check_unique(step: int | str, request: dict, field: str = "localAuthorizationList idTokens") -> None:
    """D01.FR.06: every idToken (idToken + type) at most once."""
    twice = [name for name, n in Counter(entry_names(request.get("localAuthorizationList") or [])).items() if n > 1]
    check_that(step, not twice, f"{field} expected unique, got {', '.join(twice)} more than once")


def check_each_entry(step: int | str, request: dict, path: str, expected: object, prefix: str = "") -> None:
    for i, entry in enumerate(request.get("localAuthorizationList") or []):
        check_fields(step, entry, {path: expected}, prefix=f"{prefix}localAuthorizationList[{i}].")


def check_lists(step: int | str, request: dict, id_token: dict, prefix: str = "") -> None:
    """An entry for ``id_token`` (idToken and type) is in the list."""
    wanted = f"{id_token['idToken']}/{id_token['type']}"
    names = entry_names(request.get("localAuthorizationList") or [])
    check_that(step, wanted in names, f"{prefix}localAuthorizationList expected an entry for {wanted}, got {names}")


def check_holds(station: Station, version: int, id_tokens: list[dict]) -> None:
    """Post: the station's list holds exactly these idTokens at ``version`` (a later SendLocalList of
    the CSMS would show here)."""
    held = sorted(f"{i}/{t}" for i, t in station.local_list.entries)
    want = sorted(f"{t['idToken']}/{t['type']}" for t in id_tokens)
    check_that("Post", held == want and station.local_list.version == version,
               f"local list expected version {version} with {want}, got version {station.local_list.version} "
               f"with {held}")


def second_token(station: Station) -> dict:
    return station.id_token(station.settings.VALID_ID_TOKEN_2, station.settings.VALID_ID_TOKEN_TYPE_2)


async def preparation(station: Station, id_tokens: list[dict]) -> int:
    """Preparation P: the CSMS installs a Full list holding ``id_tokens``; the simulator answers
    Accepted and takes its versionNumber as V0 (returned)."""
    request = await station.expect("SendLocalList", "preparation P",
                                   trigger=actions.send_local_list(station.id, id_tokens))
    check("preparation P", "updateType", request["updateType"], "Full")
    return station.local_list.version


@pytest.fixture
def installed_version(settings: Settings) -> int:
    """TC_D_08's memory state: a list installed at LOCAL_LIST_VERSION, which must be >= 1."""
    if settings.LOCAL_LIST_VERSION < 1:
        raise HarnessError("TC_D_08 needs LOCAL_LIST_VERSION >= 1 (a list installed); it is 0")
    return settings.LOCAL_LIST_VERSION


# ---------------------------------------------------------------- D01 send local list
async def test_TC_D_01_send_full(cp: Station) -> None:
    """Send Local Authorization List - Full"""
    await booted(cp)
    request = await cp.expect("SendLocalList", 2, trigger=actions.send_local_list(cp.id, [cp.id_token()]))
    check_fields(2, request, {"updateType": "Full", "versionNumber": above(0), "localAuthorizationList": NON_EMPTY})
    check_each_entry(2, request, "idTokenInfo.status", PRESENT)
    check_unique(2, request)
    check_holds(cp, request["versionNumber"], [e["idToken"] for e in request["localAuthorizationList"]])


async def test_TC_D_02_send_differential_update(cp: Station, needs: Callable[..., None]) -> None:
    """Send Local Authorization List - Differential Update"""
    needs("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2")
    await booted(cp)
    await preparation(cp, [cp.id_token()])
    request = await cp.expect("SendLocalList", 2, trigger=actions.update_local_list(cp.id, add=[second_token(cp)]))
    check_fields(2, request, {"updateType": "Differential", "versionNumber": above(cp.local_list.version_before),
                              "localAuthorizationList": NON_EMPTY})
    check_each_entry(2, request, "idTokenInfo", PRESENT, prefix="(harness) ")
    check_lists(2, request, second_token(cp), prefix="(harness) ")
    check_unique(2, request, "(harness) localAuthorizationList idTokens")
    check_holds(cp, request["versionNumber"], [cp.id_token(), second_token(cp)])


async def test_TC_D_03_send_differential_remove(cp: Station, needs: Callable[..., None]) -> None:
    """Send Local Authorization List - Differential Remove"""
    needs("VALID_ID_TOKEN_2", "VALID_ID_TOKEN_TYPE_2")
    await booted(cp)
    await preparation(cp, [cp.id_token(), second_token(cp)])
    request = await cp.expect("SendLocalList", 2,
                              trigger=actions.update_local_list(cp.id, remove=[second_token(cp)]))
    check_fields(2, request, {"updateType": "Differential", "versionNumber": above(cp.local_list.version_before),
                              "localAuthorizationList": NON_EMPTY})
    check_each_entry(2, request, "idToken", PRESENT)
    check_each_entry(2, request, "idTokenInfo", ABSENT)
    check_lists(2, request, second_token(cp), prefix="(harness) ")
    check_unique(2, request, "(harness) localAuthorizationList idTokens")
    check_holds(cp, request["versionNumber"], [cp.id_token()])


async def test_TC_D_04_send_full_empty(cp: Station) -> None:
    """Send Local Authorization List - Full with empty list"""
    await booted(cp)
    request = await cp.expect("SendLocalList", 2, trigger=actions.send_local_list(cp.id, []))
    check_fields(2, request, {"updateType": "Full", "localAuthorizationList": OneOf(ABSENT, [])})
    check_fields(2, request, {"versionNumber": above(0)})
    check_holds(cp, request["versionNumber"], [])


# ---------------------------------------------------------------- D02 get local list version
async def test_TC_D_08_get_version_success(cp: Station, installed_version: int) -> None:
    """Get Local List Version - Success"""
    cp.local_list.hold({}, installed_version)
    await booted(cp)
    await cp.expect("GetLocalListVersion", 1, trigger=actions.get_local_list_version(cp.id))
    await cp.still_connected()


async def test_TC_D_09_get_version_no_list(cp: Station) -> None:
    """Get Local List Version - No list available"""
    cp.local_list.hold({}, 0)
    await booted(cp)
    await cp.expect("GetLocalListVersion", 1, trigger=actions.get_local_list_version(cp.id))
    await cp.still_connected("Post (harness)")
    await cp.send("Heartbeat", {}, "Post (harness)")
