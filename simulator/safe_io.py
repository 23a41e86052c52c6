"""Writes that cannot half-happen, and exports safe to open in a spreadsheet.

Every output file is written beside its destination under a hidden temporary name, flushed
to disk, and renamed into place (``os.replace`` is atomic on one file system): a kill, a full
disk or an error part-way leaves the destination as it was (the earlier file, or nothing),
never a truncated file. A run folder is built the same way: the tables go into a hidden
sibling folder which is renamed into place once complete.

Nothing is replaced without being asked: :func:`check_output_file` refuses an existing file
unless ``force`` is given, and :func:`check_output_dir` refuses a folder that holds anything
unless ``overwrite`` is given. Both are meant to be called before any computing starts, so a
bad path costs the user nothing.

Spreadsheet formula injection (OWASP, "CSV Injection"): a text cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by Excel and LibreOffice.
:func:`neutralise` prefixes such text with a single quote, which the spreadsheet shows as
text; numbers are left alone. A workbook's own formulas (the finance workbook's NPV and
payback) are kept: :func:`plain_formula` tells them from text that came from a user.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class OutputError(ValueError):
    """An output path that cannot be used (exit code 2 on the command line)."""


# ---------------------------------------------------------------------------------------------
# Checks made before any computing starts
# ---------------------------------------------------------------------------------------------


def _writable_parent(path: Path, what: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputError(f"{what} {str(path)!r}: {str(probe)!r} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputError(f"{what} {str(path)!r}: cannot write in {str(probe)!r} (permission denied)")
    # os.access can say yes where a write fails (root squash, some network and FUSE file systems)
    try:
        fd, name = tempfile.mkstemp(prefix=".write-test.", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise OutputError(
            f"{what} {str(path)!r}: cannot write in {str(probe)!r} ({err.strerror or err})"
        ) from None


def _empty(raw: str | Path) -> bool:
    # Path("") is Path("."): an empty argument must be caught before it becomes the current folder
    return str(raw).strip() == ""


def _checked(check):
    """Turn an OS error met while checking a path (a name too long, a folder gone) into one line."""

    def wrapper(path: str | Path, *args, what: str = "--out", **kw):
        try:
            return check(path, *args, what=what, **kw)
        except OutputError:
            raise
        except OSError as err:
            raise OutputError(f"{what} {str(path)[:80]!r}: {err.strerror or err}") from None

    wrapper.__doc__ = check.__doc__
    wrapper.__name__ = check.__name__
    return wrapper


#: What a results folder may hold (run and compare outputs): ``--overwrite`` replaces nothing else.
RESULT_FILES = frozenset(
    {
        "annual.csv",
        "monthly.csv",
        "equity.csv",
        "policy.csv",
        "episodes.csv",
        "journeys.csv",
        "differences.csv",
        "runs.csv",
        "run.json",
    }
)


def _not_special(path: Path, what: str) -> None:
    if path.is_symlink():
        raise OutputError(f"{what} {str(path)!r} is a symbolic link; give the path it points to")
    if path.exists() and not (path.is_file() or path.is_dir()):
        raise OutputError(
            f"{what} {str(path)!r} is a device, pipe or socket, not a file; allowed: a file path"
        )


@_checked
def check_output_file(path: str | Path, force: bool = False, what: str = "--out") -> Path:
    """Refuse an output file that cannot be written, or exists and ``force`` was not given.

    A device, pipe, socket or symbolic link is never replaced, even with ``force``.
    """
    if _empty(path):
        raise OutputError(f"{what}: empty path; allowed: a file path")
    path = Path(path)
    _not_special(path, what)
    if path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a folder; allowed: a file path")
    if path.exists() and not force:
        raise OutputError(
            f"{what} {str(path)!r} exists; nothing was written "
            "(give --force to replace it, or choose another path)"
        )
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{what} {str(path)!r}: cannot replace it (permission denied)")
    _writable_parent(path, what)
    return path


@_checked
def check_output_dir(path: str | Path, overwrite: bool = False, what: str = "--out") -> Path:
    """Refuse an output folder that cannot be made, or holds anything and ``overwrite`` was not given.

    ``overwrite`` replaces only a results folder: one holding a ``run.json`` and nothing but the
    files a run or a comparison writes (:data:`RESULT_FILES`). Anything else in it (a scenario,
    notes, a folder) and the folder is refused, so ``--overwrite`` can never delete an input.
    """
    if _empty(path):
        raise OutputError(f"{what}: empty path; allowed: a folder path")
    path = Path(path)
    _not_special(path, what)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {str(path)!r} is a file; allowed: a folder (new or empty)")
    if path.is_dir() and any(path.iterdir()):
        if not overwrite:
            raise OutputError(
                f"{what} {str(path)!r} already holds files; nothing was written "
                "(give --overwrite to replace its contents, or choose another folder)"
            )
        names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
        others = [n for n in names if n not in RESULT_FILES or (path / n).is_dir()]
        if others or "run.json" not in names:
            shown = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "") if others else "no run.json"
            raise OutputError(
                f"{what} {str(path)!r} is not a results folder ({shown}); --overwrite replaces only "
                "a folder written by run or compare: choose a new folder"
            )
    _writable_parent(path, what)
    if path.is_dir() and not os.access(path.parent if str(path.parent) else Path("."), os.W_OK):
        raise OutputError(f"{what} {str(path)!r}: cannot replace it (permission denied)")
    return path


# ---------------------------------------------------------------------------------------------
# Atomic writes
# ---------------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _failed(path: Path, err: OSError) -> OutputError:
    return OutputError(
        f"could not write {str(path)!r}: {err.strerror or err}; "
        "nothing was written there (an earlier file or folder is unchanged)"
    )


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` only if the block ends cleanly.

    A failed write (a full disk, a lost permission) raises :class:`OutputError` and leaves
    ``path`` as it was. The file gets the mode a plain ``open`` would give it (the temporary
    file starts private).

    >>> with atomic_path("out.csv") as tmp:   # doctest: +SKIP
    ...     frame.to_csv(tmp)
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        os.close(fd)
    except OSError as err:
        raise _failed(path, err) from err
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
        _fsync_dir(folder)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(err, OSError):
            raise _failed(path, err) from err
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` whole or not at all."""
    return write_bytes(path, text.encode(encoding))


