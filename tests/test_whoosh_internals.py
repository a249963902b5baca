"""search/whoosh_internals.py: the one module touching Whoosh's private members.

It describes the internals of one whoosh-reloaded release: that release is the one
installed and the one pyproject.toml pins, another is refused at import, and every
private name the module touches is named in its docstring.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib

import whoosh
from conftest import REPO

from onrecord.search import whoosh_internals

PATH = REPO / "plugins" / "onrecord" / "search" / "whoosh_internals.py"


def test_the_documented_version_is_installed_and_pinned():
    documented = ".".join(map(str, whoosh_internals.WHOOSH_VERSION))
    assert whoosh.versionstring() == documented
    assert f"whoosh-reloaded {documented}" in whoosh_internals.__doc__
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"whoosh-reloaded=={documented}" in project["project"]["dependencies"]


def test_another_whoosh_version_is_refused_at_import():
    code = (
        "import whoosh\n"
        "whoosh.__version__ = (2, 7, 6)\n"
        "whoosh.versionstring = lambda: '2.7.6'\n"
        "import onrecord.search.whoosh_internals\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "plugins")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode != 0
    assert "ImportError" in run.stderr and "2.7.5" in run.stderr and "2.7.6" in run.stderr


def touched_private_names() -> set[str]:
    """Every private name whoosh_internals reads, sets, overrides or imports."""
    tree = ast.parse(PATH.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("_") and not name.startswith("__")}


def test_every_internal_touched_is_documented():
    touched = touched_private_names()
    assert {"_postwriter", "_write_block", "_perdoc", "_lenfield", "_suggestions"} <= touched
    documented = set(re.findall(r"`(?:[\w.]*\.)?(_[A-Za-z]\w*)`", whoosh_internals.__doc__))
    assert touched - documented == set()
