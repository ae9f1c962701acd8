"""Block M — ISO 15118 Certificate Management (catalogue: M.md)."""
from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509

from simulator.operators import actions
from simulator.pki.cert_store import hash_data, install_check_problem, load_pem_chain
from simulator.verdicts.checks import (ABSENT, HarnessError, OneOf, Rule, check, check_that, fail, in_round, in_state, require_support,
                              warn_unless)
from simulator.services.certificate_status import OcspResponder, ocsp_result_problem
from simulator.station.replies import get_installed_certificate_ids
from simulator.settings import Settings
from simulator.station.states import booted, certificate_installed, get_installed_certificates
from simulator.station.station import Station

ISO15118 = ("CONFIGURED_SUPPORTS_ISO15118", "ISO 15118 certificate handling")


# ---------------------------------------------------------------- helpers that read like the catalogue
def pem(settings: Settings, name: str) -> str:
    """The PEM text of the certificate file the setting ``name`` names."""
    return settings.path(getattr(settings, name)).read_text()


def install_check(step: int | str, settings: Settings, request: dict, name: str) -> None:
    """(harness) Install check (F): certificate is one PEM X.509 certificate with the DER of file F."""
    problem = install_check_problem(request.get("certificate"), settings.path(getattr(settings, name)))
    if problem:
        fail(step, f"(harness) certificate {problem} ({name})")


async def install(cp: Station, settings: Settings, certificate_type: str, name: str, status: str = "Accepted") -> dict:
    """Steps 1-2 (reusable state CertificateInstalled as the case's steps) plus the Install check."""
    request = await certificate_installed(cp, certificate_type, pem(settings, name), status, state="")
    install_check(1, settings, request, name)
    return request


def contains(*types: str) -> Rule:
    return Rule(f"a list containing {', '.join(types)}", lambda v: isinstance(v, list) and all(t in v for t in types))


def same_as(step: int | str, reported: dict[str, Any], request: dict) -> None:
    """certificateHashData matches the reported entry: hashAlgorithm equal, hex fields equal ignoring case."""
    sent = request.get("certificateHashData", {})
    check(step, "certificateHashData.hashAlgorithm", sent.get("hashAlgorithm", ABSENT), reported["hashAlgorithm"])
    for name in ("issuerNameHash", "issuerKeyHash", "serialNumber"):
        want = reported[name]
        check(step, f"certificateHashData.{name}", sent.get(name, ABSENT),
              Rule(f"{want!r} (case ignored)", lambda v, w=want: isinstance(v, str) and v.lower() == w.lower()))


async def delete_rounds(cp: Station, settings: Settings, algorithm: str, ids_step: int, delete_status: str) -> None:
    """The delete action: GetInstalledCertificateIds (answered from the store hashed with ``algorithm``),
    then DeleteCertificate with exactly the hash data of the reported first entry (M04.FR.07)."""
    root = pem(settings, "CONFIGURED_CSMS_ROOT_CERT")
    serial = format(x509.load_pem_x509_certificate(root.encode()).serial_number, "x")
    reported: dict[str, Any] = {}

    def ids_reply(payload: dict) -> dict:
        cp.certificates.algorithm = algorithm
        answer = get_installed_certificate_ids(cp, payload)
        reported.update(answer.get("certificateHashDataChain", [{}])[0].get("certificateHashData", {}))
        return answer

    def delete_reply(payload: dict) -> dict:
        if delete_status == "Accepted":
            return {"status": cp.certificates.delete(payload["certificateHashData"])}
        return {"status": delete_status}

    ids = cp.expecting(actions.delete_certificate(cp.id, "CSMSRootCertificate", root), reply=ids_reply)
    delete = cp.expecting("DeleteCertificate", reply=delete_reply,
                          match={"certificateHashData.serialNumber": Rule(
                              f"{serial!r} (case ignored)", lambda v: str(v).lower() == serial)})
    request = await ids.wait(ids_step)
    check(ids_step, "certificateType", request.get("certificateType", ABSENT),
          OneOf(ABSENT, contains("CSMSRootCertificate")))
    if not reported:
        raise HarnessError("the station's store has no CSMSRootCertificate to report")
    request = await delete.wait(ids_step + 2)
    same_as(ids_step + 2, reported, request)


def store(cp: Station) -> list[str]:
    """The station's certificate store as "type serial" entries, in store order."""
    return [f"{e['certificateType']} {e['certificateHashData']['serialNumber']}" for e in cp.certificates.ids(None)]


async def store_kept(cp: Station, before: list[str], what: str = "unchanged") -> None:
    """Post "connected; store unchanged" (or "stored"): after the still-connected round trip the store is
    as ``before`` (a CSMS that installs or deletes certificates unasked shows here)."""
    await cp.still_connected()
    now = store(cp)
    check_that("Post", now == before, f"the station's certificate store expected {what} {before}, got {now}")


