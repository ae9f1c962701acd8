"""The manifest of a selection of cases, from the settings and the catalogue: which settings a case
names (its station, settings, "CSMS setup" with every "as TC_…", "as in the block summary" and
reusable state resolved, its steps and before-states), and what each of those settings asks the CSMS
to hold. A value always comes from the settings, never from here."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Iterable

from simulator.provisioning.manifest import (CertificateItem, Connector, ContractService, Evse, FirmwareItem,
                                             Manifest, ServerCertificate, SetupNote, StationItem, TariffItem,
                                             TokenItem, UrlItem, pattern_ids)
from simulator.settings import ROOT, Settings, named_stations, named_tokens, station_sets
from simulator.verdicts import catalogue

#: an expired token is stored Accepted with this expiry; the CSMS answers Expired from it
PAST = "2020-01-01T00:00:00Z"
#: the statuses an AuthorizeResponse may carry for a token of each status (the catalogue's checks:
#: TC_C_02 "Invalid or Unknown", TC_C_06 "Blocked or Invalid", TC_C_07 "Expired or Invalid")
AUTHORIZE = {"Accepted": ["Accepted"], "Invalid": ["Invalid", "Unknown"], "Blocked": ["Blocked", "Invalid"],
             "Expired": ["Expired", "Invalid"]}
HARNESS_CERTS = ROOT / "fixtures" / "certs"

_NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_AS_CASE = re.compile(r"\bas (?:in )?(TC_[A-P]_\d+)")
_AS_STATE = re.compile(r"\bas ([A-Z][A-Za-z0-9]+)\b")
_VARIABLE = re.compile(r"\b([A-Z][A-Za-z]+\.[A-Z][A-Za-z]+(?:\[[A-Za-z]+\])?) = (\w+)")
_EVSES = re.compile(r"EVSEs \(?(\d+) and (\d+)")


def _resolve(text: str, block: str, seen: frozenset[str] = frozenset()) -> str:
    """A "CSMS setup" text with what its "as …" parts refer to written out."""
    text = text.strip()
    if text.lower().startswith("none"):
        return ""
    text = text.replace("as in the block summary", catalogue.block_setup(block).rstrip("."))

    def case_setup(m: re.Match[str]) -> str:
        other = catalogue.case(m.group(1))
        if other is None or m.group(1) in seen:
            return m.group(0)
        return _resolve(other.sections.get("CSMS setup", ""), m.group(1)[3], seen | {m.group(1)})

    def state_setup(m: re.Match[str]) -> str:
        state = catalogue.states().get(m.group(1))
        if state is None or m.group(1) in seen:
            return m.group(0)
        return _resolve(state.sections.get("CSMS setup", ""), block, seen | {m.group(1)})

    return _AS_STATE.sub(state_setup, _AS_CASE.sub(case_setup, text)).strip(" ;")


@functools.cache
def setup_text(case_id: str) -> str:
    """The case's "CSMS setup", resolved ("" for none)."""
    entry = catalogue.case(case_id)
    return _resolve(entry.sections.get("CSMS setup", ""), case_id[3]) if entry else ""


def _state_names(text: str, seen: set[str]) -> Iterable[str]:
    """The reusable states a "Before" text names, and the states those start from."""
    states = catalogue.states()
    for name in re.findall(r"\b[A-Z][A-Za-z0-9]+\b", text):
        if name in states and name not in seen:
            seen.add(name)
            yield name
            yield from _state_names(states[name].before + " " + states[name].sections.get("Settings", ""), seen)


@functools.cache
def references(case_id: str) -> frozenset[str]:
    """Every setting the case names: station, settings, resolved setup, actions, steps, before-states."""
    entry = catalogue.case(case_id)
    if entry is None:
        return frozenset()
    texts = [entry.sections.get(k, "") for k in ("Station", "Settings", "CSMS actions")]
    texts += [setup_text(case_id), *(s.text for s in entry.steps)]
    states = catalogue.states()
    for name in _state_names(entry.before + " " + entry.sections.get("Settings", ""), set()):
        texts += [states[name].sections.get("Settings", ""), _resolve(states[name].sections.get("CSMS setup", ""),
                                                                      case_id[3])]
    return frozenset(n for n in _NAME.findall(" ".join(texts)) if n in Settings.model_fields)


