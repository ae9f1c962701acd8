"""Before the first case: does the CSMS accept a station at all? A dead or silent CSMS is known in
seconds, and every case then fails at once with that one reason instead of each waiting out its
own timeouts. Then, against an external CSMS, does it hold what the provisioning manifest of the
selected cases says (stations, tokens, server certificates)? A mismatch is one line, and the cases
it breaks fail at once with it instead of a dozen unrelated-looking failures. During the run, after a
case that failed with connection troubles: does the CSMS still answer an upgrade, or did it go away
(the later cases then fail at once)?"""
from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from simulator.probes.tls_probes import host_port
from simulator.provisioning.manifest import Manifest, TokenItem
from simulator.verdicts.checks import CaseFailure
from simulator.verdicts.trace import Trace
from simulator.wire import connections
from simulator.wire.transport import ConnectError, Credentials, Endpoint


async def _probe(settings: Any, creds: Credentials, endpoint: Endpoint) -> None:
    from simulator.station.states import boot_notification
    from simulator.station.station import Station
    station = Station(settings, creds, endpoint, Trace())
    try:
        await station.connect(step="preflight")
        await boot_notification(station, "PowerUp", "preflight")
    finally:
        await station.close()


def preflight(settings: Any, creds: Credentials, endpoint: Endpoint) -> str | None:
    """None when the CSMS accepts ``creds`` and answers a BootNotification within
    CSMS_RESPONSE_TIMEOUT (each), else the one-line reason."""
    limit = 2 * settings.CSMS_RESPONSE_TIMEOUT + 1
    try:
        asyncio.run(asyncio.wait_for(_probe(settings, creds, endpoint), limit))
    except CaseFailure as failure:
        return str(failure).split(": ", 1)[-1]
    except asyncio.TimeoutError:
        return f"no answer within {limit:g} s"
    return None


# ---------------------------------------------------------------- the setup the manifest asks for
@dataclass
class SetupProblem:
    """One thing the CSMS does not hold as the manifest says, and the selected cases it breaks."""
    text: str
    cases: list[str]

    def line(self, limit: int = 8) -> str:
        shown = ", ".join(self.cases[:limit]) + (f" and {len(self.cases) - limit} more" if len(self.cases) > limit
                                                 else "")
        return f"setup: {self.text}; affects {shown}"


async def _tls_problem(settings: Any, url: str, cert: Path | None, key: Path | None,
                       station: str = "") -> str | None:
    """None when the wss endpoint at ``url`` completes a handshake and presents a certificate that
    TLS_CA_CERT verifies for its host; else why not. With ``station``'s client certificate the
    handshake is one of that station's connections (CSMS_SETTLE_TIME after its previous one)."""
    host, port = host_port(url)
    ca = settings.path(settings.TLS_CA_CERT)
    if not ca.is_file():
        return None  # the cases say so themselves (a setting to fix, not the CSMS's setup)
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert is not None and key is not None and cert.is_file() and key.is_file():
        ctx.load_cert_chain(str(cert), str(key))  # an SP3 endpoint may ask for one before it shows its own
    else:
        station = ""
    link = await connections.open_link(station, settings.CSMS_SETTLE_TIME, "setup tls check")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ctx, server_hostname=host),
                                           settings.CSMS_RESPONSE_TIMEOUT)
    except ssl.SSLCertVerificationError as e:
        link.close()
        return f"the wss endpoint {url} presents a certificate TLS_CA_CERT does not verify ({e.verify_message})"
    except (OSError, asyncio.TimeoutError, ssl.SSLError) as e:
        link.close()
        return f"no TLS handshake with the wss endpoint {url} ({e.__class__.__name__}: {e})".replace(": )", ")")
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), settings.CSMS_RESPONSE_TIMEOUT)
    except (OSError, asyncio.TimeoutError, ssl.SSLError):
        pass
    link.close()
    return None


async def _boot(settings: Any, creds: Credentials, endpoint: Endpoint) -> tuple[Any, str | None]:
    """A connected, booted station, or None and why the CSMS did not accept it."""
    from simulator.station.states import boot_notification
    from simulator.station.station import Station
    station = Station(settings, creds, endpoint, Trace())
    try:
        await station.connect(step="setup")
        response = await boot_notification(station, "PowerUp", "setup")
    except (CaseFailure, AssertionError) as failure:
        await station.close()
        return None, str(failure).split(": ", 1)[-1]
    if response.get("status") != "Accepted":
        await station.close()
        return None, f"its BootNotification was answered {response.get('status')}"
    return station, None


