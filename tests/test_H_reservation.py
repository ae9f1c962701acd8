"""Block H — Reservation (catalogue: H.md).

Every case runs on BASIC_AUTH_CP (security profile 1) from Booted (all connectors Available). The
CSMS chooses the reservation id; the station keeps every reservation it accepts (id, expiry, EVSE,
connector type, idToken, group) and uses the id in every later message. Unless a case says
otherwise the operator asks for a reservation for <VALID_ID_TOKEN> that expires
<CONFIGURED_RESERVATION_EXPIRY> s after the action.
"""
from __future__ import annotations

import json

from simulator.operators import actions
from simulator.verdicts.checks import ABSENT, PRESENT, check, check_fields, check_that
from simulator.station.replies import cancel_reservation
from simulator.settings import Settings
from simulator.station.states import booted, expiry_after, report_reserved, reservation, reservation_expires
from simulator.station.station import Expectation, Station


# ---------------------------------------------------------------- helpers that read like the catalogue
def reserve(station: Station, evse: int | None = None, connector_type: str | None = None,
            group: str | None = None, expiry: float | None = None) -> actions.Action:
    """The operator action: reserve (EVSE e | any EVSE | a connector type) for <VALID_ID_TOKEN>
    (and its group), expiring ``expiry`` (default CONFIGURED_RESERVATION_EXPIRY) s from now."""
    s = station.settings
    seconds = s.CONFIGURED_RESERVATION_EXPIRY if expiry is None else expiry
    return actions.reserve_now(station.id, station.id_token(), seconds,
                               evse=evse, connector_type=connector_type,
                               group_id_token={"idToken": group, "type": "Central"} if group else None)


def check_reservation(station: Station, request: dict, arrival: Expectation, expected: dict,
                      latest: float | None = None) -> None:
    """Step 1 checks of a reservation: ``expected`` fields, the idToken, and (harness) an
    expiryDateTime later than the request's arrival (and at most ``latest`` s after it)."""
    token = station.id_token()
    check_fields(1, request, {**expected, "idToken.idToken": token["idToken"], "idToken.type": token["type"]})
    check(1, "(harness) expiryDateTime", request["expiryDateTime"], expiry_after(arrival, latest))


async def reservations_held(station: Station, requests: list[dict], evses: list[int], step: str = "Post") -> None:
    """Post "Reserved": after a Heartbeat round trip (what the CSMS sent before its answer has
    arrived) the station still holds every reservation of ``requests`` and the connectors of
    ``evses`` are Reserved; a CancelReservationRequest the CSMS sent is named."""
    await station.still_connected(step)
    cancels = [p for a, p in station.unexpected if a == "CancelReservation"]
    for request in requests:
        rid = request["id"]
        held = rid in station.model.reservations
        sent = [c for c in cancels if c.get("reservationId") == rid]
        check_that(step, held and not sent, f"reservation {rid} expected held, got "
                   + (f"a CancelReservationRequest {json.dumps(sent[0])}" if sent else
                      f"the station holding {sorted(station.model.reservations)}"))
    for e in evses:
        statuses = station.model.evses[e].connectors
        check_that(step, set(statuses.values()) == {"Reserved"}, f"connectors of EVSE {e} expected Reserved, got {statuses}")


async def reservation_ended(station: Station, request: dict, status: str, step: int) -> None:
    """CS→CSMS ReservationStatusUpdateRequest for the reservation (Expired, Removed)."""
    await station.send("ReservationStatusUpdate", {"reservationId": request["id"],
                                                   "reservationUpdateStatus": status}, step)


# ---------------------------------------------------------------- H01 reserve a specific EVSE, and its expiry (H04)
async def test_TC_H_01_reserve_specific_evse(cp: Station, settings: Settings) -> None:
    """Reserve a specific EVSE - Accepted - Valid idToken"""
    await booted(cp)
    e = settings.CONFIGURED_EVSE_ID
    request, arrival = await reservation(cp, reserve(cp, evse=e))
    check_reservation(cp, request, arrival, {"evseId": e, "connectorType": ABSENT})
    await report_reserved(cp, e)
    await reservations_held(cp, [request], [e])  # Post: the connector stays Reserved, Rid held


