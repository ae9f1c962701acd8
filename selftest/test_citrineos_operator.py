"""The CitrineOS operator against a recording fake of CitrineOS 1.8's REST API.

The fake knows the routes of CitrineOS 1.8 (citrineos-core v1.8.x: each module's ``MessageApi`` /
``DataApi`` with the default endpoint prefixes of ``Server/src/config/envs/docker.ts``), checks every
request against what its Fastify routes accept (method, path, query string, body: the OCPP 2.0.1
request schema for a message endpoint, the persistence schema for a data endpoint) and answers as
CitrineOS does: a list of ``{"success", "payload"}`` confirmations. Each of the 41 actions is sent
through the operator and its request compared with the body it must carry.
"""
from __future__ import annotations

import json
import re
import threading
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from simulator.operators import actions
from simulator.operators.interface import ACTIONS, Action
from simulator.operators.operator import Operator
from simulator.settings import ROOT, Settings, SettingError, load_settings
from simulator.verdicts.checks import CaseFailure, set_case
from simulator.wire.protocol import CALL, schema_problem

#: CitrineOS 1.8's message endpoints (POST), path -> OCPP action, as its source registers them
MESSAGE_ROUTES = {f"/ocpp/2.0.1/{module}/{name[0].lower()}{name[1:]}": name for module, names in {
    "certificates": ["CertificateSigned", "InstallCertificate", "GetInstalledCertificateIds", "DeleteCertificate"],
    "configuration": ["SetNetworkProfile", "ClearDisplayMessage", "GetDisplayMessages", "PublishFirmware",
                      "SetDisplayMessage", "UnpublishFirmware", "UpdateFirmware", "Reset", "ChangeAvailability",
                      "TriggerMessage", "DataTransfer"],
    "evdriver": ["RequestStartTransaction", "RequestStopTransaction", "CancelReservation", "ReserveNow",
                 "UnlockConnector", "ClearCache", "SendLocalList", "GetLocalListVersion"],
    "monitoring": ["SetVariableMonitoring", "ClearVariableMonitoring", "SetMonitoringLevel", "SetMonitoringBase",
                   "SetVariables", "GetVariables"],
    "reporting": ["GetBaseReport", "GetReport", "GetMonitoringReport", "GetLog", "CustomerInformation"],
    "smartcharging": ["ClearChargingProfile", "GetChargingProfiles", "SetChargingProfile", "ClearedChargingLimit",
                      "GetCompositeSchedule"],
    "transactions": ["CostUpdated", "GetTransactionStatus"],
}.items() for name in names}
#: its message querystring (MessageQuerystring.ts): identifier and tenantId required, callbackUrl optional
MESSAGE_QUERY = {"identifier": str, "tenantId": int, "callbackUrl": str}
#: the data endpoints the operator uses: (method, path) -> (query keys: required?, body fields: required?)
BOOT_FIELDS = {"heartbeatInterval", "bootRetryInterval", "status", "statusInfo", "getBaseReportOnPending",
               "setVariableIds", "bootWithRejectedVariables"}
DATA_ROUTES: dict[tuple[str, str], tuple[dict[str, bool], set[str] | None, set[str]]] = {
    ("PUT", "/data/configuration/boot"): ({"stationId": True, "tenantId": True}, BOOT_FIELDS, {"status"}),
    ("POST", "/data/configuration/password"): ({"tenantId": True, "callbackUrl": False},
                                               {"stationId", "password", "setOnCharger"}, {"stationId"}),
    ("GET", "/data/evdriver/localListVersion"): ({"stationId": True, "tenantId": True}, None, set()),
}
#: the two reporting endpoints whose handler returns one confirmation where the route's response
#: schema is a list: Fastify's serializer throws after the request went out
SINGLE_ANSWER = {"GetReport", "GetMonitoringReport"}


