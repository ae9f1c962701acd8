"""The simulated station's device model: components and variables the CSMS reads, writes and reports.

Get/SetVariables, GetBaseReport and GetReport are answered from here, so a CSMS sees one coherent
station whatever it asks.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

AVAILABILITY_VALUES = "Available,Occupied,Reserved,Unavailable,Faulted"
CRITERIA = ("Active", "Available", "Enabled", "Problem")
MEASURANDS = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC"


@dataclass
class Variable:
    component: dict[str, Any]
    variable: dict[str, Any]
    value: str | None
    mutability: str = "ReadWrite"
    data_type: str = "string"
    values_list: str | None = None
    unit: str | None = None
    supports_monitoring: bool = True

    @property
    def key(self) -> tuple:
        evse = self.component.get("evse") or {}
        return (self.component["name"], self.component.get("instance"), evse.get("id"),
                evse.get("connectorId"), self.variable["name"], self.variable.get("instance"))

    def report_data(self) -> dict[str, Any]:
        attribute: dict[str, Any] = {"type": "Actual", "mutability": self.mutability}
        if self.mutability != "WriteOnly" and self.value is not None:
            attribute["value"] = self.value
        characteristics: dict[str, Any] = {"dataType": self.data_type,
                                           "supportsMonitoring": self.supports_monitoring}
        if self.values_list:
            characteristics["valuesList"] = self.values_list
        if self.unit:
            characteristics["unit"] = self.unit
        return {"component": copy.deepcopy(self.component), "variable": copy.deepcopy(self.variable),
                "variableAttribute": [attribute], "variableCharacteristics": characteristics}


def _component(name: str, evse: int | None = None, connector: int | None = None,
               instance: str | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name}
    if instance:
        c["instance"] = instance
    if evse is not None:
        c["evse"] = {"id": evse} if connector is None else {"id": evse, "connectorId": connector}
    return c


def _variable(name: str, instance: str | None = None) -> dict[str, Any]:
    return {"name": name, "instance": instance} if instance else {"name": name}


@dataclass
class DeviceModel:
    variables: dict[tuple, Variable] = field(default_factory=dict)

    def add(self, component: dict, variable: dict, value: Any, mutability: str = "ReadWrite",
            data_type: str = "string", **kw: Any) -> None:
        text = None if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        v = Variable(component, variable, text, mutability, data_type, **kw)
        self.variables[v.key] = v

    @classmethod
    def for_station(cls, evses: int, connectors: dict[int, int], connector_type: str,
                    items_per_message: int = 4, clear_monitoring_items: int = 3) -> "DeviceModel":
        m = cls()
        state = dict(mutability="ReadOnly", data_type="OptionList", values_list=AVAILABILITY_VALUES)
        flag = dict(mutability="ReadOnly", data_type="boolean")
        cs = _component("ChargingStation")
        m.add(cs, _variable("AvailabilityState"), "Available", **state)
        for name, value in (("Available", True), ("Enabled", True), ("Active", True), ("Problem", False)):
            m.add(cs, _variable(name), value, **flag)
        m.add(cs, _variable("AllowNewSessionsPendingFirmwareUpdate"), False, data_type="boolean")  # L01.FR.07
        occ = _component("OCPPCommCtrlr")
        m.add(occ, _variable("OfflineThreshold"), 60, data_type="integer", unit="s")
        m.add(occ, _variable("HeartbeatInterval"), 0, data_type="integer", unit="s")
        m.add(occ, _variable("NetworkConfigurationPriority"), "0", data_type="SequenceList", values_list="0,1,2")
        m.add(occ, _variable("NetworkProfileConnectionAttempts"), 3, data_type="integer")
        m.add(occ, _variable("MessageTimeout", "Default"), 30, data_type="integer", unit="s")
        auth = _component("AuthCtrlr")
        m.add(auth, _variable("AuthorizeRemoteStart"), True, data_type="boolean")
        m.add(auth, _variable("Enabled"), True, data_type="boolean")
        m.add(auth, _variable("LocalAuthorizeOffline"), True, data_type="boolean")
        m.add(auth, _variable("LocalPreAuthorize"), False, data_type="boolean")
        ddc = _component("DeviceDataCtrlr")
        for inst in ("GetReport", "GetVariables", "SetVariables"):
            m.add(ddc, _variable("ItemsPerMessage", inst), items_per_message, "ReadOnly", "integer")
            m.add(ddc, _variable("BytesPerMessage", inst), 65000, "ReadOnly", "integer")
        sec = _component("SecurityCtrlr")
        m.add(sec, _variable("BasicAuthPassword"), None, "WriteOnly")
        m.add(sec, _variable("SecurityProfile"), 1, "ReadOnly", "integer")
        m.add(sec, _variable("OrganizationName"), "Conformance CPO")
        tx = _component("TxCtrlr")
        m.add(tx, _variable("EVConnectionTimeOut"), 30, data_type="integer", unit="s")
        m.add(tx, _variable("TxStartPoint"), "PowerPathClosed", data_type="MemberList",
              values_list="ParkingBayOccupancy,EVConnected,Authorized,DataSigned,PowerPathClosed,EnergyTransfer")
        m.add(tx, _variable("TxStopPoint"), "EVConnected,Authorized", data_type="MemberList",
              values_list="ParkingBayOccupancy,EVConnected,Authorized,PowerPathClosed,EnergyTransfer")
        m.add(tx, _variable("StopTxOnEVSideDisconnect"), False, "ReadOnly", "boolean")
        sampled = _component("SampledDataCtrlr")
        m.add(sampled, _variable("TxUpdatedInterval"), 0, data_type="integer", unit="s")
        m.add(sampled, _variable("TxEndedInterval"), 0, data_type="integer", unit="s")
        m.add(sampled, _variable("TxUpdatedMeasurands"), "Energy.Active.Import.Register", data_type="MemberList",
              values_list=MEASURANDS)
        aligned = _component("AlignedDataCtrlr")
        m.add(aligned, _variable("Interval"), 0, data_type="integer", unit="s")
        m.add(aligned, _variable("Measurands"), "Energy.Active.Import.Register", data_type="MemberList",
              values_list=MEASURANDS)
        tariff = _component("TariffCostCtrlr")  # block I: the station shows tariff and running cost
        m.add(tariff, _variable("Enabled", "Tariff"), True, data_type="boolean")
        m.add(tariff, _variable("Enabled", "Cost"), True, data_type="boolean")
        m.add(tariff, _variable("Currency"), "EUR", data_type="string")
        m.add(_component("LocalAuthListCtrlr"), _variable("Enabled"), True, data_type="boolean")
        m.add(_component("ReservationCtrlr"), _variable("Enabled"), True, data_type="boolean")
        m.add(_component("SmartChargingCtrlr"), _variable("Enabled"), True, data_type="boolean")
        mon = _component("MonitoringCtrlr")
        m.add(mon, _variable("ItemsPerMessage", "ClearVariableMonitoring"), clear_monitoring_items,
              "ReadOnly", "integer")
        m.add(mon, _variable("ItemsPerMessage", "SetVariableMonitoring"), items_per_message, "ReadOnly", "integer")
        for e in range(1, evses + 1):
            ev = _component("EVSE", e)
            m.add(ev, _variable("AvailabilityState"), "Available", **state)
            for name, value in (("Available", True), ("Enabled", True), ("Problem", False)):
                m.add(ev, _variable(name), value, **flag)
            for c in range(1, connectors.get(e, 1) + 1):
                con = _component("Connector", e, c)
                m.add(con, _variable("AvailabilityState"), "Available", **state)
                m.add(con, _variable("ConnectorType"), connector_type, "ReadOnly")
                for name, value in (("Available", True), ("Enabled", True), ("Problem", False)):
                    m.add(con, _variable(name), value, **flag)
        return m

    # --- lookup
    def find(self, component: dict, variable: dict) -> Variable | None:
        probe = Variable(component, variable, None)
        return self.variables.get(probe.key)

    def knows_component(self, component: dict) -> bool:
        probe = Variable(component, {"name": ""}, None).key[:4]
        return any(k[:4] == probe for k in self.variables)

    def value(self, component: str, variable: str, instance: str | None = None) -> str | None:
        v = self.find({"name": component}, _variable(variable, instance))
        return v.value if v else None

    def set_state(self, component: dict, value: str) -> None:
        v = self.find(component, {"name": "AvailabilityState"})
        if v:
            v.value = value

    # --- OCPP answers
    def _result(self, data: dict[str, Any]) -> tuple[dict[str, Any], "Variable | None"]:
        """The result skeleton of a Get/SetVariables item and the variable it names (None:
        attributeStatus already says UnknownComponent or UnknownVariable)."""
        result: dict[str, Any] = {"component": data["component"], "variable": data["variable"],
                                  "attributeType": data.get("attributeType", "Actual")}
        v = self.find(data["component"], data["variable"])
        if v is None:
            result["attributeStatus"] = ("UnknownVariable" if self.knows_component(data["component"])
                                         else "UnknownComponent")
        return result, v

    def get_variable(self, data: dict[str, Any]) -> dict[str, Any]:
        result, v = self._result(data)
        if v is None:
            return result
        if data.get("attributeType", "Actual") != "Actual":
            result["attributeStatus"] = "NotSupportedAttributeType"
        elif v.mutability == "WriteOnly":
            result["attributeStatus"] = "Rejected"
        else:
            result["attributeStatus"] = "Accepted"
            result["attributeValue"] = v.value
        return result

    def set_variable(self, data: dict[str, Any]) -> dict[str, Any]:
        result, v = self._result(data)
        if v is None:
            return result
        if v.mutability == "ReadOnly":
            result["attributeStatus"] = "Rejected"
        else:
            v.value = data["attributeValue"]
            result["attributeStatus"] = "Accepted"
        return result

    def base_report(self, report_base: str) -> list[dict[str, Any]]:
        if report_base == "ConfigurationInventory":
            chosen = [v for v in self.variables.values() if v.mutability in ("ReadWrite", "WriteOnly")]
        elif report_base == "SummaryInventory":
            chosen = [v for v in self.variables.values() if v.variable["name"] == "AvailabilityState"]
        else:
            chosen = list(self.variables.values())
        return [v.report_data() for v in chosen]

    def custom_report(self, criteria: list[str] | None,
                      component_variables: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        chosen = list(self.variables.values())
        if criteria:
            def meets(v: Variable) -> bool:
                for criterion in criteria:
                    flag = self.find(v.component, {"name": criterion})
                    if flag is not None and flag.value == "true":
                        return True
                return False
            chosen = [v for v in chosen if meets(v)]
        if component_variables:
            def named(v: Variable) -> bool:
                for cv in component_variables:
                    comp = cv["component"]
                    if comp["name"] != v.component["name"]:
                        continue
                    if "instance" in comp and comp["instance"] != v.component.get("instance"):
                        continue
                    if "evse" in comp:
                        evse = v.component.get("evse") or {}
                        if comp["evse"].get("id") != evse.get("id"):
                            continue
                        if "connectorId" in comp["evse"] and comp["evse"]["connectorId"] != evse.get("connectorId"):
                            continue
                    var = cv.get("variable")
                    if var and (var["name"] != v.variable["name"]
                                or ("instance" in var and var["instance"] != v.variable.get("instance"))):
                        continue
                    return True
                return False
            chosen = [v for v in chosen if named(v)]
        return [v.report_data() for v in chosen]