def select(expression: str | None) -> list[str]:
    """The catalogue's case ids that ``-k EXPRESSION`` selects (pytest's syntax, matched on case ids)."""
    ids = list(catalogue.catalogue())
    if not expression:
        return ids
    from _pytest.mark.expression import Expression
    compiled = Expression.compile(expression)
    return [c for c in ids if compiled.evaluate(lambda sub, c=c, **_: sub.lower() in c.lower())]


def _path(s: Settings, value: str) -> str:
    return str(s.path(value))


def _needing(cases: list[str], *names: str) -> list[str]:
    return [c for c in cases if references(c) & set(names)]


def build(s: Settings, cases: list[str] | None = None, csms: str | None = None) -> Manifest:
    """What the CSMS must hold for ``cases`` (all by default) with settings ``s``."""
    cases = list(catalogue.catalogue()) if cases is None else cases
    manifest = Manifest(csms=csms or ("embedded reference CSMS" if s.embedded else s.CSMS_ADDRESS or ""),
                        cases=cases)
    manifest.stations = _stations(s, cases)
    manifest.tokens = _tokens(s, cases)
    if tariff_cases := _needing(cases, "CONFIGURED_TARIFF_PRICE_PER_KWH"):
        manifest.tariffs = [TariffItem(each.BASIC_AUTH_CP, s.VALID_ID_TOKEN, s.VALID_ID_TOKEN_TYPE or "Central",
                                       s.CONFIGURED_TARIFF_PRICE_PER_KWH, tariff_cases) for each in station_sets(s)]
    manifest.firmware = _firmware(s, cases)
    manifest.certificates = _certificates(s, cases)
    manifest.server_certificates = _server_certificates(s, cases)
    if ocsp := _needing(cases, "CONFIGURED_OCSP_RESPONDER_URL"):
        manifest.urls = [UrlItem(s.CONFIGURED_OCSP_RESPONDER_URL, "the OCSP responder the harness hosts while a "
                                 "case needs it: the CSMS sends its OCSP requests there", ocsp)]
    if contract := [c for c in cases if "contract certificate service" in setup_text(c)]:
        mo = s.path(s.CONFIGURED_MO_ROOT_CERT_FILE).parent  # the MO Sub-CA is made beside the MO root
        manifest.contract_service = ContractService(str(mo / "mo_subca.pem"), str(mo / "mo_subca.key"),
                                                    _path(s, s.CONFIGURED_MO_ROOT_CERT_FILE),
                                                    s.CONFIGURED_CONTRACT_EMAID, contract)
    notes: dict[str, list[str]] = {}
    for case in cases:
        text = setup_text(case)
        if text:
            notes.setdefault(_named(text, s), []).append(case)
    manifest.setup = [SetupNote(text, c) for text, c in notes.items()]
    return manifest


def load_stations(s: Settings, pattern: str, count: int, security_profile: int = 1) -> list[StationItem]:
    """The load mode's stations (``python -m simulator.load``): ids ``pattern`` with n = 0 … count-1, at
    security profiles 1 and 2 with BASIC_AUTH_CP_PASSWORD, or at 3 with a client certificate (CN = id),
    each with the suite's EVSEs; no case needs them."""
    evses = [Evse(e, [Connector(1, s.CONFIGURED_CONNECTOR_TYPE)]) for e in range(1, s.CONFIGURED_NUMBER_OF_EVSES + 1)]
    if security_profile == 3:
        return [StationItem(i, [3], client_certificate_cn=i, evses=evses) for i in pattern_ids(pattern, count)]
    return [StationItem(i, [1, 2], s.BASIC_AUTH_CP_PASSWORD, evses=evses) for i in pattern_ids(pattern, count)]


def _named(text: str, s: Settings) -> str:
    """A setup text with each ``<SETTING>`` followed by its value: what a person registers."""
    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in Settings.model_fields or name in ("BASIC_AUTH_CP_PASSWORD", "NEW_BASIC_AUTH_PASSWORD"):
            return m.group(0)
        value = getattr(s, name)
        return f"{name} ({'unset' if value in (None, '') else value})"
    return re.sub(r"<([A-Z0-9_]+)>", value, text)


