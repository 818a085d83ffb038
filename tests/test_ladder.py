"""The dependency ladder is enforced: `lint-imports` (the contract in pyproject.toml) passes on the
code as it is, and fails as soon as a lower rung imports a higher one.

Runs on a copy of the apps in a temporary folder, so the upward import never touches the tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
APPS = ["accounts", "chats", "transcripts", "queueing", "consumers", "routing", "web", "chatserver"]


@pytest.fixture
def copy_of_the_apps(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(folder / "pyproject.toml"), "--no-cache"],
        cwd=folder,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_ladder(copy_of_the_apps: Path):
    result = lint_imports(copy_of_the_apps)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("chats/upward.py", "from queueing.board import waiting_list"),  # chats must not know the queue
        ("accounts/upward.py", "from chats import groups"),  # accounts is the bottom rung
        ("transcripts/upward.py", "import queueing.presence"),  # the record app does not read the live queue
        ("queueing/upward.py", "from consumers.base import ChatSocket"),  # domain code never imports sockets
    ],
)
def test_an_upward_import_breaks_the_ladder(copy_of_the_apps: Path, module: str, upward: str):
    (copy_of_the_apps / module).write_text(upward + "\n")
    result = lint_imports(copy_of_the_apps)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout, result.stdout