async def _token_problems(station: Any, manifest: Manifest, group_cases: Callable[[TokenItem], list[str]]
                          ) -> list[SetupProblem]:
    from simulator.station.states import authorize
    problems: list[SetupProblem] = []
    for token in manifest.tokens:
        try:
            info = (await authorize(station, {"idToken": token.id_token, "type": token.type}, "setup"))["idTokenInfo"]
        except (CaseFailure, AssertionError) as failure:
            problems.append(SetupProblem(f"token {token.id_token}: no answer to its AuthorizeRequest "
                                         f"({str(failure).split(': ', 1)[-1]})", token.cases))
            continue
        status = info.get("status")
        if status not in token.authorize:
            problems.append(SetupProblem(f"token {token.id_token} is {status} in your CSMS, the manifest says "
                                         f"{token.status}" + (" (or unknown)" if token.status == "Invalid" else ""),
                                         token.cases))
        elif token.group and status == "Accepted" and (info.get("groupIdToken") or {}).get("idToken") != token.group:
            held = (info.get("groupIdToken") or {}).get("idToken")
            if cases := group_cases(token):
                problems.append(SetupProblem(f"token {token.id_token} has groupIdToken {held or 'none'} in your "
                                             f"CSMS, the manifest says {token.group}", cases))
    return problems


async def _setup_problems(settings: Any, manifest: Manifest, endpoint: Endpoint,
                          credentials: Callable[[int, str], Credentials],
                          group_cases: Callable[[TokenItem], list[str]]) -> list[SetupProblem]:
    problems: list[SetupProblem] = []
    broken: set[int] = set()  # profiles whose wss endpoint failed: their stations are not tried
    if manifest.server_certificates:
        cases = sorted({c for s in manifest.server_certificates for c in s.cases})
        endpoints: dict[str, set[int]] = {}
        for profile in (2, 3):
            url = settings.wss_address(profile)
            if url and profile in settings.supported_profiles:
                endpoints.setdefault(url, set()).add(profile)
        creds = credentials(3, settings.SECURITY_PROFILE_3_CP)
        for url, profiles in endpoints.items():
            problem = await _tls_problem(settings, url, creds.client_cert, creds.client_key, creds.station_id)
            if problem:
                broken |= profiles
                problems.append(SetupProblem(problem, cases))
    token_station = None
    for item in manifest.stations:
        for profile in item.security_profiles:
            if profile in broken or profile not in settings.supported_profiles or \
                    (profile == 1 and not settings.CSMS_ADDRESS) or (profile > 1 and not settings.wss_address(profile)):
                continue  # the cases say what is missing themselves
            station, why = await _boot(settings, credentials(profile, item.id), endpoint)
            if station is None:
                problems.append(SetupProblem(f"station {item.id} (security profile {profile}) was not accepted: "
                                             f"{why}", item.cases))
            elif token_station is None and item.settings[:1] == ["BASIC_AUTH_CP"]:
                token_station = station
                continue
            else:
                await station.close()
    if token_station is not None:
        try:
            problems += await _token_problems(token_station, manifest, group_cases)
        finally:
            await token_station.close()
    return problems


def setup_check(settings: Any, manifest: Manifest, endpoint: Endpoint,
                credentials: Callable[[int, str], Credentials],
                group_cases: Callable[[TokenItem], list[str]]) -> list[SetupProblem]:
    """What a station can check without side effects before the first case: each station of the
    manifest boots Accepted with its credentials, each token's AuthorizeResponse has the status (and
    group) the manifest says, the wss endpoints present a certificate TLS_CA_CERT verifies."""
    limit = (len(manifest.stations) * 2 + len(manifest.tokens) + 4) * (settings.CSMS_RESPONSE_TIMEOUT + 1)
    try:
        return asyncio.run(asyncio.wait_for(_setup_problems(settings, manifest, endpoint, credentials, group_cases),
                                            limit))
    except asyncio.TimeoutError:
        return [SetupProblem(f"the setup check got no answers within {limit:g} s", manifest.cases)]


def still_answering(creds: Credentials, endpoint: Endpoint) -> str | None:
    """The cheap recheck after a case that met connection troubles: one upgrade of ``creds`` (the
    preflight's station, CSMS_SETTLE_TIME after its last connection, closed at once after a 101).
    None when the CSMS answers it at all (any HTTP status, a TLS alert: it is there and decides),
    else how it did not: "connection refused", "connection reset", "no answer to the upgrade …"."""
    from simulator.probes.admission import attempt
    from simulator.probes.tls_probes import CLOSED, RESET, TIMEOUT
    try:
        result = asyncio.run(attempt(endpoint, creds))
    except ConnectError as e:
        return str(e).rsplit(": ", 1)[-1]
    gone = {RESET: "connection reset", CLOSED: "connection closed without an answer to the upgrade",
            TIMEOUT: f"no answer to the upgrade within {endpoint.open_timeout:g} s"}
    return gone.get(result.outcome)  # an HTTP status, a 101, a TLS alert: the CSMS is there