def sub_ca_status_request(settings: Settings, index: int) -> tuple[dict, int]:
    """GetCertificateStatusRequest for CPO Sub-CA 2 (index 1) or Sub-CA 1 (index 2) of the V2G chain:
    its SHA256 hash data (issuer hashes from its issuer) and the responder URL; and its serial."""
    chain = load_pem_chain(settings.path(settings.CONFIGURED_V2G_CERT_CHAIN).read_text())
    roots = load_pem_chain(settings.path(settings.CONFIGURED_V2G_ROOT_CERT).read_text())
    cert = chain[index]
    issuer = next(c for c in chain + roots if c.subject == cert.issuer)
    data = hash_data(cert, issuer, "SHA256")
    data["responderURL"] = settings.CONFIGURED_OCSP_RESPONDER_URL
    return {"ocspRequestData": data}, cert.serial_number


def check_ocsp_answer(step: int, response: dict, serial: int) -> None:
    check(step, "status", response["status"], "Accepted")
    problem = ocsp_result_problem(response.get("ocspResult"), serial)
    if problem:
        fail(step, f"{problem[0]} {problem[1]}")


def exi_request(settings: Settings, action: str, name: str) -> dict:
    return {"iso15118SchemaVersion": settings.CONFIGURED_ISO15118_SCHEMA_VERSION, "action": action,
            "exiRequest": settings.path(getattr(settings, name)).read_text().strip()}


def check_exi_response(cp: Station, step: int, response: dict) -> None:
    """status Accepted; exiResponse present, not empty, valid Base64; (warning) an EXI header."""
    check(step, "status", response["status"], "Accepted")
    check(step, "exiResponse", response.get("exiResponse", ABSENT), Rule("present and not empty", bool))
    try:
        raw = base64.b64decode(response["exiResponse"], validate=True)
    except (binascii.Error, ValueError):
        fail(step, "exiResponse expected valid Base64, got text that does not decode")
    body = raw[4:] if raw.startswith(b"$EXI") else raw
    warn_unless(cp, f"{step} (harness)", bool(body) and body[0] & 0xC0 == 0x80,
                "exiResponse expected an EXI header (optional $EXI cookie, then distinguishing bits 10)")


# ---------------------------------------------------------------- M05 install CA certificates
async def test_TC_M_01_install_csms_root(cp: Station, settings: Settings) -> None:
    """Install CA certificate - CSMSRootCertificate"""
    await booted(cp)
    await install(cp, settings, "CSMSRootCertificate", "CONFIGURED_CSMS_ROOT_CERT")
    await store_kept(cp, store(cp), "holding it")


async def test_TC_M_02_install_manufacturer_root(cp: Station, settings: Settings) -> None:
    """Install CA certificate - ManufacturerRootCertificate"""
    await booted(cp)
    await install(cp, settings, "ManufacturerRootCertificate", "CONFIGURED_MANUFACTURER_ROOT_CERT")
    await store_kept(cp, store(cp), "holding it")


async def test_TC_M_03_install_v2g_root(cp: Station, settings: Settings) -> None:
    """Install CA certificate - V2GRootCertificate"""
    require_support(settings, *ISO15118)
    await booted(cp)
    await install(cp, settings, "V2GRootCertificate", "CONFIGURED_V2G_ROOT_CERT")
    await store_kept(cp, store(cp), "holding it")


async def test_TC_M_04_install_mo_root(cp: Station, settings: Settings) -> None:
    """Install CA certificate - MORootCertificate"""
    require_support(settings, *ISO15118)
    await booted(cp)
    await install(cp, settings, "MORootCertificate", "CONFIGURED_MO_ROOT_CERT_FILE")
    await store_kept(cp, store(cp), "holding it")


async def test_TC_M_05_install_failed(cp: Station, settings: Settings) -> None:
    """Install CA certificate - Failed"""
    await booted(cp)
    before = store(cp)
    cp.replies["InstallCertificate"] = lambda station, payload: {"status": "Failed"}
    await install(cp, settings, "CSMSRootCertificate", "CONFIGURED_CSMS_ROOT_CERT", status="Failed")
    await store_kept(cp, before, "unchanged")


