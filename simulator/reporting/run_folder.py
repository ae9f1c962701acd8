"""The folder a run writes its reports into: one it owns, so it deletes only what it wrote.

By default each run gets a fresh ``reports/<UTC time>/``; once cases ran, ``reports/latest`` points
to it and the oldest run folders beyond REPORTS_KEEP_RUNS are removed. ``--reports DIR`` writes into
DIR itself: a new or empty folder, or one an earlier run made (it holds :data:`MARKER`); any other
non-empty folder is refused. A run that selected no case leaves the previous run as it was. Only the
harness's own files are ever removed (:data:`OUTPUTS`); a folder is removed only once empty."""
from __future__ import annotations

import os
import re
from datetime import datetime, timezone
from pathlib import Path

MARKER = ".ocpp-harness-run"
#: what a run writes into its folder (allure-results/ holds only Allure's own files, see _remove)
OUTPUTS = ("junit.xml", "report.html", "summary.md", "summary.json", "connections.jsonl", "allure-results")
#: where a reused folder keeps the previous run's outputs until this run has selected cases
PREVIOUS = ".ocpp-previous-run"
LATEST = "latest"
_ALLURE_FILES = ("*-result.json", "*-container.json", "*-attachment*")
_STAMP = re.compile(r"\d{8}-\d{6}(-\d+)?")  # the names new_run_folder gives


class RunFolderError(Exception):
    """The folder cannot be used; the message is one line naming it."""


def new_run_folder(base: Path) -> Path:
    """A fresh, marked ``base/<UTC time>`` (``-2``, ``-3`` … when that second is taken)."""
    if base.exists() and not base.is_dir():
        raise RunFolderError(f"reports folder {base} is a file")
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = base / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        _mark(folder)
        return folder
    raise RunFolderError(f"cannot make a run folder in {base}")


def claim(folder: Path) -> None:
    """``--reports DIR``: make DIR, adopt an empty one, or reuse one a run made (its outputs are set
    aside until this run has selected cases); refuse anything else."""
    if folder.exists() and not folder.is_dir():
        raise RunFolderError(f"--reports {folder}: is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MARKER).is_file():
        previous = folder / PREVIOUS
        _remove_outputs(previous)  # left by a run that did not get to its end
        _move_outputs(folder, previous)
        return
    if any(folder.iterdir()):
        raise RunFolderError(f"--reports {folder}: the folder is not empty and was not made by this harness "
                             f"(no {MARKER} in it); name a new or empty folder")
    _mark(folder)


def finish(folder: Path, selected: bool, base: Path | None, keep: int) -> None:
    """After every report was written. Cases selected: the previous run's outputs set aside are
    removed; under ``base`` the ``latest`` link moves here and old run folders are pruned. No case
    selected: this run's outputs go and the previous ones come back (a fresh folder disappears)."""
    previous = folder / PREVIOUS
    if selected:
        _remove_outputs(previous)
        _rmdir(previous)
        if base is not None:
            _point_latest(base, folder)
            prune(base, keep)
        return
    _remove_outputs(folder)
    _move_outputs(previous, folder)
    _rmdir(previous)
    if base is not None:
        (folder / MARKER).unlink(missing_ok=True)
        _rmdir(folder)


def run_folders(base: Path) -> list[Path]:
    """The run folders the harness made under ``base``, oldest first."""
    if not base.is_dir():
        return []
    return sorted((p for p in base.iterdir() if _STAMP.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
                   and (p / MARKER).is_file()), key=lambda p: p.name)


def prune(base: Path, keep: int) -> None:
    """Remove the outputs (and then, if empty, the folder) of all but the ``keep`` newest run folders."""
    latest = (base / LATEST).resolve() if (base / LATEST).is_symlink() else None
    for old in run_folders(base)[:-keep] if keep > 0 else []:
        if old.resolve() == latest:
            continue
        _remove_outputs(old)
        _remove_outputs(old / PREVIOUS)
        _rmdir(old / PREVIOUS)
        (old / MARKER).unlink(missing_ok=True)
        _rmdir(old)


def latest(base: Path) -> Path | None:
    """The folder ``base/latest`` points to, if any."""
    link = base / LATEST
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _mark(folder: Path) -> None:
    (folder / MARKER).write_text("made by the OCPP 2.0.1 CSMS conformance harness, which removes only its own "
                                 "reports from this folder\n")


def _point_latest(base: Path, folder: Path) -> None:
    """``base/latest`` → ``folder`` (relative, replaced atomically); a ``latest`` that is not a link
    (the user's own) is left alone."""
    link = base / LATEST
    if link.exists() and not link.is_symlink():
        return
    temporary = base / f".{LATEST}-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder.name, target_is_directory=True)
    os.replace(temporary, link)


def _outputs(folder: Path) -> list[Path]:
    """The run's own files in ``folder``, relative: the known reports, and Allure's files in allure-results/."""
    if not folder.is_dir():
        return []
    found = []
    for name in OUTPUTS:
        path = folder / name
        if path.is_dir() and not path.is_symlink():
            found += [file.relative_to(folder) for pattern in _ALLURE_FILES for file in path.glob(pattern)
                      if file.is_file() and not file.is_symlink()]
        elif path.is_file():
            found.append(path.relative_to(folder))
    return found


def _remove_outputs(folder: Path) -> None:
    for file in _outputs(folder):
        (folder / file).unlink()
    _rmdir(folder / "allure-results")


def _move_outputs(source: Path, target: Path) -> None:
    for file in _outputs(source):
        (target / file).parent.mkdir(parents=True, exist_ok=True)
        (source / file).rename(target / file)
    _rmdir(source / "allure-results")


def _rmdir(folder: Path) -> None:
    """Remove ``folder`` if it exists and is empty (what else is in it is not the harness's)."""
    try:
        folder.rmdir()
    except OSError:
        pass