def _stations(s: Settings, cases: list[str]) -> list[StationItem]:
    evses: dict[str, int] = {}  # station id -> EVSEs it reports (some cases add a second one)
    by_id: dict[str, StationItem] = {}
    for named in (n for each in station_sets(s) for n in named_stations(each)):  # every set's stations
        if named.security_profile not in s.supported_profiles:
            continue  # its cases are skipped
        needing = [c for c in cases if named.setting in references(c)]
        if not needing:
            continue
        station = by_id.setdefault(named.id, StationItem(named.id, []))
        if named.security_profile not in station.security_profiles:
            station.security_profiles = sorted(station.security_profiles + [named.security_profile])
        if named.password:
            station.password = s.BASIC_AUTH_CP_PASSWORD
        else:
            station.client_certificate_cn = named.id
        station.settings.append(named.setting)
        station.cases = sorted(set(station.cases) | set(needing), key=_order)
        for case in needing:
            entry = catalogue.case(case)
            text = entry.sections.get("Station", "") if entry else ""
            wanted = int(m.group(2)) if (m := _EVSES.search(text)) and named.setting in text else 0
            evses[named.id] = max(evses.get(named.id, s.CONFIGURED_NUMBER_OF_EVSES), wanted)
            for variable, value in _VARIABLE.findall(setup_text(case)):
                station.variables[variable] = value
            if "MASTERPASS_GROUP_ID" in references(case) and s.MASTERPASS_GROUP_ID:
                station.variables["AuthCtrlr.MasterPassGroupId"] = s.MASTERPASS_GROUP_ID
    for station in by_id.values():
        station.evses = [Evse(e, [Connector(1, s.CONFIGURED_CONNECTOR_TYPE)])
                         for e in range(1, evses.get(station.id, s.CONFIGURED_NUMBER_OF_EVSES) + 1)]
    return list(by_id.values())


def _order(case: str) -> tuple[str, int]:
    return case[3], int(case.split("_")[2])


def _tokens(s: Settings, cases: list[str]) -> list[TokenItem]:
    by_value: dict[str, TokenItem] = {}
    for named in named_tokens(s):
        needing = [c for c in cases if named.setting in references(c)]
        if not needing:
            continue
        token = by_value.get(named.value)
        if token is None:  # the settings cannot contradict each other here (conflict_problem)
            token = by_value[named.value] = TokenItem(
                named.value, named.type or "Central", named.status, named.group,
                PAST if named.status == "Expired" else None, AUTHORIZE[named.status])
        token.group = token.group or named.group
        token.settings.append(named.setting)
        token.cases = sorted(set(token.cases) | set(needing), key=_order)
    return list(by_value.values())


def _firmware(s: Settings, cases: list[str]) -> list[FirmwareItem]:
    try:
        checksum = s.firmware_checksum
    except OSError:
        checksum = ""  # the image is not there yet: make_certs makes it
    found: list[FirmwareItem] = []
    for name in ("CONFIGURED_FIRMWARE_LOCATION", "CONFIGURED_FIRMWARE_LOCATION_2"):
        needing = _needing(cases, name)
        location = getattr(s, name)
        if needing and all(f.location != location for f in found):
            found.append(FirmwareItem(location, _path(s, s.CONFIGURED_FIRMWARE_IMAGE), checksum,
                                      _path(s, s.CONFIGURED_FIRMWARE_SIGNING_CERT),
                                      _path(s, s.CONFIGURED_FIRMWARE_SIGNATURE_FILE), needing))
    return found


def _key_beside(path: Path) -> str | None:
    key = path.with_suffix(".key")
    return str(key) if key.exists() or path.parent == HARNESS_CERTS else None


def _certificates(s: Settings, cases: list[str]) -> list[CertificateItem]:
    found: list[CertificateItem] = []
    station_ca = _needing(cases, "SECURITY_PROFILE_3_CP", "TLS_CLIENT_CERT", "TLS_CLIENT_CA_CERT")
    if (station_ca and 3 in s.supported_profiles) or _needing(cases, "TLS_CLIENT_CA_CERT"):
        ca = s.path(s.client_ca_cert)
        found.append(CertificateItem("station CA", str(ca), "trust it for the client certificates of security "
                                     "profile 3 and sign station CSRs with it (its key)", _key_beside(ca),
                                     sorted(set(station_ca) | set(_needing(cases, "TLS_CLIENT_CA_CERT")), key=_order)))
    for name, role, use in (
            ("CONFIGURED_MO_ROOT_CERT_FILE", "MO root", "trust it as MO/V2G root of contract certificates; "
             "available to install as MORootCertificate"),
            ("CONFIGURED_V2G_ROOT_CERT", "V2G root", "available to install as V2GRootCertificate"),
            ("CONFIGURED_MANUFACTURER_ROOT_CERT", "manufacturer root", "available to install as "
             "ManufacturerRootCertificate"),
            ("CONFIGURED_CSMS_ROOT_CERT", "CSMS root", "available to install as CSMSRootCertificate")):
        if needing := _needing(cases, name):
            found.append(CertificateItem(role, _path(s, getattr(s, name)), use, None, needing))
    return found


