#!/usr/bin/env bash
# python/tests/install_test.sh PYTHON SOURCE_DIR BUILD_DIR: what a user does (README "Python"):
# a virtual environment with the system's site packages (Debian's numpy), then pip installs the
# checkout offline (--no-build-isolation --no-deps --no-index: Debian's setuptools and wheel, no
# downloads), reusing BUILD_DIR's compiled library (NEARDUP_BUILD_DIR). The installed package,
# not the checkout's, must import and cluster the seed board as the binary does, with its type
# stubs and its help.
set -euo pipefail
python="$1" src="$2" build="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" -m venv --system-site-packages "$work/venv"
if ! NEARDUP_BUILD_DIR="$build" PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
    "$work/venv/bin/pip" install --no-build-isolation --no-deps --no-index "$src" \
    > "$work/pip.log" 2>&1; then
  cat "$work/pip.log" >&2
  exit 1
fi
cd "$work"
"$work/venv/bin/python" - "$src/data/samples/seed-board.jsonl" "$build/neardup" <<'PY'
import json, os, pydoc, subprocess, sys

import neardup

path, binary = sys.argv[1], sys.argv[2]
assert neardup.__file__.startswith(sys.prefix), f"not the installed package: {neardup.__file__}"
with open(path, encoding="utf-8") as f:
    records = [json.loads(line) for line in f]
out = subprocess.run([binary, "cluster", path, "-q"], capture_output=True, text=True,
                     check=True).stdout
assert neardup.cluster(records) == [json.loads(line) for line in out.splitlines()]
package = os.path.dirname(neardup.__file__)
for name in ("py.typed", "__init__.pyi", "_neardup.pyi"):
    assert os.path.exists(os.path.join(package, name)), f"{name} is not installed"
assert "threshold=0.8" in pydoc.render_doc(neardup.cluster)
print("ok: pip installs neardup into a venv; it clusters the seed board as the binary does")
PY
