#!/usr/bin/env bash
# Renders the report of data/samples (plus a document whose title is markup) with make_report and
# checks it in headless Chromium: see report_browser_test.js. Then the same with stories and extra
# fields (seed board and the markup documents, --stories --report-fields press,author,nope).
# Leaves sample-report.html, sample-report.png, stories-report.html and the phone-width
# screenshots sample-report-420.png and stories-report-420.png in OUT_DIR.
#
#   report_browser_test.sh MAKE_REPORT SOURCE_DIR OUT_DIR
#
# Exit status: 0 passed, 1 failed, 77 skipped (node, chromium or playwright-core missing).
set -euo pipefail

make_report=$1
source_dir=$2
out_dir=$3
here=$(cd "$(dirname "$0")" && pwd)
chromium=${NEARDUP_CHROMIUM:-/usr/bin/chromium}

skip() { echo "SKIPPED: $*"; exit 77; }
command -v node >/dev/null 2>&1 || skip "node is not installed (apt-get install nodejs npm)"
[ -x "$chromium" ] || skip "$chromium is not installed (apt-get install chromium)"
[ -d "$here/node_modules/playwright-core" ] ||
  skip "playwright-core is not installed (npm ci --prefix tests/browser)"

mkdir -p "$out_dir"
work=$(mktemp -d "${TMPDIR:-/tmp}/neardup-report-browser.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Two near-identical documents whose titles and ids are markup: they must show as text.
cat > "$work/markup.jsonl" <<'JSONL'
{"id": "markup-1", "title": "<b id=\"injected\">굵게</b> <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script> & \"큰따옴표\" '작은따옴표' 제목", "text": "태그가 들어간 제목이 글자로 보이는지 확인하는 문서입니다.", "press": "<i id=\"injected-press\">통신</i><script>window.__pwned=3</script>"}
{"id": "markup-2<i id=\"injected-id\">", "title": "<b id=\"injected\">굵게</b> <img src=x onerror=\"window.__pwned=1\"> <script>window.__pwned=2</script> & \"큰따옴표\" '작은따옴표' 제목 (2보)", "text": "태그가 들어간 제목이 글자로 보이는지 확인하는 문서입니다."}
JSONL

report="$out_dir/sample-report.html"
"$make_report" --threshold 0.5 --shingle char:3 --generated-at "2025-02-04 12:00:00 UTC" \
  -o "$report" "$source_dir/data/samples/seed-board.jsonl" \
  "$source_dir/data/samples/ko-entertainment-titles.csv" "$work/markup.jsonl" >/dev/null

stories="$out_dir/stories-report.html"
"$make_report" --stories --report-fields press,author,nope --generated-at "2025-02-04 12:00:00 UTC" \
  -o "$stories" "$source_dir/data/samples/seed-board.jsonl" "$work/markup.jsonl" >/dev/null

NEARDUP_CHROMIUM="$chromium" node "$here/report_browser_test.js" "$report" \
  "$out_dir/sample-report.png" "$work/profile" "$stories" "$out_dir"