async def test_TC_H_07_reservation_expires(cp: Station, settings: Settings) -> None:
    """Reserve a specific EVSE - Reservation Ended / not used"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    request, arrival = await reservation(cp, reserve(cp, evse=e, expiry=settings.TRANSACTION_DURATION))
    check_reservation(cp, request, arrival, {"evseId": e, "connectorType": ABSENT},
                      latest=settings.TRANSACTION_DURATION + 10)
    await report_reserved(cp, e)
    await reservation_expires(cp, request)  # nobody came
    await cp.report_status(e, c, "Available", 6)
    await reservation_ended(cp, request, "Expired", 8)


# ---------------------------------------------------------------- H01 reserve an unspecified EVSE or a connector type
async def test_TC_H_08_reserve_unspecified_evse(cp: Station, settings: Settings) -> None:
    """Reserve an unspecified EVSE - Accepted"""
    await booted(cp)
    request, arrival = await reservation(cp, reserve(cp))
    check_reservation(cp, request, arrival, {"evseId": ABSENT, "connectorType": ABSENT})
    if settings.CONFIGURED_NUMBER_OF_EVSES == 1:  # only then does one reservation make a connector Reserved
        await report_reserved(cp, next(iter(cp.model.evses)))


async def test_TC_H_14_reservations_for_every_evse(cp: Station, settings: Settings) -> None:
    """Reserve an unspecified EVSE - Amount of EVSEs available equals the amount of reservations"""
    await booted(cp)
    requests: list[dict] = []
    for _ in range(settings.CONFIGURED_NUMBER_OF_EVSES):
        request, arrival = await reservation(cp, reserve(cp))
        check_reservation(cp, request, arrival, {"evseId": ABSENT, "connectorType": ABSENT})
        requests.append(request)
    ids = [r["id"] for r in requests]
    check_that(1, len(set(ids)) == len(ids), f"(harness) id expected pairwise different, got {ids}")
    for e in cp.model.evses:
        await report_reserved(cp, e)
    await reservations_held(cp, requests, list(cp.model.evses))  # Post: every connector Reserved


async def test_TC_H_15_reserve_connector_type(cp: Station, settings: Settings) -> None:
    """Reserve a connector with a specific type - Success"""
    await booted(cp)
    e, kind = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_TYPE
    request, arrival = await reservation(cp, reserve(cp, connector_type=kind))
    check_reservation(cp, request, arrival, {"evseId": ABSENT, "connectorType": kind})
    await cp.report_status(e, settings.CONFIGURED_CONNECTOR_ID, "Reserved", 4)


# ---------------------------------------------------------------- H02 cancel, H03 group
async def test_TC_H_17_cancel_reservation(cp: Station, settings: Settings) -> None:
    """Cancel reservation of an EVSE - Success"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    request, arrival = await reservation(cp, reserve(cp, evse=e))
    check_reservation(cp, request, arrival, {"evseId": e, "connectorType": ABSENT})
    await report_reserved(cp, e)
    cancel = await cp.expect(actions.cancel_reservation(cp.id, request["id"]), 5,
                             reply=lambda p: cancel_reservation(cp, p))
    check_fields(5, cancel, {"reservationId": request["id"]})
    for connector in cp.model.evses[e].connectors:  # c, and any other connector of the EVSE
        await cp.report_status(e, connector, "Available", 8)


async def test_TC_H_19_reserve_with_group_id(cp: Station, settings: Settings) -> None:
    """Reserve a specific EVSE - Use a reserved EVSE with GroupId"""
    await booted(cp)
    e = settings.CONFIGURED_EVSE_ID
    request, arrival = await reservation(cp, reserve(cp, evse=e, group=settings.GROUP_ID))
    check_reservation(cp, request, arrival, {"evseId": e, "connectorType": ABSENT, "groupIdToken": PRESENT})
    check_fields(1, request, {"groupIdToken.idToken": settings.GROUP_ID}, prefix="(harness) ")
    await report_reserved(cp, e)


# ---------------------------------------------------------------- the station ends or refuses a reservation
async def test_TC_H_20_faulted_cancels_reservation(cp: Station, settings: Settings) -> None:
    """Charging Station cancels reservation when Faulted"""
    await booted(cp)
    e, c = settings.CONFIGURED_EVSE_ID, settings.CONFIGURED_CONNECTOR_ID
    request, arrival = await reservation(cp, reserve(cp, evse=e))
    check_reservation(cp, request, arrival, {"evseId": e, "connectorType": ABSENT})
    await report_reserved(cp, e)
    await cp.report_status(e, c, "Faulted", 6)
    cp.model.drop_reservation(request["id"])  # a faulted EVSE cannot keep its reservation
    await reservation_ended(cp, request, "Removed", 8)


async def test_TC_H_22_reserve_rejected(cp: Station, settings: Settings) -> None:
    """Reserve a specific EVSE - Configured to Reject"""
    await booted(cp)
    e = settings.CONFIGURED_EVSE_ID
    request, _ = await reservation(cp, reserve(cp, evse=e), reply="Rejected")
    check_fields(1, request, {"evseId": e, "idToken.idToken": settings.VALID_ID_TOKEN})
    await cp.still_connected()