# ---------------------------------------------------------------- M03 retrieve installed certificates
async def test_TC_M_12_retrieve_csms_root(cp: Station) -> None:
    """Retrieve certificates from Charging Station - CSMSRootCertificate"""
    await booted(cp)
    before = store(cp)
    for step, algorithm in ((1, "SHA256"), (3, "SHA384"), (5, "SHA512")):
        await get_installed_certificates(cp, ["CSMSRootCertificate"], algorithm, step=step, state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_13_retrieve_manufacturer_root(cp: Station) -> None:
    """Retrieve certificates from Charging Station - ManufacturerRootCertificate"""
    await booted(cp)
    before = store(cp)
    await get_installed_certificates(cp, ["ManufacturerRootCertificate"], state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_14_retrieve_v2g_root(cp: Station, settings: Settings) -> None:
    """Retrieve certificates from Charging Station - V2GRootCertificate"""
    require_support(settings, *ISO15118)
    await booted(cp)
    before = store(cp)
    await get_installed_certificates(cp, ["V2GRootCertificate"], state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_15_retrieve_v2g_chain(cp: Station, settings: Settings) -> None:
    """Retrieve certificates from Charging Station - V2GCertificateChain"""
    require_support(settings, *ISO15118)
    await booted(cp)
    before = store(cp)
    await get_installed_certificates(cp, ["V2GCertificateChain"], state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_16_retrieve_mo_root(cp: Station, settings: Settings) -> None:
    """Retrieve certificates from Charging Station - MORootCertificate"""
    require_support(settings, *ISO15118)
    await booted(cp)
    before = store(cp)
    await get_installed_certificates(cp, ["MORootCertificate"], state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_17_retrieve_csms_and_manufacturer_roots(cp: Station) -> None:
    """Retrieve certificates from Charging Station - CSMSRootCertificate & ManufacturerRootCertificate"""
    await booted(cp)
    before = store(cp)
    await get_installed_certificates(cp, ["CSMSRootCertificate", "ManufacturerRootCertificate"], state="")
    await store_kept(cp, before, "unchanged")


async def test_TC_M_18_retrieve_all_types(cp: Station) -> None:
    """Retrieve certificates from Charging Station - All certificateTypes"""
    await booted(cp)
    before = store(cp)
    request = await get_installed_certificates(cp, None, state="")
    check(1, "certificateType", request.get("certificateType", ABSENT), ABSENT)
    await store_kept(cp, before, "unchanged")


async def test_TC_M_19_retrieve_no_matching_certificate(cp: Station) -> None:
    """Retrieve certificates from Charging Station - No matching certificate found"""
    await booted(cp)
    cp.certificates.remove("ManufacturerRootCertificate")
    request = await get_installed_certificates(cp, ["ManufacturerRootCertificate"], state="")
    check(1, "certificateType", request.get("certificateType", ABSENT), ["ManufacturerRootCertificate"])
    await cp.still_connected()


# ---------------------------------------------------------------- M04 delete a certificate
async def test_TC_M_20_delete_certificate_success(cp: Station, settings: Settings) -> None:
    """Delete a certificate from a Charging Station - Success"""
    await booted(cp)
    before = store(cp)
    for algorithm in ("SHA256", "SHA384", "SHA512"):
        with in_round(algorithm):
            await install(cp, settings, "CSMSRootCertificate", "CONFIGURED_CSMS_ROOT_CERT")
            await delete_rounds(cp, settings, algorithm, 3, "Accepted")
    await store_kept(cp, before, "back to the default")


async def test_TC_M_21_delete_certificate_failed(cp: Station, settings: Settings) -> None:
    """Delete a certificate from a Charging Station - Failed"""
    await booted(cp)
    request = await certificate_installed(cp, "CSMSRootCertificate", pem(settings, "CONFIGURED_CSMS_ROOT_CERT"))
    with in_state("CertificateInstalled"):
        install_check(1, settings, request, "CONFIGURED_CSMS_ROOT_CERT")
    before = store(cp)
    cp.replies["DeleteCertificate"] = lambda station, payload: {"status": "Failed"}  # a retry fails too
    await delete_rounds(cp, settings, "SHA256", 1, "Failed")
    await store_kept(cp, before, "unchanged (the certificate still stored)")


# ---------------------------------------------------------------- M06 OCSP status of the station's certificates
async def test_TC_M_24_certificate_status_success(cp: Station, settings: Settings, ocsp_responder: Any) -> None:
    """Get Charging Station Certificate status - Success"""
    require_support(settings, *ISO15118)
    await booted(cp)
    ocsp_responder.delegates.append(OcspResponder(settings).answer_known)  # the V2G Sub-CAs, on the same URL
    for step, index in ((1, 1), (3, 2)):
        request, serial = sub_ca_status_request(settings, index)
        response = await cp.send("GetCertificateStatus", request, step + 1)
        check_ocsp_answer(step + 1, response, serial)
    await cp.still_connected()


# ---------------------------------------------------------------- M01 / M02 EV contract certificates
async def test_TC_M_26_certificate_installation_ev(cp: Station, settings: Settings) -> None:
    """Certificate Installation EV - Success"""
    require_support(settings, *ISO15118)
    await booted(cp)
    response = await cp.send("Get15118EVCertificate",
                             exi_request(settings, "Install", "CONFIGURED_ISO15118_INSTALL_EXI_REQUEST_FILE"), 2)
    check_exi_response(cp, 2, response)
    await cp.still_connected()


async def test_TC_M_28_certificate_update_ev(cp: Station, settings: Settings) -> None:
    """Certificate Update EV - Success"""
    require_support(settings, *ISO15118)
    await booted(cp)
    response = await cp.send("Get15118EVCertificate",
                             exi_request(settings, "Update", "CONFIGURED_ISO15118_UPDATE_EXI_REQUEST_FILE"), 2)
    check_exi_response(cp, 2, response)
    await cp.still_connected()

