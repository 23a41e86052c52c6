"""The project's habits as tests: the typed core passes mypy, and the code passes ruff's checks.

The same commands run as pre-commit hooks (``.pre-commit-config.yaml``); CONTRIBUTING.md says
which files are in the typed core. Formatting is not checked here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The modules mypy checks (with the pydantic plugin; settings in pyproject's [tool.mypy]).
TYPED = [
    "simulator/schema.py",
    "simulator/model.py",
    "simulator/results.py",
    "simulator/finance",
    "simulator/policies",
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_typed_core_passes_mypy():
    done = _run("mypy", *TYPED)
    assert done.returncode == 0 and "Success" in done.stdout, done.stdout + done.stderr


def test_ruff_check_passes():
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_formatted():
    """``ruff format --check .``: the README's test command runs it too, before the suite."""
    done = _run("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_functions_above_grade_c_say_why():
    """No function in simulator/ above radon grade C (complexity > 20) without a comment
    ``# Complexity (radon ...)`` just above it (or above its decorators) saying why."""
    from radon.complexity import cc_visit

    unexplained = []
    for path in sorted((ROOT / "simulator").rglob("*.py")):
        text = path.read_text()
        lines = text.splitlines()
        for block in cc_visit(text):
            for fn in [block, *getattr(block, "methods", [])]:
                if fn.complexity <= 20 or getattr(fn, "methods", None):
                    continue
                i = fn.lineno - 2  # the line above the def (0-based), then above its decorators
                while i >= 0 and lines[i].lstrip().startswith("@"):
                    i -= 1
                above = []
                while i >= 0 and lines[i].lstrip().startswith("#"):
                    above.append(lines[i])
                    i -= 1
                if not any("Complexity (radon" in c for c in above):
                    unexplained.append(f"{path.relative_to(ROOT)}:{fn.lineno} {fn.name} ({fn.complexity})")
    assert not unexplained, "\n".join(unexplained)
