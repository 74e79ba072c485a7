#!/usr/bin/env bash
# tests/install_test.sh BUILD_DIR SOURCE_DIR: `cmake --install` into a fresh prefix puts a neardup
# in PREFIX/bin that runs from PATH alone (with no build tree at hand: copied elsewhere first) and
# clusters the seed board as the build's binary does.
set -euo pipefail
build="$1" src="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
[[ -x "$work/prefix/bin/neardup" ]] || { echo "no $work/prefix/bin/neardup" >&2; exit 1; }
cd "$work"
PATH="$work/prefix/bin:/usr/bin:/bin" neardup --version > version.txt
grep -qx '[0-9]*\.[0-9]*\.[0-9]*' version.txt ||
  { echo "unexpected --version: $(cat version.txt)" >&2; exit 1; }
PATH="$work/prefix/bin:/usr/bin:/bin" neardup cluster "$src/data/samples/seed-board.jsonl" -q \
  -o installed.jsonl
"$build/neardup" cluster "$src/data/samples/seed-board.jsonl" -q -o built.jsonl
cmp installed.jsonl built.jsonl
echo "ok: cmake --install puts a working neardup in PREFIX/bin"
