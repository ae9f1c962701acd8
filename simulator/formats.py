"""The value formats OCPP 2.0.1 and the standards it cites give the test data: what an idToken of
each IdTokenEnumType looks like (an ISO 14443 UID, an ISO 15118 eMAID with its check digit, a MAC
address, …), URLs, hex strings and OCPP's enumerations the settings name.

A real CSMS validates these (one answered CALLERROR to a 9-character "ISO14443" token), so every
default of the settings must pass its rule and a user's value that breaks it stops the run at
start. Each rule is a predicate and a text that says what it wants; :data:`FORMATS` is the table.
This module imports nothing of the harness: the settings, below every other layer, use it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# ---------------------------------------------------------------- eMAID (ISO 15118-2 Annex H)
#: <Country Code> <S> <Provider ID> <S> <eMA Instance> [<S> <Check Digit>], <S> an optional "-"
#: used consistently; the country is ISO 3166-1 alpha-2, the rest alphanumeric, case-insensitive
EMAID = re.compile(r"(?P<country>[A-Za-z]{2})(?P<s>-?)(?P<provider>[A-Za-z0-9]{3})(?P=s)"
                   r"(?P<instance>[A-Za-z0-9]{9})(?:(?P=s)(?P<check>[A-Za-z0-9]))?")

Matrix = tuple[tuple[int, int], tuple[int, int]]


def _mul(a: Matrix, b: Matrix, modulus: int) -> Matrix:
    return tuple(tuple(sum(a[i][k] * b[k][j] for k in range(2)) % modulus for j in range(2))
                 for i in range(2))  # type: ignore[return-value]


def _power(m: Matrix, n: int, modulus: int) -> Matrix:
    result: Matrix = ((1, 0), (0, 1))
    for _ in range(n):
        result = _mul(result, m, modulus)
    return result


def _inverse(m: Matrix, modulus: int) -> Matrix:
    det = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) % modulus
    inv = pow(det, -1, modulus)
    return ((m[1][1] * inv % modulus, -m[0][1] * inv % modulus),
            (-m[1][0] * inv % modulus, m[0][0] * inv % modulus))


def _digits(char: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """A character as the check-digit scheme sees it: its index k in 0-9A-Z written as the pair
    (q1, q2) over GF(2) and the pair (r1, r2) over GF(3), k = 18 q1 + 9 q2 + 3 r1 + r2."""
    k = ALPHABET.index(char)
    return (k // 18, (k // 9) % 2), ((k // 3) % 3, k % 3)


_P1: Matrix = ((0, 1), (1, 1))   # over GF(2)
_P2: Matrix = ((0, 1), (1, 2))   # over GF(3)


def emaid_check_digit(first14: str) -> str:
    """The check digit of an eMAID's 14 characters (country, provider, instance, no separators):
    the eMI3 / ISO 15118 scheme that catches every single error and every swap of neighbours.
    Each position i contributes its character's pairs times P1^(i+1) (mod 2) and P2^(i+1) (mod 3);
    the check digit is the character whose pairs make the sums, each times -P^-15, vanish."""
    text = first14.upper()
    if len(text) != 14 or any(c not in ALPHABET for c in text):
        raise ValueError(f"an eMAID without separators and check digit has 14 letters or digits, got {first14!r}")
    sums = [[0, 0], [0, 0]]
    for i, char in enumerate(text):
        for n, (pair, base, modulus) in enumerate(zip(_digits(char), (_P1, _P2), (2, 3))):
            power = _power(base, i + 1, modulus)
            for j in range(2):
                sums[n][j] = (sums[n][j] + pair[0] * power[0][j] + pair[1] * power[1][j]) % modulus
    result = []
    for (a, b), base, modulus in zip(sums, (_P1, _P2), (2, 3)):
        closing = _inverse(_power(base, 15, modulus), modulus)
        result.append(tuple((-(a * closing[0][j] + b * closing[1][j])) % modulus for j in range(2)))
    (q1, q2), (r1, r2) = result
    return ALPHABET[18 * q1 + 9 * q2 + 3 * r1 + r2]


def emaid_problem(value: str) -> str | None:
    """Why ``value`` is no ISO 15118 eMAID (format, or a wrong check digit), None when it is one."""
    m = EMAID.fullmatch(value)
    if not m:
        return ("an ISO 15118 eMAID is country (2 letters), provider (3 letters/digits), instance (9 letters/digits) "
                "and an optional check digit, optionally separated by '-', e.g. NLTSTC00000001Z")
    if m["check"]:
        want = emaid_check_digit(m["country"] + m["provider"] + m["instance"])
        if m["check"].upper() != want:
            return f"the eMAID's check digit is {want}, not {m['check']}"
    return None


# ---------------------------------------------------------------- the table
@dataclass(frozen=True)
class Format:
    """A value format: what it wants (for the one-line error) and the test."""
    wants: str
    test: Callable[[str], str | None]  # None when the value is fine, else why not


def _pattern(regex: str, wants: str) -> Format:
    compiled = re.compile(regex)
    return Format(wants, lambda v: None if compiled.fullmatch(v) else f"must be {wants}")


def _token(regex: str, wants: str) -> Format:
    """An idToken: at most 36 characters (IdTokenType.idToken) and the type's own form."""
    compiled = re.compile(regex)
    return Format(wants, lambda v: None if len(v) <= 36 and compiled.fullmatch(v) else f"must be {wants}")


def _one_of(*values: str) -> Format:
    wants = "one of " + ", ".join(values)
    return Format(wants, lambda v: None if v in values else f"must be {wants}")