def _server_certificates(s: Settings, cases: list[str]) -> list[ServerCertificate]:
    needing = [c for c in _needing(cases, "CSMS_WSS_ADDRESS", "TLS_CA_CERT", "SECURITY_PROFILE_2_CP",
                                   "SECURITY_PROFILE_3_CP") if {2, 3} & s.supported_profiles]
    if not needing:
        return []
    from urllib.parse import urlsplit

    from fixtures.make_certs import server_files
    ca = s.path(s.TLS_CA_CERT)
    own = ca.parent == HARNESS_CERTS  # the harness's CA: the server certificates make_certs makes beside it
    hosts = [urlsplit(u).hostname for u in (s.CSMS_WSS_ADDRESS, s.CSMS_WSS_SP3_ADDRESS) if u] or [None]
    return [ServerCertificate(kind, str(pem) if own else None, str(key) if own else None, str(ca), needing)
            for host in dict.fromkeys(hosts) for kind, (pem, key) in server_files(HARNESS_CERTS, host).items()]


def relative(path: str | None) -> str:
    """A path as a person reads it: relative to the harness when inside it."""
    if not path:
        return ""
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_absolute() and p.is_relative_to(ROOT) else path


def _cases(cases: list[str], limit: int = 6) -> str:
    return ", ".join(cases[:limit]) + (f" and {len(cases) - limit} more" if len(cases) > limit else "")


def markdown(m: Manifest) -> str:
    """The manifest for people: one table per kind of thing, then the catalogue's own words."""
    out = [f"# What the CSMS must hold ({len(m.cases)} cases)", "", f"CSMS: {m.csms}", ""]

    def table(title: str, head: list[str], rows: list[list[Any]]) -> None:
        if rows:
            out.extend([f"## {title}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)])
            out.extend("| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows)
            out.append("")

    table("Stations", ["id", "security profile", "password", "client certificate CN", "EVSEs (connectors)",
                       "configuration", "cases"],
          [[st.id, ", ".join(map(str, st.security_profiles)), st.password or "", st.client_certificate_cn or "",
            "; ".join(f"{e.id} ({', '.join(f'{c.id} {c.type}' for c in e.connectors)})" for e in st.evses),
            "; ".join(f"{k} = {v}" for k, v in st.variables.items()), _cases(st.cases)] for st in m.stations])
    table("Id tokens", ["idToken", "type", "status", "groupIdToken", "expiry", "Authorize may answer", "cases"],
          [[t.id_token, t.type, t.status + (" (or unknown)" if t.status == "Invalid" else ""), t.group or "",
            t.expiry or "", " or ".join(t.authorize), _cases(t.cases)] for t in m.tokens])
    table("Tariffs", ["station", "idToken", "price per kWh", "cases"],
          [[t.station, f"{t.id_token} ({t.type})", f"{t.price_per_kwh:g} (energy only, taxes included)",
            _cases(t.cases)] for t in m.tariffs])
    table("Firmware", ["location", "image", "MD5", "signing certificate", "signature", "cases"],
          [[f.location, relative(f.image), f.checksum, relative(f.signing_certificate), relative(f.signature),
            _cases(f.cases)] for f in m.firmware])
    table("Certificates to hold", ["role", "file", "key", "what for", "cases"],
          [[c.role, relative(c.file), relative(c.key), c.use, _cases(c.cases)] for c in m.certificates])
    table("Server certificates (wss)", ["key type", "serve", "key", "stations verify it with", "cases"],
          [[c.key_type, relative(c.file) or "one of yours", relative(c.key), relative(c.verified_by),
            _cases(c.cases)] for c in m.server_certificates])
    table("URLs the CSMS must reach", ["URL", "what for", "cases"], [[u.url, u.use, _cases(u.cases)] for u in m.urls])
    if m.contract_service:
        c = m.contract_service
        table("Contract certificate service (ISO 15118)", ["issuing CA", "key", "chain", "eMAID", "cases"],
              [[relative(c.ca_cert), relative(c.ca_key), relative(c.chain), c.emaid, _cases(c.cases)]])
    table("What the catalogue asks (CSMS setup)", ["setup", "cases"], [[n.text, _cases(n.cases)] for n in m.setup])
    return "\n".join(out)
