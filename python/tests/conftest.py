"""Shared helpers of the module's tests: the neardup binary, running it, reading JSON Lines.

The tests compare the module with the command on the same records; NEARDUP_BINARY names the
binary (ctest sets it), else build/neardup of the checkout.
"""

import json
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def binary():
    path = os.environ.get("NEARDUP_BINARY") or os.path.join(ROOT, "build", "neardup")
    if not os.path.exists(path):
        raise RuntimeError(f"no neardup binary at {path}: build it, or set NEARDUP_BINARY")
    return path


def run(*args, check=True):
    """Runs `neardup ARGS...`; returns the CompletedProcess (text output)."""
    done = subprocess.run([binary(), *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise AssertionError(f"neardup {' '.join(args)} failed: {done.stderr}")
    return done


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def command_error(*args):
    """The message of a command line that fails: its stderr without "neardup: error: "."""
    done = run(*args, check=False)
    assert done.returncode != 0, f"neardup {' '.join(args)} succeeded"
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("neardup: error: "), done.stderr
    return line[len("neardup: error: "):]


@pytest.fixture(scope="session")
def synth(tmp_path_factory):
    """A 4,000-document synth corpus (planted clusters, Korean and English, titles)."""
    path = str(tmp_path_factory.mktemp("synth") / "synth.jsonl")
    run("synth", "-n", "4000", "--doc-bytes", "800", "--seed", "7", "-o", path, "-q")
    return path
