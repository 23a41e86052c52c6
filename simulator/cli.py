"""Command line: ``python -m simulator COMMAND ...``.

Each command lives in its own module under :mod:`simulator.commands` with
``add_arguments(parser)`` and ``main(args) -> int``. Bad input (a missing
file, an unknown key, a wrong type, a value out of range) ends with exit code 2
and one line per problem naming the field, the value and what is allowed; no
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from typing import NoReturn

from simulator.safe_io import OutputError
from simulator.schema import ScenarioError
from simulator.seeding import SeedError

COMMANDS = {
    "run": ("simulator.commands.run", "run one scenario and write its tables"),
    "compare": ("simulator.commands.compare", "scenario vs baseline with paired seeds"),
    "payback": ("simulator.commands.payback", "costs, payback and NPV; Excel workbook"),
    "sweep": ("simulator.commands.sweep", "many runs over levers and seeds (process pool or Dask)"),
    "calibrate": ("simulator.commands.calibrate", "fit the model to a local authority"),
    "app": ("simulator.commands.app", "start the workshop app in the browser"),
    "params": ("simulator.commands.params", "list every parameter with its default and source"),
}


class UsageError(ValueError):
    """Bad command-line input that the user can fix (exit code 2)."""


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (what was wrong and what is allowed), exit 2.

    argparse prints its whole usage block before the error; a user who typed ``--seed abc``
    needs the one line, and ``--help`` for the rest.
    """

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse's hook
        allowed = {"invalid int value": "a whole number", "invalid float value": "a number"}
        for phrase, what in allowed.items():
            if phrase in message:
                message = f"{message}; allowed: {what}"
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command's options."""
    parser = OneLineParser(
        prog="python -m simulator",
        description="Children's social care demand simulator: early help to care, levers, payback.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if importlib.util.find_spec(module) is None:
            continue
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except (ScenarioError, UsageError, OutputError, SeedError) as err:
        for line in getattr(err, "problems", None) or [str(err)]:
            source = getattr(err, "source", None)
            print(f"error: {source}: {line}" if source else f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (``... | head``): not an error of ours; quiet the final flush
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as err:
        # the machine, not the input: a full disk behind standard output, a folder gone
        print(f"error: {err.strerror or err}", file=sys.stderr)
        return 1


#: Set by a command that has written what it keeps and wants its process to end at once.
_exit_at_once = False


def exit_at_once() -> None:
    """Ask :func:`run` to end the process as soon as the command returns, skipping teardown.

    For a sweep stopped by a signal: it has written and closed what it keeps and said so, and a
    local Dask cluster's threads and exit handlers took 0.45 s of a 0.53 s stop with both cores
    busy (6 Dec 2026), more under heavier load, against the 2 s in which it must stop (issue 17).
    Other commands end normally, so their worker pools are cleaned up as usual.
    """
    global _exit_at_once
    _exit_at_once = True


def run(argv: list[str] | None = None) -> None:
    """The command line's process: :func:`main`, then exit with its code."""
    try:
        code = main(argv)
    except KeyboardInterrupt:  # before main's own handling (building the parser imports commands)
        print("interrupted", file=sys.stderr)
        code = 130
    if _exit_at_once:
        import os

        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
