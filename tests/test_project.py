"""The project keeps its promises to a newcomer: two commands, CI runs the same, ruff is clean."""

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _quick_start_commands() -> list[str]:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M).group(1)
    return [block.strip() for block in re.findall(r"```[a-z]*\n(.*?)```", section, re.S)]


def test_readme_quick_start_has_exactly_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2
    serve, test = commands
    assert "pip install -e ." in serve and "assembly serve --demo" in serve
    assert "pip install -e '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_on_sqlite_and_postgresql():
    with open(os.path.join(ROOT, ".ci", "run"), encoding="utf-8") as f:
        ci = f.read()
    assert f'TEST_COMMAND="{_quick_start_commands()[1]}"' in ci
    assert "DATABASE_URL=" in ci and "env -u DATABASE_URL" in ci


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=os.path.dirname(sys.executable)) or shutil.which("ruff")
    assert ruff, "ruff is part of the test extras"
    result = subprocess.run([ruff, "check", ROOT], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