def _url(*schemes: str, max_length: int = 512) -> Format:
    wants = f"an absolute {'/'.join(schemes)} URL of at most {max_length} characters"

    def test(value: str) -> str | None:
        try:
            parts = urlsplit(value)
        except ValueError:
            return f"must be {wants}"
        ok = (parts.scheme.lower() in schemes and parts.hostname and len(value) <= max_length
              and not re.search(r"\s", value))
        return None if ok else f"must be {wants}"
    return Format(wants, test)


_EMAID = Format("an ISO 15118 eMAID such as NLTSTC00000001Z",
                lambda v: None if len(v) <= 36 and not emaid_problem(v) else f"must be {emaid_problem(v) or 'at most 36 characters'}")

#: printable ASCII without white space: what "no format defined" still excludes (IdTokenType.idToken)
_FREE_TOKEN = r"[!-~]{1,36}"
#: OCPP 2.0.1 identifierString: a-z, A-Z, 0-9 and * - _ = : + | @ .
IDENTIFIER = r"[A-Za-z0-9*\-_=:+|@.]"

FORMATS: dict[str, Format] = {
    # IdTokenEnumType (OCPP 2.0.1 Part 2, 3.43): the idToken each type stands for
    "Central": _token(_FREE_TOKEN, "a central id of 1-36 printable characters (no format defined, e.g. a UUID)"),
    "Local": _token(_FREE_TOKEN, "a local id of 1-36 printable characters (no format defined, e.g. a UUID)"),
    "KeyCode": _token(_FREE_TOKEN, "a key code (e.g. a PIN) of 1-36 printable characters"),
    "ISO14443": _token(r"[0-9A-Fa-f]{8}|[0-9A-Fa-f]{14}|[0-9A-Fa-f]{20}",
                       "an ISO 14443 UID: 8, 14 or 20 hex digits (4, 7 or 10 bytes)"),
    "ISO15693": _token(r"[0-9A-Fa-f]{16}", "an ISO 15693 UID: 16 hex digits (8 bytes)"),
    "eMAID": _EMAID,
    "MacAddress": _token(r"[0-9A-Fa-f]{12}|[0-9A-Fa-f]{2}(?P<s>[:-])[0-9A-Fa-f]{2}(?:(?P=s)[0-9A-Fa-f]{2}){4}",
                         "a MAC address: 6 bytes in hex, e.g. 00:1A:2B:3C:4D:5E (':' or '-' or no separator)"),
    "NoAuthorization": _token(r"", "empty (NoAuthorization: the idToken field SHALL be left empty)"),
    # other values the settings hand to the CSMS or put on the wire
    "identifierString": _pattern(IDENTIFIER + "{1,36}", "1-36 characters of a-z, A-Z, 0-9, *-_=:+|@."),
    "stationId": _pattern(r"[A-Za-z0-9*\-_=+|@.]{1,48}",
                          "a station identity: 1-48 characters of a-z, A-Z, 0-9, *-_=+|@. (no ':', Basic Auth's separator)"),
    "passwordString": _pattern(IDENTIFIER + "{16,40}", "16-40 characters of a-z, A-Z, 0-9, *-_=:+|@. (passwordString)"),
    "countryCode": _pattern(r"[A-Z]{2}", "an ISO 3166-1 alpha-2 country code (2 capital letters)"),
    "hex": _pattern(r"(?:[0-9A-Fa-f]{2}){1,64}", "hex digits (whole bytes, at most 128 digits)"),
    "serialHex": _pattern(r"[0-9A-Fa-f]{1,40}", "a certificate serial number in hex (1-40 digits)"),
    "url": _url("http", "https", "ftp", "ftps", "sftp"),
    "httpUrl": _url("http", "https"),
    "ocppCsmsUrl": _url("ws", "wss"),
    "hashAlgorithm": _one_of("SHA256", "SHA384", "SHA512"),
    "ocppInterface": _one_of("Wired0", "Wired1", "Wired2", "Wired3", "Wireless0", "Wireless1", "Wireless2",
                             "Wireless3"),
    "connectorType": _one_of("cCCS1", "cCCS2", "cG105", "cTesla", "cType1", "cType2", "s309-1P-16A",
                             "s309-1P-32A", "s309-3P-16A", "s309-3P-32A", "sBS1361", "sCEE-7-7", "sType2",
                             "sType3", "Other1PhMax16A", "Other1PhOver16A", "Other3Ph", "Pan", "wInductive",
                             "wResonant", "Undetermined", "Unknown"),
    "messageTrigger": _one_of("BootNotification", "LogStatusNotification", "FirmwareStatusNotification",
                              "Heartbeat", "MeterValues", "SignChargingStationCertificate", "SignV2GCertificate",
                              "StatusNotification", "TransactionEvent", "SignCombinedCertificate",
                              "PublishFirmwareStatusNotification"),
    "string20": _pattern(r"[\s\S]{1,20}", "1-20 characters"),
    "string50": _pattern(r"[\s\S]{1,50}", "1-50 characters"),
    "string255": _pattern(r"[\s\S]{1,255}", "1-255 characters"),
    "string512": _pattern(r"[\s\S]{1,512}", "1-512 characters"),
}

ID_TOKEN_TYPES = ("Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization")


def problem(kind: str, value: str) -> str | None:
    """Why ``value`` is not of format ``kind`` (a key of :data:`FORMATS`), None when it is."""
    return FORMATS[kind].test(value)


def id_token_problem(token_type: str, value: str) -> str | None:
    """Why ``value`` is no idToken of ``token_type``, None when it is one."""
    if token_type not in FORMATS or token_type not in ID_TOKEN_TYPES:
        return f"type {token_type!r} is no IdTokenEnumType"
    found = problem(token_type, value)
    return f"{found} for type {token_type}" if found else None