class FakeCitrineOs:
    """Records each request (method, path, query, body, headers) and every way it breaks the
    API's shapes; answers as CitrineOS 1.8 does."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.refuse: str | None = None  # the payload of a {"success": false} confirmation
        self.status: int | None = None  # an HTTP status to answer instead
        self.local_list_version: int | None = 3
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.handle(self)

            do_POST = do_PUT = do_DELETE = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeCitrineOs":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, http: BaseHTTPRequestHandler) -> None:
        parsed = urllib.parse.urlsplit(http.path)
        query = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        record = {"method": http.command, "path": parsed.path, "query": query, "body": body,
                  "headers": dict(http.headers)}
        self.requests.append(record)
        status, answer = self.answer(record)
        text = json.dumps(answer).encode() if answer is not None else b""
        http.send_response(status)
        http.send_header("Content-Type", "application/json")
        http.send_header("Content-Length", str(len(text)))
        http.end_headers()
        http.wfile.write(text)

    def problem(self, record: dict[str, Any], what: str) -> tuple[int, Any]:
        self.problems.append(f"{record['method']} {record['path']}: {what}")
        return 400, {"statusCode": 400, "code": "FST_ERR_VALIDATION", "error": "Bad Request", "message": what}

    def answer(self, record: dict[str, Any]) -> tuple[int, Any]:
        method, path, query, body = record["method"], record["path"], record["query"], record["body"]
        if self.status is not None:
            return self.status, {"statusCode": self.status, "error": "Unauthorized", "message": "invalid token"}
        if path in MESSAGE_ROUTES:
            action = MESSAGE_ROUTES[path]
            if method != "POST":
                return self.problem(record, f"message endpoints take POST, not {method}")
            if problem := query_problem(query, {k: k != "callbackUrl" for k in MESSAGE_QUERY}):
                return self.problem(record, problem)
            if problem := schema_problem(action, CALL, body):
                return self.problem(record, f"body is no {action}Request: {problem}")
            if self.refuse is not None:
                return 200, [{"success": False, "payload": self.refuse}]
            if action in SINGLE_ANSWER and body.get("componentVariable"):
                return 500, {"statusCode": 500, "error": "Internal Server Error",
                             "message": "The value of '#' does not match schema definition."}
            return 200, [{"success": True, "payload": ""}]
        route = DATA_ROUTES.get((method, path))
        if route is None:
            return 404, {"message": f"Route {method}:{path} not found", "error": "Not Found", "statusCode": 404}
        keys, fields, required = route
        if problem := query_problem(query, keys):
            return self.problem(record, problem)
        if fields is None:
            if body is not None:
                return self.problem(record, "a GET has no body")
        elif not isinstance(body, dict) or not required <= body.keys() or not body.keys() <= fields:
            return self.problem(record, f"body must have {sorted(required)} and only {sorted(fields)}, got {body}")
        if path == "/data/configuration/boot":
            if body["status"] not in ("Accepted", "Pending", "Rejected"):
                return self.problem(record, f"status {body['status']!r} is no RegistrationStatusEnumType")
            return 200, {"id": query["stationId"], "tenantId": int(query["tenantId"]), **body}
        if path == "/data/configuration/password":
            if not re.fullmatch(r"[a-zA-Z0-9*\-_=:+|@.]{16,40}", body.get("password", "")):
                return self.problem(record, "password does not match the schema's pattern")
            return 200, {"success": True, "payload": "Updated 1 attributes"}
        version = self.local_list_version
        return 200, None if version is None else {"stationId": query["stationId"], "versionNumber": version}


def query_problem(query: dict[str, str], keys: dict[str, bool]) -> str | None:
    missing = [k for k, required in keys.items() if required and k not in query]
    unknown = [k for k in query if k not in keys]
    if missing or unknown:
        return f"querystring: missing {missing}, unknown {unknown}"
    if "tenantId" in query and not query["tenantId"].isdigit():
        return f"querystring/tenantId must be a number, got {query['tenantId']!r}"
    return None


# ---------------------------------------------------------------- the 41 actions and what each must send
S = "CP_1"
TOKEN = {"idToken": "100000C01", "type": "Central"}
TOKEN_2 = {"idToken": "1000C006", "type": "ISO14443"}
PEM = "-----BEGIN CERTIFICATE-----\nMIIBxzCCAW6gAwIBAgIUY2l0cmluZQ==\n-----END CERTIFICATE-----\n"
MD5 = "37f705d9fbb3a8ddd32c1a41b9d14466"
LOCATION = "https://firmware.example.com/ocpp201/firmware-1.1.bin"
PROFILE = {"stackLevel": 1, "chargingProfilePurpose": "TxDefaultProfile", "chargingProfileKind": "Absolute",
           "chargingSchedule": [{"id": 1, "startSchedule": "2026-01-01T00:00:00Z", "chargingRateUnit": "A",
                                 "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}]}
CONNECTION = {"ocppVersion": "OCPP20", "ocppTransport": "JSON", "ocppCsmsUrl": "wss://csms.example.com:8443",
              "messageTimeout": 30, "securityProfile": 2, "ocppInterface": "Wired0"}
ID = "<an id of the operator's own>"
MESSAGE = {"identifier": S, "tenantId": "7"}


def own(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31


def msg(action: str, body: dict[str, Any]) -> tuple[str, str, dict[str, str], dict[str, Any]]:
    return "POST", next(p for p, a in MESSAGE_ROUTES.items() if a == action), MESSAGE, body


#: action -> the requests it must make (method, path, query, body; ID where the operator chooses)
CASES: list[tuple[Action, list[tuple[str, str, dict[str, str], Any]]]] = [
    (actions.boot_response(S, "Pending"),
     [("PUT", "/data/configuration/boot", {"stationId": S, "tenantId": "7"},
       {"status": "Pending", "getBaseReportOnPending": True})]),
    (actions.get_variables(S, [actions.cv("OCPPCommCtrlr", "OfflineThreshold")]),
     [msg("GetVariables", {"getVariableData": [actions.cv("OCPPCommCtrlr", "OfflineThreshold")]})]),
    (actions.set_variables(S, [{**actions.cv("OCPPCommCtrlr", "OfflineThreshold"), "attributeValue": "123"}]),
     [msg("SetVariables", {"setVariableData": [{**actions.cv("OCPPCommCtrlr", "OfflineThreshold"),
                                                "attributeValue": "123"}]})]),
    (actions.set_basic_auth_password(S, "new_Passw0rd.0123456789"),
     [("POST", "/data/configuration/password", {"tenantId": "7"},
       {"stationId": S, "password": "new_Passw0rd.0123456789", "setOnCharger": False})]),
    (actions.get_base_report(S, "FullInventory"), [msg("GetBaseReport", {"requestId": ID, "reportBase": "FullInventory"})]),
    (actions.get_report(S, ["Problem"], [actions.cv("EVSE", "AvailabilityState", evse=1)]),
     [msg("GetReport", {"requestId": ID, "componentCriteria": ["Problem"],
                        "componentVariable": [actions.cv("EVSE", "AvailabilityState", evse=1)]})]),
    (actions.reset(S, "Immediate", evse=1), [msg("Reset", {"type": "Immediate", "evseId": 1})]),
    (actions.set_network_profile(S, 1, CONNECTION),
     [msg("SetNetworkProfile", {"configurationSlot": 1, "connectionData": CONNECTION})]),
    (actions.trigger_message(S, "StatusNotification", 1, 1),
     [msg("TriggerMessage", {"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}})]),
    (actions.renew_certificate(S, "V2GCertificate"),
     [msg("TriggerMessage", {"requestedMessage": "SignV2GCertificate"})]),
    (actions.restore_security_profile(S, 1), []),
    (actions.request_stop_transaction(S, "tx-1"), [msg("RequestStopTransaction", {"transactionId": "tx-1"})]),
    (actions.request_start_transaction(S, TOKEN, 1, groupIdToken=TOKEN_2),
     [msg("RequestStartTransaction", {"idToken": TOKEN, "evseId": 1, "remoteStartId": ID, "groupIdToken": TOKEN_2})]),
    (actions.unlock_connector(S, 1, 2), [msg("UnlockConnector", {"evseId": 1, "connectorId": 2})]),
    (actions.change_availability(S, "Inoperative", 1),
     [msg("ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 1}})]),
    (actions.reserve_now(S, TOKEN, 300, evse=1, group_id_token=TOKEN_2),
     [msg("ReserveNow", {"id": ID, "expiryDateTime": "<now + 300 s>", "idToken": TOKEN, "evseId": 1,
                         "groupIdToken": TOKEN_2})]),
    (actions.cancel_reservation(S, 7), [msg("CancelReservation", {"reservationId": 7})]),
    (actions.get_transaction_status(S), [msg("GetTransactionStatus", {})]),
    (actions.set_charging_profile(S, 1, PROFILE),
     [msg("SetChargingProfile", {"evseId": 1, "chargingProfile": {"id": ID, **PROFILE}})]),
    (actions.clear_charging_profile(S, criteria={"evseId": 1, "stackLevel": 1}),
     [msg("ClearChargingProfile", {"chargingProfileCriteria": {"evseId": 1, "stackLevel": 1}})]),
    (actions.get_charging_profiles(S, {"chargingProfileId": [9002]}, evse=1),
     [msg("GetChargingProfiles", {"requestId": ID, "evseId": 1, "chargingProfile": {"chargingProfileId": [9002]}})]),
    (actions.get_composite_schedule(S, 0, 300, "W"),
     [msg("GetCompositeSchedule", {"evseId": 0, "duration": 300, "chargingRateUnit": "W"})]),
    (actions.update_firmware(S, LOCATION, PEM, "c2lnbmF0dXJl", "2026-01-01T00:00:00Z"),
     [msg("UpdateFirmware", {"requestId": ID, "firmware": {"location": LOCATION, "retrieveDateTime":
                                                           "2026-01-01T00:00:00Z", "signingCertificate": PEM,
                                                           "signature": "c2lnbmF0dXJl"}})]),
    (actions.publish_firmware(S, LOCATION, MD5),
     [msg("PublishFirmware", {"location": LOCATION, "checksum": MD5, "requestId": ID})]),
    (actions.unpublish_firmware(S, MD5), [msg("UnpublishFirmware", {"checksum": MD5})]),
    (actions.install_certificate(S, "V2GRootCertificate", PEM),
     [msg("InstallCertificate", {"certificateType": "V2GRootCertificate", "certificate": PEM})]),
    (actions.get_installed_certificate_ids(S, ["V2GRootCertificate"]),
     [msg("GetInstalledCertificateIds", {"certificateType": ["V2GRootCertificate"]})]),
    (actions.delete_certificate(S, "CSMSRootCertificate", PEM), []),
    (actions.get_log(S, "SecurityLog", "https://logs.example.com/up"),
     [msg("GetLog", {"requestId": ID, "logType": "SecurityLog", "log": {"remoteLocation": "https://logs.example.com/up"}})]),
    (actions.get_monitoring_report(S, ["DeltaMonitoring"], [actions.cv("ChargingStation", "Power")]),
     [msg("GetMonitoringReport", {"requestId": ID, "monitoringCriteria": ["DeltaMonitoring"],
                                  "componentVariable": [actions.cv("ChargingStation", "Power")]})]),
    (actions.set_monitoring_base(S, "FactoryDefault"), [msg("SetMonitoringBase", {"monitoringBase": "FactoryDefault"})]),
    (actions.set_monitoring_level(S, 4), [msg("SetMonitoringLevel", {"severity": 4})]),
    (actions.set_variable_monitoring(S, [actions.monitor({"name": "ChargingStation"}, {"name": "Power"}, "Delta", 5, 8)]),
     [msg("SetVariableMonitoring", {"setMonitoringData": [{"component": {"name": "ChargingStation"},
                                                           "variable": {"name": "Power"}, "type": "Delta",
                                                           "value": 5, "severity": 8}]})]),
    (actions.clear_variable_monitoring(S, [1, 2, 3]), [msg("ClearVariableMonitoring", {"id": [1, 2, 3]})]),
    (actions.customer_information(S, {"idToken": TOKEN}, report=True, clear=False),
     [msg("CustomerInformation", {"requestId": ID, "report": True, "clear": False, "idToken": TOKEN})]),
    (actions.set_display_message(S, "InFront", "hello", "UTF8", state="Idle", transactionId="tx-1"),
     [msg("SetDisplayMessage", {"message": {"id": ID, "priority": "InFront", "state": "Idle", "transactionId": "tx-1",
                                            "message": {"format": "UTF8", "content": "hello"}}})]),
    (actions.get_display_messages(S, [5], priority="InFront"),
     [msg("GetDisplayMessages", {"requestId": ID, "id": [5], "priority": "InFront"})]),
    (actions.clear_display_message(S, 5), [msg("ClearDisplayMessage", {"id": 5})]),
    (actions.clear_cache(S), [msg("ClearCache", {})]),
    (actions.update_local_list(S, add=[TOKEN], remove=[TOKEN_2]),
     [("GET", "/data/evdriver/localListVersion", {"stationId": S, "tenantId": "7"}, None),
      msg("SendLocalList", {"versionNumber": 4, "updateType": "Differential", "localAuthorizationList": [
          {"idToken": TOKEN, "idTokenInfo": {"status": "Accepted"}}, {"idToken": TOKEN_2}]})]),
    (actions.get_local_list_version(S), [msg("GetLocalListVersion", {})]),
]
NOT_IMPLEMENTED = {"RestoreSecurityProfile", "DeleteCertificate"}


@pytest.fixture(scope="module")
def served() -> Any:
    with FakeCitrineOs() as fake:
        yield fake


@pytest.fixture
def fake(served: FakeCitrineOs) -> FakeCitrineOs:
    """The fake, its record empty and its answers the normal ones."""
    served.requests.clear()
    served.problems.clear()
    served.refuse = served.status = None
    served.local_list_version = 3
    return served


def settings(url: str, **more: Any) -> Settings:
    return Settings(_env_file=None, CSMS_OPERATOR="citrineos", CITRINEOS_URL=url, CITRINEOS_TENANT_ID=7,
                    CSMS_ACTION_TIMEOUT=5, **more)


def matches(expected: Any, got: Any, sent_at: float) -> bool:
    """``got`` is ``expected``, where ID is an id the operator chose and "<now + N s>" a time N s
    after the request was sent (within 2 s)."""
    if expected == ID:
        return own(got)
    if isinstance(expected, str) and (m := re.fullmatch(r"<now \+ (\d+) s>", expected)):
        moment = datetime.fromisoformat(got.replace("Z", "+00:00")).timestamp()
        return abs(moment - sent_at - int(m.group(1))) < 2
    if isinstance(expected, dict):
        return isinstance(got, dict) and expected.keys() == got.keys() and \
            all(matches(v, got[k], sent_at) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and \
            all(matches(e, g, sent_at) for e, g in zip(expected, got))
    return expected == got


def test_the_cases_cover_the_41_actions() -> None:
    assert sorted({action.name for action, _ in CASES}) == sorted(ACTIONS) and len(ACTIONS) == 41


@pytest.mark.parametrize("action,expected", CASES, ids=[a.name + f"-{i}" for i, (a, _) in enumerate(CASES)])
async def test_each_action_makes_the_request_citrineos_documents(action: Action, expected: list[Any],
                                                                 fake: FakeCitrineOs,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulator.operators.operator.has_terminal", lambda: False)
    set_case("TC_X_01")
    operator = Operator(settings(fake.url))
    sent_at = datetime.now(timezone.utc).timestamp()
    if action.name in NOT_IMPLEMENTED:
        with pytest.raises(CaseFailure, match=rf"^TC_X_01 step 1: operator action {action.name}: "
                                              rf"simulator\.operators\.citrineos\.CitrineOsOperator does not "
                                              rf"implement {action.method} \(.+\), and no terminal is attached "
                                              rf"for the manual fallback$"):
            await operator.request(action, 1)
        assert fake.requests == []
        return
    await operator.request(action, 1)
    assert fake.problems == []
    got = [(r["method"], r["path"], r["query"], r["body"]) for r in fake.requests]
    assert len(got) == len(expected), got
    for want, request in zip(expected, got):
        assert request[:3] == want[:3], (request, want)
        assert matches(want[3], request[3], sent_at), (request[3], want[3])


async def test_what_citrineos_cannot_do_fails_naming_action_and_class(fake: FakeCitrineOs,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """GetMonitoringReport without componentVariable (CitrineOS 1.8 answers HTTP 500) and boot statuses
    other than Pending once are not sent; without a terminal the step fails in one line."""
    monkeypatch.setattr("simulator.operators.operator.has_terminal", lambda: False)
    set_case("TC_N_47")
    operator = Operator(settings(fake.url))
    with pytest.raises(CaseFailure, match=r"^TC_N_47 step 1: operator action GetMonitoringReport: .*CitrineOsOperator "
                                          r"does not implement get_monitoring_report \(CitrineOS 1\.8's "
                                          r"getMonitoringReport endpoint fails \(HTTP 500\) without componentVariable\)"):
        await operator.request(actions.get_monitoring_report(S, ["DeltaMonitoring"]), 1)
    with pytest.raises(CaseFailure, match=r"does not implement set_boot_response"):
        await operator.request(actions.boot_response(S, "Rejected"), 1)
    assert fake.requests == []


async def test_a_station_citrineos_does_not_reach_is_a_one_line_refusal(fake: FakeCitrineOs) -> None:
    set_case("TC_F_06")
    fake.refuse = "No connection found for identifier: 7:CP_1"
    with pytest.raises(CaseFailure, match=r"^TC_F_06 step 1: operator action UnlockConnector refused by the CSMS: "
                                          r"CitrineOS did not send UnlockConnectorRequest: No connection found "
                                          r"for identifier: 7:CP_1$"):
        await Operator(settings(fake.url)).request(actions.unlock_connector(S, 1, 1), 1)


async def test_the_token_is_sent_and_never_shown(fake: FakeCitrineOs) -> None:
    """CITRINEOS_API_TOKEN goes as a Bearer token; a 401 names the setting, never the token."""
    from simulator.verdicts.trace import Trace, add_secret
    token = "eyJhbGciOi.citrine-secret-token"
    add_secret(token)
    trace = Trace()
    set_case("TC_B_20")
    await Operator(settings(fake.url, CITRINEOS_API_TOKEN=token), trace).request(actions.reset(S, "OnIdle"), 1)
    assert fake.requests[-1]["headers"]["Authorization"] == f"Bearer {token}"
    fake.status = 401
    with pytest.raises(CaseFailure) as failure:
        await Operator(settings(fake.url, CITRINEOS_API_TOKEN=token), trace).request(actions.reset(S, "OnIdle"), 1)
    assert re.fullmatch(r"TC_B_20 step 1: operator action Reset refused by the CSMS: CitrineOS answered POST "
                        r"http://127\.0\.0\.1:\d+/ocpp/2\.0\.1/configuration/reset with HTTP 401 \(set "
                        r"CITRINEOS_API_TOKEN\): .*", str(failure.value)), str(failure.value)
    assert token not in str(failure.value) and token not in trace.text()


async def test_an_unreachable_citrineos_fails_naming_the_setting() -> None:
    with FakeCitrineOs() as fake:
        url = fake.url
    set_case("TC_B_20")
    with pytest.raises(CaseFailure, match=r"^TC_B_20 step 1: operator action Reset: .*CitrineOsOperator\.reset raised "
                                          r"OSError: cannot reach CitrineOS at http://127\.0\.0\.1:\d+ \(CITRINEOS_URL\)"):
        await Operator(settings(url)).request(actions.reset(S, "OnIdle"), 1)


async def test_a_full_list_starts_above_the_version_citrineos_holds(fake: FakeCitrineOs) -> None:
    """No version held: versionNumber 1; an empty Full list has no localAuthorizationList (minItems 1)."""
    fake.local_list_version = None
    await Operator(settings(fake.url)).request(actions.send_local_list(S, []), 1)
    assert fake.problems == [] and fake.requests[-1]["body"] == {"versionNumber": 1, "updateType": "Full"}


def test_citrineos_settings_are_checked_at_start() -> None:
    assert load_settings(_env_file=None, CSMS_OPERATOR="citrineos").CITRINEOS_URL == "http://localhost:8080"
    with pytest.raises(SettingError, match=r"^setting CITRINEOS_URL: must be an http:// or https:// URL"):
        load_settings(_env_file=None, CSMS_OPERATOR="citrineos", CITRINEOS_URL="localhost:8080")


def test_the_operator_is_small() -> None:
    """What a team would have written as a server of its own, in lines of Python (reported)."""
    lines = (ROOT / "simulator/operators/citrineos.py").read_text().count("\n")
    print(f"simulator/operators/citrineos.py: {lines} lines")
    assert lines < 400
