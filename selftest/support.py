"""Running conformance cases from the selftests: in a subprocess, against the embedded reference
CSMS (optionally started with named faults) or any CSMS address, with short waits."""
from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent


#: Short waits so that a case that must fail does so quickly.
FAST = {"CSMS_ACTION_TIMEOUT": "3", "CSMS_RESPONSE_TIMEOUT": "3", "TRANSACTION_DURATION": "0.2",
        "CSMS_SILENCE_WAIT": "0.3", "CONFIGURED_HEARTBEAT_INTERVAL": "1",
        "CONFIGURED_FIRMWARE_SCHEDULE_DELAY": "2", "CONFIGURED_NO_RENEGOTIATION_WAIT": "1",
        # the reference CSMS takes a station's next connection at once (test_connections.py runs with 1 s)
        "CSMS_SETTLE_TIME": "0",
        # one process per run: the selftests themselves already run side by side (pytest -n)
        "REFERENCE_CSMS_WORKERS": "1"}


@dataclass
class Standalone:
    """A reference CSMS in a process of its own, reached over the network as any external CSMS."""
    process: subprocess.Popen
    ws: str
    wss: str | None
    api: str

    def env(self, **extra: str) -> dict[str, str]:
        """The settings that point the suite at it, its action API as the http operator."""
        found = {"CSMS_ADDRESS": self.ws, "CSMS_OPERATOR": "http", "CSMS_OPERATOR_URL": self.api}
        return found | ({"CSMS_WSS_ADDRESS": self.wss} if self.wss else {}) | extra

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)


def start_standalone_csms(*args: str, env: dict[str, str] | None = None) -> Standalone:
    """``python -m reference_csms ARGS`` (``--suite`` when none) on free ports; its addresses are the
    ones it prints (``env``: settings its ``--suite`` reads, e.g. CSMS_STATION_SETS)."""
    process = subprocess.Popen([sys.executable, "-m", "reference_csms", *(args or ("--suite",)), "--port", "0",
                                "--wss-port", "0", "--api-port", "0"], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, env={**os.environ, **(env or {})})
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"(ws://127\.0\.0\.1:\d+) (?:(wss://localhost:\d+)|\(no wss[^)]*\)) actions (http://\S+)", line)
    if not match:
        process.terminate()
        raise AssertionError(f"the standalone reference CSMS did not start: {line!r}")
    return Standalone(process, match.group(1), match.group(2), match.group(3))


@contextmanager
def standalone_csms(*args: str, env: dict[str, str] | None = None) -> Iterator[Standalone]:
    csms = start_standalone_csms(*args, env=env)
    try:
        yield csms
    finally:
        csms.stop()


@dataclass
class Run:
    returncode: int
    output: str
    summary: dict[str, Any]

    def verdicts(self) -> dict[str, str]:
        """case id (with [variant]) -> passed/failed/error/skipped."""
        return {r["case"] + (f"[{r['variant']}]" if r["variant"] else ""): r["verdict"]
                for results in self.summary.get("blocks", {}).values() for r in results}

    def reasons(self) -> dict[str, str]:
        return {r["case"] + (f"[{r['variant']}]" if r["variant"] else ""): r["reason"]
                for results in self.summary.get("blocks", {}).values() for r in results}


def run_cases(select: str, faults: list[str] | None = None, env: dict[str, str] | None = None,
              timeout: float = 240, preflight: bool = False, args: list[str] | None = None,
              keep: Path | None = None) -> Run:
    """``pytest tests -k select`` in a subprocess; returns exit code, output and summary.json
    (``keep``: write the reports there and leave them, for tests of the reports themselves)."""
    with tempfile.TemporaryDirectory() as scratch:
        reports = str(keep) if keep is not None else scratch
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("CSMS_", "REFERENCE_CSMS"))}
        environment.update(FAST)
        environment["REFERENCE_CSMS_FAULTS"] = ",".join(faults or [])
        # the reference CSMS is busy in every selftest run: verdicts must hold against a CSMS that sends
        # requests of its own at any moment; the seed follows from the run, so a failure reproduces
        environment["REFERENCE_CSMS_OPTIONS"] = "busy"
        environment["REFERENCE_CSMS_SEED"] = str(zlib.crc32(f"{select}|{faults}".encode()) % 1000)
        environment.update(env or {})
        if environment.get("CSMS_ADDRESS") and "CSMS_OPERATOR" not in (env or {}):
            # an external CSMS without an action API: an operator that does nothing
            environment.update({"CSMS_OPERATOR": "command", "CSMS_OPERATOR_COMMAND": "true"})
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests"), "-k", select, "-q", "-p", "no:cacheprovider",
               "--reports", reports, "-o", "addopts="] + ([] if preflight else ["--no-preflight"]) + (args or [])
        done = subprocess.run(cmd, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=timeout)
        summary_file = Path(reports) / "summary.json"
        summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    return Run(done.returncode, done.stdout + done.stderr, summary)


