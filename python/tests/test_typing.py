"""The type stubs: they match the module (mypy's stubtest) and type-check a
program that uses the API (mypy)."""

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

pytest.importorskip("mypy")


def mypy(*args, cwd=None):
    # Run away from the source tree, so that the installed package is the
    # one checked.
    p = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                       cwd=cwd)
    return p.returncode, p.stdout + p.stderr


def test_stubs_match_the_module(tmp_path):
    code, out = mypy("mypy.stubtest", "neardup",
                     cwd=tmp_path)
    assert code == 0, out


def test_a_typed_program_checks(tmp_path):
    code, out = mypy("mypy", "--strict", "--cache-dir", str(tmp_path / "cache"),
                     str(HERE / "typed_usage.py"), cwd=tmp_path)
    assert code == 0, out
    # And a wrong use is caught.
    bad = tmp_path / "bad.py"
    bad.write_text("import neardup\nr = neardup.scan(['a'])\nx: int = r.clusters[0].docs\n")
    code, out = mypy("mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), str(bad),
                     cwd=tmp_path)
    assert code == 1 and "Incompatible types" in out, out