def write_with(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp)`` to write a temporary file, then rename it onto ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_csv(path: str | Path, frame: pd.DataFrame, **to_csv: Any) -> Path:
    """Write ``frame`` as CSV whole or not at all, text cells neutralised (see :func:`neutralise`)."""
    return write_with(path, lambda tmp: neutralise_frame(frame).to_csv(tmp, **to_csv))


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    global _RENAMEAT2
    if _RENAMEAT2 is None:
        _RENAMEAT2 = False
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            fn = libc.renameat2
            fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            _RENAMEAT2 = fn
    if not _RENAMEAT2:
        return False
    at_fdcwd, rename_exchange = -100, 2
    return _RENAMEAT2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


_RENAMEAT2: Any = None


@contextlib.contextmanager
def atomic_dir(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """A hidden folder beside ``path`` to fill; it replaces ``path`` only if the block ends cleanly.

    ``path`` holds either the earlier complete contents or the new complete contents, never a
    mix: with ``overwrite`` the earlier folder and the new one swap places in one step where
    the system allows it (Linux), else the earlier one is moved aside and the new one renamed
    in; then the earlier one is deleted. If the block fails the earlier folder is untouched.
    """
    path = Path(path)
    check_output_dir(path, overwrite)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".part", dir=parent))
    except OSError as err:
        raise _failed(path, err) from err
    try:
        yield tmp
        for f in tmp.iterdir():
            with contextlib.suppress(OSError), open(f, "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists() and _exchange(tmp, path):
            _fsync_dir(parent)
            shutil.rmtree(tmp, ignore_errors=True)  # now the earlier contents
            return
        old = None
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=parent))
            os.rmdir(old)
            os.replace(path, old)
        try:
            os.replace(tmp, path)
        except BaseException:
            if old is not None:
                os.replace(old, path)
            raise
        _fsync_dir(parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise _failed(path, err) from err
        raise


# ---------------------------------------------------------------------------------------------
# Formula injection
# ---------------------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote; anything else is returned as is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: Functions a workbook's own formulas may call: arithmetic over its cells, nothing that reaches out.
PLAIN_FUNCTIONS = frozenset(
    {
        "ABS",
        "AND",
        "AVERAGE",
        "IF",
        "INDEX",
        "ISNUMBER",
        "MAX",
        "MIN",
        "OR",
        "ROUND",
        "ROUNDUP",
        "SUM",
        "SUMPRODUCT",
    }
)
_TEXT_LITERAL = re.compile(r'"[^"]*"')
_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*\(")
#: Other workbooks ``[1]``, DDE ``cmd|' /C calc'!A0``, quoted sheet names, structured references.
_REACHES_OUT = re.compile(r"[\[\]|'@{}#;\\]")


def plain_formula(text: Any) -> bool:
    """Whether ``text`` is a formula that only does arithmetic over cells of its own workbook.

    Only :data:`PLAIN_FUNCTIONS` are called, text appears only as quoted literals, and nothing
    names another workbook, a DDE server (``cmd|...``) or a quoted sheet. The finance workbook's
    own formulas are all plain; ``=HYPERLINK(...)`` or ``=cmd|' /C calc'!A0`` are not.
    """
    if not isinstance(text, str) or not text.startswith("="):
        return False
    body = _TEXT_LITERAL.sub('""', text[1:])
    if _REACHES_OUT.search(body):
        return False
    return all(name.upper() in PLAIN_FUNCTIONS for name in _FUNCTION_CALL.findall(body))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are neutralised; numbers untouched."""
    text_cols = [
        c
        for c in frame.columns
        if frame[c].dtype == object
        or pd.api.types.is_string_dtype(frame[c].dtype)
        or isinstance(frame[c].dtype, pd.CategoricalDtype)
    ]
    needs_names = any(isinstance(c, str) and c.startswith(FORMULA_STARTS) for c in frame.columns)
    if not text_cols and not needs_names:
        return frame
    out = frame.copy()
    for c in text_cols:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            cats = out[c].cat.categories
            if any(isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in cats):
                out[c] = out[c].cat.rename_categories([neutralise(v) for v in cats])
        else:
            out[c] = out[c].map(neutralise)
    if needs_names:
        out.columns = [neutralise(c) for c in out.columns]
    return out