def free_port() -> int:
    """A TCP port no one listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AnotherSeed(UserWarning):
    """A check was made once more with another seed of the busy CSMS."""


def retried(why: str) -> None:
    """Say in the run's warnings summary (shown for passing tests too) that a check was made again, and
    why, so that a cause recurring across runs can be read from the CI output."""
    warnings.warn(why, AnotherSeed, stacklevel=2)


def assert_fault_fails(fault: str, expected: dict[str, str], env: dict[str, str] | None = None) -> None:
    """Start the reference CSMS with ``fault``: every case of ``expected`` must fail, its one-line
    reason matching the regex given for it (naming step and field)."""
    select = " or ".join(sorted({c.split("[")[0] for c in expected}))
    run = run_cases(select, faults=[fault], env=env)
    if any(run.verdicts().get(case) == "passed" for case in expected):
        # A busy CSMS's own request of the step's kind and identity, sent in the instant the operator
        # asks, cannot be told from the answer to the operator (README, decisions); one more run with
        # another seed of the busy CSMS, where that instant does not recur.
        passed = sorted(case for case in expected if run.verdicts().get(case) == "passed")
        retried(f"{fault}: {', '.join(passed)} passed with the busy seed of this run; once more with seed 7919")
        run = run_cases(select, faults=[fault], env={"REFERENCE_CSMS_SEED": "7919", **(env or {})})
    verdicts, reasons = run.verdicts(), run.reasons()
    for case, pattern in expected.items():
        assert verdicts.get(case) == "failed", (f"{case} with fault {fault}: {verdicts.get(case)}\n"
                                                f"{run.output[-2000:]}")
        assert re.search(pattern, reasons[case]), f"{case} with fault {fault}, reason: {reasons[case]!r}"


def assert_block_passes(select: str, cases: int, env: dict[str, str] | None = None, timeout: float = 240,
                        args: list[str] | None = None, keep: Path | None = None) -> Run:
    """Without faults every selected case passes."""
    run = run_cases(select, env=env, timeout=timeout, args=args, keep=keep)
    assert run.returncode == 0, run.output[-3000:]
    verdicts = run.verdicts()
    assert len(verdicts) == cases and set(verdicts.values()) == {"passed"}, verdicts
    return run


def assert_every_fault_proven(module: str, proven: dict[str, dict[str, str]]) -> None:
    """Every fault the reference CSMS module declares has a selftest entry (and no entry names an
    undeclared fault)."""
    from reference_csms import handlers  # noqa: F401  (declares every fault)
    from reference_csms.registry import FAULT_MODULES
    declared = {name for name, where in FAULT_MODULES.items() if where == module}
    assert declared, f"{module} declares no fault"
    assert declared <= set(proven), f"faults without a selftest: {sorted(declared - set(proven))}"
    assert set(proven) <= set(FAULT_MODULES), f"unknown faults: {sorted(set(proven) - set(FAULT_MODULES))}"


# ---------------------------------------------------------------- fault proofs in the cases' own steps
CATALOGUE = ROOT / "simulator" / "verdicts" / "testcases"  # the catalogue as it ships with the harness
_PROOF = re.compile(r"^(TC_[A-P]_\d+)(?:\(?\s*\[[^\]]*\]\)?\??)?\s+(?:(\w+)\s+)?(?:steps?\s+\d|Post\b)")


def implemented_cases() -> set[str]:
    """Case ids of the test functions under tests/."""
    return {m.group(1) for f in (ROOT / "tests").glob("test_*.py")
            for m in re.finditer(r"def test_(TC_[A-P]_\d+)", f.read_text())}


def implemented_case_items() -> list[str]:
    """Every item of the conformance suite as pytest collects it (variants counted)."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "tests"), "--collect-only", "-q",
                           "-p", "no:cacheprovider", "--no-preflight", "-o", "addopts="], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    return [line for line in done.stdout.splitlines() if "::test_TC_" in line]


def before_states(case: str) -> set[str]:
    """The reusable states the catalogue names in the case's "Before" line (a failure inside one
    of them is not at one of the case's own steps)."""
    text = (CATALOGUE / f"{case[3]}.md").read_text()
    entry = text.split(f"## {case} ", 1)[1].split("\n## ", 1)[0]
    before = re.search(r"^- Before:(.*(?:\n  .*)*)", entry, re.M)
    return set(re.findall(r"\b([A-Z][a-z]+(?:[A-Z0-9][a-z0-9]*)+)\b", before.group(1))) if before else set()


def own_step_proofs(proofs: dict[str, dict[str, str]]) -> dict[str, list[tuple[str, str]]]:
    """case -> [(fault, step label)] of the proofs whose reason is at one of the case's own steps."""
    own: dict[str, list[tuple[str, str]]] = {}
    for fault, cases in proofs.items():
        for case, pattern in cases.items():
            match = _PROOF.match(pattern.replace("\\", ""))
            if not match:
                continue
            state = match.group(2)
            if state and state in before_states(match.group(1)):
                continue
            step = re.search(r"steps?\s+[\d, ]+|Post", pattern.replace("\\", "")).group(0).strip(" ,")
            own.setdefault(case.split("[")[0], []).append((fault, f"{state + ' ' if state else ''}{step}"))
    return own


# ---------------------------------------------------------------- secrets in outputs and reports
#: the suite's default passwords and the Basic Authorization values made of them
PASSWORDS = ("0123456789123456", "new_Passw0rd.0123456789")
BASIC_VALUES = tuple(base64.b64encode(f"{user}:{password}".encode()).decode()
                     for user in ("CP_1", "CP_2", "CP_PWD", "CP_UPGRADE") for password in PASSWORDS)
_PEM_PRIVATE = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----(.*?)-----END \1PRIVATE KEY-----", re.S)
#: what a report may put between the characters of a base64 or hex text: line breaks, escaped or not
_BREAKS = re.compile(r"\s|\\[nr]|&#1[03];|:")


def _secret_numbers(key: Any) -> list[bytes]:
    """The secret numbers of a private key as big-endian bytes (never its public part)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        value = key.private_numbers().private_value
        return [value.to_bytes(size, "big")]
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        return [v.to_bytes((v.bit_length() + 7) // 8, "big") for v in (n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp)]
    raw = getattr(key, "private_bytes_raw", None)  # Ed25519, X25519, Ed448, X448
    if raw is not None:
        return [raw()]
    numbers = key.private_numbers()  # DSA and the like: x is the secret
    value = getattr(numbers, "x", None)
    return [value.to_bytes((value.bit_length() + 7) // 8, "big")] if value else []


def _encodings(secret: bytes) -> list[str]:
    """How ``secret`` shows in a text: hex (searched without case), decimal, and base64/base64url at
    each of the three alignments it can have inside a longer base64 text (a DER key's PEM body)."""
    number = int.from_bytes(secret, "big")
    out = [secret.hex(), format(number, "x"), str(number)]
    for skip in range(3):
        part = secret[skip:]
        part = part[:len(part) // 3 * 3]
        encoded = base64.b64encode(part).decode()
        out += [encoded, encoded.replace("+", "-").replace("/", "_")]
    return [e for e in out if len(e) >= 16]


def private_key_secrets(folder: Path = ROOT / "fixtures") -> list[str]:
    """Every encoding of the secret numbers of every private key under ``folder``, found by parsing
    the keys with cryptography. Certificates, public keys and the EXI requests that carry them hold
    none of these, so public material is never mistaken for a secret."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    found: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.stat().st_size > 1_000_000:
            continue
        text = path.read_text(errors="replace")
        for match in _PEM_PRIVATE.finditer(text):
            try:
                key = load_pem_private_key(match.group(0).encode(), password=None)
            except (TypeError, ValueError):  # encrypted or not parsable: its whole body is secret
                found.append(re.sub(r"\s|Proc-Type:.*|DEK-Info:.*", "", match.group(2)))
                continue
            for secret in _secret_numbers(key):
                found += _encodings(secret)
    return list(dict.fromkeys(found))


def assert_no_secret(texts: dict[str, str], how: str = "", keys: Path = ROOT / "fixtures",
                     passwords: tuple[str, ...] = ()) -> None:
    """No password (the suite's and ``passwords``), Basic value, Authorization value, PEM private key
    or secret number of a private key under ``keys`` in any of ``texts`` (name -> text); prose such as
    "Basic base64(…)" is no value."""
    secrets = private_key_secrets(keys)
    for name, text in texts.items():
        joined = _BREAKS.sub("", text)
        lowered = joined.lower()
        for secret in (*PASSWORDS, *passwords, *BASIC_VALUES):
            assert secret not in text, f"{secret[:4]}… (a password or Basic value) found in {name}{how}"
        assert not _PEM_PRIVATE.search(text), f"a PEM private key found in {name}{how}"
        for secret in secrets:
            found = secret.lower() in lowered if re.fullmatch(r"[0-9a-f]+", secret) else secret in joined
            assert not found, f"{secret[:6]}… (a private key's secret number) found in {name}{how}"
        for value in re.findall(r"Authorization\W{1,4}Basic\s+([A-Za-z0-9+/]{8,}={0,2})", text):
            assert ":" not in base64.b64decode(value + "==", validate=False).decode("latin-1"), \
                f"an Authorization value in {name}{how}"


def report_texts(reports: Path) -> dict[str, str]:
    """Every file under a run's reports, by its path below ``reports``; for an HTML report also the
    case views it carries compressed (unpacked in the browser when opened), so they are searched too."""
    texts = {str(p.relative_to(reports)): p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file()}
    for name, text in list(texts.items()):
        if name.endswith(".html"):
            texts[f"{name} (compressed views)"] = "\n".join(unpacked_views(text))
    return texts


def unpacked_views(page: str) -> list[str]:
    """The lazily loaded case views of an HTML report, unpacked (gzip+base64 in data-ocpp-gz)."""
    import gzip
    return [gzip.decompress(base64.b64decode(packed)).decode()
            for packed in re.findall(r"data-ocpp-gz=\S{1,12}?(H4sI[A-Za-z0-9+/=]+)", page)]  # gzip's magic in base64
